"""Recurring community jobs: what each community gets on a schedule, and the command of each run.

A `RecurringJob` knows its schedule (from the community's settings) and how to build its command
for the run scheduled at an instant, so a run's arguments follow from that instant alone: the
digest of the week that ended before it, the ideas report of the month before it. A run made late
(within its grace, after a restart) or twice therefore asks for the same thing, and the run record
plus the command's own dedupe key make it happen once.

| job                   | command                  | when (community time unless said)   | grace |
| --------------------- | ------------------------ | ----------------------------------- | ----- |
| digest                | PostWeeklyDigest(week)   | [digest] weekday and time           | 6 h   |
| cohort-window         | CloseCohortWindow        | [cohorts] window_weekday and time   | 6 h   |
| milestones            | RunMilestones            | daily 10:00                         | 12 h  |
| idea-notices          | SendIdeaNotices          | daily at [ideas] notice_time        | 12 h  |
| ideas-report          | PostIdeasReport(month)   | monthly on [ideas] report_day 09:00 | 3 d   |
| overdue-applications  | PostOverdueApplications  | daily 09:00                         | 12 h  |
| badges                | EvaluateBadges           | Mondays 06:00                       | 2 d   |
| close-due-polls       | CloseDuePolls            | hourly (UTC), so at start-up too    | 1 h   |
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from bot.core.badges.commands import EvaluateBadges
from bot.core.bus import JobRun
from bot.core.cohorts.commands import CloseCohortWindow, RunMilestones
from bot.core.commands import Command
from bot.core.feedback.commands import CloseDuePolls, PostIdeasReport, SendIdeaNotices
from bot.core.feedback.report_rules import previous_month
from bot.core.gates.commands import PostOverdueApplications
from bot.core.metrics.commands import PostWeeklyDigest
from bot.core.programming.rules import MIN_GRACE
from bot.core.settings import CommunitySettings
from bot.core.weeks import IsoWeek
from programming.jobs import Bus, JobSpec, NextRun, daily, hourly, monthly, weekly

log = logging.getLogger("townsquare.scheduler")

Build = Callable[[CommunitySettings, datetime], Command]


@dataclass(frozen=True)
class RecurringJob:
    """A per-community job: when it runs, and the command for the run scheduled at an instant.
    A job whose command has no handler in the bus (its feature is not in the app) gets no spec."""

    name: str
    schedule: Callable[[CommunitySettings], NextRun]
    build: Build
    grace: timedelta = MIN_GRACE
    command: type[Command] | None = None  # None: always available


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
            if job.command is not None and job.command not in bus.handlers.commands:
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


def command_job(
    name: str,
    kind: type[Command],
    schedule: Callable[[CommunitySettings], NextRun],
    grace: timedelta,
    build: Build | None = None,
) -> RecurringJob:
    """The job `name` sending `kind`; `build` gives its arguments (default: the community alone)."""
    return RecurringJob(
        name,
        schedule,
        build or (lambda community, _at: kind(community_id=community.id)),
        grace,
        command=kind,
    )


# --- the commands of a run --------------------------------------------------------------------


def digest_command(community: CommunitySettings, scheduled_for: datetime) -> PostWeeklyDigest:
    """The digest of the last week that had ended, in the community's zone, by the scheduled instant."""
    week = IsoWeek.last_complete(scheduled_for, community.zone)
    return PostWeeklyDigest(community_id=community.id, week=str(week))


def ideas_report_command(community: CommunitySettings, scheduled_for: datetime) -> PostIdeasReport:
    """The insights report of the month before the scheduled instant, in the community's zone."""
    return PostIdeasReport(community_id=community.id, month=previous_month(scheduled_for, community.zone))


# --- schedules --------------------------------------------------------------------------------

MILESTONES_AT = time(10, 0)  # daily milestone nudges go out mid-morning, community time
LEADS_MORNING = time(9, 0)  # the overdue list and the monthly ideas report reach leads at 09:00
BADGES_AT = (0, time(6, 0))  # Mondays 06:00: last week's streaks are complete


def digest_schedule(community: CommunitySettings) -> NextRun:
    """[communities.digest] weekday and time, in the community's zone."""
    return weekly(community.digest.weekday, community.digest.time, community.timezone)


def cohort_window_schedule(community: CommunitySettings) -> NextRun:
    """[communities.cohorts] window_weekday and window_time, in the community's zone."""
    return weekly(community.cohorts.window_weekday, community.cohorts.window_time, community.timezone)


def milestones_schedule(community: CommunitySettings) -> NextRun:
    """Every day at MILESTONES_AT, in the community's zone."""
    return daily(MILESTONES_AT, community.timezone)


def idea_notices_schedule(community: CommunitySettings) -> NextRun:
    """Every day at [communities.ideas] notice_time, in the community's zone."""
    return daily(community.ideas.notice_time, community.timezone)


def ideas_report_schedule(community: CommunitySettings) -> NextRun:
    """Every month on [communities.ideas] report_day at LEADS_MORNING, in the community's zone."""
    return monthly(community.ideas.report_day, LEADS_MORNING, community.timezone)


def overdue_applications_schedule(community: CommunitySettings) -> NextRun:
    """Every day at LEADS_MORNING, in the community's zone."""
    return daily(LEADS_MORNING, community.timezone)


def badges_schedule(community: CommunitySettings) -> NextRun:
    """Every week at BADGES_AT, in the community's zone."""
    weekday, wall = BADGES_AT
    return weekly(weekday, wall, community.timezone)


def hourly_schedule(_community: CommunitySettings) -> NextRun:
    """On the hour; with an hour's grace a (re)started scheduler runs it at once."""
    return hourly


RECURRING: tuple[RecurringJob, ...] = (
    command_job("digest", PostWeeklyDigest, digest_schedule, timedelta(hours=6), digest_command),
    command_job("cohort-window", CloseCohortWindow, cohort_window_schedule, timedelta(hours=6)),
    command_job("milestones", RunMilestones, milestones_schedule, timedelta(hours=12)),
    command_job("idea-notices", SendIdeaNotices, idea_notices_schedule, timedelta(hours=12)),
    command_job(
        "ideas-report", PostIdeasReport, ideas_report_schedule, timedelta(days=3), ideas_report_command
    ),
    command_job(
        "overdue-applications", PostOverdueApplications, overdue_applications_schedule, timedelta(hours=12)
    ),
    command_job("badges", EvaluateBadges, badges_schedule, timedelta(days=2)),
    command_job("close-due-polls", CloseDuePolls, hourly_schedule, MIN_GRACE),
)


def default_registry() -> JobRegistry:
    """Every recurring job of RECURRING, per community."""
    registry = JobRegistry()
    for job in RECURRING:
        registry.add(job)
    return registry
