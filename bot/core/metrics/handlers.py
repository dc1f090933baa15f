"""Health metrics and the weekly digest: /health, /digest (leads, private) and PostWeeklyDigest,
which the scheduler sends once a week; the outbox dedupe key makes a second run post nothing.

Each reads and renders in its preparer, before the bus opens the write transaction (the reader has
a read-only connection of its own; the chart is drawn off the event loop), so a digest never holds
the database's write lock while it computes: the handler only queues what was prepared."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.core.context import Context
from bot.core.effects import DirectMessage, PostMessage
from bot.core.errors import InvalidInput
from bot.core.metrics import feature
from bot.core.metrics.commands import PostWeeklyDigest, PreviewDigest, ShowHealth
from bot.core.metrics.digest import Digest, HealthyRange, HealthyRanges, headlines
from bot.core.metrics.digest_render import digest_fields, headline_fields, summary, title
from bot.core.metrics.ports import ChartRenderer, MetricsReader, MetricsSnapshots
from bot.core.metrics.rules import MetricsPolicy
from bot.core.registry import Invocation, Option, SlashCommand
from bot.core.replies import Reply
from bot.core.settings import CommunitySettings
from bot.core.text import moment, user_text
from bot.core.weeks import IsoWeek, Period

DIGEST_CHANNEL = "digest"


def policy_of(community: CommunitySettings) -> MetricsPolicy:
    """The metrics knobs from the community's settings."""
    return MetricsPolicy(
        sla_hours=community.gate.application_sla_hours,
        stalled_after_days=community.digest.stalled_after_days,
        stalled_window_days=community.digest.stalled_window_days,
        list_limit=community.digest.list_limit,
    )


def ranges_of(community: CommunitySettings) -> HealthyRanges:
    """The healthy ranges the digest flags against."""
    low, high = community.digest.healthy_active_ratio
    return HealthyRanges(
        active_contributor_ratio=HealthyRange(low, high, above_is_good=True),  # a target, not a ceiling
        first_contribution_rate=HealthyRange(community.digest.healthy_first_contribution_rate, None),
    )


def parse_week(text: str) -> IsoWeek:
    """A week id from a user or the scheduler; InvalidInput says how to write one."""
    try:
        return IsoWeek.parse(text)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None


async def build_digest(
    reader: MetricsReader, community: CommunitySettings, week: IsoWeek, now: datetime
) -> Digest:
    """Read and compose the digest of `week`, cut at `now` while the week is still running."""
    period = Period.of(week, community.timezone, now)
    data = await reader.digest(community.id, period, policy_of(community))
    return Digest(
        community_id=community.id,
        community_name=community.name,
        generated_at=now,
        data=data,
        ranges=ranges_of(community),
        sla_hours=community.gate.application_sla_hours,
        list_limit=community.digest.list_limit,
        badge_names={
            **{badge.key: f"{badge.name} {badge.emoji}".strip() for badge in community.badges.catalogue},
            **{tier.key: f"{tier.name} {tier.emoji}".strip() for tier in community.tiers.ladder},
        },
    )


@dataclass(frozen=True)
class DigestDraft:
    """A digest and its chart (None without a chart renderer), ready before the transaction opens."""

    digest: Digest
    chart: bytes | None


async def draft_digest(ctx: Context, week: IsoWeek, now: datetime) -> DigestDraft:
    """Compute the digest of `week` and draw its chart."""
    digest = await build_digest(ctx.uow.repo(MetricsReader), ctx.community, week, now)
    charts = ctx.service(ChartRenderer)
    return DigestDraft(digest, await charts.digest_chart(digest) if charts is not None else None)


async def prepared_draft(ctx: Context, week: IsoWeek, now: datetime) -> DigestDraft:
    """The preparer's draft, or (a handler run without its preparer) one made now."""
    if isinstance(ctx.prepared, DigestDraft):
        return ctx.prepared
    return await draft_digest(ctx, week, now)


@feature.prepare(ShowHealth)
async def prepare_health(command: ShowHealth, ctx: Context) -> Reply:
    """/health reads only: its whole reply is made before the transaction."""
    return await health_reply(command, ctx)


@feature.command(ShowHealth)
async def show_health(command: ShowHealth, ctx: Context) -> Reply:
    """The headline metrics of the week so far (made by the preparer)."""
    return ctx.prepared if isinstance(ctx.prepared, Reply) else await health_reply(command, ctx)


async def health_reply(command: ShowHealth, ctx: Context) -> Reply:
    """The headline metrics of the week so far, compared with the same point of last week."""
    now = ctx.now()
    community = ctx.community
    period = Period.of(IsoWeek.of(now, community.zone), community.timezone, now)
    policy = policy_of(community)
    current = await ctx.uow.repo(MetricsReader).week(command.community_id, period, policy)
    previous = await ctx.uow.repo(MetricsReader).week(command.community_id, period.previous(), policy)
    heads = headlines(current, previous, ranges_of(community))
    flagged = [h.label for h in heads if h.flagged]
    text = (
        f"As of {moment(now, community.zone)} ({period.week} so far); "
        "changes compare with the same point of last week."
    )
    if flagged:
        text += f"\nOff target: {', '.join(flagged)}."
    return Reply(
        title=f"Community health — {user_text(community.name, 100)}",
        text=text,
        fields=headline_fields(heads),
        private=True,
    )


def preview_week(command: PreviewDigest, ctx: Context) -> IsoWeek:
    """The week a preview shows: the one asked for, or the current one; never a future week."""
    current = IsoWeek.of(ctx.now(), ctx.community.zone)
    week = parse_week(command.week) if command.week else current
    if week > current:
        raise InvalidInput(f"{week} has not started yet; the current week is {current}.")
    return week


@feature.prepare(PreviewDigest)
async def prepare_preview(command: PreviewDigest, ctx: Context) -> DigestDraft:
    """Compute and draw the preview before the transaction."""
    return await draft_digest(ctx, preview_week(command, ctx), ctx.now())


@feature.command(PreviewDigest)
async def preview_digest(command: PreviewDigest, ctx: Context) -> Reply:
    """The digest of the week so far (or of a past week), shown only to the lead who asked."""
    draft = await prepared_draft(ctx, preview_week(command, ctx), ctx.now())
    digest, week = draft.digest, draft.digest.data.current.period.week
    note = "\nThis is a preview; nothing was posted."
    if draft.chart is not None and ctx.actor is not None:
        # A private reply cannot carry a file on Slack (ephemeral messages have no attachments), so the
        # chart goes to the lead as a direct message with the PNG, which both platforms deliver.
        await ctx.send(
            DirectMessage(
                command.community_id,
                ctx.actor.ref,
                f"The chart of your digest preview ({title(digest)}).",
                attachment=draft.chart,
                attachment_name=f"digest-preview-{command.community_id}-{week}.png",
            )
        )
        note = "\nThis is a preview; nothing was posted in a channel. The chart is in your direct messages."
    return Reply(title=f"Preview: {title(digest)}", text=summary(digest) + note, fields=digest_fields(digest))


def finished_week(command: PostWeeklyDigest, ctx: Context) -> IsoWeek:
    """The week to post; InvalidInput while it is still running."""
    week = parse_week(command.week)
    ends = week.end(ctx.community.zone)
    if ctx.now() < ends:
        raise InvalidInput(
            f"The digest of {week} can be posted once the week has ended ({ends.isoformat()})."
        )
    return week


@feature.prepare(PostWeeklyDigest)
async def prepare_weekly_digest(command: PostWeeklyDigest, ctx: Context) -> DigestDraft:
    """Compute and draw the weekly digest before the transaction."""
    return await draft_digest(ctx, finished_week(command, ctx), ctx.now())


@feature.command(PostWeeklyDigest)
async def post_weekly_digest(command: PostWeeklyDigest, ctx: Context) -> Reply:
    """Queue the digest of a finished week for the leads' channel, once per community and week."""
    week = finished_week(command, ctx)
    draft = await prepared_draft(ctx, week, ctx.now())
    digest, image = draft.digest, draft.chart
    post = PostMessage(
        community_id=command.community_id,
        channel=DIGEST_CHANNEL,
        text=summary(digest),
        title=title(digest),
        fields=digest_fields(digest),
        image_png=image,
        image_name=f"digest-{command.community_id}-{week}.png" if image else None,
    )
    # The finished weeks just computed join the rollup: later digests read them for their trend.
    await ctx.uow.repo(MetricsSnapshots).keep(
        command.community_id, (digest.data.current, digest.data.previous), ctx.now()
    )
    if await ctx.send(post, dedupe_key=f"digest:{command.community_id}:{week}"):
        return Reply(text=f"The digest of {week} is on its way to the leads' channel.", private=True)
    return Reply(text=f"The digest of {week} was posted before; it is not posted twice.", private=True)


def _preview(inv: Invocation) -> PreviewDigest:
    week = inv.options.get("week")
    return PreviewDigest(community_id=inv.community_id, week=str(week) if week else None)


feature.slash(
    SlashCommand(
        name="health",
        description="Community health now: the headline metrics and what is outside its healthy range",
        build=lambda inv: ShowHealth(community_id=inv.community_id),
        command=ShowHealth,
    )
)
feature.slash(
    SlashCommand(
        name="digest",
        description="Preview the weekly digest as it stands now (only you see it)",
        build=_preview,
        options=(Option("week", "A past week instead, like 2026-W47", required=False, max_length=8),),
        command=PreviewDigest,
    )
)
