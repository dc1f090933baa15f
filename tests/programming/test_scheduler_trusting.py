"""A pass with runs due reads nothing of its own: the first run checks the schedule stamp in its own
transaction (a moved stamp: it does nothing and the pass reads and rebuilds), and the runs' claims say
which were done. What runs, and what a pass reports, is what a pass that read first would give."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from adapters.fake.platform import FakePlatform
from bot.bootstrap import App
from bot.clock import FixedClock
from bot.core.bus import JobRun, ScheduleMoved
from bot.core.feedback.commands import OpenPoll
from bot.core.ports import UnitOfWork
from bot.core.programming.commands import PlanProgramme
from programming.jobs import hourly, once
from programming.recurring import JobRegistry, RecurringJob
from programming.scheduler import MAINTENANCE, ProgrammeScheduler
from storage.scheduling import SCHEDULE_STAMP
from storage.tables import JobRunRow, ScheduleStampRow
from tests.programming.support import lead, scheduler, text_of

HOUR = timedelta(hours=1)


def _hourly_registry(calls: list[str]) -> JobRegistry:
    def build(community: object, scheduled_for: object) -> PlanProgramme:
        calls.append("run")
        return PlanProgramme(community_id="test")

    registry = JobRegistry()
    registry.add(RecurringJob("tick", lambda c: hourly, build))
    return registry


def counting_reads(sched: ProgrammeScheduler) -> list[int]:
    """Count the read-only units of work the scheduler opens."""
    opened: list[int] = []
    factory = sched.read_factory

    def reading() -> UnitOfWork:
        opened.append(1)
        return factory()

    sched.read_factory = reading
    return opened


async def _runs(app: App, key: str, at: datetime | None = None) -> int:
    """How many run records `key` has (at `at`)."""
    query = select(func.count()).select_from(JobRunRow).where(JobRunRow.job_key == key)
    if at is not None:
        query = query.where(JobRunRow.scheduled_for == at)
    async with app.engine.connect() as conn:
        return int(await conn.scalar(query) or 0)


async def test_a_pass_with_runs_due_opens_no_read_of_its_own(app: App, clock: FixedClock) -> None:
    calls: list[str] = []
    sched = scheduler(app, registry=_hourly_registry(calls), plan_every=timedelta(days=30))
    assert await sched.start()  # the first pass reads (and reports missed runs)
    reads = counting_reads(sched)
    for hour in range(1, 4):
        clock.set(clock.now().replace(minute=0) + HOUR)
        assert await sched.sync() == [("test:tick", clock.now())]
        assert len(calls) == hour + 1
    assert reads == []
    clock.advance(minutes=10)  # nothing due: the pass reads the stamp (new jobs must be armed)
    assert await sched.sync() == []
    assert reads == [1]


async def test_a_moved_stamp_stops_the_first_run_and_the_pass_rebuilds(
    app: App, clock: FixedClock, platform: FakePlatform
) -> None:
    calls: list[str] = []
    sched = scheduler(app, registry=_hourly_registry(calls), plan_every=timedelta(days=30))
    assert await sched.start()
    # A poll is opened (here or by another process): the stamp moves, the scheduler's specs are old.
    reply = await platform.slash(lead(platform), "poll", question="Tea?", options="Yes | No", hours=2)
    assert text_of(reply).startswith("Poll #")
    assert "test:poll:1:close" not in sched.specs
    clock.set(clock.now().replace(minute=0) + HOUR)
    assert await sched.sync() == [("test:tick", clock.now())]  # run once, after the rebuild
    assert "test:poll:1:close" in sched.specs
    assert await _runs(app, "test:tick") == 2 and len(calls) == 3  # the stopped run built its command


async def test_the_stamp_is_checked_in_the_runs_transaction(app: App, clock: FixedClock) -> None:
    sched = scheduler(app, plan_every=timedelta(days=30))
    assert await sched.start()
    async with app.uow_factory() as uow:
        stamp = await uow.job_runs.schedule_stamp()
    assert stamp is not None
    at = clock.now() + HOUR
    async with app.engine.begin() as conn:  # as another process's change to the programme would
        await conn.execute(
            update(ScheduleStampRow)
            .where(ScheduleStampRow.name == SCHEDULE_STAMP)
            .values(version=ScheduleStampRow.version + 1)
        )
    with pytest.raises(ScheduleMoved):
        await app.bus.handle(PlanProgramme(community_id="test"), job=JobRun("test:probe", at, stamp))
    with pytest.raises(ScheduleMoved):
        await sched.prune(JobRun(MAINTENANCE, at, stamp))
    assert await _runs(app, "test:probe", at) == await _runs(app, MAINTENANCE, at) == 0
    settled: list[bool] = []
    for key in ("test:probe", MAINTENANCE):
        current = JobRun(key, at, stamp + 1, settled.append)
        if key == MAINTENANCE:
            await sched.prune(current)
            await sched.prune(current)
        else:
            await app.bus.handle(PlanProgramme(community_id="test"), job=current)
            await app.bus.handle(PlanProgramme(community_id="test"), job=current)
        assert await _runs(app, key, at) == 1
    assert settled == [True, False, True, False]  # made by the first run; found made by the second


async def test_runs_done_elsewhere_are_neither_redone_nor_counted(app: App, clock: FixedClock) -> None:
    one_calls: list[str] = []
    two_calls: list[str] = []
    one = scheduler(app, registry=_hourly_registry(one_calls), plan_every=timedelta(days=30))
    two = scheduler(app, registry=_hourly_registry(two_calls), plan_every=timedelta(days=30))
    assert await one.start()
    await two.sync()  # its first pass (reading)
    clock.set(clock.now().replace(minute=0) + HOUR)
    assert await one.sync() == [("test:tick", clock.now())]
    reads = counting_reads(two)
    assert await two.sync() == []  # the claim found the run made: nothing done, nothing counted
    assert reads == [] and await _runs(app, "test:tick") == 2
    assert await two.sync() == []  # and it is not tried again
    assert reads == [1]


async def test_a_refused_run_is_counted_and_retried_as_before(app: App, clock: FixedClock) -> None:
    at = clock.now() + HOUR
    refused: Callable[[object, object], OpenPoll] = lambda c, t: OpenPoll(  # noqa: E731
        community_id="test", question="", options=""
    )
    registry = JobRegistry()
    registry.add(RecurringJob("refused", lambda c: once(at), refused, grace=3 * HOUR))
    sched = scheduler(app, registry=registry)
    assert await sched.start()
    clock.set(at)
    for _ in range(3):  # refused: nothing claimed, tried again by every pass within its grace
        assert await sched.sync() == [("test:refused", at)]
        clock.advance(minutes=30)
    assert await _runs(app, "test:refused") == 0
