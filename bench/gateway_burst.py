"""bench/burst.py --gateway: MESSAGE_CREATE back to back from the local fake Discord (its own
process, bench/gateway_server.py) through the real discord.py client and the ingest into SQLite."""

from __future__ import annotations

import asyncio
import json
import logging
import resource
import statistics
import sys
import tempfile
import time
from array import array
from pathlib import Path

from common import bench_app, peak_rss_mb
from sqlalchemy import func, select

from adapters.discord.client import TownsquareClient
from adapters.discord.identity import Communities
from bot.clock import SystemClock
from bot.core.contributions.rules import ContributionFact
from bot.core.events import Event, MessagePosted
from bot.core.ports import UnitOfWork
from storage.contributions.tables import ContributionRow, MemberWeekRow
from tests.adapters.discord.fake_discord import configure_discord_endpoints, running_client

SERVER = Path(__file__).resolve().parent / "gateway_server.py"


class LockErrors(logging.Handler):
    """Counts log records that mention a locked database."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage() + (
            logging.Formatter().formatException(record.exc_info) if record.exc_info else ""
        )
        self.count += "database is locked" in text


def rss_mb() -> float:
    """Resident memory now (Linux /proc)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize() / (1024 * 1024)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))] if ordered else float("nan")


async def gateway_burst(events: int, db_down: bool, journal: bool) -> int:
    locked = LockErrors()
    logging.getLogger().addHandler(locked)
    child = await asyncio.create_subprocess_exec(
        sys.executable, str(SERVER), stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE
    )
    assert child.stdout is not None and child.stdin is not None
    info = json.loads(await child.stdout.readline())
    restore = configure_discord_endpoints(info["api"], info["gateway"])
    try:
        with tempfile.TemporaryDirectory() as tmp:
            app = await bench_app(Path(tmp) / "burst.db", journal=journal, discord_guild=int(info["guild"]))
            lags = array("d")
            last_commit = [0.0]
            write = app.ingest.write

            async def timed_write(batch: list[ContributionFact]) -> object:
                result = await write(batch)
                now = time.time()
                last_commit[0] = now
                lags.extend(now - fact.at.timestamp() for fact in batch)
                return result

            app.ingest.write = timed_write  # type: ignore[method-assign]
            read_lags = array("d")  # sent → taken by the ingest, every 10th event
            offer = app.ingest.offer

            def timed_offer(event: Event) -> bool:
                if app.ingest.stats.submitted % 10 == 0 and isinstance(event, MessagePosted):
                    read_lags.append(time.time() - event.at.timestamp())
                return offer(event)

            app.ingest.offer = timed_offer  # type: ignore[method-assign]
            working = app.ingest.uow_factory

            def down() -> UnitOfWork:
                raise ConnectionRefusedError("the database is down (bench)")

            client = TownsquareClient(
                Communities.of(app.settings.communities), SystemClock(), adopt_at_start=False
            )
            client.bind(app.bus, app.ingest)
            app.ingest.start()
            try:
                async with running_client(client, "fake-token", timeout=60):
                    if db_down:
                        app.ingest.uow_factory = down
                    logging.getLogger("townsquare.ingest").setLevel(logging.CRITICAL)  # the retries, quietly
                    started = time.time()
                    cpu_started, main_started = time.process_time(), time.thread_time()
                    child.stdin.write(f"go {events}\n".encode())
                    await child.stdin.drain()
                    sent = (await child.stdout.readline()).decode().split()
                    while app.ingest.stats.submitted < events:  # noqa: ASYNC110  (a counter, no event)
                        await asyncio.sleep(0.05)
                    received = time.time()
                    rss_down = rss_mb()
                    if db_down:
                        app.ingest.uow_factory = working  # back up: everything taken is written now
                    await app.ingest.drain()
                    cpu = time.process_time() - cpu_started, time.thread_time() - main_started
            finally:
                await app.close()
                child.stdin.close()
                await child.wait()
            async with app.engine.connect() as conn:
                rows = await conn.scalar(select(func.count()).select_from(ContributionRow))
                rolled = await conn.scalar(select(func.sum(MemberWeekRow.count)))
            await app.engine.dispose()
    finally:
        restore()
    once = rows == events and rolled == events
    gateway_seconds = float(sent[2])
    rate = events / gateway_seconds
    print(f"gateway:          {events} MESSAGE_CREATE sent in {gateway_seconds:.2f} s ({rate:,.0f} ev/s)")
    print(f"received by bot:  {received - started:.2f} s ({events / (received - started):,.0f} ev/s read)")
    print(f"counted:          {rows} rows, {rolled} in weekly rollups: {'all once' if once else 'MISMATCH'}")
    if db_down:
        refused = app.ingest.stats.refused
        print(f"database down:    RSS {rss_down:.0f} MB after all {events} arrived; refused {refused}")
    else:
        elapsed = last_commit[0] - started
        print(f"end to end:       {elapsed:.2f} s ({events / elapsed:,.0f} ev/s)")
        p50, p99 = statistics.median(lags), percentile(list(lags), 0.99)
        print(f"lag sent→stored:  p50 {p50:.2f} s, p99 {p99:.2f} s, max {max(lags):.2f} s")
        r50, r99 = statistics.median(read_lags), percentile(list(read_lags), 0.99)
        print(f"  of it sent→read: p50 {r50:.2f} s, p99 {r99:.2f} s (the rest: batching and writing)")
    print(f"bot CPU:          {cpu[0]:.2f} s ({cpu[1]:.2f} s of it on the event loop's thread)")
    print(f"writer batches:   {app.ingest.stats.batches}")
    print(f"peak RSS:         {peak_rss_mb():.0f} MB")
    print(f"lock errors:      {locked.count}")
    return 0 if once and app.ingest.stats.refused == 0 else 1
