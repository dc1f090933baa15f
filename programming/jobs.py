"""Jobs: what runs when. Each job only builds a command and hands it to the bus with its run record.

A `JobSpec` is a key, a `next_run(after)` function (the first run strictly after an instant, or
None) and a `run(JobRun)` coroutine. The scheduler asks every spec what is due; it never keeps its
own idea of the schedule, so rebuilding the specs from the database at any time is safe.

Two sources of specs:

* the programme: one spec per job of each happening occurrence (announce, reminders, line-up,
  start, end), computed by `bot.core.model.programming.plan_jobs` from the occurrence's instant;
* recurring community jobs in a `JobRegistry`: the weekly digest, the cohort window and the daily
  milestones. Their commands belong to other features; they are found by class name among the
  registered handlers, so a feature plugs in by registering its command, and a missing one is
  skipped (logged once) instead of breaking the scheduler.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, Protocol, get_type_hints
from zoneinfo import ZoneInfo

from bot.core.bus import JobRun
from bot.core.commands import Command
from bot.core.handlers.programming.commands import (
    AnnounceOccurrence,
    EndOccurrence,
    PostShowcaseLineup,
    RemindOccurrence,
    StartOccurrence,
)
from bot.core.handlers.table import HANDLERS, HandlerTable
from bot.core.model.calendar import next_occurrence, resolve_wall_time
from bot.core.model.programming import MIN_GRACE, JobPlan, Occurrence, Series, plan_jobs
from bot.core.model.recurrence import Recurrence
from bot.core.model.weeks import IsoWeek
from bot.core.settings import CommunitySettings

log = logging.getLogger("townsquare.scheduler")

NextRun = Callable[[datetime], datetime | None]


class Bus(Protocol):
    async def handle(self, message: Any, actor: Any = None, *, job: JobRun | None = None) -> Any: ...


@dataclass(frozen=True)
class JobSpec:
    """One job: `run` is called with the run record for each scheduled instant, at most once each."""

    key: str
    next_run: NextRun
    run: Callable[[JobRun], Awaitable[object]]
    grace: timedelta = MIN_GRACE


# --- schedules ---------------------------------------------------------------------------------


def once(at: datetime) -> NextRun:
    """A single run at `at`."""
    return lambda after: at if at > after else None


def weekly(weekday: int, wall: time, timezone: str) -> NextRun:
    """Every week at a wall time in a zone, with the programme's DST policy."""
    rule = Recurrence(freq="weekly", weekday=weekday, time=wall.replace(tzinfo=None), timezone=timezone)
    return lambda after: next_occurrence(rule, after)


def daily(wall: time, timezone: str) -> NextRun:
    """Every day at a wall time in a zone (a time a DST gap skips runs an hour later that day)."""

    def next_run(after: datetime) -> datetime:
        day = after.astimezone(ZoneInfo(timezone)).date() - timedelta(days=1)
        while True:
            instant = resolve_wall_time(day, wall.replace(tzinfo=None), timezone)
            if instant > after:
                return instant
            day += timedelta(days=1)

    return next_run


# --- the programme -----------------------------------------------------------------------------


def _command(community_id: str, occurrence: Occurrence, plan: JobPlan) -> Command:
    common = {"community_id": community_id, "occurrence_id": occurrence.id, "scheduled_for": plan.at}
    if plan.name == "announce":
        return AnnounceOccurrence(**common)
    if plan.offset_minutes is not None:
        return RemindOccurrence(**common, offset_minutes=plan.offset_minutes)
    if plan.name == "lineup":
        return PostShowcaseLineup(**common)
    if plan.name == "start":
        return StartOccurrence(**common)
    return EndOccurrence(**common)


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
                run=lambda run, command=command: bus.handle(command, job=run),
                grace=plan.grace,
            )
        )
    return specs


# --- recurring community jobs ------------------------------------------------------------------


@dataclass(frozen=True)
class RecurringJob:
    """A per-community job: when it runs, and the command for the run scheduled at an instant.
    A job whose command is not `available()` (its feature is not installed) gets no spec."""

    name: str
    schedule: Callable[[CommunitySettings], NextRun]
    build: Callable[[CommunitySettings, datetime], Command]
    grace: timedelta = MIN_GRACE
    available: Callable[[], bool] = lambda: True


@dataclass
class JobRegistry:
    """Recurring jobs by name; bootstrap (or a feature) may add or replace one."""

    jobs: dict[str, RecurringJob] = field(default_factory=dict)
    _reported: set[str] = field(default_factory=set)

    def add(self, job: RecurringJob) -> RecurringJob:
        self.jobs[job.name] = job
        return job

    def specs(self, bus: Bus, communities: Sequence[CommunitySettings]) -> list[JobSpec]:
        """One spec per (community, available job)."""
        specs = []
        for job in self.jobs.values():
            if not job.available():
                if job.name not in self._reported:
                    self._reported.add(job.name)
                    log.info("the %s job is off: no feature handles its command", job.name)
                continue
            for community in communities:

                async def run(
                    record: JobRun, job: RecurringJob = job, community: CommunitySettings = community
                ) -> object:
                    return await bus.handle(job.build(community, record.scheduled_for), job=record)

                specs.append(JobSpec(f"{community.id}:{job.name}", job.schedule(community), run, job.grace))
        return specs


def find_command(name: str, handlers: HandlerTable = HANDLERS) -> type[Command] | None:
    """A registered command class by name, wherever its feature defines it."""
    return next((kind for kind in handlers.commands if kind.__name__ == name), None)


def week_ended_before(day: date) -> date:
    """The Monday of the last complete Monday-to-Sunday week before `day`."""
    return day - timedelta(days=day.weekday() + 7)


def by_name(
    job: str, name: str, schedule: Callable[[CommunitySettings], NextRun], grace: timedelta
) -> RecurringJob:
    """The recurring job `job` sending the command class `name`, built with the fields it declares among:
    community_id, week (the last complete local week: its Monday for a `date` field, its ISO id such
    as "2026-W47" for a `str` field) and scheduled_for."""

    def build(community: CommunitySettings, scheduled_for: datetime) -> Command:
        kind = find_command(name)
        assert kind is not None  # specs are only made while it is available
        names = {f.name for f in dataclasses.fields(kind)}
        values: dict[str, Any] = {"community_id": community.id}
        if "week" in names:
            monday = week_ended_before(scheduled_for.astimezone(community.zone).date())
            wants_id = get_type_hints(kind).get("week") is str  # PostWeeklyDigest takes "2026-W47"
            values["week"] = str(IsoWeek.containing(monday)) if wants_id else monday
        if "scheduled_for" in names:
            values["scheduled_for"] = scheduled_for
        return kind(**values)

    return RecurringJob(job, schedule, build, grace, available=lambda: find_command(name) is not None)


MILESTONES_AT = time(10, 0)  # daily milestone nudges go out mid-morning, community time


def digest_schedule(community: CommunitySettings) -> NextRun:
    """[communities.digest] weekday and time, in the community's zone."""
    return weekly(community.digest.weekday, community.digest.time, community.timezone)


def cohort_window_schedule(community: CommunitySettings) -> NextRun:
    """[communities.cohorts] window_weekday and window_time, in the community's zone."""
    return weekly(community.cohorts.window_weekday, community.cohorts.window_time, community.timezone)


def milestones_schedule(community: CommunitySettings) -> NextRun:
    """Every day at MILESTONES_AT, in the community's zone."""
    return daily(MILESTONES_AT, community.timezone)


# Job name -> (command class name, schedule, grace). The commands belong to other features.
RECURRING = {
    "digest": ("PostWeeklyDigest", digest_schedule, timedelta(hours=6)),
    "cohort-window": ("CloseCohortWindow", cohort_window_schedule, timedelta(hours=6)),
    "milestones": ("RunMilestones", milestones_schedule, timedelta(hours=12)),
}


def default_registry() -> JobRegistry:
    """The weekly digest, the cohort window and the daily milestones, per community."""
    registry = JobRegistry()
    for job, (command, schedule, grace) in RECURRING.items():
        registry.add(by_name(job, command, schedule, grace))
    return registry
