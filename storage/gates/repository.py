"""Gates: the community's gate switches, admissions, referral codes and applications.

Every race the gates have is settled here in one SQL statement whose rowcount says who won:
the last use of a code, a member admitted twice, two moderators deciding one application, two
joins starting one burst. That holds on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, delete, exists, func, select, tuple_, update

from bot.core.gates.application_rules import Answer, Application, ApplicationStatus
from bot.core.gates.commands import ExistingMember
from bot.core.gates.rules import GateState, ReferralCode
from bot.core.gates.settings import GateMode
from bot.core.members import AdmissionMethod, Member, MemberStatus
from storage.gates.tables import ApplicationRow, JoinEventRow, RedemptionAttemptRow, ReferralCodeRow
from storage.members import to_member
from storage.repository_base import SqlRepository, insert_ignore
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
        return bool(result.rowcount)

    async def start_burst(self, community_id: str, now: datetime) -> bool:
        result = await self.session.execute(
            update(CommunityRow)
            .where(CommunityRow.id == community_id, CommunityRow.join_burst_since.is_(None))
            .values(join_burst_since=now)
        )
        return bool(result.rowcount)

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
        return bool(result.rowcount)

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


def _code(row: ReferralCodeRow) -> ReferralCode:
    return ReferralCode(
        id=row.id,
        community_id=row.community_id,
        owner_id=row.owner_id,
        code=row.code,
        created_at=row.created_at,
        expires_at=row.expires_at,
        max_uses=row.max_uses,
        uses=row.uses,
        revoked_at=row.revoked_at,
        invite_code=row.invite_code,
    )


class SqlReferralCodeRepository(SqlRepository):
    """Members' referral codes."""

    async def create(
        self,
        community_id: str,
        owner_id: int,
        code: str,
        *,
        now: datetime,
        expires_at: datetime,
        max_uses: int,
    ) -> ReferralCode | None:
        result = await self.session.execute(
            insert_ignore(self.dialect, ReferralCodeRow.__table__).values(
                community_id=community_id,
                owner_id=owner_id,
                code=code,
                created_at=now,
                expires_at=expires_at,
                max_uses=max_uses,
                uses=0,
            )
        )
        if not result.rowcount:
            return None  # the code exists already (a collision): the caller draws another
        return await self.by_code(community_id, code)

    async def _one(self, *where: Any) -> ReferralCode | None:
        row = (
            await self.session.execute(
                select(ReferralCodeRow).where(*where).execution_options(populate_existing=True)
            )
        ).scalar_one_or_none()
        return _code(row) if row else None

    async def by_code(self, community_id: str, code: str) -> ReferralCode | None:
        return await self._one(ReferralCodeRow.community_id == community_id, ReferralCodeRow.code == code)

    async def by_invite(self, community_id: str, invite_code: str) -> ReferralCode | None:
        rows = await self.session.execute(
            select(ReferralCodeRow)
            .where(ReferralCodeRow.community_id == community_id, ReferralCodeRow.invite_code == invite_code)
            .order_by(ReferralCodeRow.id.desc())
            .limit(1)
            .execution_options(populate_existing=True)
        )
        row = rows.scalar_one_or_none()
        return _code(row) if row else None

    async def live_of(self, owner_id: int, now: datetime) -> list[ReferralCode]:
        rows = await self.session.execute(
            select(ReferralCodeRow)
            .where(
                ReferralCodeRow.owner_id == owner_id,
                ReferralCodeRow.revoked_at.is_(None),
                ReferralCodeRow.expires_at > now,
                ReferralCodeRow.uses < ReferralCodeRow.max_uses,
            )
            .order_by(ReferralCodeRow.id.desc())
            .execution_options(populate_existing=True)
        )
        return [_code(row) for row in rows.scalars()]

    async def created_since(self, owner_id: int, since: datetime) -> int:
        return int(
            await self.session.scalar(
                select(func.count())
                .select_from(ReferralCodeRow)
                .where(ReferralCodeRow.owner_id == owner_id, ReferralCodeRow.created_at >= since)
            )
            or 0
        )

    async def consume(self, code_id: int, now: datetime) -> bool:
        owner_is_member = exists().where(
            MemberRow.id == ReferralCodeRow.owner_id, MemberRow.status == MemberStatus.ADMITTED.value
        )
        result = await self.session.execute(
            update(ReferralCodeRow)
            .where(
                ReferralCodeRow.id == code_id,
                ReferralCodeRow.uses < ReferralCodeRow.max_uses,
                ReferralCodeRow.revoked_at.is_(None),
                ReferralCodeRow.expires_at > now,
                owner_is_member,
            )
            .values(uses=ReferralCodeRow.uses + 1)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)

    async def revoke(self, owner_id: int, now: datetime, code: str | None = None) -> int:
        stmt = update(ReferralCodeRow).where(
            ReferralCodeRow.owner_id == owner_id,
            ReferralCodeRow.revoked_at.is_(None),
            ReferralCodeRow.expires_at > now,
        )
        if code is not None:
            stmt = stmt.where(ReferralCodeRow.code == code)
        result = await self.session.execute(
            stmt.values(revoked_at=now).execution_options(synchronize_session=False)
        )
        return int(result.rowcount)

    async def attach_invite(self, community_id: str, code: str, invite_code: str) -> bool:
        result = await self.session.execute(
            update(ReferralCodeRow)
            .where(ReferralCodeRow.community_id == community_id, ReferralCodeRow.code == code)
            .values(invite_code=invite_code)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)


def _application(row: ApplicationRow) -> Application:
    answers = tuple(Answer(item["question"], item["answer"]) for item in row.answers.get("answers", []))
    return Application(
        id=row.id,
        community_id=row.community_id,
        member_id=row.member_id,
        answers=answers,
        status=ApplicationStatus(row.status),
        submitted_at=row.submitted_at,
        decided_at=row.decided_at,
        decided_by_id=row.decided_by_id,
        reason=row.reason,
    )


class SqlApplicationRepository(SqlRepository):
    """Applications and their decisions."""

    async def add(
        self, community_id: str, member_id: int, answers: tuple[Answer, ...], now: datetime
    ) -> Application:
        row = ApplicationRow(
            community_id=community_id,
            member_id=member_id,
            answers={"answers": [{"question": a.question, "answer": a.answer} for a in answers]},
            status=ApplicationStatus.PENDING.value,
            submitted_at=now,
        )
        self.session.add(row)
        await self.session.flush()
        return _application(row)

    async def get(self, application_id: int) -> Application | None:
        row = await self.session.get(ApplicationRow, application_id, populate_existing=True)
        return _application(row) if row else None

    async def latest_of(self, member_id: int) -> Application | None:
        rows = await self.session.execute(
            select(ApplicationRow)
            .where(ApplicationRow.member_id == member_id)
            .order_by(ApplicationRow.submitted_at.desc(), ApplicationRow.id.desc())
            .limit(1)
            .execution_options(populate_existing=True)
        )
        row = rows.scalar_one_or_none()
        return _application(row) if row else None

    async def decide(
        self,
        application_id: int,
        status: ApplicationStatus,
        *,
        decided_by_id: int,
        now: datetime,
        reason: str | None = None,
    ) -> bool:
        result = await self.session.execute(
            update(ApplicationRow)
            .where(
                ApplicationRow.id == application_id, ApplicationRow.status == ApplicationStatus.PENDING.value
            )
            .values(status=status.value, decided_by_id=decided_by_id, decided_at=now, reason=reason)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)

    async def pending(self, community_id: str, submitted_before: datetime | None = None) -> list[Application]:
        stmt = select(ApplicationRow).where(
            ApplicationRow.community_id == community_id,
            ApplicationRow.status == ApplicationStatus.PENDING.value,
        )
        if submitted_before is not None:
            stmt = stmt.where(ApplicationRow.submitted_at < submitted_before)
        rows = await self.session.execute(
            stmt.order_by(ApplicationRow.submitted_at, ApplicationRow.id).execution_options(
                populate_existing=True
            )
        )
        return [_application(row) for row in rows.scalars()]
