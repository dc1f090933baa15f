"""Series: configured ones synced by key, leads' /series and /occurrence commands, and planning."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from bot.core.context import Context
from bot.core.errors import InvalidInput
from bot.core.programming import feature, render
from bot.core.programming.calendar import is_occurrence_date, resolve_wall_time
from bot.core.programming.commands import (
    CancelSeries,
    CreateSeries,
    ListSeries,
    MoveOccurrence,
    PlanProgramme,
    SkipOccurrence,
)
from bot.core.programming.common import next_after, plan_series, retime, series_in_community, withdraw
from bot.core.programming.configured import as_configured, configured_series
from bot.core.programming.ports import (
    OccurrenceRepository,
    QuestionRepository,
    SeriesRepository,
    ShowcaseRepository,
)
from bot.core.programming.recurrence import load_zone
from bot.core.programming.recurrence_text import RecurrenceFormatError, describe, parse_recurrence
from bot.core.programming.rules import (
    HAPPENING,
    MAX_CAPACITY,
    NewSeries,
    Occurrence,
    OccurrenceStatus,
    Series,
    SeriesKind,
    SeriesStatus,
    validate_capacity,
    validate_location,
)
from bot.core.programming.settings import SeriesConfig
from bot.core.refs import MemberRef
from bot.core.registry import Invocation, Option, OptionType, SlashCommand
from bot.core.replies import Reply
from bot.core.settings_base import CHANNEL_PATTERN
from bot.core.text import mention, user_text


def _canonical(recurrence: str, timezone: str) -> str:
    """The stored form of a recurrence, or InvalidInput that shows the accepted formats."""
    try:
        load_zone(timezone)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
    try:
        return describe(parse_recurrence(recurrence, timezone))
    except RecurrenceFormatError as exc:
        raise InvalidInput(str(exc)) from None


def _local_today(ctx: Context, timezone: str) -> date:
    return ctx.now().astimezone(load_zone(timezone)).date()


async def _sync_configured(ctx: Context, configured: tuple[SeriesConfig, ...]) -> list[Series] | None:
    """Create or update each configured series by key; cancel those whose key left the file. Returns
    the community's active series, or None when one was cancelled here (read them again). A series
    stored as configured is not written again: the update would still fire the schedule stamp's
    triggers, and the scheduler would rebuild its jobs after every planning pass."""
    now = ctx.now()
    repo = ctx.uow.repo(SeriesRepository)
    stored = await repo.of_community(ctx.community.id, active_only=False)
    by_key = {series.key: series for series in stored if series.key is not None}
    written = False
    for item in configured:
        timezone = item.timezone or ctx.community.timezone
        recurrence = _canonical(item.recurrence, timezone)
        host = MemberRef(ctx.community.platform, item.host) if item.host else None
        current = by_key.get(item.key)
        if current is not None and as_configured(current, item, recurrence, timezone, host):
            continue
        host_id = None
        if host is not None:
            host_id = (await ctx.uow.members.upsert_seen(ctx.community.id, host, now)).id
        anchor = _local_today(ctx, timezone)
        await repo.upsert_configured(
            configured_series(ctx.community.id, item, recurrence, timezone, anchor, host_id), now
        )
        written = True
    keys = {item.key for item in configured}
    fresh = await repo.of_community(ctx.community.id) if written else None
    active = fresh if fresh is not None else [s for s in stored if s.status is SeriesStatus.ACTIVE]
    cancelled = False
    for series in active:
        if series.key is not None and series.key not in keys:
            await _cancel(ctx, series)
            cancelled = True
    return None if cancelled else active


@feature.command(PlanProgramme)
async def plan_programme(command: PlanProgramme, ctx: Context) -> Reply:
    """Sync the configured series, then materialise every active series' coming occurrences."""
    active = await _sync_configured(ctx, ctx.community.programming.series)
    if active is None:
        active = await ctx.uow.repo(SeriesRepository).of_community(command.community_id)
    for series in active:
        await plan_series(ctx, series)
    return Reply.nothing()


@feature.command(CreateSeries)
async def create_series(command: CreateSeries, ctx: Context) -> Reply:
    """A lead starts a series; its first occurrences exist at once, so /ama and /events see them."""
    timezone = command.timezone or ctx.community.timezone
    recurrence = _canonical(command.recurrence, timezone)
    title = user_text(command.title, limit=200)
    if not title:
        raise InvalidInput('Give the series a title, e.g. "Ask the maintainers anything".')
    if not 5 <= command.duration_minutes <= 24 * 60:
        raise InvalidInput("The duration is in minutes, from 5 to 1440.")
    if not re.fullmatch(CHANNEL_PATTERN, command.channel):
        raise InvalidInput("Name the channel as configured (e.g. announcements) or as id:<channel id>.")
    host_id = None
    if command.host is not None:
        host_id = (await ctx.uow.members.upsert_seen(ctx.community.id, command.host, ctx.now())).id
    series = await ctx.uow.repo(SeriesRepository).add(
        NewSeries(
            community_id=command.community_id,
            kind=command.kind,
            title=title,
            recurrence=recurrence,
            timezone=timezone,
            duration_minutes=command.duration_minutes,
            channel=command.channel,
            anchor=_local_today(ctx, timezone),
            host_id=host_id,
            capacity=validate_capacity(command.capacity),
            location=validate_location(command.kind, command.location),
        ),
        ctx.now(),
    )
    await plan_series(ctx, series)
    upcoming = [
        o
        for o in await ctx.uow.repo(OccurrenceRepository).of_series(series.id, ending_after=ctx.now())
        if o.happening
    ]
    first = f" The first one is {render.when(series, upcoming[0].starts_at)}." if upcoming else ""
    return Reply(
        text=f"Series #{series.id} created: {render.name(series)}, {recurrence} ({timezone}).{first}",
        title="Series created",
    )


@feature.command(ListSeries)
async def list_series(command: ListSeries, ctx: Context) -> Reply:
    """Every series, active ones first, with the next time it happens."""
    rows = await ctx.uow.repo(SeriesRepository).of_community(command.community_id, active_only=False)
    if not rows:
        return Reply(text="No series yet. Start one with /series create.", title="Series")
    lines = []
    for series in sorted(rows, key=lambda s: (s.status is not SeriesStatus.ACTIVE, s.id)):
        line = f"#{series.id} {render.name(series)}: {series.recurrence} ({series.timezone}), "
        line += f"{series.duration_minutes} min in {series.channel}"
        if series.host:
            line += f", host {mention(series.host)}"
        if series.capacity is not None:
            line += f", {series.capacity} places"
        if series.key:
            line += f" [config: {series.key}]"
        if series.status is SeriesStatus.ACTIVE:
            coming = [
                o
                for o in await ctx.uow.repo(OccurrenceRepository).of_series(series.id, ending_after=ctx.now())
                if o.happening
            ]
            if coming:
                line += f"; next {render.when(series, coming[0].starts_at)}"
        else:
            line += " (cancelled)"
        lines.append(line)
    return Reply(text="\n".join(lines), title="Series")


async def _cancel(ctx: Context, series: Series) -> None:
    if not await ctx.uow.repo(SeriesRepository).set_status(series.id, SeriesStatus.CANCELLED):
        return
    now = ctx.now()
    for occurrence in await ctx.uow.repo(OccurrenceRepository).of_series(series.id, ending_after=now):
        if occurrence.starts_at > now and await ctx.uow.repo(OccurrenceRepository).set_status(
            occurrence.id, OccurrenceStatus.CANCELLED, only_from=HAPPENING
        ):
            await withdraw(ctx, series, occurrence)


@feature.command(CancelSeries)
async def cancel_series(command: CancelSeries, ctx: Context) -> Reply:
    """Stop a series: future occurrences are called off (one under way finishes normally)."""
    series = await series_in_community(ctx, command.series_id)
    if series.status is SeriesStatus.CANCELLED:
        return Reply(text=f"Series #{series.id} was already cancelled.")
    await _cancel(ctx, series)
    note = (
        " It is defined in the configuration: remove it there too, or it stays cancelled."
        if series.key
        else ""
    )
    return Reply(text=f"Series #{series.id} ({render.name(series)}) is cancelled.{note}")


async def _dated(ctx: Context, series_id: int, local_date: date) -> tuple[Series, Occurrence]:
    """The series and its occurrence on a series date (materialised if need be), checked."""
    series = await series_in_community(ctx, series_id)
    if series.status is not SeriesStatus.ACTIVE:
        raise InvalidInput(f"Series #{series.id} is cancelled.")
    rule = series.rule
    if not is_occurrence_date(rule, local_date, series.anchor):
        raise InvalidInput(
            f"{local_date.isoformat()} is not a date of series #{series.id} ({series.recurrence}). "
            "/series list shows its next date."
        )
    occurrence = await ctx.uow.repo(OccurrenceRepository).on_date(series.id, local_date)
    if occurrence is None:
        starts_at = resolve_wall_time(local_date, rule.time, series.timezone)
        occurrence = await ctx.uow.repo(OccurrenceRepository).ensure(
            series.id, local_date, starts_at, starts_at + series.duration
        )
    if occurrence.status is OccurrenceStatus.DONE or occurrence.starts_at <= ctx.now():
        raise InvalidInput(f"The {local_date.isoformat()} occurrence has already started or taken place.")
    return series, occurrence


@feature.command(SkipOccurrence)
async def skip_occurrence(command: SkipOccurrence, ctx: Context) -> Reply:
    """Leave one date out; its open questions and entries move to the next occurrence."""
    series, occurrence = await _dated(ctx, command.series_id, command.local_date)
    if not await ctx.uow.repo(OccurrenceRepository).set_status(
        occurrence.id, OccurrenceStatus.SKIPPED, only_from=HAPPENING
    ):
        return Reply(
            text=f"The {command.local_date.isoformat()} occurrence is already {occurrence.status.value}."
        )
    await withdraw(ctx, series, occurrence)
    following = await next_after(ctx, series, occurrence)
    carried = ""
    if following is not None:
        moved = await ctx.uow.repo(QuestionRepository).move_open(occurrence.id, following.id)
        moved += await ctx.uow.repo(ShowcaseRepository).move_open(occurrence.id, following.id)
        if moved:
            carried = (
                f" {moved} queued question(s) or entries move to {render.when(series, following.starts_at)}."
            )
    return Reply(text=f"Skipped {render.name(series)} on {command.local_date.isoformat()}.{carried}")


@feature.command(MoveOccurrence)
async def move_occurrence(command: MoveOccurrence, ctx: Context) -> Reply:
    """Hold one occurrence at another wall time in the series' zone (DST policy applies)."""
    series, occurrence = await _dated(ctx, command.series_id, command.local_date)
    starts_at = resolve_wall_time(command.to.date(), command.to.time().replace(tzinfo=None), series.timezone)
    if starts_at <= ctx.now():
        raise InvalidInput("Move it to a time in the future.")
    await retime(ctx, series, occurrence, starts_at, starts_at + series.duration, OccurrenceStatus.MOVED)
    planned = command.local_date.isoformat()
    return Reply(text=f"Moved {render.name(series)} of {planned} to {render.when(series, starts_at)}.")


# --- registry ----------------------------------------------------------------------------------


def _date(value: Any) -> date:
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise InvalidInput("Give the date as YYYY-MM-DD, e.g. 2026-03-05.") from None


def _wall_time(value: Any) -> datetime:
    try:
        parsed = datetime.fromisoformat(str(value).strip())
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is not None:
        raise InvalidInput("Give the new time as YYYY-MM-DD HH:MM, in the series' own time zone.")
    return parsed


def _create(inv: Invocation) -> CreateSeries:
    o = inv.options
    return CreateSeries(
        community_id=inv.community_id,
        kind=SeriesKind(o["kind"]),
        title=o["title"],
        recurrence=o["recurrence"],
        duration_minutes=int(o.get("duration") or 60),
        channel=o.get("channel") or "announcements",
        timezone=o.get("timezone") or None,
        host=o.get("host"),
        capacity=int(o["capacity"]) if o.get("capacity") is not None else None,
        location=o.get("location") or None,
    )


feature.slash(
    SlashCommand(
        name="series create",
        description="Start a recurring AMA, showcase, office hours, meetup or council meeting",
        build=_create,
        options=(
            Option("kind", "What kind of event", choices=tuple(k.value for k in SeriesKind)),
            Option("title", "Its title", max_length=200),
            Option(
                "recurrence",
                "e.g. weekly on Thursday 17:00, monthly on the first Tuesday 18:00",
                max_length=200,
            ),
            Option(
                "duration",
                "Minutes (default 60)",
                OptionType.INTEGER,
                required=False,
                min_value=5,
                max_value=1440,
            ),
            Option("channel", "Channel name (default announcements)", required=False, max_length=64),
            Option("timezone", "IANA zone, e.g. Europe/Berlin (default: the community's)", required=False),
            Option("host", "Who hosts it", OptionType.MEMBER, required=False),
            Option(
                "location", "Where it takes place (required for a meetup)", required=False, max_length=200
            ),
            Option(
                "capacity",
                "Places per event; more RSVPs wait in line (default: no limit)",
                OptionType.INTEGER,
                required=False,
                min_value=1,
                max_value=MAX_CAPACITY,
            ),
        ),
        command=CreateSeries,
    )
)
feature.slash(
    SlashCommand(
        name="series list",
        description="Every series and its next date",
        build=lambda inv: ListSeries(community_id=inv.community_id),
        command=ListSeries,
    )
)
feature.slash(
    SlashCommand(
        name="series cancel",
        description="Stop a series",
        build=lambda inv: CancelSeries(community_id=inv.community_id, series_id=int(inv.options["series"])),
        options=(Option("series", "Series number (see /series list)", OptionType.INTEGER, min_value=1),),
        command=CancelSeries,
    )
)
_DATED = (
    Option("series", "Series number (see /series list)", OptionType.INTEGER, min_value=1),
    Option("date", "The date it was planned for, YYYY-MM-DD", max_length=10),
)
feature.slash(
    SlashCommand(
        name="occurrence skip",
        description="Leave out one date of a series",
        build=lambda inv: SkipOccurrence(
            community_id=inv.community_id,
            series_id=int(inv.options["series"]),
            local_date=_date(inv.options["date"]),
        ),
        options=_DATED,
        command=SkipOccurrence,
    )
)
feature.slash(
    SlashCommand(
        name="occurrence move",
        description="Move one date of a series to another time",
        build=lambda inv: MoveOccurrence(
            community_id=inv.community_id,
            series_id=int(inv.options["series"]),
            local_date=_date(inv.options["date"]),
            to=_wall_time(inv.options["to"]),
        ),
        options=(*_DATED, Option("to", "New local time, YYYY-MM-DD HH:MM", max_length=16)),
        command=MoveOccurrence,
    )
)
