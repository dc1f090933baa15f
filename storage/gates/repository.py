"""Gates: the community's gate switches, admissions, referral codes and applications.

Every race the gates have is settled here in one SQL statement whose rowcount says who won:
the last use of a code, a member admitted twice, two moderators deciding one application, two
joins starting one burst. That holds on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, select, tuple_, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from bot.core.gates.commands import ExistingMember
from bot.core.gates.rules import GateState
from bot.core.gates.settings import GateMode
from bot.core.members import AdmissionMethod, Member, MemberStatus
from bot.core.privacy.rules import MarkReason
from bot.core.refs import MemberRef
from storage.gates.tables import JoinEventRow, RedemptionAttemptRow
from storage.members import forget, remember, seen_rows, to_member, usable
from storage.privacy.marks import mark_of, with_live_marks
from storage.repository_base import SqlRepository, affected_rows, insert_ignore
from storage.tables import CommunityRow, MemberRow

# Built once: the hot statements of joins and redemptions, in Core (cheaper to run than ORM statements:
# none of these tables is changed through ORM objects, so there is nothing to flush before them).
_COMMUNITY = CommunityRow.__table__
_JOINS = JoinEventRow.__table__
_STATE_COLUMNS = (
    _COMMUNITY.c.gate_mode,
    _COMMUNITY.c.gate_switch_on,
    _COMMUNITY.c.admissions_paused,
    _COMMUNITY.c.join_burst_since,
)
_STATE = select(*_STATE_COLUMNS).where(_COMMUNITY.c.id == bindparam("community_id"))
_PRUNE_JOINS = delete(_JOINS).where(
    _JOINS.c.community_id == bindparam("community_id"),
    _JOINS.c.joined_at <= bindparam("window_start"),
)
_ADD_JOIN = insert(_JOINS)
_JOINS_IN_WINDOW = (
    select(func.count())
    .select_from(_JOINS)
    .where(
        _JOINS.c.community_id == bindparam("community_id"),
        _JOINS.c.joined_at > bindparam("window_start"),
    )
)
# The window's joins and the gate state in one round trip (the burst guard needs both).
_JOINS_AND_STATE = select(_JOINS_IN_WINDOW.scalar_subquery(), *_STATE_COLUMNS).where(
    _COMMUNITY.c.id == bindparam("community_id")
)
# The gate state with the salt and live anonymous marks of one reason (a redemption's lockout, an
# application's cooldown): the two reads a newcomer's command makes of the community row, in one.
_STATE_AND_MARKS = with_live_marks(*_STATE_COLUMNS)
_LIVE_MARKS = with_live_marks()
_LOCK_MEMBER = (
    select(MemberRow)
    .where(MemberRow.id == bindparam("member_id"))
    .with_for_update()
    .execution_options(populate_existing=True)
)
_ATTEMPTS = RedemptionAttemptRow.__table__
_FAILED_ATTEMPTS = select(_ATTEMPTS.c.attempted_at).where(
    _ATTEMPTS.c.member_id == bindparam("member_id"), _ATTEMPTS.c.attempted_at > bindparam("since")
)
_ADD_ATTEMPT = insert(_ATTEMPTS)
_MEMBER = MemberRow.__table__
_ADMIT = (
    update(_MEMBER)
    .where(_MEMBER.c.id == bindparam("member_id"), _MEMBER.c.status != MemberStatus.ADMITTED.value)
    .values(
        status=bindparam("new_status"),
        admitted_at=bindparam("new_admitted_at"),
        left_at=bindparam("new_left_at"),
        admission_method=bindparam("new_admission_method"),
        referred_by_id=bindparam("new_referred_by_id"),
        referral_confidence=bindparam("new_referral_confidence"),
    )
)


def _gate_state(row: Any) -> GateState:
    mode: Any = row.gate_mode
    return GateState(
        mode_override=mode,
        switch_on_override=row.gate_switch_on,
        admissions_paused=row.admissions_paused,
        burst_since=row.join_burst_since,
    )


class SqlGateRepository(SqlRepository):
    """The community's gate state, admissions and the per-person attempt counter."""

    def __init__(self, session: Any) -> None:
        super().__init__(session)
        # The gate state read in the current transaction, kept until this repository changes it: a
        # join reads it for the burst guard and again for the mode in force.
        self._states: dict[str, tuple[object, GateState]] = {}

    def _known_state(self, community_id: str) -> GateState | None:
        found = self._states.get(community_id)
        if found is None or found[0] is not self.session.sync_session.get_transaction():
            return None
        return found[1]

    def _keep_state(self, community_id: str, state: GateState) -> GateState:
        self._states[community_id] = (self.session.sync_session.get_transaction(), state)
        return state

    async def state(self, community_id: str) -> GateState:
        known = self._known_state(community_id)
        if known is not None:
            return known
        row = (await self.session.execute(_STATE, {"community_id": community_id})).one_or_none()
        if row is None:
            return GateState()
        return self._keep_state(community_id, _gate_state(row))

    async def state_and_mark(
        self, community_id: str, ref: MemberRef, reason: MarkReason, now: datetime
    ) -> tuple[GateState, datetime | None]:
        known = self._known_state(community_id)
        params = {"community_id": community_id, "reason": reason.value, "now": now}
        rows = (await self.session.execute(_LIVE_MARKS if known else _STATE_AND_MARKS, params)).all()
        if known is None:
            known = self._keep_state(community_id, _gate_state(rows[0])) if rows else GateState()
        return known, mark_of(rows, ref)

    async def set_mode(self, community_id: str, mode: GateMode | None, switch_on: date | None) -> None:
        self._states.pop(community_id, None)
        await self.session.execute(
            update(CommunityRow)
            .where(CommunityRow.id == community_id)
            .values(gate_mode=mode, gate_switch_on=switch_on)
        )

    async def set_paused(self, community_id: str, paused: bool) -> bool:
        self._states.pop(community_id, None)
        result = await self.session.execute(
            update(CommunityRow)
            .where(CommunityRow.id == community_id, CommunityRow.admissions_paused != paused)
            .values(admissions_paused=paused)
        )
        return bool(affected_rows(result))

    async def start_burst(self, community_id: str, now: datetime) -> bool:
        result = await self.session.execute(
            update(CommunityRow)
            .where(CommunityRow.id == community_id, CommunityRow.join_burst_since.is_(None))
            .values(join_burst_since=now)
        )
        started = bool(affected_rows(result))
        known = self._known_state(community_id)
        if started and known is not None:
            self._keep_state(community_id, replace(known, burst_since=now))
        else:
            self._states.pop(community_id, None)
        return started

    async def end_burst(self, community_id: str) -> None:
        await self.session.execute(
            update(CommunityRow).where(CommunityRow.id == community_id).values(join_burst_since=None)
        )
        known = self._known_state(community_id)
        if known is not None:
            self._keep_state(community_id, replace(known, burst_since=None))

    async def record_join(self, community_id: str, at: datetime, window_start: datetime) -> int:
        window = {"community_id": community_id, "window_start": window_start}
        await self.session.execute(_PRUNE_JOINS, window)
        await self.session.execute(_ADD_JOIN, {"community_id": community_id, "joined_at": at})
        row = (await self.session.execute(_JOINS_AND_STATE, window)).one_or_none()
        if row is None:  # no community row (only in tests that skip set-up): the count alone
            return int(await self.session.scalar(_JOINS_IN_WINDOW, window) or 0)
        self._keep_state(community_id, _gate_state(row))
        return int(row[0] or 0)

    async def lock_member(self, member_id: int) -> Member:
        # SQLite's write transactions are serial (BEGIN IMMEDIATE): a member row this transaction has
        # read already is as fresh as a second read, and the identity map holds this transaction's own
        # changes to it. On PostgreSQL, FOR UPDATE; populate_existing: what another transaction
        # committed while we waited wins over the session's copy.
        if self.dialect == "sqlite":
            for row in seen_rows(self.session).values():
                if row.id == member_id and usable(row):
                    return to_member(row)
        row = (await self.session.execute(_LOCK_MEMBER, {"member_id": member_id})).scalar_one()
        return to_member(remember(self.session, row))

    async def admit(
        self,
        member_id: int,
        *,
        method: AdmissionMethod,
        referrer_id: int | None,
        confidence: str | None,
        now: datetime,
    ) -> bool:
        values = {
            "status": MemberStatus.ADMITTED.value,
            "admitted_at": now,
            "left_at": None,
            "admission_method": method.value,
            "referred_by_id": referrer_id,
            "referral_confidence": confidence,
        }
        await self.session.flush()  # a Core statement: no autoflush; the member as this transaction left it
        result = await self.session.execute(
            _ADMIT, {"member_id": member_id, **{f"new_{key}": value for key, value in values.items()}}
        )
        if not affected_rows(result):
            return False
        # A Core UPDATE leaves the session's copy of the row as it was: bring it up to date, as loaded.
        row = self.session.sync_session.identity_map.get(identity_key(MemberRow, member_id))
        if row is not None:
            for key, value in values.items():
                set_committed_value(row, key, value)
        return True

    async def adopt(self, community_id: str, people: Sequence[ExistingMember], now: datetime) -> list[int]:
        humans = {(p.ref.platform, p.ref.user_id): p for p in people if not p.is_bot}
        if not humans:
            return []
        await self.session.execute(
            insert_ignore(self.dialect, MemberRow.__table__),
            [
                {
                    "community_id": community_id,
                    "platform": platform,
                    "user_id": user_id,
                    "display_name": person.display_name[:100],
                    "status": MemberStatus.PENDING.value,
                    "is_bot": False,
                    "is_staff": False,
                    "first_seen_at": min(person.joined_at or now, now),
                    "interests": "",
                    "reminders_opt_out": False,
                }
                for (platform, user_id), person in humans.items()
            ],
        )
        rows = (
            await self.session.execute(
                select(MemberRow.id, MemberRow.platform, MemberRow.user_id).where(
                    MemberRow.community_id == community_id,
                    MemberRow.status != MemberStatus.ADMITTED.value,
                    MemberRow.is_bot.is_(False),
                    tuple_(MemberRow.platform, MemberRow.user_id).in_(list(humans)),
                )
            )
        ).all()
        if not rows:
            return []
        table = MemberRow.__table__
        await self.session.execute(
            update(table)
            .where(table.c.id == bindparam("member_id"), table.c.status != MemberStatus.ADMITTED.value)
            .values(
                status=MemberStatus.ADMITTED.value,
                admitted_at=bindparam("joined_at"),
                left_at=None,
                admission_method=AdmissionMethod.ADOPTED.value,
                referred_by_id=None,
                referral_confidence=None,
            ),
            [
                {"member_id": member_id, "joined_at": min(humans[(platform, user_id)].joined_at or now, now)}
                for member_id, platform, user_id in rows
            ],
        )
        forget(self.session, {member_id for member_id, _, _ in rows})  # changed by a Core update
        return [member_id for member_id, _, _ in rows]

    async def not_admitted(self, community_id: str, people: Sequence[ExistingMember]) -> int:
        humans = list({(p.ref.platform, p.ref.user_id) for p in people if not p.is_bot})
        if not humans:
            return 0
        admitted = await self.session.scalar(
            select(func.count()).where(
                MemberRow.community_id == community_id,
                MemberRow.status == MemberStatus.ADMITTED.value,
                tuple_(MemberRow.platform, MemberRow.user_id).in_(humans),
            )
        )
        return len(humans) - int(admitted or 0)

    async def earliest_adopted(self, community_id: str, limit: int) -> list[Member]:
        rows = await self.session.execute(
            select(MemberRow)
            .where(
                MemberRow.community_id == community_id,
                MemberRow.status == MemberStatus.ADMITTED.value,
                MemberRow.admission_method == AdmissionMethod.ADOPTED.value,
            )
            .order_by(MemberRow.admitted_at, MemberRow.id)
            .limit(limit)
        )
        return [to_member(row) for row in rows.scalars()]

    async def failed_attempts(self, member_id: int, since: datetime) -> list[datetime]:
        rows = await self.session.execute(_FAILED_ATTEMPTS, {"member_id": member_id, "since": since})
        return list(rows.scalars())

    async def record_failed_attempt(self, community_id: str, member_id: int, now: datetime) -> None:
        await self.session.execute(
            _ADD_ATTEMPT, {"community_id": community_id, "member_id": member_id, "attempted_at": now}
        )
