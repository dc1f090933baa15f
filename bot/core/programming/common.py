"""What several programme handlers share: materialising occurrences, withdrawing and re-timing
announced ones, finding the next occurrence of a kind, and the events that award badges and record
contributions."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

from bot.core.badges.events import BadgeEarned
from bot.core.context import Context
from bot.core.contributions.events import ContributionMade
from bot.core.contributions.rules import ContributionKind
from bot.core.effects import CancelScheduledEvent, CreateScheduledEvent, EditMessage
from bot.core.errors import NotFound
from bot.core.programming import render
from bot.core.programming.calendar import is_occurrence_date
from bot.core.programming.ports import OccurrenceRepository, RsvpRepository, SeriesRepository
from bot.core.programming.rules import (
    HAPPENING,
    Occurrence,
    OccurrenceStatus,
    Series,
    SeriesKind,
    SeriesStatus,
    Slot,
    next_slot,
    slots,
)
from bot.core.refs import MemberRef

PLAN_MARGIN = timedelta(days=1)  # materialise a day beyond the announcement lead
LOOKAHEAD = 12  # dates looked at to find the next occurrence that is not skipped


async def series_in_community(ctx: Context, series_id: int) -> Series:
    """The series with this id in the actor's community, or NotFound."""
    series = await ctx.uow.repo(SeriesRepository).get(series_id)
    if series is None or series.community_id != ctx.community.id:
        raise NotFound(f"There is no series #{series_id}. /series list shows them.")
    return series


async def occurrence_in_community(ctx: Context, occurrence_id: int) -> tuple[Series, Occurrence]:
    """The occurrence and its series, or NotFound (also for another community's occurrence)."""
    found = await ctx.uow.repo(OccurrenceRepository).with_series(occurrence_id)
    if found is None or found[0].community_id != ctx.community.id:
        raise NotFound("That event no longer exists. /events shows what is coming.")
    return found


async def plan_series(ctx: Context, series: Series) -> None:
    """Materialise the occurrences the scheduler needs (through the announcement lead, and always
    the next one), and bring future scheduled ones in line with the rule: a changed rule, duration
    or time-zone database re-times them; a date that left the rule calls them off."""
    if series.status is not SeriesStatus.ACTIVE:
        return
    now = ctx.now()
    horizon = now + ctx.community.programming.announcement_lead + PLAN_MARGIN
    rule = series.rule
    # The occurrences as they stand in this transaction, by series date: a date found here needs no
    # `ensure` (its row exists; ensure would only read it back).
    known: dict[date, Occurrence] = {}
    for occurrence in await ctx.uow.repo(OccurrenceRepository).of_series(series.id, ending_after=now):
        if occurrence.status is not OccurrenceStatus.SCHEDULED or occurrence.starts_at <= now:
            known[occurrence.local_date] = occurrence
            continue  # moved, skipped or under way: a lead's decision or history, left alone
        if not is_occurrence_date(rule, occurrence.local_date, series.anchor):
            if await ctx.uow.repo(OccurrenceRepository).set_status(
                occurrence.id, OccurrenceStatus.CANCELLED, only_from={OccurrenceStatus.SCHEDULED}
            ):
                await withdraw(ctx, series, occurrence)
                known[occurrence.local_date] = replace(occurrence, status=OccurrenceStatus.CANCELLED)
            continue  # (not changed here: someone else did, so it is read again if needed)
        expected = slots(
            series, occurrence.starts_at - timedelta(days=3), occurrence.starts_at + timedelta(days=3)
        )
        slot = next((s for s in expected if s.local_date == occurrence.local_date), None)
        if slot and (slot.starts_at, slot.ends_at) != (occurrence.starts_at, occurrence.ends_at):
            await retime(ctx, series, occurrence, slot.starts_at, slot.ends_at, OccurrenceStatus.SCHEDULED)
        known[occurrence.local_date] = occurrence  # retime changed it in place, as stored

    async def ensure(slot: Slot) -> Occurrence:
        found = known.get(slot.local_date)
        if found is None:
            found = known[slot.local_date] = await ctx.uow.repo(OccurrenceRepository).ensure(
                series.id, slot.local_date, slot.starts_at, slot.ends_at
            )
        return found

    for slot in slots(series, now, horizon):
        await ensure(slot)
    after = now
    for _ in range(LOOKAHEAD):  # the next one that will happen, past any skipped dates
        slot = next_slot(series, after)
        if (await ensure(slot)).happening:
            break
        after = slot.starts_at


async def retime(
    ctx: Context,
    series: Series,
    occurrence: Occurrence,
    starts_at: datetime,
    ends_at: datetime,
    status: OccurrenceStatus,
) -> Occurrence:
    """Give an occurrence new times; an announced one gets its post edited and its native event
    replaced. Reminders follow by themselves: their run records are keyed by the scheduled time."""
    occurrence.starts_at, occurrence.ends_at, occurrence.status = starts_at, ends_at, status
    await ctx.uow.repo(OccurrenceRepository).save(occurrence)
    if occurrence.announced_at is not None:
        await refresh_announcement(ctx, series, occurrence)
        stamp = starts_at.isoformat()
        await ctx.send(
            CancelScheduledEvent(ctx.community.id, render.event_key(occurrence.id)),
            dedupe_key=f"event:cancel:{occurrence.id}:{stamp}",
        )
        await ctx.send(
            scheduled_event(series, occurrence), dedupe_key=f"event:create:{occurrence.id}:{stamp}"
        )
    return occurrence


def scheduled_event(series: Series, occurrence: Occurrence) -> CreateScheduledEvent:
    """The native calendar event for an occurrence (the Slack adapter ignores it)."""
    what = render.BLURBS[series.kind]
    if series.location:
        what += f" Where: {series.location[:200]}"
    return CreateScheduledEvent(
        community_id=series.community_id,
        event_key=render.event_key(occurrence.id),
        name=render.name(series)[:100],
        starts_at=occurrence.starts_at,
        ends_at=occurrence.ends_at,
        description=what,
        channel=series.channel,
    )


async def refresh_announcement(ctx: Context, series: Series, occurrence: Occurrence) -> None:
    """Re-render an announced occurrence's post in place (RSVP counts, a new time)."""
    if occurrence.announced_at is None:
        return
    counts = await ctx.uow.repo(RsvpRepository).counts(occurrence.id)
    text, fields = render.announcement(series, occurrence, counts, ctx.community.programming.calendar_url)
    await ctx.send(
        EditMessage(
            ctx.community.id,
            render.announcement_key(occurrence.id),
            text,
            actions=render.rsvp_actions(occurrence.id),
            title=render.name(series),
            fields=fields,
        )
    )


async def withdraw(ctx: Context, series: Series, occurrence: Occurrence) -> None:
    """An announced occurrence that will not happen: say so on its post, cancel its native event."""
    if occurrence.announced_at is None:
        return
    await ctx.send(
        EditMessage(
            ctx.community.id, render.announcement_key(occurrence.id), render.called_off(series, occurrence)
        ),
        dedupe_key=f"withdraw:{occurrence.id}",
    )
    await ctx.send(
        CancelScheduledEvent(ctx.community.id, render.event_key(occurrence.id)),
        dedupe_key=f"event:cancel:{occurrence.id}:withdrawn",
    )


async def next_of_kind(ctx: Context, kind: SeriesKind) -> tuple[Series, Occurrence] | None:
    """The next occurrence (not yet started) of any active series of this kind."""
    for series in await ctx.uow.repo(SeriesRepository).of_community(ctx.community.id):
        if series.kind is kind:
            await plan_series(ctx, series)  # the next one exists even if the scheduler is behind
    found = await ctx.uow.repo(OccurrenceRepository).upcoming(ctx.community.id, ctx.now(), 1, kind=kind)
    return found[0] if found else None


async def next_after(ctx: Context, series: Series, occurrence: Occurrence) -> Occurrence | None:
    """The series' next happening occurrence after this one."""
    await plan_series(ctx, series)
    for other in await ctx.uow.repo(OccurrenceRepository).of_series(series.id, ending_after=ctx.now()):
        if other.id != occurrence.id and other.status in HAPPENING and other.starts_at > occurrence.starts_at:
            return other
    return None


def earn_badge(ctx: Context, member_id: int, member: MemberRef, badge_key: str, reason: str) -> None:
    """BadgeEarned: the badges feature awards it once and announces the first award."""
    ctx.emit(
        BadgeEarned(
            community_id=ctx.community.id,
            member_id=member_id,
            member=member,
            badge_key=badge_key,
            reason=reason,
        )
    )


async def contribute(ctx: Context, member_id: int, kind: str, source_id: str, at: datetime) -> None:
    """ContributionMade: the contributions feature records it once per source, weighted by settings."""
    member = await ctx.uow.members.get(member_id)
    if member is None:
        return
    ctx.emit(
        ContributionMade(
            community_id=ctx.community.id,
            member=member.ref,
            kind=ContributionKind(kind),
            source_id=source_id,
            at=at,
        )
    )
