"""`townsquare demo`: a fresh SQLite database, a simulated community living through N weeks on the
real bot, and the digest of its last complete week.

The app is the one `townsquare run` builds (bot.bootstrap.build_app) on the fake platform, with a
`FixedClock` the simulation moves; the scheduler is the real ProgrammeScheduler. Nothing is
written to the database except through the bus, the ingest and the scheduler.
"""

from __future__ import annotations

import random
import time as wallclock
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path

from adapters.fake.platform import FakeNotifier, FakePlatform
from bot.bootstrap import build_app
from bot.charts import render_digest_chart
from bot.clock import FixedClock
from bot.config import Settings, load_settings
from bot.core.business.report import build_report, render_report
from bot.core.metrics.digest import Digest
from bot.core.metrics.handlers import build_digest
from bot.core.weeks import IsoWeek
from bot.demo.activity import Activity
from bot.demo.business import Business
from bot.demo.challenges import Challenges
from bot.demo.community import COMMUNITY_ID, END_MONDAY, LAST_MORNING, ZONE, config_toml, local, start_of
from bot.demo.database import (
    DemoError,
    fresh_file,
    fresh_server_database,
    shown,
    sqlite_path,
    sqlite_url,
)
from bot.demo.engine import Counters, Engine
from bot.demo.joining import Joining
from bot.demo.people import plan_population
from bot.demo.programme import Programme
from bot.demo.world import World
from programming.scheduler import ProgrammeScheduler
from storage.metrics.reader import SqlMetricsReader
from storage.migrate import upgrade

Progress = Callable[[str], None]


@dataclass(frozen=True)
class DemoOptions:
    seed: int = 1
    weeks: int = 12
    members: int = 300
    db: Path = Path("townsquare-demo.db")
    chart: Path = Path("townsquare-demo-chart.png")
    database_url: str | None = None  # another database instead of the SQLite file `db`

    @property
    def config(self) -> Path:
        """The configuration written next to the database."""
        return self.db.with_suffix(".toml")


@dataclass(frozen=True)
class DemoResult:
    options: DemoOptions
    digest: Digest
    business: str  # the digest's business section, as text
    week: IsoWeek
    counters: Counters
    admitted: int
    left: int
    members: int
    cohorts: int
    seconds: float
    cpu_seconds: float

    @property
    def database(self) -> str:
        """Where the simulated community lives, as printed (no password)."""
        url = self.options.database_url
        return str(self.options.db) if url is None else shown(url)


def _fresh_database(options: DemoOptions) -> str:
    """Empty the demo's SQLite file (unless a server database was given); its URL."""
    if options.database_url is None:
        fresh_file(options.db)
        return sqlite_url(options.db)
    path = sqlite_path(options.database_url)
    if path is not None:
        fresh_file(path)
    return options.database_url


async def _settings(options: DemoOptions) -> Settings:
    url = _fresh_database(options)
    if sqlite_path(url) is None:
        await fresh_server_database(url)
    options.config.write_text(config_toml(url, options.config), encoding="utf-8")
    # The demo's own file, not the environment: TOWNSQUARE_DATABASE_URL must not redirect it.
    return load_settings(options.config, environ={})


async def run_demo(options: DemoOptions, progress: Progress) -> DemoResult:
    """Simulate the community for `options.weeks` weeks; the digest of the last complete week."""
    if options.weeks < 1 or options.members < 10:
        raise DemoError("--weeks must be at least 1 and --members at least 10")
    began, cpu = wallclock.perf_counter(), wallclock.process_time()
    settings = await _settings(options)
    community = settings.communities[0]
    start = start_of(options.weeks)
    end = local(END_MONDAY, LAST_MORNING)
    clock = FixedClock(start - timedelta(hours=1))
    notifier = FakeNotifier()
    app = build_app(settings, clock, {"fake": notifier})
    await upgrade(app.engine)
    app.ingest.flush_seconds = 0.0  # the simulation decides when to flush; never wait on real time
    scheduler = ProgrammeScheduler(
        app.uow_factory,
        app.bus,
        clock,
        settings.communities,
        registry=app.jobs(),
        timers=False,
        plan_every=timedelta(days=1),
        read_factory=app.bus.read_factory,
    )
    try:
        await app.ensure_communities()
        app.ingest.start()
        await scheduler.start()
        sim = Engine(app, FakePlatform(app.bus, COMMUNITY_ID, notifier), clock, scheduler)
        rng = random.Random(options.seed)
        world = World(sim, plan_population(rng, start, options.weeks, options.members), rng)
        Joining(world, start, end).schedule()
        Activity(world, start).schedule()
        Programme(world, start).schedule()
        Business(world, start, end).schedule()
        Challenges(world, start, end).schedule()
        _report_weekly(world, start, options.weeks, progress, began)
        await sim.run_until(end)
        clock.set(end)
        await sim.flush()
        await sim.deliver()
        week = IsoWeek.last_complete(end, ZONE)
        digest = await build_digest(SqlMetricsReader(app.engine), community, week, end)
        async with app.uow_factory() as uow:
            business = render_report(await build_report(uow, community, week), plain=True)
    finally:
        await scheduler.stop()
        await app.close()
    options.chart.write_bytes(render_digest_chart(digest))
    people = world.people
    return DemoResult(
        options=options,
        digest=digest,
        business=business,
        week=week,
        counters=sim.counters,
        admitted=sum(1 for p in people if p.admitted_at is not None),
        left=sum(1 for p in people if p.left_at is not None),
        members=sum(1 for p in people if p.present),
        cohorts=world.cohorts,
        seconds=wallclock.perf_counter() - began,
        cpu_seconds=wallclock.process_time() - cpu,
    )


def _report_weekly(world: World, start: datetime, weeks: int, progress: Progress, began: float) -> None:
    """One progress line as each simulated week ends (local Monday midnight)."""
    first_monday = start.astimezone(ZONE).date() + timedelta(weeks=1)

    async def report(number: int) -> None:
        tally = world.tally
        finished = IsoWeek.of(world.now - timedelta(seconds=1), ZONE)
        waiting = len(world.pending_applications)
        progress(
            f"week {number:>{len(str(weeks))}}/{weeks} {finished}  {len(world.present()):>5} members  "
            f"{f'+{tally.admitted}':>5} joined {tally.left:>4} left {len(tally.posters):>5} posted  "
            f"{world.cohorts:>3} {'cohort ' if world.cohorts == 1 else 'cohorts'}  "
            f"{waiting:>3} {'application ' if waiting == 1 else 'applications'} waiting  "
            f"{wallclock.perf_counter() - began:6.1f} s"
        )
        tally.admitted, tally.left = 0, 0
        tally.posters.clear()

    for number in range(1, weeks + 1):
        world.engine.at(local(first_monday + timedelta(weeks=number - 1), time(0, 0)), report, number)
