"""The incremental scheduler: specs are rebuilt only when the database's schedule stamp moved (a
change by this process or another), a pass reads the run records of just the runs at hand, and the
bookkeeping never changes what is due or when (checked against the from-scratch answer)."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import datetime, timedelta

import pytest
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.fake.platform import FakeNotifier, FakePlatform
from bot.bootstrap import App, build_app
from bot.clock import FixedClock
from bot.config import Settings
from bot.core.refs import Role
from programming.scheduler import ProgrammeScheduler
from storage.db import create_engine
from storage.scheduling import SLOTS
from storage.tables import JobRunRow
from tests.programming.support import lead, scheduler, text_of

HOUR = timedelta(hours=1)


def counting_loads(sched: ProgrammeScheduler) -> list[datetime]:
    """Record every rebuild of the specs."""
    loads: list[datetime] = []
    original = sched._load

    async def load(uow: object, now: datetime, stamp: int | None) -> None:
        loads.append(now)
        await original(uow, now, stamp)  # type: ignore[arg-type]

    sched._load = load  # type: ignore[method-assign]
    return loads


async def test_passes_rebuild_the_specs_only_after_a_programme_or_poll_change(
    app: App, platform: FakePlatform, clock: FixedClock
) -> None:
    sched = scheduler(app, plan_every=timedelta(days=30))
    loads = counting_loads(sched)
    assert await sched.start()
    for _ in range(5):  # hourly jobs run and commit their run records: not a schedule change
        clock.advance(hours=1)
        await sched.sync()
    assert len(loads) == 1
    reply = await platform.slash(lead(platform), "poll", question="Tea?", options="Yes | No", hours=3)
    assert text_of(reply).startswith("Poll #")
    clock.advance(minutes=1)
    await sched.sync()
    assert len(loads) == 2 and "test:poll:1:close" in sched.specs
    await sched.sync()
    assert len(loads) == 2
    clock.advance(hours=3)  # the close runs, the poll's status changes: rebuilt without it
    assert ("test:poll:1:close", clock.now() - timedelta(minutes=1)) in await sched.sync()
    await sched.sync()
    assert len(loads) == 3 and "test:poll:1:close" not in sched.specs


async def test_a_change_made_by_another_process_is_seen_at_the_next_pass(
    app: App, settings: Settings, clock: FixedClock
) -> None:
    sched = scheduler(app)
    assert await sched.start()
    other_engine = create_engine(settings.database.url)
    other = build_app(settings, clock, {"fake": FakeNotifier()}, engine=other_engine)
    try:
        elsewhere = FakePlatform(other.bus, "test", FakeNotifier())
        reply = await elsewhere.slash(
            elsewhere.actor("lead", Role.LEAD), "poll", question="Tea?", options="Yes | No", hours=2
        )
        assert text_of(reply).startswith("Poll #")
    finally:
        await other_engine.dispose()
    assert "test:poll:1:close" not in sched.specs
    await sched.sync()
    assert "test:poll:1:close" in sched.specs


async def test_run_records_are_read_for_the_pairs_asked_only(engine: AsyncEngine, app: App) -> None:
    t1, t2 = app.clock.now(), app.clock.now() + HOUR
    async with engine.begin() as conn:
        await conn.execute(
            insert(JobRunRow),
            [
                {"job_key": "a", "scheduled_for": t2, "ran_at": t2},
                {"job_key": "b", "scheduled_for": t1, "ran_at": t1},
            ],
        )
    async with app.uow_factory() as uow:
        assert await uow.job_runs.ran([("a", t1), ("b", t2)]) == set()  # keys and instants both seen
        assert await uow.job_runs.ran([("a", t2), ("b", t2)]) == {("a", t2)}
        stamp = await uow.job_runs.schedule_stamp()
        assert stamp is not None
        # A pass reads both in one statement, with the same answers.
        for runs in ([], [("a", t1), ("b", t2)], [("a", t2), ("b", t2)], [("a", t2), ("b", t1), ("c", t1)]):
            assert await uow.job_runs.stamp_and_ran(runs) == (stamp, await uow.job_runs.ran(runs))
        # More pairs than the statement's fixed slots are read with an IN list instead: same answers.
        many = [(key, at) for key in "abc" for at in (t1, t2)]
        assert len(many) > SLOTS
        assert await uow.job_runs.ran(many) == {("a", t2), ("b", t1)}
        assert await uow.job_runs.stamp_and_ran(many) == (stamp, {("a", t2), ("b", t1)})
        assert await uow.job_runs.ran(many[:SLOTS]) == {("a", t2), ("b", t1)}


async def test_what_is_due_and_when_matches_the_from_scratch_answer(
    app: App, platform: FakePlatform, clock: FixedClock
) -> None:
    reply = await platform.slash(
        lead(platform), "series create", kind="ama", title="Ask us", recurrence="weekly on Thursday 17:00"
    )
    assert "created" in text_of(reply)
    sched = scheduler(app, plan_every=timedelta(days=1))
    assert await sched.start()
    end = clock.now() + timedelta(days=15)
    passes = 0
    while True:
        now = clock.now()
        scratch = min(
            [at for spec in sched.specs.values() if (at := spec.next_run(now)) is not None]
            + [sched._last_plan + sched.plan_every]  # type: ignore[operator]
        )
        assert sched.next_due(now) == scratch
        # Asked again before that instant (the answer is remembered), the answer is the same.
        assert sched.next_due(now + (scratch - now) / 2) == sched.next_due(now) == scratch
        if scratch >= end:
            break
        clock.set(scratch)
        expected = sorted(
            (key, at)
            for key, spec in sched.specs.items()
            if (at := _latest(spec.next_run, scratch, spec.grace)) is not None
        )
        ran = await sched.sync()
        passes += 1
        # Every run made is the latest due run of its spec, and each spec runs at most once a pass.
        assert set(ran) <= set(expected) and len({key for key, _ in ran}) == len(ran)
    assert passes > 15 * 24  # the hourly jobs, the daily ones and the series' jobs were all stepped through


def _latest(next_run: object, now: datetime, grace: timedelta) -> datetime | None:
    latest, at = None, next_run(now - grace)  # type: ignore[operator]
    while at is not None and at <= now:
        latest, at = at, next_run(at)  # type: ignore[operator]
    return latest


async def test_a_pass_reads_while_another_process_holds_the_write_lock(
    app: App, settings: Settings, clock: FixedClock
) -> None:
    """A pass only reads (the stamp, run records): on SQLite it must not queue for the write lock
    behind another process's long write (a CLI import, a migration), or every due job would wait."""
    if app.engine.url.get_backend_name() != "sqlite":
        pytest.skip("PostgreSQL readers never wait for writers")
    sched = scheduler(app, plan_every=timedelta(days=30))
    assert await sched.start()
    await sched.sync()
    blocker = sqlite3.connect(app.engine.url.database or "", isolation_level=None)
    try:
        blocker.execute("BEGIN IMMEDIATE")  # holds the write lock until rolled back
        # Nothing is due a minute later: the pass is the stamp and run-record read alone. A write
        # unit of work would wait out the busy timeout (10 s) and fail with "database is locked".
        clock.advance(minutes=1)
        assert await asyncio.wait_for(sched.run_due(refresh=True), timeout=5) == []
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    await sched.stop()
