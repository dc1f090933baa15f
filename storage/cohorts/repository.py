"""Cohorts: the forming pool, cohorts and their newcomers, buddy pairs, milestones."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy import bindparam, delete, exists, func, lambda_stmt, select, update

from bot.core.cohorts.rules import BuddyLink, Cohort, CohortMember, CohortStatus, CohortView, Waiting
from bot.core.gates.rules import FOUNDING_BADGE
from bot.core.members import MemberStatus
from bot.core.refs import MemberRef
from storage.badges.tables import BadgeAwardRow
from storage.cohorts.buddies import SqlBuddies
from storage.cohorts.tables import BuddyPairRow, CohortMemberRow, CohortPoolRow, CohortRow, MilestoneRow
from storage.repository_base import affected_rows, insert_ignore
from storage.tables import CommunityRow, MemberRow
from storage.types import UTCDateTime

ADMITTED = MemberStatus.ADMITTED.value


def _cohort(row: CohortRow) -> Cohort:
    return Cohort(
        id=row.id,
        community_id=row.community_id,
        name=row.name,
        launched_at=row.launched_at,
        status=CohortStatus(row.status),
    )


_ACTIVE = (
    select(CohortRow)
    .where(CohortRow.community_id == bindparam("community_id"), CohortRow.status == CohortStatus.ACTIVE.value)
    .order_by(CohortRow.id)
)
# The cohort views (the daily milestones read every active one): built once, bound at each execution.
_VIEW_MEMBERS = (
    select(
        CohortMemberRow.cohort_id,
        CohortMemberRow.graduated_at,
        MemberRow.id,
        MemberRow.platform,
        MemberRow.user_id,
        MemberRow.display_name,
        MemberRow.status,
        MemberRow.first_contribution_at,
    )
    .join(MemberRow, MemberRow.id == CohortMemberRow.member_id)
    .where(CohortMemberRow.cohort_id.in_(bindparam("ids", expanding=True)))
    .order_by(MemberRow.id)
)
_NEWCOMER = MemberRow.__table__.alias("newcomer")
_BUDDY = MemberRow.__table__.alias("buddy")
_VIEW_PAIRS = (
    select(
        BuddyPairRow.cohort_id,
        _NEWCOMER.c.id,
        _NEWCOMER.c.platform,
        _NEWCOMER.c.user_id,
        _BUDDY.c.id,
        _BUDDY.c.platform,
        _BUDDY.c.user_id,
    )
    .join(_NEWCOMER, _NEWCOMER.c.id == BuddyPairRow.newcomer_id)
    .join(_BUDDY, _BUDDY.c.id == BuddyPairRow.buddy_id)
    .where(BuddyPairRow.cohort_id.in_(bindparam("ids", expanding=True)))
    .order_by(BuddyPairRow.id)
)


# SQLAlchemy 2.0 caches no INSERT … ON CONFLICT (it compiles each execution anew); a lambda statement
# is cached by its lambda's code, so each fixed statement has a lambda of its own (as in storage/delivery.py).
_POOL = CohortPoolRow.__table__
_IN_ACTIVE_COHORT = exists().where(
    CohortMemberRow.member_id == bindparam("member_id"),
    CohortRow.id == CohortMemberRow.cohort_id,
    CohortRow.status == CohortStatus.ACTIVE.value,
)
_IS_FOUNDER = exists().where(
    BadgeAwardRow.member_id == bindparam("member_id"), BadgeAwardRow.badge_key == FOUNDING_BADGE
)
# Join the pool unless waiting already, onboarding in an active cohort (re-admitted within their first
# 14 days) or a founding member who came back: one statement instead of two reads and an insert.
_JOIN_POOL_ROW = select(
    bindparam("member_id", type_=_POOL.c.member_id.type),
    bindparam("community_id", type_=_POOL.c.community_id.type),
    bindparam("waiting_since", type_=_POOL.c.waiting_since.type),
).where(~_IN_ACTIVE_COHORT, ~_IS_FOUNDER)
_JOIN_POOL_SQLITE = insert_ignore("sqlite", _POOL).from_select(
    ["member_id", "community_id", "waiting_since"], _JOIN_POOL_ROW
)
_JOIN_POOL_PG = insert_ignore("postgresql", _POOL).from_select(
    ["member_id", "community_id", "waiting_since"], _JOIN_POOL_ROW
)
_JOIN_POOL = {
    "sqlite": lambda_stmt(lambda: _JOIN_POOL_SQLITE),
    "postgresql": lambda_stmt(lambda: _JOIN_POOL_PG),
}
# The pool with each waiting member's status: who is no longer admitted is dropped from it.
_POOL_WITH_STATUS = (
    select(CohortPoolRow.member_id, CohortPoolRow.waiting_since, MemberRow.status)
    .join(MemberRow, MemberRow.id == CohortPoolRow.member_id)
    .where(CohortPoolRow.community_id == bindparam("community_id"))
    .order_by(CohortPoolRow.waiting_since, CohortPoolRow.member_id)
)
_DROP_FROM_POOL = delete(_POOL).where(_POOL.c.member_id.in_(bindparam("member_ids", expanding=True)))
_LOCK_COMMUNITY = (
    select(CommunityRow.id)
    .where(CommunityRow.id == bindparam("community_id"))
    .with_for_update(key_share=True)
)
_MARK_SQLITE = insert_ignore("sqlite", MilestoneRow.__table__)
_MARK_PG = insert_ignore("postgresql", MilestoneRow.__table__)
_MARK = {
    "sqlite": lambda_stmt(lambda: _MARK_SQLITE),
    "postgresql": lambda_stmt(lambda: _MARK_PG),
}
# Record milestones, each once: the member ids it was new for come back.
_MARK_MANY_SQLITE = _MARK_SQLITE.returning(MilestoneRow.member_id)
_MARK_MANY_PG = _MARK_PG.returning(MilestoneRow.member_id)
_MARK_MANY = {
    "sqlite": lambda_stmt(lambda: _MARK_MANY_SQLITE),
    "postgresql": lambda_stmt(lambda: _MARK_MANY_PG),
}

# The day-14 graduation of a cohort's newcomers, in one statement (built once); RETURNING tells
# which were not graduated before.
_MEMBERS_OF_COHORTS = CohortMemberRow.__table__
_GRADUATE = (
    update(_MEMBERS_OF_COHORTS)
    .where(
        _MEMBERS_OF_COHORTS.c.cohort_id == bindparam("of_cohort"),
        _MEMBERS_OF_COHORTS.c.member_id.in_(bindparam("newcomers", expanding=True)),
        _MEMBERS_OF_COHORTS.c.graduated_at.is_(None),
    )
    .values(graduated_at=bindparam("now", type_=UTCDateTime()))
    .returning(_MEMBERS_OF_COHORTS.c.member_id)
)


class SqlCohortRepository(SqlBuddies):
    async def join_pool(self, community_id: str, member_id: int, since: datetime) -> bool:
        result = await self.session.execute(
            _JOIN_POOL[self.dialect],
            {"member_id": member_id, "community_id": community_id, "waiting_since": since},
        )
        return bool(affected_rows(result))

    async def waiting(self, community_id: str) -> list[Waiting]:
        # PostgreSQL: a row lock on the community serialises launches (SQLite writers are serialised
        # already by BEGIN IMMEDIATE). The queries below run after the lock, so they see the pool as
        # any launch that committed meanwhile left it. FOR NO KEY UPDATE, because the pool insert
        # before it already holds FOR KEY SHARE on the row (the foreign key): FOR UPDATE would deadlock.
        if self.dialect == "postgresql":
            await self.session.execute(_LOCK_COMMUNITY, {"community_id": community_id})
        rows = (await self.session.execute(_POOL_WITH_STATUS, {"community_id": community_id})).all()
        gone = [member_id for member_id, _, status in rows if status != ADMITTED]
        if gone:  # rare: who leaves is taken out of the pool as they go
            await self.session.execute(_DROP_FROM_POOL, {"member_ids": gone})
        return [Waiting(member_id, since) for member_id, since, status in rows if status == ADMITTED]

    async def waiting_since(self, member_id: int) -> datetime | None:
        found = await self.session.scalar(
            select(CohortPoolRow.waiting_since).where(CohortPoolRow.member_id == member_id)
        )
        return found

    async def waiting_count(self, community_id: str) -> int:
        return int(
            await self.session.scalar(
                select(func.count())
                .select_from(CohortPoolRow)
                .join(MemberRow, MemberRow.id == CohortPoolRow.member_id)
                .where(CohortPoolRow.community_id == community_id, MemberRow.status == ADMITTED)
            )
            or 0
        )

    async def leave_pool(self, member_ids: Sequence[int]) -> None:
        if member_ids:
            await self.session.execute(_DROP_FROM_POOL, {"member_ids": list(member_ids)})

    async def create(self, community_id: str, launched_at: datetime, member_ids: Sequence[int]) -> Cohort:
        last = await self.session.scalar(
            select(func.max(CohortRow.number)).where(CohortRow.community_id == community_id)
        )
        number = int(last or 0) + 1
        row = CohortRow(
            community_id=community_id,
            number=number,
            name=f"Cohort {number}",
            launched_at=launched_at,
            status=CohortStatus.ACTIVE.value,
        )
        self.session.add(row)
        await self.session.flush()
        if member_ids:
            await self.session.execute(
                CohortMemberRow.__table__.insert(),
                [{"cohort_id": row.id, "member_id": m, "graduated_at": None} for m in member_ids],
            )
        return _cohort(row)

    async def add_buddies(self, cohort_id: int, buddies: Mapping[int, Sequence[int]], now: datetime) -> None:
        rows = [
            {"cohort_id": cohort_id, "newcomer_id": newcomer, "buddy_id": buddy, "created_at": now}
            for newcomer, chosen in buddies.items()
            for buddy in chosen
        ]
        if rows:
            await self.session.execute(BuddyPairRow.__table__.insert(), rows)

    async def _views(self, cohorts: Sequence[CohortRow]) -> list[CohortView]:
        if not cohorts:
            return []
        ids = [c.id for c in cohorts]
        by_cohort: dict[int, list[CohortMember]] = {i: [] for i in ids}
        members = await self.session.execute(_VIEW_MEMBERS, {"ids": ids})
        for cohort_id, graduated_at, member_id, platform, user_id, name, status, first in members.tuples():
            by_cohort[cohort_id].append(
                CohortMember(
                    member_id=member_id,
                    ref=MemberRef(platform, user_id),
                    display_name=name,
                    admitted=status == ADMITTED,
                    first_contribution_at=first,
                    graduated_at=graduated_at,
                )
            )
        links: dict[int, list[BuddyLink]] = {i: [] for i in ids}
        pairs = await self.session.execute(_VIEW_PAIRS, {"ids": ids})
        for cohort_id, n_id, n_platform, n_user, b_id, b_platform, b_user in pairs.tuples():
            links[cohort_id].append(
                BuddyLink(n_id, MemberRef(n_platform, n_user), b_id, MemberRef(b_platform, b_user))
            )
        return [CohortView(_cohort(c), tuple(by_cohort[c.id]), tuple(links[c.id])) for c in cohorts]

    async def active(self, community_id: str) -> list[CohortView]:
        rows = await self.session.execute(_ACTIVE, {"community_id": community_id})
        return await self._views(list(rows.scalars()))

    async def view(self, cohort_id: int) -> CohortView | None:
        row = await self.session.get(CohortRow, cohort_id)
        return (await self._views([row]))[0] if row else None

    async def of_member(self, member_id: int) -> CohortView | None:
        row = await self.session.scalar(
            select(CohortRow)
            .join(CohortMemberRow, CohortMemberRow.cohort_id == CohortRow.id)
            .where(CohortMemberRow.member_id == member_id)
            .order_by(CohortRow.launched_at.desc(), CohortRow.id.desc())
            .limit(1)
        )
        return (await self._views([row]))[0] if row else None

    async def buddying(self, member_id: int) -> list[CohortView]:
        rows = await self.session.execute(
            select(CohortRow)
            .where(
                CohortRow.status == CohortStatus.ACTIVE.value,
                CohortRow.id.in_(select(BuddyPairRow.cohort_id).where(BuddyPairRow.buddy_id == member_id)),
            )
            .order_by(CohortRow.id)
        )
        return await self._views(list(rows.scalars()))

    async def mark_milestone(self, member_id: int, milestone: str, now: datetime) -> bool:
        result = await self.session.execute(
            _MARK[self.dialect],
            {"member_id": member_id, "milestone": milestone, "done_at": now},
        )
        return bool(affected_rows(result))

    async def mark_milestones(self, member_ids: Sequence[int], milestone: str, now: datetime) -> set[int]:
        if not member_ids:
            return set()
        inserted = await self.session.execute(
            _MARK_MANY[self.dialect],
            [{"member_id": i, "milestone": milestone, "done_at": now} for i in member_ids],
        )
        return set(inserted.scalars())

    async def milestones(self, member_id: int) -> dict[str, datetime]:
        rows = await self.session.execute(
            select(MilestoneRow.milestone, MilestoneRow.done_at).where(MilestoneRow.member_id == member_id)
        )
        return {name: at for name, at in rows}

    async def graduate(self, cohort_id: int, member_ids: Sequence[int], now: datetime) -> set[int]:
        if not member_ids:
            return set()
        graduated = await (await self.session.connection()).execute(
            _GRADUATE, {"of_cohort": cohort_id, "newcomers": list(member_ids), "now": now}
        )
        return set(graduated.scalars())

    async def set_status(self, cohort_id: int, status: str) -> None:
        await self.session.execute(update(CohortRow).where(CohortRow.id == cohort_id).values(status=status))
