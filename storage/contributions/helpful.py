"""Helpful marks from the marker's side: the daily cap, marks between two members, flagging a pair.

A helpful answer's row belongs to the author (`member_id`) and names the marker (`target_member_id`).
Flagging a pair turns their counted marks into `helpful_flagged` rows (weight 0) and moves the weekly
rollups with them, so badges, the leaderboard and the peer-answer rate stop counting them.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BindParameter, ColumnElement, and_, bindparam, or_, select, update

from bot.core.contributions.helpful_rules import PairMarks
from bot.core.contributions.rules import ContributionKind, week_start
from storage.contributions.tables import ContributionRow, MemberWeekRow
from storage.metrics.activity import recount
from storage.metrics.sql import count_if
from storage.repository_base import SqlRepository, upsert

HELPFUL = ContributionKind.HELPFUL_ANSWER.value
FLAGGED = ContributionKind.HELPFUL_FLAGGED.value


# The daily cap and the pair's marks in one read of the helpful rows since the earlier of the two
# bounds, built once (only its parameters change). `given` and `received` are the pair's counted marks
# each way (by the marker of the author's answers, and back); `flagged` any flagged mark between them.
_MARKER: BindParameter[int] = bindparam("marker_id")
_AUTHOR: BindParameter[int] = bindparam("author_id")
_GIVEN_SINCE: BindParameter[datetime] = bindparam("given_since")
_PAIR_SINCE: BindParameter[datetime] = bindparam("pair_since")
_BY_AUTHOR = and_(ContributionRow.member_id == _AUTHOR, ContributionRow.target_member_id == _MARKER)
_BY_MARKER = and_(ContributionRow.member_id == _MARKER, ContributionRow.target_member_id == _AUTHOR)
_IN_PAIR_WINDOW = ContributionRow.occurred_at >= _PAIR_SINCE
_TALLY = select(
    count_if(and_(ContributionRow.target_member_id == _MARKER, ContributionRow.occurred_at >= _GIVEN_SINCE)),
    count_if(and_(ContributionRow.kind == HELPFUL, _BY_AUTHOR, _IN_PAIR_WINDOW)),
    count_if(and_(ContributionRow.kind == HELPFUL, _BY_MARKER, _IN_PAIR_WINDOW)),
    count_if(and_(ContributionRow.kind == FLAGGED, or_(_BY_AUTHOR, _BY_MARKER), _IN_PAIR_WINDOW)),
).where(
    ContributionRow.community_id == bindparam("community_id"),
    ContributionRow.kind.in_([HELPFUL, FLAGGED]),
    or_(ContributionRow.target_member_id == _MARKER, _BY_MARKER),
    ContributionRow.occurred_at >= bindparam("since"),
)


class SqlHelpfulMarks(SqlRepository):
    async def tally(
        self,
        community_id: str,
        marker_id: int,
        author_id: int,
        *,
        given_since: datetime,
        pair_since: datetime,
    ) -> tuple[int, PairMarks]:
        row = (
            await self.session.execute(
                _TALLY,
                {
                    "community_id": community_id,
                    "marker_id": marker_id,
                    "author_id": author_id,
                    "given_since": given_since,
                    "pair_since": pair_since,
                    "since": min(given_since, pair_since),
                },
            )
        ).one()
        given_today, given, received, flagged = (int(value or 0) for value in row)
        return given_today, PairMarks(given=given, received=received, flagged=flagged > 0)

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
