"""Read-side SQL for the ideas insights report, the digest's feedback section and the export.

Only figures are read here; bot/core/model/ideas_report.py composes them, so the arithmetic is
tested once, on plain data.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, func, or_, select
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


async def feedback_figures(
    db: AsyncSession | AsyncConnection,
    community_id: str,
    start: datetime,
    end: datetime,
    window_start: datetime,
) -> FeedbackWeek:
    """The digest's feedback figures for [start, end), the implementation rate over [window_start, end);
    on the unit of work's session or on the metrics reader's read-only connection."""
    in_week = and_(IdeaRow.created_at >= start, IdeaRow.created_at < end)
    filed = await db.scalar(
        select(func.count()).select_from(IdeaRow).where(IdeaRow.community_id == community_id, in_week)
    )
    votes = await db.scalar(
        select(func.count())
        .select_from(IdeaVoteRow)
        .join(IdeaRow, IdeaRow.id == IdeaVoteRow.idea_id)
        .where(
            IdeaRow.community_id == community_id,
            IdeaRow.status != MERGED,  # their votes were copied to the idea they merged into
            IdeaVoteRow.voted_at >= start,
            IdeaVoteRow.voted_at < end,
            or_(IdeaRow.author_id.is_(None), IdeaVoteRow.member_id != IdeaRow.author_id),
        )
    )
    changes = await db.scalar(
        select(func.count())
        .select_from(IdeaStatusChangeRow)
        .join(IdeaRow, IdeaRow.id == IdeaStatusChangeRow.idea_id)
        .where(
            IdeaRow.community_id == community_id,
            IdeaStatusChangeRow.at >= start,
            IdeaStatusChangeRow.at < end,
        )
    )
    shipped = (
        await db.execute(
            select(IdeaRow.id, IdeaRow.title)
            .where(
                IdeaRow.community_id == community_id,
                IdeaRow.status == SHIPPED,
                IdeaRow.shipped_at >= start,
                IdeaRow.shipped_at < end,
            )
            .order_by(IdeaRow.shipped_at, IdeaRow.id)
        )
    ).all()
    window = (
        await db.execute(
            select(IdeaRow.status, IdeaRow.shipped_at).where(
                IdeaRow.community_id == community_id,
                IdeaRow.status != MERGED,
                IdeaRow.created_at >= window_start,
                IdeaRow.created_at < end,
            )
        )
    ).all()
    minutes = (
        await db.execute(
            select(CouncilRow.name, func.count(MinutesRow.id))
            .join(MinutesRow, MinutesRow.council_id == CouncilRow.id)
            .where(
                CouncilRow.community_id == community_id,
                MinutesRow.posted_at >= start,
                MinutesRow.posted_at < end,
            )
            .group_by(CouncilRow.name)
            .order_by(CouncilRow.name)
        )
    ).all()
    return FeedbackWeek(
        ideas_filed=int(filed or 0),
        votes=int(votes or 0),
        status_changes=int(changes or 0),
        shipped=tuple((int(i), t) for i, t in shipped),
        submitted_in_window=len(window),
        shipped_in_window=sum(1 for s, at in window if s == SHIPPED and at is not None and at < end),
        minutes=tuple((str(name), int(n)) for name, n in minutes),
    )
