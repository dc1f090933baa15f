"""Helpful marks from the marker's side: the daily cap, marks between two members, flagging a pair.

A helpful answer's row belongs to the author (`member_id`) and names the marker (`target_member_id`).
Flagging a pair turns their counted marks into `helpful_flagged` rows (weight 0) and moves the weekly
rollups with them, so badges, the leaderboard and the peer-answer rate stop counting them.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ColumnElement, and_, func, or_, select, update

from bot.core.contributions.helpful_rules import PairMarks
from bot.core.contributions.rules import ContributionKind, week_start
from storage.contributions.tables import ContributionRow, MemberWeekRow
from storage.metrics.activity import recount
from storage.repository_base import SqlRepository, upsert

HELPFUL = ContributionKind.HELPFUL_ANSWER.value
FLAGGED = ContributionKind.HELPFUL_FLAGGED.value


class SqlHelpfulMarks(SqlRepository):
    async def given_since(self, community_id: str, marker_id: int, since: datetime) -> int:
        total = await self.session.scalar(
            select(func.count()).where(
                ContributionRow.community_id == community_id,
                ContributionRow.target_member_id == marker_id,
                ContributionRow.kind.in_([HELPFUL, FLAGGED]),
                ContributionRow.occurred_at >= since,
            )
        )
        return int(total or 0)

    async def between(self, community_id: str, marker_id: int, author_id: int, since: datetime) -> PairMarks:
        rows = await self.session.execute(
            select(ContributionRow.member_id, ContributionRow.kind, func.count())
            .where(
                ContributionRow.community_id == community_id,
                ContributionRow.kind.in_([HELPFUL, FLAGGED]),
                _pair(marker_id, author_id),
                ContributionRow.occurred_at >= since,
            )
            .group_by(ContributionRow.member_id, ContributionRow.kind)
        )
        given = received = 0
        flagged = False
        for member_id, kind, count in rows:
            flagged = flagged or kind == FLAGGED
            if kind == HELPFUL and member_id == author_id:
                given += int(count)
            elif kind == HELPFUL:
                received += int(count)
        return PairMarks(given=given, received=received, flagged=flagged)

    async def flag_pair(self, community_id: str, a_id: int, b_id: int, since: datetime) -> int:
        rows = (
            await self.session.execute(
                select(
                    ContributionRow.id,
                    ContributionRow.member_id,
                    ContributionRow.weight,
                    ContributionRow.occurred_at,
                )
                .where(
                    ContributionRow.community_id == community_id,
                    ContributionRow.kind == HELPFUL,
                    _pair(a_id, b_id),
                    ContributionRow.occurred_at >= since,
                )
                .order_by(ContributionRow.id)
            )
        ).all()
        if not rows:
            return 0
        await self.session.execute(
            update(ContributionRow)
            .where(ContributionRow.id.in_([r.id for r in rows]))
            .values(kind=FLAGGED, weight=0.0)
        )
        moved: dict[tuple[int, date], list[float]] = {}
        for row in rows:
            total = moved.setdefault((row.member_id, week_start(row.occurred_at)), [0, 0.0])
            total[0] += 1
            total[1] += row.weight
        week = MemberWeekRow
        for (member_id, start), (count, weight) in sorted(
            moved.items(), key=lambda i: (i[0][0], str(i[0][1]))
        ):
            await self.session.execute(
                update(week)
                .where(week.member_id == member_id, week.week_start == start, week.kind == HELPFUL)
                .values(count=week.count - int(count), weight=week.weight - weight)
            )
        table = week.__table__
        stmt = upsert(self.dialect, table)
        stmt = stmt.on_conflict_do_update(
            index_elements=["member_id", "week_start", "kind"],
            set_={"count": table.c["count"] + stmt.excluded["count"]},
        )
        await self.session.execute(
            stmt,
            [
                {
                    "member_id": member_id,
                    "week_start": start,
                    "kind": FLAGGED,
                    "community_id": community_id,
                    "count": int(count),
                    "weight": 0.0,
                }
                for (member_id, start), (count, _) in sorted(
                    moved.items(), key=lambda i: (i[0][0], str(i[0][1]))
                )
            ],
        )
        await recount(self.session, community_id, moved)  # a week may have lost its last helpful answer
        return len(rows)


def _pair(a_id: int, b_id: int) -> ColumnElement[bool]:
    return or_(
        and_(ContributionRow.member_id == a_id, ContributionRow.target_member_id == b_id),
        and_(ContributionRow.member_id == b_id, ContributionRow.target_member_id == a_id),
    )
