"""What the scheduler sends: announce, remind, line-up, start, end.

Each command carries the instant it was scheduled for. A run whose instant no longer matches the
occurrence (it was moved, or the settings changed) is stale and does nothing: the run for the new
instant does the work. Every post is queued with a dedupe key naming the job, the occurrence and
the instant, so even a run that got past the job_run record twice sends once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.core.context import Context
from bot.core.effects import DirectMessage, EditMessage, PostMessage
from bot.core.programming import feature, render
from bot.core.programming.commands import (
    AnnounceOccurrence,
    EndOccurrence,
    PostShowcaseLineup,
    RemindOccurrence,
    StartOccurrence,
)
from bot.core.programming.common import earn_badge, plan_series, scheduled_event
from bot.core.programming.ports import (
    OccurrenceRepository,
    QuestionRepository,
    RsvpRepository,
    SeriesRepository,
    ShowcaseRepository,
)
from bot.core.programming.rules import (
    HAPPENING,
    Occurrence,
    OccurrenceStatus,
    Series,
    SeriesKind,
    SeriesStatus,
    SubmissionStatus,
)
from bot.core.replies import Action, Reply
from bot.core.text import plain_times

AMA_HOST = "ama_host"
SHOWCASE_PRESENTER = "showcase_presenter"


async def _current(
    ctx: Context, occurrence_id: int, expected: timedelta, scheduled_for: datetime
) -> tuple[Series, Occurrence] | None:
    """The occurrence and series if this run is still due: happening, active, and scheduled for
    `starts_at - expected` (None for a stale or called-off run)."""
    occurrence = await ctx.uow.repo(OccurrenceRepository).get(occurrence_id)
    if occurrence is None or not occurrence.happening:
        return None
    series = await ctx.uow.repo(SeriesRepository).get(occurrence.series_id)
    if series is None or series.status is not SeriesStatus.ACTIVE or series.community_id != ctx.community.id:
        return None
    if occurrence.starts_at - expected != scheduled_for:
        return None
    return series, occurrence


def _stamp(job: str, occurrence: Occurrence, scheduled_for: datetime) -> str:
    return f"{job}:{occurrence.id}:{scheduled_for.isoformat()}"


@feature.command(AnnounceOccurrence)
async def announce_occurrence(command: AnnounceOccurrence, ctx: Context) -> Reply:
    """Post the announcement with RSVP buttons once, and create the native scheduled event."""
    lead = ctx.community.programming.announcement_lead
    found = await _current(ctx, command.occurrence_id, lead, command.scheduled_for)
    if found is None:
        return Reply.nothing()
    series, occurrence = found
    if occurrence.starts_at <= ctx.now() or not await ctx.uow.repo(OccurrenceRepository).mark_announced(
        occurrence.id, ctx.now()
    ):
        return Reply.nothing()
    occurrence.announced_at = ctx.now()
    text, fields = render.announcement(
        series,
        occurrence,
        await ctx.uow.repo(RsvpRepository).counts(occurrence.id),
        ctx.community.programming.calendar_url,
    )
    await ctx.send(
        PostMessage(
            ctx.community.id,
            series.channel,
            text,
            actions=render.rsvp_actions(occurrence.id),
            title=render.name(series),
            fields=fields,
            message_key=render.announcement_key(occurrence.id),
        ),
        dedupe_key=f"announce:{occurrence.id}",
    )
    await ctx.send(
        scheduled_event(series, occurrence),
        dedupe_key=f"event:create:{occurrence.id}:{occurrence.starts_at.isoformat()}",
    )
    return Reply.nothing()


@feature.command(RemindOccurrence)
async def remind_occurrence(command: RemindOccurrence, ctx: Context) -> Reply:
    """Remind the channel, and by DM each member going who has not turned reminders off."""
    offset = timedelta(minutes=command.offset_minutes)
    found = await _current(ctx, command.occurrence_id, offset, command.scheduled_for)
    now = ctx.now()
    if found is None or now >= found[1].starts_at:
        return Reply.nothing()
    series, occurrence = found
    stamp = _stamp(f"remind:{command.offset_minutes}", occurrence, command.scheduled_for)
    await ctx.send(
        PostMessage(
            ctx.community.id,
            series.channel,
            render.reminder(series, occurrence, now),
            actions=render.rsvp_actions(occurrence.id),
        ),
        dedupe_key=stamp,
    )
    text = render.reminder_dm(series, occurrence, now)
    stop = (Action("Stop event reminders", "reminders:off:me"),)
    for member in await ctx.uow.repo(RsvpRepository).going(occurrence.id):
        if not member.reminders_opt_out:
            await ctx.send(
                DirectMessage(ctx.community.id, member.ref, text, actions=stop),
                dedupe_key=f"{stamp}:{member.id}",
            )
    return Reply.nothing()


@feature.command(PostShowcaseLineup)
async def post_showcase_lineup(command: PostShowcaseLineup, ctx: Context) -> Reply:
    """The accepted entries, in the order they came in, before the showcase starts."""
    lead = ctx.community.programming.lineup_lead
    found = await _current(ctx, command.occurrence_id, lead, command.scheduled_for)
    if found is None or found[0].kind is not SeriesKind.SHOWCASE or ctx.now() >= found[1].starts_at:
        return Reply.nothing()
    series, occurrence = found
    entries = await ctx.uow.repo(ShowcaseRepository).of_occurrence(occurrence.id, SubmissionStatus.ACCEPTED)
    await ctx.send(
        PostMessage(
            ctx.community.id, series.channel, render.lineup(series, occurrence, entries), title="Line-up"
        ),
        dedupe_key=_stamp("lineup", occurrence, command.scheduled_for),
    )
    return Reply.nothing()


@feature.command(StartOccurrence)
async def start_occurrence(command: StartOccurrence, ctx: Context) -> Reply:
    """AMA: the queued questions by votes, with "answered" buttons for the host. Showcase: the
    line-up. Both: the "I'm here" button that records attendance."""
    found = await _current(ctx, command.occurrence_id, timedelta(0), command.scheduled_for)
    if found is None or ctx.now() >= found[1].ends_at:
        return Reply.nothing()
    series, occurrence = found
    check_in = render.check_in_action(occurrence.id)
    if series.kind is SeriesKind.AMA:
        text, actions = render.live_questions(
            series, await ctx.uow.repo(QuestionRepository).of_occurrence(occurrence.id)
        )
        effect = PostMessage(
            ctx.community.id,
            series.channel,
            text,
            actions=(*actions, check_in),
            title=render.name(series),
            message_key=render.live_key(occurrence.id),
        )
    elif series.kind is not SeriesKind.SHOWCASE:
        text = (
            f"{render.name(series)} starts now{render.host_text(series)}. Press the button when you're here."
        )
        effect = PostMessage(
            ctx.community.id, series.channel, text, actions=(check_in,), title=render.name(series)
        )
    else:
        entries = await ctx.uow.repo(ShowcaseRepository).of_occurrence(
            occurrence.id, SubmissionStatus.ACCEPTED
        )
        text = f"{render.name(series)} starts now!\n" + render.lineup(series, occurrence, entries)
        effect = PostMessage(
            ctx.community.id, series.channel, text, actions=(check_in,), title=render.name(series)
        )
    await ctx.send(effect, dedupe_key=_stamp("start", occurrence, command.scheduled_for))
    return Reply.nothing()


@feature.command(EndOccurrence)
async def end_occurrence(command: EndOccurrence, ctx: Context) -> Reply:
    """Mark it done, award the host's or the presenters' badge (once each), plan the next one."""
    occurrence = await ctx.uow.repo(OccurrenceRepository).get(command.occurrence_id)
    series = await ctx.uow.repo(SeriesRepository).get(occurrence.series_id) if occurrence else None
    if occurrence is None or series is None or occurrence.ends_at != command.scheduled_for:
        return Reply.nothing()
    if not await ctx.uow.repo(OccurrenceRepository).set_status(
        occurrence.id, OccurrenceStatus.DONE, only_from=HAPPENING
    ):
        return Reply.nothing()
    await _settle(ctx, series, occurrence)
    await plan_series(ctx, series)
    return Reply.nothing()


async def _settle(ctx: Context, series: Series, occurrence: Occurrence) -> None:
    when = render.when(series, occurrence.starts_at)
    if series.kind is SeriesKind.AMA and series.host_id is not None and series.host is not None:
        reason = f"Hosted {series.title[:100]} ({plain_times(when)})"  # stored: plain text, no token
        earn_badge(ctx, series.host_id, series.host, AMA_HOST, reason)
    if series.kind is SeriesKind.SHOWCASE:
        for entry in await ctx.uow.repo(ShowcaseRepository).of_occurrence(
            occurrence.id, SubmissionStatus.ACCEPTED
        ):
            earn_badge(
                ctx,
                entry.presenter_id,
                entry.presenter,
                SHOWCASE_PRESENTER,
                f"Presented at {series.title[:100]}",
            )
    if occurrence.announced_at is not None:
        # The RSVP buttons go: the event is over.
        await ctx.send(
            EditMessage(
                ctx.community.id,
                render.announcement_key(occurrence.id),
                f"{render.name(series)} took place {when}. Thanks to everyone who came!",
                title=render.name(series),
            ),
            dedupe_key=f"ended:{occurrence.id}",
        )
