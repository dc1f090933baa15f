"""Contributions: one row per source, the weekly rollup and the member's first contribution, together.

`record_contribution` is the one write path for a contribution of any kind (AMA questions, showcase
entries, event attendance, and the ingest of messages and reactions): it inserts the row once per
(community, source_id), and only when it did, increments the member's `member_week` rollup and sets
`member.first_contribution_at` if it was empty (or later). All three happen in the caller's transaction.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import or_, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.repositories.base import SqlRepository, insert_ignore, upsert
from storage.tables import ContributionRow, MemberRow, MemberWeekRow


def week_start(at: datetime) -> date:
    """The Monday (UTC) of the ISO week `at` falls in: the rollup's week key."""
    day = at.astimezone(UTC).date()
    return day - timedelta(days=day.weekday())


async def record_contribution(
    session: AsyncSession,
    *,
    community_id: str,
    member_id: int,
    kind: str,
    source_id: str,
    occurred_at: datetime,
    weight: float = 1.0,
    channel_id: str | None = None,
    target_member_id: int | None = None,
    by_staff: bool = False,
) -> bool:
    """Record one contribution; False (and nothing changed) when `source_id` was recorded before."""
    dialect = session.get_bind().dialect.name
    inserted = await session.execute(
        insert_ignore(
            dialect, ContributionRow.__table__, index_elements=["community_id", "source_id"]
        ).values(
            community_id=community_id,
            member_id=member_id,
            kind=kind,
            weight=weight,
            channel_id=channel_id,
            target_member_id=target_member_id,
            by_staff=by_staff,
            source_id=source_id[:128],
            occurred_at=occurred_at,
        )
    )
    if not inserted.rowcount:
        return False
    week = upsert(dialect, MemberWeekRow.__table__).values(
        member_id=member_id,
        week_start=week_start(occurred_at),
        kind=kind,
        community_id=community_id,
        count=1,
        weight=weight,
    )
    table = MemberWeekRow.__table__
    await session.execute(
        week.on_conflict_do_update(
            index_elements=["member_id", "week_start", "kind"],
            set_={"count": table.c.count + 1, "weight": table.c.weight + weight},
        )
    )
    # Only ever moves earlier, so contributions recorded out of order still leave the first one.
    await session.execute(
        update(MemberRow)
        .where(
            MemberRow.id == member_id,
            or_(MemberRow.first_contribution_at.is_(None), MemberRow.first_contribution_at > occurred_at),
        )
        .values(first_contribution_at=occurred_at)
    )
    return True


class SqlContributionRepository(SqlRepository):
    async def record(
        self,
        community_id: str,
        member_id: int,
        kind: str,
        *,
        source_id: str,
        occurred_at: datetime,
        weight: float = 1.0,
        channel_id: str | None = None,
    ) -> bool:
        return await record_contribution(
            self.session,
            community_id=community_id,
            member_id=member_id,
            kind=kind,
            source_id=source_id,
            occurred_at=occurred_at,
            weight=weight,
            channel_id=channel_id,
        )
