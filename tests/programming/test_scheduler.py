"""The scheduler: restart catch-up once, double fires send once, one scheduler per database."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import delete, func, select

from adapters.fake.platform import FakePlatform
from bot.bootstrap import App, start_app
from bot.clock import FixedClock, SystemClock
from bot.core.commands import Command
from bot.core.context import Context
from bot.core.effects import DirectMessage, PostMessage
from bot.core.handlers.programming.commands import PlanProgramme
from bot.core.handlers.table import HANDLERS
from bot.core.replies import Reply
from programming.jobs import JobRegistry, RecurringJob, by_name, digest_schedule, once
from programming.scheduler import LEASE, ProgrammeScheduler
from storage.tables import JobRunRow, LeaseRow
from tests.programming.support import admit, effects, lead, outbox, scheduler, text_of

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


async def _job_runs(app: App) -> int:
    async with app.engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(JobRunRow)) or 0)


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
            if await _job_runs(app):
                break
            await asyncio.sleep(0.05)
    finally:
        await sched.stop()
    async with app.engine.connect() as conn:
        runs = (await conn.execute(select(JobRunRow.job_key, JobRunRow.scheduled_for))).all()
    assert [(key, scheduled) for key, scheduled in runs] == [("test:soon", at)]


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


@dataclass(frozen=True, kw_only=True)
class StandInWeeklyDigest(Command):
    """Stands in for the metrics feature's PostWeeklyDigest: found by name among the handlers."""

    week: date


async def test_the_weekly_digest_is_scheduled_when_a_feature_handles_it(
    app: App, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    weeks: list[date] = []

    async def post_weekly_digest(command: StandInWeeklyDigest, ctx: Context) -> Reply:
        weeks.append(command.week)
        return Reply.nothing()

    registry = JobRegistry()
    registry.add(by_name("digest", "StandInWeeklyDigest", digest_schedule, timedelta(hours=6)))
    assert registry.specs(app.bus, app.settings.communities) == []  # no feature handles it yet
    monkeypatch.setitem(HANDLERS.commands, StandInWeeklyDigest, post_weekly_digest)
    # [communities.digest] defaults: Mondays 09:00 in the community's zone (UTC here). Starting at
    # 10:00 on a Monday is within the 6 h grace of today's run: it goes out, for the week before.
    assert await scheduler(app, registry=registry).start()
    assert weeks == [date(2026, 10, 26)]
    # The process is down over the next Monday's run and back 2 h later: it runs once.
    clock.set(datetime(2026, 11, 9, 11, 0, tzinfo=UTC))
    restarted = scheduler(app, registry=registry)
    assert await restarted.start()
    await restarted.sync()
    assert weeks == [date(2026, 10, 26), date(2026, 11, 2)]


async def test_the_default_registry_posts_the_real_weekly_digest_for_the_week_before(
    app: App, clock: FixedClock
) -> None:
    # The job builds PostWeeklyDigest itself: its `week` is an ISO week id ("2026-W44"), not a date.
    assert await scheduler(app).start()  # Monday 2 November 2026, 10:00 UTC: within the 6 h grace
    posts = [
        (key, effect)
        for key, effect in await outbox(app)
        if isinstance(effect, PostMessage) and effect.channel == "digest"
    ]
    assert [key for key, _ in posts] == ["digest:test:2026-W44"]
    assert posts[0][1].title is not None and posts[0][1].title.endswith("2026-W44")
