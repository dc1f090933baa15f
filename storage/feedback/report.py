"""Read-side SQL for the ideas insights report, the digest's feedback section and the export.

Only figures are read here; bot/core/model/ideas_report.py composes them, so the arithmetic is
tested once, on plain data.
"""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

from sqlalchemy import BindParameter, bindparam, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from bot.core.feedback.idea_rules import Idea, IdeaStatus
from bot.core.feedback.report_rules import FeedbackWeek, ReportIdea
from bot.core.members import MemberStatus
from storage.feedback.ideas import to_idea
from storage.feedback.tables import CouncilRow, IdeaRow, IdeaStatusChangeRow, IdeaVoteRow, MinutesRow
from storage.repository_base import SqlRepository
from storage.tables import MemberRow

MERGED = IdeaStatus.MERGED.value
SHIPPED = IdeaStatus.SHIPPED.value


class SqlIdeaReportReader(SqlRepository):
    async def report_ideas(
        self, community_id: str, start: datetime, end: datetime, credit_voters: int
    ) -> list[ReportIdea]:
        """Every idea created before `end` except merged duplicates, with its vote figures; ideas
        shipped in [start, end) also carry the names of their first `credit_voters` voters."""
        total = (
            select(IdeaVoteRow.idea_id, func.count().label("n"))
            .where(IdeaVoteRow.voted_at < end)
            .group_by(IdeaVoteRow.idea_id)
            .subquery()
        )
        recent = (
            select(IdeaVoteRow.idea_id, func.count().label("n"))
            .where(IdeaVoteRow.voted_at >= start, IdeaVoteRow.voted_at < end)
            .group_by(IdeaVoteRow.idea_id)
            .subquery()
        )
        rows = (
            await self.session.execute(
                select(IdeaRow, MemberRow.display_name, MemberRow.user_id, total.c.n, recent.c.n)
                .outerjoin(MemberRow, MemberRow.id == IdeaRow.author_id)
                .outerjoin(total, total.c.idea_id == IdeaRow.id)
                .outerjoin(recent, recent.c.idea_id == IdeaRow.id)
                .where(
                    IdeaRow.community_id == community_id,
                    IdeaRow.status != MERGED,
                    IdeaRow.created_at < end,
                )
                .order_by(IdeaRow.id)
            )
        ).all()
        shipped_now = [
            row.id
            for row, *_ in rows
            if row.status == SHIPPED and row.shipped_at is not None and start <= row.shipped_at < end
        ]
        voters = await self._first_voters(shipped_now, credit_voters)
        return [
            ReportIdea(
                id=row.id,
                title=row.title,
                status=IdeaStatus(row.status),
                created_at=row.created_at,
                status_changed_at=row.status_changed_at,
                votes=int(n_total or 0),
                votes_in_period=int(n_recent or 0),
                area=row.area,
                status_reason=row.status_reason,
                shipped_at=row.shipped_at,
                author=(name or user_id) if row.author_id is not None else None,
                voters=tuple(voters.get(row.id, ())),
            )
            for row, name, user_id, n_total, n_recent in rows
        ]

    async def _first_voters(self, idea_ids: list[int], limit: int) -> dict[int, list[str]]:
        """Display names of the earliest voters per idea (members still in, the author excluded)."""
        if not idea_ids or limit <= 0:
            return {}
        rows = await self.session.execute(
            select(IdeaVoteRow.idea_id, MemberRow.display_name, MemberRow.user_id)
            .join(MemberRow, MemberRow.id == IdeaVoteRow.member_id)
            .join(IdeaRow, IdeaRow.id == IdeaVoteRow.idea_id)
            .where(
                IdeaVoteRow.idea_id.in_(idea_ids),
                MemberRow.status == MemberStatus.ADMITTED.value,
                or_(IdeaRow.author_id.is_(None), IdeaVoteRow.member_id != IdeaRow.author_id),
            )
            .order_by(IdeaVoteRow.idea_id, IdeaVoteRow.voted_at, IdeaVoteRow.member_id)
        )
        names: dict[int, list[str]] = {}
        for idea_id, display_name, user_id in rows.all():
            bucket = names.setdefault(int(idea_id), [])
            if len(bucket) < limit:
                bucket.append(display_name or user_id)
        return names

    async def week(
        self, community_id: str, start: datetime, end: datetime, window_start: datetime
    ) -> FeedbackWeek:
        """The digest's feedback figures for [start, end); the rate over [window_start, end)."""
        return await feedback_figures(self.session, community_id, start, end, window_start)

    async def export(self, community_id: str) -> list[tuple[Idea, str | None]]:
        """Every idea with its author's display name (None once the author is gone), oldest first."""
        rows = await self.session.execute(
            select(IdeaRow, MemberRow.display_name, MemberRow.user_id)
            .outerjoin(MemberRow, MemberRow.id == IdeaRow.author_id)
            .where(IdeaRow.community_id == community_id)
            .order_by(IdeaRow.id)
        )
        return [
            (to_idea(row), (name or user_id) if row.author_id is not None else None)
            for row, name, user_id in rows.all()
        ]


COMMUNITY: BindParameter[Any] = bindparam("community_id")
START: BindParameter[Any] = bindparam("start")
END: BindParameter[Any] = bindparam("end")
WINDOW_START: BindParameter[Any] = bindparam("window_start")


@functools.cache
def _figures() -> tuple[Any, ...]:
    """The feedback section's six statements, built once per process with named parameters: the
    digest runs them every week, and a statement built again pays its construction and its cache
    key each time (the parameters take their types from the columns they are compared with)."""
    filed = (
        select(func.count())
        .select_from(IdeaRow)
        .where(IdeaRow.community_id == COMMUNITY, IdeaRow.created_at >= START, IdeaRow.created_at < END)
    )
    votes = (
        select(func.count())
        .select_from(IdeaVoteRow)
        .join(IdeaRow, IdeaRow.id == IdeaVoteRow.idea_id)
        .where(
            IdeaRow.community_id == COMMUNITY,
            IdeaRow.status != MERGED,  # their votes were copied to the idea they merged into
            IdeaVoteRow.voted_at >= START,
            IdeaVoteRow.voted_at < END,
            or_(IdeaRow.author_id.is_(None), IdeaVoteRow.member_id != IdeaRow.author_id),
        )
    )
    changes = (
        select(func.count())
        .select_from(IdeaStatusChangeRow)
        .join(IdeaRow, IdeaRow.id == IdeaStatusChangeRow.idea_id)
        .where(
            IdeaRow.community_id == COMMUNITY,
            IdeaStatusChangeRow.at >= START,
            IdeaStatusChangeRow.at < END,
        )
    )
    shipped = (
        select(IdeaRow.id, IdeaRow.title)
        .where(
            IdeaRow.community_id == COMMUNITY,
            IdeaRow.status == SHIPPED,
            IdeaRow.shipped_at >= START,
            IdeaRow.shipped_at < END,
        )
        .order_by(IdeaRow.shipped_at, IdeaRow.id)
    )
    window = select(IdeaRow.status, IdeaRow.shipped_at).where(
        IdeaRow.community_id == COMMUNITY,
        IdeaRow.status != MERGED,
        IdeaRow.created_at >= WINDOW_START,
        IdeaRow.created_at < END,
    )
    minutes = (
        select(CouncilRow.name, func.count(MinutesRow.id))
        .join(MinutesRow, MinutesRow.council_id == CouncilRow.id)
        .where(
            CouncilRow.community_id == COMMUNITY,
            MinutesRow.posted_at >= START,
            MinutesRow.posted_at < END,
        )
        .group_by(CouncilRow.name)
        .order_by(CouncilRow.name)
    )
    return filed, votes, changes, shipped, window, minutes


async def feedback_figures(
    db: AsyncSession | AsyncConnection,
    community_id: str,
    start: datetime,
    end: datetime,
    window_start: datetime,
) -> FeedbackWeek:
    """The digest's feedback figures for [start, end), the implementation rate over [window_start, end);
    on the unit of work's session or on the metrics reader's read-only connection."""
    filed_q, votes_q, changes_q, shipped_q, window_q, minutes_q = _figures()
    week = {"community_id": community_id, "start": start, "end": end}
    filed = await db.scalar(filed_q, week)
    votes = await db.scalar(votes_q, week)
    changes = await db.scalar(changes_q, week)
    shipped = (await db.execute(shipped_q, week)).all()
    window = (
        await db.execute(window_q, {"community_id": community_id, "window_start": window_start, "end": end})
    ).all()
    minutes = (await db.execute(minutes_q, week)).all()
    return FeedbackWeek(
        ideas_filed=int(filed or 0),
        votes=int(votes or 0),
        status_changes=int(changes or 0),
        shipped=tuple((int(i), t) for i, t in shipped),
        submitted_in_window=len(window),
        shipped_in_window=sum(1 for s, at in window if s == SHIPPED and at is not None and at < end),
        minutes=tuple((str(name), int(n)) for name, n in minutes),
    )
