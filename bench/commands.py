"""Slash commands under load: many members' commands through the registry and the bus, alone and
while a burst of messages goes through the ingest, on SQLite or PostgreSQL.

    python bench/commands.py                                   # 500 commands, then again in a 100k burst
    python bench/commands.py --commands 500 --burst 100000 --spread 5
    python bench/commands.py --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/bench

Each of `--commands` members invokes one of /refer, /badges, /mydata export and /profile, at a
random moment within `--spread` seconds (so many are in flight at once; --spread 0 fires them all
at the same instant), and the time from invocation to reply is recorded. Prints p50/p95/p99/max per
phase and per command, checks every command got its reply and every burst event was counted once.
Exits 1 if anything was lost. A PostgreSQL database given with --database-url is reset first.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from common import COMMUNITY, peak_rss_mb, sqlite_url, tune_garbage_collector
from sqlalchemy import func, insert, select

from bot.bootstrap import App, build_app
from bot.clock import SystemClock
from bot.config import Settings
from bot.core.events import MessagePosted
from bot.core.invoke import invoke_slash
from bot.core.refs import Actor, MemberRef
from bot.core.registry import Invocation
from bot.core.replies import Reply
from storage.contributions.tables import ContributionRow
from storage.db import create_engine
from storage.migrate import downgrade, upgrade
from storage.tables import MemberRow

COMMANDS = ("refer", "badges", "mydata export", "profile")
START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


async def setup(url: str, members: int) -> App:
    """A migrated database with `members` admitted members, and the real app on it."""
    engine = create_engine(url)
    try:
        if engine.dialect.name != "sqlite":
            await downgrade(engine)
        await upgrade(engine)
    finally:
        await engine.dispose()
    settings = Settings.model_validate(
        {"database": {"url": url}, "communities": [{"id": COMMUNITY, "name": "Bench", "platform": "fake"}]}
    )
    app = build_app(settings, SystemClock(), {})
    await app.ensure_communities()
    tune_garbage_collector()  # as `townsquare run` does once it has started
    async with app.engine.begin() as conn:
        await conn.execute(
            insert(MemberRow),
            [
                {
                    "community_id": COMMUNITY,
                    "platform": "fake",
                    "user_id": f"m{i}",
                    "display_name": f"Member {i}",
                    "status": "admitted",
                    "is_bot": False,
                    "is_staff": False,
                    "first_seen_at": START - timedelta(days=30),
                    "admitted_at": START - timedelta(days=30),
                    "admission_method": "application",
                    "interests": "",
                    "reminders_opt_out": False,
                }
                for i in range(members)
            ],
        )
    return app


async def one_command(app: App, i: int, delay: float, name: str) -> tuple[str, float, bool]:
    """Member i invokes `name` after `delay` seconds: (name, seconds to the reply, answered)."""
    await asyncio.sleep(delay)
    actor = Actor(MemberRef("fake", f"m{i}"), COMMUNITY, display_name=f"Member {i}")
    started = time.perf_counter()
    reply = await invoke_slash(app.bus, name, Invocation(actor, COMMUNITY, "general"))
    answered = isinstance(reply, Reply) and bool(reply.text or reply.fields or reply.title)
    return name, time.perf_counter() - started, answered


async def commands(app: App, count: int, spread: float, seed: int) -> list[tuple[str, float, bool]]:
    rng = random.Random(seed)
    return await asyncio.gather(
        *(one_command(app, i, rng.uniform(0, spread), COMMANDS[i % len(COMMANDS)]) for i in range(count))
    )


async def burst(app: App, events: int, members: int, offset: int) -> None:
    """Submit `events` messages through the ingest, from 20 producers, as fast as it takes them. Each
    producer lets the loop run between two messages, as a gateway reader does between two reads
    (`submit` does not wait while the queue has room, so without that a producer would hold the
    loop until the queue is full)."""

    async def producer(ids: range) -> None:
        for i in ids:
            n = offset + i
            await asyncio.sleep(0)
            await app.ingest.submit(
                MessagePosted(
                    community_id=COMMUNITY,
                    member=MemberRef("fake", f"m{n % members}"),
                    channel_id=f"c{n % 7}",
                    message_id=f"b{n}",
                    at=START + timedelta(milliseconds=n),
                )
            )

    share = -(-events // 20)
    await asyncio.gather(*(producer(range(p * share, min((p + 1) * share, events))) for p in range(20)))


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def report(label: str, results: list[tuple[str, float, bool]]) -> bool:
    times = [t for _, t, _ in results]
    answered = sum(ok for _, _, ok in results)
    print(
        f"{label}: {len(results)} commands, {answered} answered; p50 {quantile(times, 0.5) * 1000:.0f} ms, "
        f"p95 {quantile(times, 0.95) * 1000:.0f} ms, p99 {quantile(times, 0.99) * 1000:.0f} ms, "
        f"max {max(times) * 1000:.0f} ms"
    )
    for name in COMMANDS:
        mine = [t for n, t, _ in results if n == name]
        if mine:
            print(
                f"    /{name:<14} p50 {statistics.median(mine) * 1000:4.0f} ms, "
                f"p99 {quantile(mine, 0.99) * 1000:4.0f} ms, max {max(mine) * 1000:4.0f} ms"
            )
    return answered == len(results)


async def run(args: argparse.Namespace, url: str) -> int:
    app = await setup(url, args.members)
    ok = True
    try:
        app.ingest.start()
        for n, name in enumerate(COMMANDS):  # first use compiles statements and loads modules: not timed
            await one_command(app, args.members - 1 - n, 0.0, name)
        ok &= report("alone", await commands(app, args.commands, args.spread, seed=1))
        if args.burst:
            started = time.perf_counter()
            feeding = asyncio.create_task(burst(app, args.burst, args.members, offset=0))
            await asyncio.sleep(args.warmup)  # the burst is under way
            during = await commands(app, args.commands, args.spread, seed=2)
            still_feeding = not feeding.done()
            await feeding
            await app.ingest.drain()
            elapsed = time.perf_counter() - started
            ok &= report("during the burst", during)
            async with app.engine.connect() as conn:
                rows = int(await conn.scalar(select(func.count()).select_from(ContributionRow)) or 0)
            print(
                f"burst: {args.burst:,} messages, {rows:,} counted in {elapsed:.1f} s "
                f"({args.burst / elapsed:,.0f}/s); commands ran while it was "
                f"{'still arriving' if still_feeding else 'draining (raise --burst for overlap)'}"
            )
            if rows != args.burst:
                print(f"MISMATCH: {rows} rows for {args.burst} messages")
                ok = False
    finally:
        await app.close()
    print(f"peak RSS: {peak_rss_mb():.0f} MB; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--commands", type=int, default=500, help="commands per phase (default 500)")
    parser.add_argument("--members", type=int, default=2000)
    parser.add_argument("--spread", type=float, default=5.0, help="seconds the commands arrive over")
    parser.add_argument("--burst", type=int, default=100_000, help="messages in the burst (0: none)")
    parser.add_argument("--warmup", type=float, default=1.0, help="seconds of burst before the commands")
    parser.add_argument("--database-url", help="default: a SQLite file in a temporary directory")
    args = parser.parse_args()
    if args.database_url:
        return asyncio.run(run(args, args.database_url))
    with tempfile.TemporaryDirectory() as tmp:
        return asyncio.run(run(args, sqlite_url(Path(tmp) / "commands.db")))


if __name__ == "__main__":
    sys.exit(main())
