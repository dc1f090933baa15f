"""The scheduler: restart catch-up once, double fires send once, one scheduler per database."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

import pytest
from sqlalchemy import delete, func, select

from adapters.fake.platform import FakePlatform
from bot.bootstrap import App, start_app
from bot.clock import FixedClock, SystemClock
from bot.core.effects import DirectMessage, PostMessage
from bot.core.programming.commands import PlanProgramme
from programming.jobs import once
from programming.recurring import JobRegistry, RecurringJob
from programming.scheduler import LEASE, ProgrammeScheduler
from storage.tables import JobRunRow, LeaseRow
from tests.programming.support import admit, effects, lead, scheduler, text_of

HOUR = timedelta(hours=1)
# conftest's clock starts on Monday 2 November 2026, 10:00 UTC; the series meets Thursdays 17:00 UTC.


async def _series_with_member_going(app: App, platform: FakePlatform) -> int:
    await admit(app, "ada")
    reply = await platform.slash(
        lead(platform), "series create", kind="ama", title="Ask us", recurrence="weekly on Thursday 17:00"
    )
    assert "created" in text_of(reply)
    occurrence_id = 1
    assert "going" in text_of(await platform.press(platform.actor("ada"), f"rsvp:going:{occurrence_id}"))
    return occurrence_id


def _reminders(posts: list[PostMessage], within: str) -> list[PostMessage]:
    return [p for p in posts if "starts in" in p.text and within in p.text]


async def _job_runs(app: App, key: str) -> list[tuple[str, datetime]]:
    async with app.engine.connect() as conn:
        rows = await conn.execute(
            select(JobRunRow.job_key, JobRunRow.scheduled_for).where(JobRunRow.job_key == key)
        )
    return [(job_key, at) for job_key, at in rows.all()]


async def test_restart_inside_the_grace_window_runs_a_missed_reminder_once(
    app: App, platform: FakePlatform, clock: FixedClock
) -> None:
    await _series_with_member_going(app, platform)
    first = scheduler(app)
    assert await first.start()
    # The process dies before the 1 h reminder (16:00) and comes back at 16:20: within the grace.
    clock.set(clock.now().replace(day=5, hour=16, minute=20))
    for _ in range(3):  # a restart, another pass, and yet another restart: still one reminder
        restarted = scheduler(app)
        assert await restarted.start()
        await restarted.sync()
        await restarted.stop()
    assert len(_reminders(await effects(app, PostMessage), "minutes")) == 1
    assert len(await effects(app, DirectMessage)) == 1
    # ... and the 24 h reminder of Wednesday 17:00, 23 h late, was older than its grace: skipped.
    assert _reminders(await effects(app, PostMessage), "hours") == []


async def test_a_run_older_than_its_grace_is_skipped_and_logged(
    app: App, platform: FakePlatform, clock: FixedClock, caplog: pytest.LogCaptureFixture
) -> None:
    await _series_with_member_going(app, platform)
    assert await scheduler(app).start()
    clock.set(clock.now().replace(day=5, hour=0))  # Wednesday 17:00 + 7 h: past the 6 h grace
    with caplog.at_level(logging.WARNING, logger="townsquare.scheduler"):
        restarted = scheduler(app)
        assert await restarted.start()
    assert _reminders(await effects(app, PostMessage), "hours") == []
    assert any("remind:1440" in r.getMessage() and "skipped" in r.getMessage() for r in caplog.records)


async def test_a_job_fired_twice_for_the_same_time_sends_once(
    app: App, platform: FakePlatform, clock: FixedClock
) -> None:
    await _series_with_member_going(app, platform)
    one, two = scheduler(app), scheduler(app)
    assert await one.start()
    clock.set(clock.now().replace(day=5, hour=16))
    await one.load_specs(clock.now())
    await two.load_specs(clock.now())
    key = "test:occurrence:1:remind:60"
    at = clock.now()
    # Two timers (or two processes) firing at once, and once more afterwards.
    await asyncio.gather(one.execute(one.specs[key], at), two.execute(two.specs[key], at))
    await one.execute(one.specs[key], at)
    assert len(_reminders(await effects(app, PostMessage), "minutes")) == 1
    assert len(await effects(app, DirectMessage)) == 1
    # Defence in depth: even with the run record gone, the outbox dedupe keys hold.
    async with app.engine.begin() as conn:
        await conn.execute(delete(JobRunRow))
    await one.execute(one.specs[key], at)
    assert len(_reminders(await effects(app, PostMessage), "minutes")) == 1
    assert len(await effects(app, DirectMessage)) == 1


async def test_a_failed_run_claims_nothing_and_the_next_pass_retries_it(
    app: App, platform: FakePlatform, clock: FixedClock
) -> None:
    calls: list[str] = []

    def build(community: object, scheduled_for: object) -> PlanProgramme:
        calls.append("run")
        if len(calls) == 1:
            raise RuntimeError("the database went away")
        return PlanProgramme(community_id="test")

    at = clock.now() + HOUR
    registry = JobRegistry()
    registry.add(RecurringJob("flaky", lambda c: once(at), build))
    sched = scheduler(app, registry=registry)
    assert await sched.start()
    clock.set(at)
    assert await sched.sync() == []  # failed: logged, nothing claimed
    assert await sched.sync() == [("test:flaky", at)]
    assert await sched.sync() == []
    assert calls == ["run", "run"]


async def test_a_second_scheduler_on_the_same_database_does_not_start(app: App, clock: FixedClock) -> None:
    first, second = scheduler(app), scheduler(app)
    assert await first.start()
    assert not await second.start()
    assert not second.holding and second.specs == {}
    for _ in range(4):  # the holder renews every 30 s; the other keeps standing by
        clock.advance(seconds=30)
        await first.tick()
        await second.tick()
        assert first.holding and not second.holding


async def test_a_standby_scheduler_takes_over_when_the_lease_expires(app: App, clock: FixedClock) -> None:
    first, second = scheduler(app), scheduler(app)
    assert await first.start()
    assert not await second.start()
    clock.advance(seconds=89)  # the holder stopped renewing (it hangs or died) ...
    await second.tick()
    assert not second.holding  # ... but its lease still runs
    clock.advance(seconds=2)
    await second.tick()
    assert second.holding
    await first.tick()  # the old holder finds out and stands by
    assert not first.holding


async def test_stopping_gives_the_lease_up_at_once(app: App) -> None:
    first, second = scheduler(app), scheduler(app)
    assert await first.start()
    await first.stop()
    assert await second.start()


async def test_racing_schedulers_elect_exactly_one(app: App) -> None:
    contenders = [scheduler(app) for _ in range(6)]
    started = await asyncio.gather(*(s.start() for s in contenders))
    assert sorted(started) == [False] * 5 + [True]
    async with app.engine.connect() as conn:
        holders = (await conn.execute(select(LeaseRow.holder).where(LeaseRow.name == LEASE))).scalars().all()
    assert holders == [next(s.holder for s in contenders if s.holding)]


async def test_apscheduler_fires_an_armed_job(app: App) -> None:
    """The one test with real time: the AsyncIOScheduler timer runs a job at its instant."""
    clock = SystemClock()
    at = clock.now() + timedelta(milliseconds=400)
    registry = JobRegistry()
    registry.add(RecurringJob("soon", lambda c: once(at), lambda c, t: PlanProgramme(community_id=c.id)))
    sched = ProgrammeScheduler(app.uow_factory, app.bus, clock, app.settings.communities, registry=registry)
    try:
        assert await sched.start()
        for _ in range(40):  # up to 2 s
            if await _job_runs(app, "test:soon"):
                break
            await asyncio.sleep(0.05)
    finally:
        await sched.stop()
    assert await _job_runs(app, "test:soon") == [("test:soon", at)]


async def test_start_app_runs_the_scheduler_and_close_releases_it(app: App) -> None:
    await start_app(app)
    for _ in range(40):
        if app.scheduler is not None and app.scheduler.holding:
            break
        await asyncio.sleep(0.05)
    assert app.scheduler is not None and app.scheduler.holding
    await app.close()
    async with app.engine.connect() as conn:
        assert await conn.scalar(select(func.count()).select_from(LeaseRow)) == 0
