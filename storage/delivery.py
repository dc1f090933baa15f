"""The outbox, platform refs and processed platform event ids."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy import and_, delete, exists, not_, or_, select, update
from sqlalchemy.orm import aliased

from bot.core.effects import Effect, effect_from_json, effect_to_json, lane
from bot.core.ports import OutboxItem, PlatformRef
from storage.repository_base import SqlRepository, affected_rows, insert_ignore, upsert
from storage.tables import OutboxRow, PlatformRefRow, ProcessedEventRow


def _item(row: OutboxRow) -> OutboxItem:
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
        resumed=row.claimed_until is not None or row.attempts > 0 or row.last_error is not None,
        claimed_until=row.claimed_until,
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
            self.session.add(OutboxRow(**values))
            await self.session.flush()
            return True
        result = await self.session.execute(
            insert_ignore(self.dialect, OutboxRow.__table__, index_elements=["dedupe_key"]).values(**values)
        )
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
        earlier = aliased(OutboxRow)
        # An item waits while an earlier one of its lane is not due yet or is being delivered; an
        # earlier one that is due comes first in this same id-ordered batch (the relay stops a lane
        # at its first failure).
        held_back = exists().where(
            earlier.community_id == OutboxRow.community_id,
            earlier.lane == OutboxRow.lane,
            earlier.id < OutboxRow.id,
            earlier.status == "pending",
            or_(earlier.next_attempt_at > now, earlier.claimed_until >= now),
        )
        query = select(OutboxRow).where(
            OutboxRow.status == "pending",
            OutboxRow.platform.in_(list(platforms)),
            OutboxRow.next_attempt_at <= now,
            or_(OutboxRow.claimed_until.is_(None), OutboxRow.claimed_until < now),
            or_(OutboxRow.lane.is_(None), not_(held_back)),
        )
        for platform, community in paused:
            query = query.where(
                not_(and_(OutboxRow.platform == platform, OutboxRow.community_id == community))
            )
        if community_id is not None:
            query = query.where(OutboxRow.community_id == community_id)
        if kinds is not None:
            query = query.where(OutboxRow.kind.in_(list(kinds)))
        rows = (await self.session.execute(query.order_by(OutboxRow.id).limit(limit))).scalars()
        return [_item(row) for row in rows]

    async def claim(self, item_ids: Sequence[int], now: datetime, lease_until: datetime) -> set[int]:
        """One conditional UPDATE for the whole batch: only rows still pending and unclaimed are taken.
        On PostgreSQL the UPDATE waits for a concurrent claimer's row lock and re-checks the condition
        on the row it committed, so two relays never both take a row."""
        if not item_ids:
            return set()
        result = await self.session.execute(
            update(OutboxRow)
            .where(
                OutboxRow.id.in_(list(item_ids)),
                OutboxRow.status == "pending",
                or_(OutboxRow.claimed_until.is_(None), OutboxRow.claimed_until < now),
            )
            .values(claimed_until=lease_until)
            .returning(OutboxRow.id),
            execution_options={"synchronize_session": False},
        )
        return set(result.scalars())

    async def release(self, claims: Mapping[int, tuple[datetime | None, datetime]]) -> None:
        """Give back claimed items that were not attempted: each gets the claim mark it had before
        (a crash's expired lease still says an earlier attempt may have got through), unless the
        lease ran out and someone else holds it now."""
        for item_id, (before, lease_until) in claims.items():
            await self.session.execute(
                update(OutboxRow)
                .where(OutboxRow.id == item_id, OutboxRow.claimed_until == lease_until)
                .values(claimed_until=before),
                execution_options={"synchronize_session": False},
            )

    async def mark_done(self, item_ids: Sequence[int], now: datetime) -> None:
        if not item_ids:
            return
        await self.session.execute(
            update(OutboxRow)
            .where(OutboxRow.id.in_(list(item_ids)))
            .values(status="done", done_at=now, claimed_until=None, attempts=OutboxRow.attempts + 1),
            execution_options={"synchronize_session": False},
        )

    async def mark_failed(
        self,
        item_id: int,
        error: str,
        next_attempt_at: datetime | None,
        *,
        retryable: bool = True,
        counted: bool = True,
    ) -> None:
        values: dict[str, object] = {
            "attempts": OutboxRow.attempts + 1 if counted else OutboxRow.attempts,
            "last_error": error[:2000],
            "claimed_until": None,
            "retryable": retryable,
        }
        if next_attempt_at is None:
            values["status"] = "parked"
        else:
            values["next_attempt_at"] = next_attempt_at
        await self.session.execute(update(OutboxRow).where(OutboxRow.id == item_id).values(**values))

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


class SqlPlatformRefRepository(SqlRepository):
    async def get_many(self, community_id: str, keys: Sequence[str]) -> dict[str, PlatformRef]:
        if not keys:
            return {}
        rows = (
            await self.session.execute(
                select(PlatformRefRow).where(
                    PlatformRefRow.community_id == community_id, PlatformRefRow.key.in_(list(keys))
                )
            )
        ).scalars()
        return {row.key: PlatformRef(row.channel_id, row.message_id) for row in rows}

    async def put_many(self, refs: Sequence[tuple[str, str, PlatformRef]], now: datetime) -> None:
        """Remember several refs (community, key, ref) in one statement; a later one of the same key wins."""
        rows = {
            (community, key): dict(
                community_id=community,
                key=key,
                channel_id=ref.channel_id,
                message_id=ref.message_id,
                created_at=now,
            )
            for community, key, ref in refs
        }
        if not rows:
            return
        stmt = upsert(self.dialect, PlatformRefRow.__table__).values(list(rows.values()))
        stmt = stmt.on_conflict_do_update(
            index_elements=["community_id", "key"],
            set_={"channel_id": stmt.excluded.channel_id, "message_id": stmt.excluded.message_id},
        )
        await self.session.execute(stmt)


class SqlProcessedEventRepository(SqlRepository):
    async def claim(self, platform: str, event_id: str, now: datetime) -> bool:
        result = await self.session.execute(
            insert_ignore(self.dialect, ProcessedEventRow.__table__).values(
                platform=platform, event_id=event_id, handled_at=now
            )
        )
        return bool(affected_rows(result))

    async def prune(self, before: datetime) -> int:
        result = await self.session.execute(
            delete(ProcessedEventRow).where(ProcessedEventRow.handled_at < before),
            execution_options={"synchronize_session": False},
        )
        return int(affected_rows(result))
