"""Benchmark: the weekly digest of a large community.

Builds a community of N members and C contribution rows (with the `member_week` rollups and the
`member_activity` masks the ingest path keeps, and applications, cohorts, a programme and badges) in
SQL — recursive CTEs on SQLite, generate_series on PostgreSQL — then, in a fresh process so the
figures are the digest's own, prints the time to compute the weekly digest (and to render it and
its chart) and the peak memory.

    python bench/digest.py                                   # 10k members, 1M contributions
    python bench/digest.py --members 100000 --contributions 10000000
    python bench/digest.py --url postgresql+asyncpg://postgres@127.0.0.1:5432/bench ...

The database is kept between runs (same size: generation is skipped); --fresh rebuilds it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncEngine  # noqa: E402

from storage.contributions.tables import ContributionRow, MemberWeekRow  # noqa: E402
from storage.db import create_engine, is_sqlite  # noqa: E402
from storage.metrics.activity import backfill_sql  # noqa: E402
from storage.metrics.tables import MemberActivityRow  # noqa: E402
from storage.migrate import downgrade, upgrade  # noqa: E402

COMMUNITY = "bench"
WEEK = "2026-W46"
END = datetime(2026, 11, 16, tzinfo=UTC)  # the end of the digest week
NOW = END + timedelta(hours=9)  # Monday 09:00, when the digest is posted
CHART_RUNS = 20  # chart renders timed after the first
HISTORY_WEEKS = 52  # members were admitted over the last year
ACTIVE_WEEKS = 26  # contributions span the last half year
KINDS = (
    (55, "message"),
    (75, "thread_reply"),
    (92, "reaction"),
    (95, "helpful_answer"),
    (97, "ama_question"),
    (98, "showcase"),
    (99, "event_attended"),
    (100, "referral_activated"),
)


class Sql:
    """The few spellings SQLite and PostgreSQL disagree on."""

    def __init__(self, sqlite: bool) -> None:
        self.sqlite = sqlite

    def seq(self, count: int) -> tuple[str, str]:
        """(prefix, source) producing n = 1..count."""
        if self.sqlite:
            cte = f"WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < {count}) "
            return cte, "seq"
        return "", f"generate_series(1::bigint, {count}::bigint) AS seq(n)"

    def ts(self, epoch: str) -> str:
        if self.sqlite:
            return f"(strftime('%Y-%m-%d %H:%M:%S', {epoch}, 'unixepoch') || '.000000')"
        return f"to_timestamp({epoch})"

    def greatest(self, a: str, b: str) -> str:
        return f"max({a}, {b})" if self.sqlite else f"GREATEST({a}, {b})"

    def trunc(self, x: str) -> str:
        return f"CAST({x} AS INTEGER)" if self.sqlite else f"floor({x})::bigint"

    def week_start(self, column: str) -> str:
        if self.sqlite:
            return f"date({column}, 'weekday 0', '-6 days')"
        return f"(date_trunc('week', {column} AT TIME ZONE 'UTC'))::date"


def hashed(expr: str, multiplier: int, modulus: int = 4294967296) -> str:
    """A cheap deterministic scramble of a sequence number (same result on both databases)."""
    return f"(({expr}) * {multiplier} % {modulus})"


async def _exec(engine: AsyncEngine, sql: str, label: str) -> None:
    started = time.perf_counter()
    async with engine.begin() as conn:
        await conn.exec_driver_sql(sql)
    print(f"  {label}: {time.perf_counter() - started:.1f} s", flush=True)


async def generate(engine: AsyncEngine, members: int, contributions: int) -> None:
    """Fill an empty schema with the synthetic community."""
    q = Sql(engine.dialect.name == "sqlite")
    end = int(END.timestamp())
    start = end - HISTORY_WEEKS * 7 * 86400
    span = end - start
    history = ACTIVE_WEEKS * 7 * 86400

    def admitted(n: str) -> str:
        return f"({start} + ({n}) * {span} / {members})"

    await _exec(
        engine,
        "INSERT INTO community (id, name, platform, created_at, admissions_paused, privacy_salt) "
        f"VALUES ('{COMMUNITY}', 'Bench Community', 'fake', {q.ts(str(start))}, FALSE, '')",
        "community",
    )
    prefix, source = q.seq(members)
    referred = "(n % 3 = 0 AND n > 10)"
    await _exec(
        engine,
        prefix
        + "INSERT INTO member (community_id, platform, user_id, display_name, status, is_bot, is_staff, "
        "first_seen_at, admitted_at, left_at, first_contribution_at, referred_by_id, admission_method, "
        "referral_confidence, interests, reminders_opt_out) "
        f"SELECT '{COMMUNITY}', 'fake', 'u' || n, 'Member ' || n, "
        f"CASE WHEN n % 20 = 0 AND n < {members} * 9 / 10 THEN 'left' ELSE 'admitted' END, "
        f"n % 1000 = 1, n % 500 = 0, {q.ts(admitted('n') + ' - 3600')}, {q.ts(admitted('n'))}, "
        f"CASE WHEN n % 20 = 0 AND n < {members} * 9 / 10 THEN {q.ts(admitted('n') + ' + 30 * 86400')} END, "
        "NULL, "
        f"CASE WHEN {referred} THEN 1 + {hashed('n', 2654435761)} % (n - 1) END, "
        f"CASE WHEN {referred} THEN 'code' ELSE 'application' END, NULL, '', n % 1000 = 2 "
        f"FROM {source}",
        f"{members:,} members",
    )
    # Contributors: every 5th member (20 %), the earlier ones far more active (quadratic skew).
    pool = members // 5
    prefix, source = q.seq(contributions)
    x = f"({hashed('n', 2654435761)} / 4294967296.0)"
    kind = "CASE " + " ".join(f"WHEN h3 < {limit} THEN '{name}'" for limit, name in KINDS) + " END"
    occurred = q.ts("lo + h2 % " + q.greatest("1", f"{end} - lo"))
    member = "5 * (1 + " + q.trunc(f"({pool} - 1) * {x} * {x}") + ")"
    lo = q.greatest(admitted("m"), str(end - history))
    await _exec(
        engine,
        prefix
        + "INSERT INTO contribution (community_id, member_id, kind, weight, channel_id, target_member_id, "
        "by_staff, source_id, occurred_at) "
        f"SELECT '{COMMUNITY}', m, {kind}, 1.0, 'c' || (h2 % 20), NULL, m % 500 = 0, 'b' || i, {occurred} "
        f"FROM (SELECT i, m, h2, h3, {lo} AS lo FROM ("
        f"SELECT n AS i, {member} AS m, {hashed('n', 2246822519, 4294967291)} AS h2, "
        f"{hashed('n', 3266489917, 100)} AS h3 FROM {source}) AS raw) AS c",
        f"{contributions:,} contributions",
    )
    await _exec(
        engine,
        "INSERT INTO member_week (member_id, week_start, kind, community_id, count, weight) "
        f"SELECT member_id, {q.week_start('occurred_at')}, kind, community_id, count(*), sum(weight) "
        f"FROM contribution GROUP BY member_id, {q.week_start('occurred_at')}, kind, community_id",
        "member_week rollups",
    )
    await _exec(engine, backfill_sql(engine.dialect.name), "member_activity masks")
    await _exec(
        engine,
        "UPDATE member SET first_contribution_at = f.first FROM "
        "(SELECT member_id, min(occurred_at) AS first FROM contribution GROUP BY member_id) AS f "
        "WHERE f.member_id = member.id",
        "first contributions",
    )
    await _generate_small_tables(engine, q, members, start, span)


async def _generate_small_tables(engine: AsyncEngine, q: Sql, members: int, start: int, span: int) -> None:
    end = start + span
    await _exec(
        engine,
        "INSERT INTO application (community_id, member_id, answers, status, submitted_at, decided_at) "
        f"SELECT community_id, id, '{{}}', 'approved', {q.ts('x - 72000')}, admitted_at FROM "
        f"(SELECT community_id, id, admitted_at, {_epoch(q, 'admitted_at')} AS x FROM member "
        "WHERE admission_method = 'application' AND NOT is_bot) AS a",
        "applications (approved)",
    )
    prefix, source = q.seq(60)
    await _exec(
        engine,
        prefix + "INSERT INTO application (community_id, member_id, answers, status, submitted_at) "
        f"SELECT '{COMMUNITY}', 2 + n * 7, '{{}}', 'pending', {q.ts(f'{end} - n * 7200')} FROM {source}",
        "applications (pending)",
    )
    # Cohorts of 20 for everyone admitted in the last 12 weeks, launched the day after the last one.
    first = members - members * 12 // HISTORY_WEEKS
    groups = (members - first) // 20
    prefix, source = q.seq(groups)
    await _exec(
        engine,
        prefix + "INSERT INTO cohort (community_id, number, name, launched_at, status) "
        f"SELECT '{COMMUNITY}', n, 'Cohort ' || n, "
        f"{q.ts(f'{start} + ({first} + n * 20) * {span} / {members} + 86400')}, 'active' FROM {source}",
        f"{groups:,} cohorts",
    )
    prefix, source = q.seq(groups * 20)
    await _exec(
        engine,
        prefix + "INSERT INTO cohort_member (cohort_id, member_id) "
        f"SELECT 1 + (n - 1) / 20, {first} + n FROM {source} WHERE {first} + n <= {members}",
        "cohort members",
    )
    await _exec(
        engine,
        "INSERT INTO buddy_pair (cohort_id, newcomer_id, buddy_id, created_at) "
        "SELECT cohort_id, member_id, 5 * (1 + member_id % 2000), "
        f"{q.ts(str(end))} FROM cohort_member",
        "buddy pairs",
    )
    await _exec(
        engine,
        "INSERT INTO series (community_id, kind, title, recurrence, timezone, duration_minutes, channel, "
        f"status, created_at) VALUES ('{COMMUNITY}', 'ama', 'Weekly AMA', 'weekly on Thursday 17:00', 'UTC', "
        f"60, 'announcements', 'active', {q.ts(str(start))})",
        "series",
    )
    prefix, source = q.seq(30)
    thursday = end - 4 * 86400 + 17 * 3600  # Thursday 17:00 of the digest week
    await _exec(
        engine,
        prefix + "INSERT INTO occurrence (series_id, local_date, starts_at, ends_at, status) "
        f"SELECT 1, {q.ts(f'{thursday} + (n - 28) * 604800')}, {q.ts(f'{thursday} + (n - 28) * 604800')}, "
        f"{q.ts(f'{thursday} + (n - 28) * 604800 + 3600')}, 'scheduled' FROM {source}",
        "occurrences",
    )
    if q.sqlite:  # local_date is a DATE: keep the date part only
        await _exec(
            engine, "UPDATE occurrence SET local_date = substr(local_date, 1, 10)", "occurrence dates"
        )
    prefix, source = q.seq(30 * 200)
    await _exec(
        engine,
        prefix + "INSERT INTO rsvp (occurrence_id, member_id, answer, attended, updated_at) "
        "SELECT 1 + (n - 1) / 200, 5 * (1 + (n - 1) % 200), "
        "CASE WHEN n % 4 = 0 THEN 'maybe' ELSE 'going' END, n % 3 = 0, "
        f"{q.ts(str(end))} FROM {source}",
        "RSVPs",
    )
    prefix, source = q.seq(3000)
    await _exec(
        engine,
        prefix + "INSERT INTO ama_question (occurrence_id, asker_id, text, votes, created_at) "
        f"SELECT 1 + (n - 1) / 100, 5 * (1 + n % 1000), 'Q', 0, "
        f"{q.ts(f'{thursday} + ((n - 1) / 100 - 27) * 604800 - 86400')} FROM {source}",
        "AMA questions",
    )
    prefix, source = q.seq(5000)
    await _exec(
        engine,
        prefix + "INSERT INTO badge_award (community_id, member_id, badge_key, reason, awarded_at) "
        f"SELECT '{COMMUNITY}', 5 * n, 'helper', '', {q.ts(f'{end} - n * 3600')} FROM {source} "
        f"WHERE 5 * n <= {members}",
        "badges",
    )


def _epoch(q: Sql, column: str) -> str:
    if q.sqlite:
        return f"CAST(strftime('%s', {column}) AS INTEGER)"
    return f"extract(epoch FROM {column})::bigint"


async def _indexes(engine: AsyncEngine, create: bool) -> None:
    """Bulk inserts run without the secondary indexes of the big tables; they are built after."""
    tables = (ContributionRow.__table__, MemberWeekRow.__table__, MemberActivityRow.__table__)
    async with engine.begin() as conn:
        for table in tables:
            for index in table.indexes:
                action = index.create if create else index.drop
                await conn.run_sync(lambda c, act=action: act(c, checkfirst=True))


async def _analyze(engine: AsyncEngine) -> None:
    """Statistics for the planners. On PostgreSQL a VACUUM too: freshly filled tables have no visibility
    map yet, so an index-only scan reads every row's table page as well (the week's helpful answers:
    21k heap fetches, 140-380 ms instead of a few ms), which autovacuum soon puts right in a database
    that grew over time."""
    if is_sqlite(engine.url.render_as_string(hide_password=False)):
        await _exec(engine, "ANALYZE", "ANALYZE")
        return
    started = time.perf_counter()
    async with engine.connect() as conn:
        autocommit = await conn.execution_options(isolation_level="AUTOCOMMIT")
        await autocommit.exec_driver_sql("VACUUM (ANALYZE)")  # not inside a transaction
    print(f"  VACUUM (ANALYZE): {time.perf_counter() - started:.1f} s", flush=True)


async def keep_earlier_weeks(engine: AsyncEngine, weeks: int) -> None:
    """The rollup as the weekly digest jobs of earlier weeks left it: the metrics of the `weeks` weeks
    before the digest week kept; the digest week itself is not (each run computes it)."""
    from bot.config import Settings
    from bot.core.metrics.handlers import policy_of
    from bot.core.weeks import IsoWeek, Period
    from storage.metrics.reader import SqlMetricsReader
    from storage.metrics.snapshots import SqlMetricsSnapshots
    from storage.uow import SqlUnitOfWorkFactory

    community = Settings.model_validate(
        {
            "database": {"url": "sqlite+aiosqlite:////tmp/unused.db"},
            "communities": [{"id": COMMUNITY, "name": "Bench Community", "platform": "fake"}],
        }
    ).communities[0]
    async with engine.begin() as conn:
        await conn.execute(text("DELETE FROM metrics_week"))
    if not weeks:
        print("  rollup of earlier weeks: none (--kept-weeks 0)")
        return
    started = time.perf_counter()
    reader = SqlMetricsReader(engine)
    digest_week, policy = IsoWeek.parse(WEEK), policy_of(community)
    kept = [
        await reader.week(COMMUNITY, Period.of(digest_week.shift(-n), community.timezone), policy)
        for n in range(weeks, 0, -1)
    ]
    async with SqlUnitOfWorkFactory(engine, {})() as uow:
        await SqlMetricsSnapshots(uow.session).keep(COMMUNITY, kept, NOW)
        await uow.commit()
    print(
        f"  rollup of the {weeks} earlier weeks (once per week in production, by each weekly digest): "
        f"{time.perf_counter() - started:.1f} s",
        flush=True,
    )


async def prepare(url: str, members: int, contributions: int, fresh: bool, kept_weeks: int) -> None:
    engine = create_engine(url)
    try:
        await upgrade(engine)
        async with engine.connect() as conn:
            have = await conn.scalar(text(f"SELECT count(*) FROM member WHERE community_id = '{COMMUNITY}'"))
            rows = await conn.scalar(text("SELECT count(*) FROM contribution")) if have else 0
        if have == members and rows == contributions and not fresh:
            print(f"reusing the generated database ({members:,} members, {contributions:,} contributions)")
            await keep_earlier_weeks(engine, kept_weeks)
            return
        if have:
            await downgrade(engine)
            await upgrade(engine)
        print(f"generating {members:,} members and {contributions:,} contributions …", flush=True)
        started = time.perf_counter()
        await _indexes(engine, create=False)
        await generate(engine, members, contributions)
        began = time.perf_counter()
        await _indexes(engine, create=True)
        print(f"  indexes: {time.perf_counter() - began:.1f} s", flush=True)
        await _analyze(engine)
        async with engine.connect() as conn:
            weeks = await conn.scalar(text("SELECT count(*) FROM member_week"))
        print(f"generated in {time.perf_counter() - started:.0f} s; {weeks:,} member_week rows", flush=True)
        await keep_earlier_weeks(engine, kept_weeks)
    finally:
        await engine.dispose()


async def measure(url: str, runs: int) -> dict[str, object]:
    """Time the digest in this (fresh) process; the parent prints the figures."""
    from sqlalchemy.orm import configure_mappers

    from bot.charts import render_digest_chart
    from bot.config import Settings
    from bot.core.metrics.digest_render import render_text
    from bot.core.metrics.handlers import build_digest
    from bot.core.weeks import IsoWeek
    from bot.runtime import tune_garbage_collector
    from storage.metrics.reader import SqlMetricsReader

    community = Settings.model_validate(
        {
            "database": {"url": url},
            "communities": [{"id": COMMUNITY, "name": "Bench Community", "platform": "fake"}],
        }
    ).communities[0]
    # A running bot configured its ORM mappers at its first statement, long before a weekly digest,
    # and froze what start-up loaded out of the garbage collector's reach (`townsquare run` calls
    # tune_garbage_collector): both done here too, so the first run's figure is the digest's own
    # (its statements' first compile stays in it) and not a full collection of the imports.
    configure_mappers()
    tune_garbage_collector()
    baseline_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    engine = create_engine(url)
    timings = []
    try:
        for _ in range(runs):
            started = time.perf_counter()
            digest = await build_digest(SqlMetricsReader(engine), community, IsoWeek.parse(WEEK), NOW)
            timings.append(time.perf_counter() - started)
    finally:
        await engine.dispose()
    started = time.perf_counter()
    render_text(digest)
    text_seconds = time.perf_counter() - started
    charts = []
    for _ in range(1 + CHART_RUNS):  # the first includes loading Pillow and the fonts, once a process
        started = time.perf_counter()
        png = render_digest_chart(digest)
        charts.append(time.perf_counter() - started)
    head = {h.key: h.value for h in digest.headlines}
    return {
        "digest_seconds": timings,
        "text_seconds": text_seconds,
        "chart_seconds": charts,
        "chart_bytes": len(png),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "baseline_rss_mb": baseline_kb / 1024,
        "members": digest.data.current.activity.members,
        "active_contributor_ratio": head["active_contributor_ratio"],
        "first_contribution_rate": head["first_contribution_rate"],
        "cohorts": len(digest.data.cohorts),
    }


async def write_wait(url: str) -> dict[str, object]:
    """A writer commits every few milliseconds while the weekly digest job runs through the bus:
    how long does a write wait behind the job? (The job's `digest:` outbox key is removed first, so
    every run posts.)"""
    from bot.bootstrap import build_app
    from bot.clock import FixedClock
    from bot.config import Settings
    from bot.core.bus import JobRun
    from bot.core.metrics.commands import PostWeeklyDigest

    settings = Settings.model_validate(
        {
            "database": {"url": url},
            "communities": [{"id": COMMUNITY, "name": "Bench Community", "platform": "fake"}],
        }
    )
    app = build_app(settings, FixedClock(NOW), {})
    waits: list[float] = []
    try:
        async with app.engine.begin() as conn:
            await conn.execute(text("DELETE FROM outbox WHERE dedupe_key LIKE 'digest:%'"))
            await conn.execute(text("DELETE FROM job_run WHERE job_key LIKE 'bench-digest%'"))
            await conn.execute(text("DELETE FROM processed_event WHERE platform = 'bench-writer'"))
        job_done = asyncio.Event()

        async def job() -> float:
            started = time.perf_counter()
            try:
                await app.bus.handle(
                    PostWeeklyDigest(community_id=COMMUNITY, week=WEEK),
                    job=JobRun(f"bench-digest:{time.time_ns()}", NOW),
                )
            finally:
                job_done.set()
            return time.perf_counter() - started

        async def writer() -> None:
            i = 0
            while not job_done.is_set():
                i += 1
                began = time.perf_counter()
                async with app.uow_factory() as uow:
                    await uow.processed.claim("bench-writer", f"w{i}", NOW)
                    await uow.commit()
                waits.append(time.perf_counter() - began)
                await asyncio.sleep(0.005)

        job_seconds, _ = await asyncio.gather(job(), writer())
    finally:
        await app.close()
    waits.sort()
    return {
        "job_seconds": job_seconds,
        "writes": len(waits),
        "write_max": waits[-1] if waits else 0.0,
        "write_p99": waits[min(len(waits) - 1, int(len(waits) * 0.99))] if waits else 0.0,
        "write_p50": waits[len(waits) // 2] if waits else 0.0,
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--contributions", type=int, default=1_000_000)
    parser.add_argument("--url", help="database URL (default: a SQLite file under /tmp)")
    parser.add_argument("--fresh", action="store_true", help="regenerate even if the database matches")
    parser.add_argument("--runs", type=int, default=3, help="digest computations to time (default 3)")
    parser.add_argument(
        "--kept-weeks",
        type=int,
        default=12,
        help="earlier weeks in the metrics rollup, as weekly digests left them (default 12; 0: none)",
    )
    parser.add_argument(
        "--no-write-wait", action="store_true", help="skip timing a write behind the weekly digest job"
    )
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--write-wait", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.members < 10_000:
        parser.error(
            "--members must be at least 10000 (the programme, badges and buddies name members up to 10000)"
        )
    url = args.url or f"sqlite+aiosqlite:////tmp/townsquare-bench-{args.members}-{args.contributions}.db"
    if args.measure:
        print(json.dumps(asyncio.run(measure(url, args.runs))))
        return 0
    if args.write_wait:
        print(json.dumps(asyncio.run(write_wait(url))))
        return 0
    asyncio.run(prepare(url, args.members, args.contributions, args.fresh, args.kept_weeks))
    r = _child(url, "--measure", "--runs", str(args.runs))
    if r is None:
        return 1
    backend = "SQLite" if is_sqlite(url) else "PostgreSQL"
    print(
        f"\nweekly digest {WEEK} on {backend}: {args.members:,} members, {args.contributions:,} contributions"
    )
    runs = ", ".join(f"{t:.2f} s" for t in r["digest_seconds"])
    print(f"  compute: {runs} ({args.runs} runs; the first on a fresh connection)")
    first, *again = r["chart_seconds"]
    print(
        f"  render: text {r['text_seconds']:.2f} s; chart {statistics.median(again) * 1000:.0f} ms "
        f"(median of {len(again)}; the first {first * 1000:.0f} ms, loading Pillow and the fonts; "
        f"PNG {r['chart_bytes'] / 1024:.0f} KiB)"
    )
    print(f"  peak RSS: {r['peak_rss_mb']:.0f} MiB (after imports alone: {r['baseline_rss_mb']:.0f} MiB)")
    print(
        f"  members {r['members']:,}, active contributor ratio {r['active_contributor_ratio']:.1%}, "
        f"first-contribution rate {r['first_contribution_rate'] or 0:.1%}, {r['cohorts']:,} cohorts reported"
    )
    if not args.no_write_wait:
        w = _child(url, "--write-wait")
        if w is None:
            return 1
        print(
            f"  a write behind the weekly digest job ({w['job_seconds']:.2f} s): {w['writes']} writes, "
            f"wait p50 {w['write_p50'] * 1000:.0f} ms, p99 {w['write_p99'] * 1000:.0f} ms, "
            f"max {w['write_max'] * 1000:.0f} ms"
        )
    return 0


def _child(url: str, *args: str) -> dict[str, Any] | None:
    """Run one measurement in a fresh process (its figures are its own); its last line is JSON."""
    child = subprocess.run(
        [sys.executable, __file__, "--url", url, *args],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)},
    )
    if child.returncode != 0:
        print(child.stderr, file=sys.stderr)
        return None
    result: dict[str, Any] = json.loads(child.stdout.strip().splitlines()[-1])
    return result


if __name__ == "__main__":
    raise SystemExit(main())
