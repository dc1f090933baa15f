"""Gates: the community's gate switches, admissions, referral codes and applications.

Every race the gates have is settled here in one SQL statement whose rowcount says who won:
the last use of a code, a member admitted twice, two moderators deciding one application, two
joins starting one burst. That holds on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, delete, func, select, tuple_, update

from bot.core.gates.commands import ExistingMember
from bot.core.gates.rules import GateState
from bot.core.gates.settings import GateMode
from bot.core.members import AdmissionMethod, Member, MemberStatus
from storage.gates.tables import JoinEventRow, RedemptionAttemptRow
from storage.members import to_member
from storage.repository_base import SqlRepository, affected_rows, insert_ignore
from storage.tables import CommunityRow, MemberRow


class SqlGateRepository(SqlRepository):
    """The community's gate state, admissions and the per-person attempt counter."""

    async def state(self, community_id: str) -> GateState:
        row = await self.session.get(CommunityRow, community_id, populate_existing=True)
        if row is None:
            return GateState()
        mode: Any = row.gate_mode
        return GateState(
            mode_override=mode,
            switch_on_override=row.gate_switch_on,
            admissions_paused=row.admissions_paused,
            burst_since=row.join_burst_since,
        )

    async def set_mode(self, community_id: str, mode: GateMode | None, switch_on: date | None) -> None:
        await self.session.execute(
            update(CommunityRow)
            .where(CommunityRow.id == community_id)
            .values(gate_mode=mode, gate_switch_on=switch_on)
        )

    async def set_paused(self, community_id: str, paused: bool) -> bool:
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
        return bool(affected_rows(result))

    async def end_burst(self, community_id: str) -> None:
        await self.session.execute(
            update(CommunityRow).where(CommunityRow.id == community_id).values(join_burst_since=None)
        )

    async def record_join(self, community_id: str, at: datetime, window_start: datetime) -> int:
        await self.session.execute(
            delete(JoinEventRow).where(
                JoinEventRow.community_id == community_id, JoinEventRow.joined_at <= window_start
            )
        )
        self.session.add(JoinEventRow(community_id=community_id, joined_at=at))
        await self.session.flush()
        return int(
            await self.session.scalar(
                select(func.count())
                .select_from(JoinEventRow)
                .where(JoinEventRow.community_id == community_id, JoinEventRow.joined_at > window_start)
            )
            or 0
        )

    async def lock_member(self, member_id: int) -> Member:
        # FOR UPDATE on PostgreSQL; SQLite renders nothing, its write transactions are serial anyway.
        # populate_existing: what another transaction committed while we waited wins over the session's copy.
        row = (
            await self.session.execute(
                select(MemberRow)
                .where(MemberRow.id == member_id)
                .with_for_update()
                .execution_options(populate_existing=True)
            )
        ).scalar_one()
        return to_member(row)

    async def admit(
        self,
        member_id: int,
        *,
        method: AdmissionMethod,
        referrer_id: int | None,
        confidence: str | None,
        now: datetime,
    ) -> bool:
        result = await self.session.execute(
            update(MemberRow)
            .where(MemberRow.id == member_id, MemberRow.status != MemberStatus.ADMITTED.value)
            .values(
                status=MemberStatus.ADMITTED.value,
                admitted_at=now,
                left_at=None,
                admission_method=method.value,
                referred_by_id=referrer_id,
                referral_confidence=confidence,
            )
            .execution_options(synchronize_session="fetch")
        )
        return bool(affected_rows(result))

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
        rows = await self.session.execute(
            select(RedemptionAttemptRow.attempted_at).where(
                RedemptionAttemptRow.member_id == member_id, RedemptionAttemptRow.attempted_at > since
            )
        )
        return list(rows.scalars())

    async def record_failed_attempt(self, community_id: str, member_id: int, now: datetime) -> None:
        self.session.add(
            RedemptionAttemptRow(community_id=community_id, member_id=member_id, attempted_at=now)
        )
        await self.session.flush()
