"""The outbox: the effects a transaction queued, and the relay's claims on them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    Boolean,
    Integer,
    Select,
    String,
    Text,
    Update,
    and_,
    bindparam,
    case,
    func,
    insert,
    lambda_stmt,
    or_,
    select,
    tuple_,
    update,
)

from bot.core.effects import Effect, effect_from_json, effect_to_json, lane
from bot.core.ports import OutboxItem
from storage.repository_base import (
    FIXED_IN_MAX,
    SqlRepository,
    affected_rows,
    fixed_in,
    fixed_in_params,
    insert_ignore,
)
from storage.tables import OutboxRow
from storage.types import UTCDateTime

# The relay runs these statements after nearly every command, so they are built once here, with bind
# parameters, and executed as Core statements with a dict of values: no statement building, no cache
# key generation and no ORM loading per call.
_OUTBOX = OutboxRow.__table__
_EARLIER = _OUTBOX.alias("earlier")
_ITEM_COLUMNS = (
    _OUTBOX.c.id,
    _OUTBOX.c.community_id,
    _OUTBOX.c.platform,
    _OUTBOX.c.payload,
    _OUTBOX.c.attempts,
    _OUTBOX.c.status,
    _OUTBOX.c.last_error,
    _OUTBOX.c.created_at,
    _OUTBOX.c.dedupe_key,
    _OUTBOX.c.claimed_until,
)
_INSERT = insert(_OUTBOX)


@cache
def _due_statement(platforms: int, paused: bool, community: bool, kinds: bool) -> Select[Any]:
    """The `due` query of one shape (how many platforms; with or without the paused pairs, a
    community, kinds); binds `platform_0`…, `now`, `limit` and, by shape, `paused`, `in_community`,
    `kinds` (see `_due_params`)."""
    now = bindparam("now", type_=UTCDateTime())
    # An item waits while an earlier one of its lane is not due yet or is being delivered; an
    # earlier one that is due comes first in this same id-ordered batch (the relay stops a lane
    # at its first failure). The first such blocker of each lane is found in one pass over the
    # pending items, not once per due item (which grew with the square of a lane's backlog).
    blocker = (
        select(_EARLIER.c.community_id, _EARLIER.c.lane, func.min(_EARLIER.c.id).label("first_id"))
        .where(
            _EARLIER.c.status == "pending",
            _EARLIER.c.lane.is_not(None),
            or_(_EARLIER.c.next_attempt_at > now, _EARLIER.c.claimed_until >= now),
        )
        .group_by(_EARLIER.c.community_id, _EARLIER.c.lane)
        .subquery("blocker")
    )
    lanes = _OUTBOX.outerjoin(
        blocker,
        and_(blocker.c.community_id == _OUTBOX.c.community_id, blocker.c.lane == _OUTBOX.c.lane),
    )
    query = (
        select(*_ITEM_COLUMNS)
        .select_from(lanes)
        .where(
            _OUTBOX.c.status == "pending",
            _OUTBOX.c.platform.in_(fixed_in("platform", platforms, String())),
            _OUTBOX.c.next_attempt_at <= now,
            or_(_OUTBOX.c.claimed_until.is_(None), _OUTBOX.c.claimed_until < now),
            or_(blocker.c.first_id.is_(None), blocker.c.first_id > _OUTBOX.c.id),
        )
    )
    if paused:
        pair = tuple_(_OUTBOX.c.platform, _OUTBOX.c.community_id)
        query = query.where(pair.not_in(bindparam("paused", expanding=True)))
    if community:
        query = query.where(_OUTBOX.c.community_id == bindparam("in_community", type_=String()))
    if kinds:
        query = query.where(_OUTBOX.c.kind.in_(bindparam("kinds", expanding=True)))
    return query.order_by(_OUTBOX.c.id).limit(bindparam("limit", type_=Integer()))


def _due_params(
    platforms: Sequence[str],
    now: datetime,
    limit: int,
    community_id: str | None,
    kinds: Sequence[str] | None,
    paused: Sequence[tuple[str, str]],
) -> dict[str, Any]:
    """The values `_due_statement` of the matching shape binds."""
    params: dict[str, Any] = {"now": now, "limit": limit}
    params.update(fixed_in_params("platform", platforms))
    if paused:
        params["paused"] = [tuple(pair) for pair in paused]
    if community_id is not None:
        params["in_community"] = community_id
    if kinds is not None:
        params["kinds"] = list(kinds)
    return params


_CLAIM = (
    update(_OUTBOX)
    .where(
        _OUTBOX.c.id.in_(bindparam("ids", expanding=True)),
        _OUTBOX.c.status == "pending",
        or_(
            _OUTBOX.c.claimed_until.is_(None), _OUTBOX.c.claimed_until < bindparam("now", type_=UTCDateTime())
        ),
    )
    .values(claimed_until=bindparam("lease_until", type_=UTCDateTime()))
    .returning(_OUTBOX.c.id)
)


@cache
def _claim_due_statement(dialect: str, platforms: int, paused: bool, community: bool, kinds: bool) -> Any:
    """`claim_due` of one shape: the `due` query and its claim in one statement. Binds what the `due`
    statement of that shape binds, and `lease_until`.

    SQLite: an UPDATE … RETURNING of the due rows, run under SQLite's write lock (nothing else claims
    in between). RETURNING gives the rows as written, so an item that carries a claim mark (an earlier
    relay's expired lease, which its attempt must show and a release must give back) is returned
    unchanged, mark and all, for a second statement to claim; every other item is claimed here.
    PostgreSQL: the due rows as read, and whether the UPDATE in the same statement claimed each: it
    waits for a concurrent relay's row lock and re-checks the row, as `claim` does, and an item it
    did not get must stop its lane, so the rows it left are returned too."""
    due = _due_statement(platforms, paused, community, kinds)
    lease_until = bindparam("lease_until", type_=UTCDateTime())
    if dialect == "postgresql":
        batch = due.cte("batch")
        taken = (
            update(_OUTBOX)
            .where(
                _OUTBOX.c.id.in_(select(batch.c.id)),
                _OUTBOX.c.status == "pending",
                or_(
                    _OUTBOX.c.claimed_until.is_(None),
                    _OUTBOX.c.claimed_until < bindparam("now", type_=UTCDateTime()),
                ),
            )
            .values(claimed_until=lease_until)
            .returning(_OUTBOX.c.id)
            .cte("taken")
        )
        mine = batch.c.id.in_(select(taken.c.id)).label("mine")
        return select(*batch.c, mine).order_by(batch.c.id)
    batch = due.with_only_columns(_OUTBOX.c.id).cte("batch")
    return (
        update(_OUTBOX)
        .add_cte(batch)
        .where(_OUTBOX.c.id.in_(select(batch.c.id)))
        .values(
            claimed_until=case(
                (_OUTBOX.c.claimed_until.is_(None), lease_until), else_=_OUTBOX.c.claimed_until
            )
        )
        .returning(*_ITEM_COLUMNS)
    )


_RELEASE = (
    update(_OUTBOX)
    .where(
        _OUTBOX.c.id == bindparam("item_id", type_=Integer()),
        _OUTBOX.c.claimed_until == bindparam("lease_until", type_=UTCDateTime()),
    )
    .values(claimed_until=bindparam("before", type_=UTCDateTime()))
)


@cache
def _mark_done_statement(count: int) -> Update:
    """`mark_done` of `count` items (binds `id_0`… and `now`; `ids`, expanding, past FIXED_IN_MAX)."""
    return (
        update(_OUTBOX)
        .where(_OUTBOX.c.id.in_(fixed_in("id", count, Integer(), expanding="ids")))
        .values(
            status="done",
            done_at=bindparam("now", type_=UTCDateTime()),
            claimed_until=None,
            attempts=_OUTBOX.c.attempts + 1,
        )
    )


@cache
def _mark_failed_statement(counted: bool, park: bool) -> Update:
    """`mark_failed` of one shape: the attempt counted or not; parked, or to be tried at `next_attempt_at`."""
    values: dict[str, object] = {
        "attempts": _OUTBOX.c.attempts + 1 if counted else _OUTBOX.c.attempts,
        "last_error": bindparam("error", type_=Text()),
        "claimed_until": None,
        "retryable": bindparam("retryable_now", type_=Boolean()),
    }
    if park:
        values["status"] = "parked"
    else:
        values["next_attempt_at"] = bindparam("retry_at", type_=UTCDateTime())
    return update(_OUTBOX).where(_OUTBOX.c.id == bindparam("item_id", type_=Integer())).values(values)


# SQLAlchemy 2.0 caches no INSERT … ON CONFLICT: each execution compiles it anew (~0.4 ms for the
# outbox's). A lambda statement is cached by its lambda's code, so each of these fixed statements is
# wrapped in a lambda of its own (one per statement and dialect: never one lambda for several).
_ADD_KEYED_SQLITE = insert_ignore("sqlite", _OUTBOX, index_elements=["dedupe_key"])
_ADD_KEYED_PG = insert_ignore("postgresql", _OUTBOX, index_elements=["dedupe_key"])
_ADD_KEYED = {
    "sqlite": lambda_stmt(lambda: _ADD_KEYED_SQLITE),
    "postgresql": lambda_stmt(lambda: _ADD_KEYED_PG),
}


def _item(row: Any, *, leased: bool = False) -> OutboxItem:
    """An outbox item from a row of `_ITEM_COLUMNS` (or an OutboxRow); `leased`: a row `claim_due`
    returned with the lease it wrote where there was no mark, so the mark as read was none."""
    mark = None if leased else row.claimed_until
    return OutboxItem(
        id=row.id,
        community_id=row.community_id,
        platform=row.platform,
        effect=effect_from_json(row.payload),
        attempts=row.attempts,
        status=row.status,
        last_error=row.last_error,
        created_at=row.created_at,
        dedupe_key=row.dedupe_key,
        resumed=mark is not None or row.attempts > 0 or row.last_error is not None,
        claimed_until=mark,
    )


class SqlOutboxRepository(SqlRepository):
    async def add(
        self, effect: Effect, *, platform: str, now: datetime, dedupe_key: str | None = None
    ) -> bool:
        values = dict(
            community_id=effect.community_id,
            platform=platform,
            kind=effect.kind,
            payload=effect_to_json(effect),
            dedupe_key=dedupe_key,
            status="pending",
            attempts=0,
            next_attempt_at=now,
            created_at=now,
            lane=lane(effect),
        )
        if dedupe_key is None:
            # Rows the session holds go first, as when this was an ORM add and flush (a flush with
            # nothing to write costs next to nothing).
            await self.session.flush()
            await self.session.execute(_INSERT, values)
            return True
        result = await self.session.execute(_ADD_KEYED[self.dialect], values)
        return bool(affected_rows(result))

    async def due(
        self,
        platforms: Sequence[str],
        now: datetime,
        limit: int,
        *,
        community_id: str | None = None,
        kinds: Sequence[str] | None = None,
        paused: Sequence[tuple[str, str]] = (),
    ) -> list[OutboxItem]:
        params = _due_params(platforms, now, limit, community_id, kinds, paused)
        query = _due_statement(len(platforms), bool(paused), community_id is not None, kinds is not None)
        return [_item(row) for row in await self.session.execute(query, params)]

    async def claim_due(
        self,
        platforms: Sequence[str],
        now: datetime,
        limit: int,
        lease_until: datetime,
        *,
        community_id: str | None = None,
        kinds: Sequence[str] | None = None,
        paused: Sequence[tuple[str, str]] = (),
    ) -> tuple[list[OutboxItem], set[int]] | None:
        """The items `due` reads (id order, with the claim marks they had) and the ids of those claimed
        until `lease_until`, in one statement (see `_claim_due_statement`); on SQLite two when an item
        carries an earlier relay's mark. None where neither is known to do that exactly (the caller
        then runs `due` and `claim`)."""
        if self.dialect not in ("sqlite", "postgresql"):
            return None
        params = _due_params(platforms, now, limit, community_id, kinds, paused)
        params["lease_until"] = lease_until
        shape = (self.dialect, len(platforms), bool(paused), community_id is not None, kinds is not None)
        rows = list(await self.session.execute(_claim_due_statement(*shape), params))
        if self.dialect == "postgresql":
            return [_item(row) for row in rows], {row.id for row in rows if row.mine}
        rows.sort(key=lambda row: row.id)
        leased = {row.id for row in rows if row.claimed_until == lease_until}  # a mark is < now
        marked = [row.id for row in rows if row.id not in leased]
        claimed = leased | (await self.claim(marked, now, lease_until) if marked else set())
        return [_item(row, leased=row.id in leased) for row in rows], claimed

    async def claim(self, item_ids: Sequence[int], now: datetime, lease_until: datetime) -> set[int]:
        """One conditional UPDATE for the whole batch: only rows still pending and unclaimed are taken.
        On PostgreSQL the UPDATE waits for a concurrent claimer's row lock and re-checks the condition
        on the row it committed, so two relays never both take a row."""
        if not item_ids:
            return set()
        result = await self.session.execute(
            _CLAIM, {"ids": list(item_ids), "now": now, "lease_until": lease_until}
        )
        return set(result.scalars())

    async def release(self, claims: Mapping[int, tuple[datetime | None, datetime]]) -> None:
        """Give back claimed items that were not attempted: each gets the claim mark it had before
        (a crash's expired lease still says an earlier attempt may have got through), unless the
        lease ran out and someone else holds it now."""
        if not claims:
            return
        await self.session.execute(
            _RELEASE,
            [
                {"item_id": item_id, "lease_until": lease_until, "before": before}
                for item_id, (before, lease_until) in claims.items()
            ],
        )

    async def mark_done(self, item_ids: Sequence[int], now: datetime) -> None:
        if not item_ids:
            return
        params: dict[str, Any] = {"now": now}
        params.update(fixed_in_params("id", item_ids, expanding="ids"))
        await self.session.execute(_mark_done_statement(min(len(item_ids), FIXED_IN_MAX + 1)), params)

    async def mark_failed(
        self,
        item_id: int,
        error: str,
        next_attempt_at: datetime | None,
        *,
        retryable: bool = True,
        counted: bool = True,
    ) -> None:
        params: dict[str, object] = {"item_id": item_id, "error": error[:2000], "retryable_now": retryable}
        if next_attempt_at is not None:
            params["retry_at"] = next_attempt_at
        await self.session.execute(_mark_failed_statement(counted, next_attempt_at is None), params)

    async def parked(self, community_id: str | None = None) -> list[OutboxItem]:
        stmt = select(OutboxRow).where(OutboxRow.status == "parked").order_by(OutboxRow.id)
        if community_id is not None:
            stmt = stmt.where(OutboxRow.community_id == community_id)
        return [_item(row) for row in (await self.session.execute(stmt)).scalars()]

    async def requeue_parked(self, item_ids: Sequence[int], now: datetime) -> int:
        result = await self.session.execute(
            update(OutboxRow)
            .where(OutboxRow.id.in_(list(item_ids)), OutboxRow.status == "parked")
            .values(status="pending", attempts=0, next_attempt_at=now, last_error=None, retryable=True)
        )
        return int(affected_rows(result))

    async def parked_ids(
        self, *, platform: str | None = None, community_id: str | None = None, retryable: bool | None = None
    ) -> list[int]:
        stmt = select(OutboxRow.id).where(OutboxRow.status == "parked").order_by(OutboxRow.id)
        if platform is not None:
            stmt = stmt.where(OutboxRow.platform == platform)
        if community_id is not None:
            stmt = stmt.where(OutboxRow.community_id == community_id)
        if retryable is not None:
            stmt = stmt.where(OutboxRow.retryable.is_(retryable))
        return list((await self.session.execute(stmt)).scalars())
