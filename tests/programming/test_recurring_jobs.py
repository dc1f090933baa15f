"""The recurring community jobs through the real scheduler: each runs at its time, for the right
period, and once however often it fires; open polls close at their time; the daily upkeep prunes."""

from __future__ import annotations

import asyncio
import inspect
import random
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select

from adapters.fake.platform import FakePlatform
from bot.bootstrap import App
from bot.clock import FixedClock
from bot.core.bus import JobRun
from bot.core.effects import DirectMessage, PostMessage
from bot.core.refs import Role
from bot.core.replies import Reply
from bot.features import assemble
from programming.jobs import NextRun, daily, hourly, monthly, remembered, weekly
from programming.recurring import JobRegistry, job_of
from programming.scheduler import KEEP_PROCESSED_EVENTS, KEEP_RUN_RECORDS, MAINTENANCE
from storage.tables import JobRunRow, ProcessedEventRow
from tests.core.ideas_kit import admit, file
from tests.programming.support import effects, scheduler

RECURRING = [job_of(declared) for declared in assemble().jobs]  # every feature's jobs

# conftest's clock starts on Monday 2 November 2026, 10:00 UTC; the community's zone is UTC.


def only(*names: str) -> JobRegistry:
    """A registry with just the named jobs of the default set, so other jobs' posts don't interfere."""
    registry = JobRegistry()
    for job in RECURRING:
        if job.name in names:
            registry.add(job)
    return registry


def community_jobs(ran: list[tuple[str, datetime]]) -> list[tuple[str, datetime]]:
    """The community's runs, leaving out the deployment's daily upkeep."""
    return [(key, at) for key, at in ran if key != MAINTENANCE]


def titled(posts: list[PostMessage], prefix: str) -> list[PostMessage]:
    return [p for p in posts if (p.title or "").startswith(prefix)]


async def test_every_default_job_has_a_handler_and_a_spec_per_community(app: App) -> None:
    sched = scheduler(app)
    await sched.load_specs(app.clock.now())
    names = {job.name for job in RECURRING}
    assert names == {
        "digest",
        "cohort-window",
        "milestones",
        "idea-notices",
        "ideas-report",
        "overdue-applications",
        "badges",
        "governance",
        "close-due-polls",
        "retention",
        "tiers",
        "drifting",
        "referral-credit",
        "business-sync",
        "business-report",
        "nps",
        "automations",
    }
    assert {f"test:{name}" for name in names} | {MAINTENANCE} <= set(sched.specs)


async def test_the_scheduled_digest_posts_last_week_once(app: App, clock: FixedClock) -> None:
    registry = only("digest")
    # [communities.digest] defaults: Mondays 09:00 community time. Starting at 10:00 on a Monday is
    # within the 6 h grace of today's run: it goes out for the week that ended last night.
    first = scheduler(app, registry=registry)
    assert await first.start()
    await first.sync()
    spec = first.specs["test:digest"]
    nine = clock.now().replace(hour=9)
    await asyncio.gather(first.execute(spec, nine), scheduler(app, registry=registry).execute(spec, nine))
    await first.stop()
    [post] = titled(await effects(app, PostMessage), "Weekly digest")
    assert post.title == "Weekly digest — Test Community, 2026-W44" and post.channel == "digest"
    # Down over the next Monday's run and back two hours later: the week after, once.
    clock.set(datetime(2026, 11, 9, 11, 0, tzinfo=UTC))
    for _ in range(2):
        restarted = scheduler(app, registry=registry)
        assert await restarted.start()
        await restarted.sync()
        await restarted.stop()
    assert [p.title for p in titled(await effects(app, PostMessage), "Weekly digest")] == [
        "Weekly digest — Test Community, 2026-W44",
        "Weekly digest — Test Community, 2026-W45",
    ]


async def test_idea_notices_go_out_daily_at_notice_time(
    app: App, platform: FakePlatform, clock: FixedClock
) -> None:
    ada = await admit(app, platform, "1", "Ada")
    lead = await admit(app, platform, "9", "Lead", Role.LEAD)
    idea_id = await file(platform, ada, "Dark mode")
    await platform.slash(lead, "ideas status", id=idea_id, status="planned")
    sched = scheduler(app, registry=only("idea-notices"))
    assert await sched.start()  # 10:00: yesterday's 17:00 batch is beyond its 12 h grace
    assert await effects(app, DirectMessage) == []
    clock.set(clock.now().replace(hour=17))  # [communities.ideas] notice_time
    assert community_jobs(await sched.sync()) == [("test:idea-notices", clock.now())]
    await sched.execute(sched.specs["test:idea-notices"], clock.now())
    [notice] = await effects(app, DirectMessage)
    assert notice.member == ada.ref and f"#{idea_id} Dark mode: New → Planned" in notice.text


async def test_the_ideas_report_is_posted_on_report_day_for_the_month_before(
    app: App, clock: FixedClock
) -> None:
    sched = scheduler(app, registry=only("ideas-report"))
    assert await sched.start()  # 2 November: the 1 November 09:00 run is within its 3-day grace
    clock.set(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))  # report_day 1, 09:00
    await sched.sync()
    await sched.execute(sched.specs["test:ideas-report"], clock.now())
    reports = titled(await effects(app, PostMessage), "Ideas report")
    assert [p.title for p in reports] == ["Ideas report, 2026-10", "Ideas report, 2026-11"]


async def test_a_poll_closes_at_its_time_and_a_missed_close_is_caught_up_at_start(
    app: App, platform: FakePlatform, clock: FixedClock
) -> None:
    lead = platform.actor("L", Role.LEAD)
    for question, hours in (("Tea or coffee?", 2), ("Cats or dogs?", 200)):
        reply = await platform.slash(lead, "poll", question=question, options="One | Two", hours=hours)
        assert isinstance(reply, Reply) and reply.text.startswith("Poll #"), reply
    sched = scheduler(app, registry=only("close-due-polls"))
    assert await sched.start()
    assert {"test:poll:1:close", "test:poll:2:close"} <= set(sched.specs)
    clock.advance(hours=2)  # the first poll's closing time
    assert ("test:poll:1:close", clock.now()) in await sched.sync()
    await sched.execute(sched.specs["test:poll:1:close"], clock.now())  # a second timer: nothing more
    results = titled(await effects(app, PostMessage), "Results")
    assert [p.title for p in results] == ["Results: Tea or coffee?"]
    await sched.sync()
    assert "test:poll:1:close" not in sched.specs  # closed polls have no job
    # The scheduler is down when the second poll closes, and for longer than the close's grace.
    clock.advance(hours=198 + 24 * 8)
    restarted = scheduler(app, registry=only("close-due-polls"))
    assert await restarted.start()  # the daily CloseDuePolls, missed today, runs at start-up
    assert [p.title for p in titled(await effects(app, PostMessage), "Results")] == [
        "Results: Tea or coffee?",
        "Results: Cats or dogs?",
    ]


async def test_overdue_applications_are_posted_daily_and_badges_evaluated_weekly(
    app: App, platform: FakePlatform, clock: FixedClock
) -> None:
    sched = scheduler(app, registry=only("overdue-applications", "badges"))
    assert await sched.start()  # Monday 10:00: 09:00's overdue list and 06:00's badge pass are due
    async with app.engine.connect() as conn:
        runs = (await conn.execute(select(JobRunRow.job_key, JobRunRow.scheduled_for))).all()
    monday = clock.now()
    assert set(community_jobs([(key, at) for key, at in runs])) == {
        ("test:overdue-applications", monday.replace(hour=9)),
        ("test:badges", monday.replace(hour=6)),
    }
    clock.set(monday + timedelta(days=1, hours=-1))  # Tuesday 09:00: the list again, not the badges
    assert community_jobs(await sched.sync()) == [("test:overdue-applications", clock.now())]


async def test_the_daily_upkeep_prunes_old_event_ids_and_run_records_once_a_day(
    app: App, clock: FixedClock
) -> None:
    now = clock.now()
    old, recent = now - KEEP_PROCESSED_EVENTS - timedelta(days=1), now - timedelta(days=1)
    async with app.engine.begin() as conn:
        await conn.execute(
            ProcessedEventRow.__table__.insert(),
            [
                {"platform": "discord", "event_id": "old", "handled_at": old},
                {"platform": "discord", "event_id": "recent", "handled_at": recent},
            ],
        )
        await conn.execute(
            JobRunRow.__table__.insert(),
            [
                {"job_key": "test:gone", "scheduled_for": now - KEEP_RUN_RECORDS * 2, "ran_at": now},
                {"job_key": "test:kept", "scheduled_for": recent, "ran_at": recent},
            ],
        )
    sched = scheduler(app, registry=JobRegistry())
    assert await sched.start()  # today's 03:30 UTC upkeep is within its day of grace
    async with app.engine.connect() as conn:
        events = (await conn.execute(select(ProcessedEventRow.event_id))).scalars().all()
        runs = set((await conn.execute(select(JobRunRow.job_key))).scalars().all())
    assert events == ["recent"]
    assert runs == {"test:kept", MAINTENANCE}
    at = datetime.combine(now.date(), time(3, 30), tzinfo=UTC)
    assert await sched.prune(JobRun(MAINTENANCE, at)) is None  # today's upkeep is done: not twice


def test_monthly_and_hourly_schedules() -> None:
    run = monthly(1, time(9, 0), "Europe/Berlin")
    # 1 November 09:00 Berlin is 08:00 UTC (winter time); 1 April 09:00 is 07:00 UTC (summer time).
    assert run(datetime(2026, 10, 15, tzinfo=UTC)) == datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
    assert run(datetime(2026, 11, 1, 8, 0, tzinfo=UTC)) == datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    assert run(datetime(2026, 12, 20, tzinfo=UTC)) == datetime(2027, 1, 1, 8, 0, tzinfo=UTC)
    assert run(datetime(2027, 3, 2, tzinfo=UTC)) == datetime(2027, 4, 1, 7, 0, tzinfo=UTC)
    # Berlin's 1 January starts on 31 December in UTC: the year boundary is found from either side.
    assert run(datetime(2026, 12, 31, 23, 30, tzinfo=UTC)) == datetime(2027, 1, 1, 8, 0, tzinfo=UTC)
    assert hourly(datetime(2026, 11, 2, 10, 0, tzinfo=UTC)) == datetime(2026, 11, 2, 11, 0, tzinfo=UTC)
    assert hourly(datetime(2026, 11, 2, 10, 59, 59, tzinfo=UTC)) == datetime(2026, 11, 2, 11, 0, tzinfo=UTC)


def test_schedules_remember_their_answers_without_changing_them() -> None:
    """A zoned schedule answers again from its last answers (the scheduler asks about nearby instants
    every pass); asked in order or not, across both DST changes, at and just before its runs, it
    answers what the calendar arithmetic does afresh."""
    start = datetime(2026, 2, 20, tzinfo=UTC)
    instants = [start + timedelta(minutes=1111 * n) for n in range(500)]  # 18.5 h apart, 385 days
    for zone in ("Europe/Berlin", "America/New_York", "UTC"):
        for make in (
            lambda wall: daily(wall, zone),  # noqa: B023  (used at once)
            lambda wall: weekly(6, wall, zone),  # noqa: B023
            lambda wall: monthly(28, wall, zone),  # noqa: B023
        ):
            for wall in (time(2, 30), time(0, 0), time(23, 59)):
                reference: NextRun = inspect.unwrap(make(wall))  # the arithmetic itself
                runs = {run for at in instants if (run := reference(at)) is not None}
                asked = [*instants, *runs, *(run - timedelta(microseconds=1) for run in runs)]
                expected = {at: reference(at) for at in asked}
                shuffled = asked[:]
                random.Random(wall.hour).shuffle(shuffled)
                memo = remembered(reference)
                for at in sorted(asked) + shuffled:  # in order (as a scheduler asks), then any order
                    assert memo(at) == expected[at], (zone, wall, at)
    assert daily(time(9, 0), "Europe/Berlin") is daily(time(9, 0), "Europe/Berlin")  # one per schedule
