"""The roadmap, the monthly insights report, and the digest's feedback figures."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.core.context import Context
from bot.core.effects import PostMessage
from bot.core.errors import InvalidInput
from bot.core.feedback import feature
from bot.core.feedback.commands import PostIdeasReport, ShowRoadmap
from bot.core.feedback.idea_rules import IdeaStatus, RoadmapEntry, roadmap, vote_weight
from bot.core.feedback.idea_text import idea_title
from bot.core.feedback.ports import IdeaReportReader, IdeaRepository
from bot.core.feedback.report_rules import (
    FEEDBACK_WINDOW,
    FeedbackWeek,
    IdeasReport,
    compose,
    period,
    previous_month,
    render_text,
)
from bot.core.ports import UnitOfWork
from bot.core.registry import SlashCommand
from bot.core.replies import Reply
from bot.core.settings import CommunitySettings

ROADMAP_PER_COLUMN = 10


@feature.command(ShowRoadmap)
async def show_roadmap(command: ShowRoadmap, ctx: Context) -> Reply:
    """In progress, planned and recently shipped ideas, most wanted first."""
    settings = ctx.community.ideas
    ideas = await ctx.uow.repo(IdeaRepository).with_status(
        command.community_id,
        (IdeaStatus.PLANNED, IdeaStatus.IN_PROGRESS, IdeaStatus.SHIPPED),
        shipped_since=ctx.now() - timedelta(days=settings.roadmap_shipped_days),
    )
    badges = (
        await ctx.uow.repo(IdeaRepository).voter_badges([i.id for i in ideas])
        if settings.weight_by_tier
        else {}
    )
    entries = [
        RoadmapEntry(
            idea,
            sum(vote_weight(b, settings.tier_weights) for b in badges.get(idea.id, []))
            if settings.weight_by_tier
            else float(idea.votes),
        )
        for idea in ideas
    ]
    columns = roadmap(entries)
    headings = {
        IdeaStatus.IN_PROGRESS: "In progress",
        IdeaStatus.PLANNED: "Planned",
        IdeaStatus.SHIPPED: f"Shipped in the last {settings.roadmap_shipped_days} days",
    }
    lines: list[str] = []
    for status, heading in headings.items():
        lines.append(f"{heading}:")
        items = columns[status][:ROADMAP_PER_COLUMN]
        for entry in items:
            weighted = f", weighted {entry.score:g}" if settings.weight_by_tier else ""
            lines.append(
                f"• {idea_title(entry.idea.id, entry.idea.title, 80)} — {entry.idea.votes} votes{weighted}"
            )
        if not items:
            lines.append("• nothing yet")
        lines.append("")
    lines.append("Suggest something with /idea; vote with the Upvote button on its post.")
    return Reply(title="Roadmap", text="\n".join(lines).rstrip())


async def build_report(
    uow: UnitOfWork, community: CommunitySettings, month: str, now: datetime
) -> IdeasReport:
    """The insights report for "YYYY-MM" (the CLI and the monthly post share it)."""
    try:
        when = period(month, community.zone)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
    figures = await uow.repo(IdeaReportReader).report_ideas(
        community.id, when.start, when.end, community.ideas.credit_voters
    )
    return compose(community.id, figures, when, as_of=now, credit_voters=community.ideas.credit_voters)


@feature.command(PostIdeasReport)
async def post_ideas_report(command: PostIdeasReport, ctx: Context) -> Reply:
    """Post the month's insights report to the leads' channel, once per month."""
    month = command.month or previous_month(ctx.now(), ctx.community.zone)
    report = await build_report(ctx.uow, ctx.community, month, ctx.now())
    title, text = render_text(report)
    queued = await ctx.send(
        PostMessage(command.community_id, ctx.community.ideas.report_channel, text, title=title),
        dedupe_key=f"ideas-report:{command.community_id}:{report.period.label}",
    )
    return Reply(text=f"Ideas report {report.period.label} {'queued' if queued else 'was posted already'}.")


async def feedback_week(uow: UnitOfWork, community_id: str, start: datetime, end: datetime) -> FeedbackWeek:
    """The weekly digest's feedback figures for [start, end) (render them with `feedback_lines`)."""
    return await uow.repo(IdeaReportReader).week(community_id, start, end, end - FEEDBACK_WINDOW)


feature.slash(
    SlashCommand(
        name="roadmap",
        description="What is planned, in progress and recently shipped",
        build=lambda inv: ShowRoadmap(community_id=inv.community_id),
        command=ShowRoadmap,
    )
)
