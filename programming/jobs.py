"""Jobs: what runs when. Each job only builds a command and hands it to the bus with its run record.

A `JobSpec` is a key, a `next_run(after)` function (the first run strictly after an instant, or
None) and a `run(JobRun)` coroutine. The scheduler asks every spec what is due; it never keeps its
own idea of the schedule, so rebuilding the specs from the database at any time is safe.

Three sources of specs:

* the programme: one spec per job of each happening occurrence (announce, reminders, line-up,
  start, end), computed by `bot.core.programming.rules.plan_jobs` from the occurrence's instant;
* open polls: one spec per poll, closing it at its closing time;
* recurring community jobs (programming/recurring.py): the weekly digest, the cohort window,
  daily milestones, idea notices and so on.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache, wraps
from typing import TypedDict
from zoneinfo import ZoneInfo

from bot.core.bus import Bus, JobRun
from bot.core.commands import Command
from bot.core.feedback.commands import ClosePoll
from bot.core.programming.calendar import next_occurrence, resolve_wall_time
from bot.core.programming.commands import (
    AnnounceOccurrence,
    EndOccurrence,
    PostShowcaseLineup,
    RemindOccurrence,
    StartOccurrence,
)
from bot.core.programming.recurrence import Recurrence
from bot.core.programming.rules import END_GRACE, MIN_GRACE, JobPlan, Occurrence, Series, plan_jobs
from bot.core.settings import CommunitySettings

NextRun = Callable[[datetime], datetime | None]


@dataclass(frozen=True)
class JobSpec:
    """One job: `run` is called with the run record for each scheduled instant, at most once each."""

    key: str
    next_run: NextRun
    run: Callable[[JobRun], Awaitable[object]]
    grace: timedelta = MIN_GRACE


# --- schedules ---------------------------------------------------------------------------------


def remembered(next_run: NextRun) -> NextRun:
    """`next_run` answering again from what it last worked out: if the first run after `after` is
    `at`, no run lies in (after, at), so `at` is also the first run after any instant in [after, at).
    The scheduler asks about such instants on every pass (now minus the grace, now, the run just
    done); the calendar arithmetic of a zoned schedule is done once per run instead."""
    known: list[tuple[datetime, datetime]] = []  # [after, at) intervals, the latest last

    @wraps(next_run)
    def next_run_remembered(after: datetime) -> datetime | None:
        for lower, at in known:
            if lower <= after < at:
                return at
        found = next_run(after)
        if found is not None:
            known.append((after, found))
            del known[:-_REMEMBERED]
        return found

    return next_run_remembered


_REMEMBERED = 4  # intervals kept per schedule: the few instants a pass asks about


def once(at: datetime) -> NextRun:
    """A single run at `at`."""
    return lambda after: at if at > after else None


@cache
def weekly(weekday: int, wall: time, timezone: str) -> NextRun:
    """Every week at a wall time in a zone, with the programme's DST policy."""
    rule = Recurrence(freq="weekly", weekday=weekday, time=wall.replace(tzinfo=None), timezone=timezone)
    return remembered(lambda after: next_occurrence(rule, after))


@cache
def daily(wall: time, timezone: str) -> NextRun:
    """Every day at a wall time in a zone (a time a DST gap skips runs an hour later that day)."""

    def next_run(after: datetime) -> datetime:
        day = after.astimezone(ZoneInfo(timezone)).date() - timedelta(days=1)
        while True:
            instant = resolve_wall_time(day, wall.replace(tzinfo=None), timezone)
            if instant > after:
                return instant
            day += timedelta(days=1)

    return remembered(next_run)


@cache
def monthly(day: int, wall: time, timezone: str) -> NextRun:
    """Every month on `day` (1 to 28, so every month has it) at a wall time in a zone."""

    def next_run(after: datetime) -> datetime:
        local = after.astimezone(ZoneInfo(timezone))
        year, month = (local.year - 1, 12) if local.month == 1 else (local.year, local.month - 1)
        while True:
            instant = resolve_wall_time(date(year, month, day), wall.replace(tzinfo=None), timezone)
            if instant > after:
                return instant
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)

    return remembered(next_run)


def hourly(after: datetime) -> datetime:
    """Every hour on the hour (UTC): the next whole hour strictly after `after`."""
    return after.astimezone(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)


# --- the programme -----------------------------------------------------------------------------


class _OccurrenceJob(TypedDict):
    """The fields every occurrence job command has."""

    community_id: str
    occurrence_id: int
    scheduled_for: datetime


def _command(community_id: str, occurrence: Occurrence, plan: JobPlan) -> Command:
    common = _OccurrenceJob(community_id=community_id, occurrence_id=occurrence.id, scheduled_for=plan.at)
    if plan.name == "announce":
        return AnnounceOccurrence(**common)
    if plan.offset_minutes is not None:
        return RemindOccurrence(**common, offset_minutes=plan.offset_minutes)
    if plan.name == "lineup":
        return PostShowcaseLineup(**common)
    if plan.name == "start":
        return StartOccurrence(**common)
    return EndOccurrence(**common)


def _handling(bus: Bus, command: Command) -> Callable[[JobRun], Awaitable[object]]:
    """A job's `run`: hand `command` to the bus with the run record."""
    return lambda run: bus.handle(command, job=run)


def occurrence_jobs(
    bus: Bus, community: CommunitySettings, series: Series, occurrence: Occurrence
) -> list[JobSpec]:
    """The specs of one happening occurrence, keyed `<community>:occurrence:<id>:<job>`."""
    settings = community.programming
    plans = plan_jobs(
        series.kind,
        occurrence,
        announcement_lead=settings.announcement_lead,
        reminder_offsets=settings.reminder_offsets,
        lineup_lead=settings.lineup_lead,
    )
    specs = []
    for plan in plans:
        command = _command(community.id, occurrence, plan)
        specs.append(
            JobSpec(
                key=f"{community.id}:occurrence:{occurrence.id}:{plan.name}",
                next_run=once(plan.at),
                run=_handling(bus, command),
                grace=plan.grace,
            )
        )
    return specs


# --- polls ---------------------------------------------------------------------------------------

# A close missed for longer (the scheduler was down) is done by the hourly CloseDuePolls instead.
POLL_CLOSE_GRACE = END_GRACE


def poll_jobs(bus: Bus, community_id: str, open_polls: Sequence[tuple[int, datetime]]) -> list[JobSpec]:
    """One spec per open poll, closing it at its closing time, keyed `<community>:poll:<id>:close`."""
    specs = []
    for poll_id, closes_at in open_polls:
        command = ClosePoll(community_id=community_id, poll_id=poll_id)
        specs.append(
            JobSpec(
                key=f"{community_id}:poll:{poll_id}:close",
                next_run=once(closes_at),
                run=_handling(bus, command),
                grace=POLL_CLOSE_GRACE,
            )
        )
    return specs
