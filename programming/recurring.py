"""Recurring community jobs: the features' declarations (bot/core/<feature>/jobs.py) as the scheduler
runs them.

A `RecurringJob` knows its schedule (from the community's settings) and how to build its command
for the run scheduled at an instant, so a run's arguments follow from that instant alone: the
digest of the week that ended before it, the ideas report of the month before it. A run made late
(within its grace, after a restart) or twice therefore asks for the same thing, and the run record
plus the command's own dedupe key make it happen once. docs/programming.md lists the jobs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.core.bus import Bus, JobRun
from bot.core.commands import Command
from bot.core.programming.rules import MIN_GRACE
from bot.core.recurring import Daily, Hourly, Monthly, Recurring, Schedule, Weekly
from bot.core.settings import CommunitySettings
from programming.jobs import JobSpec, NextRun, daily, hourly, monthly, weekly

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


def next_run_of(schedule: Schedule, community: CommunitySettings) -> NextRun:
    """A declared schedule as instants, in the community's zone (hourly runs on the UTC hour)."""
    match schedule:
        case Weekly(weekday, at):
            return weekly(weekday, at, community.timezone)
        case Daily(at):
            return daily(at, community.timezone)
        case Monthly(day, at):
            return monthly(day, at, community.timezone)
        case Hourly():
            return hourly


def job_of(declared: Recurring) -> RecurringJob:
    """The scheduler's form of a feature's declared job."""
    return RecurringJob(
        declared.name,
        lambda community: next_run_of(declared.schedule(community), community),
        declared.command_for,
        declared.grace,
        command=declared.command,
    )


def registry_of(declared: Sequence[Recurring]) -> JobRegistry:
    """Every declared job of the app's features, per community."""
    registry = JobRegistry()
    for job in declared:
        registry.add(job_of(job))
    return registry
