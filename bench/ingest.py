"""Contribution ingest throughput: synthetic MessagePosted events through the real ingest path
(classification, bounded queue, batched writer, member resolution, INSERT … ON CONFLICT DO NOTHING …
RETURNING, weekly rollups, activation, the bus hearing each batch) into a SQLite file, beside raw
`sqlite3.executemany` of the same contribution rows into a copy of the same schema.

    python bench/ingest.py [--events 20000] [--members 500] [--journal]

--journal: through the on-disk ingest journal, as `townsquare run` does (the default is the
in-memory queue of the tests and the demo).

It prints figures; it asserts nothing about speed.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from common import COMMUNITY, bench_app
from sqlalchemy import insert

from bot.core.events import MessagePosted
from bot.core.refs import MemberRef
from storage.tables import MemberRow

START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def events(count: int, members: int) -> list[MessagePosted]:
    return [
        MessagePosted(
            community_id=COMMUNITY,
            member=MemberRef("fake", str(i % members)),
            channel_id=f"c{i % 7}",
            message_id=str(i),
            at=START + timedelta(seconds=i * 20),
            in_thread=i % 5 == 0,
        )
        for i in range(count)
    ]


async def through_ingest(path: Path, batch: list[MessagePosted], journal: bool = False) -> float:
    app = await bench_app(path, journal=journal)
    try:
        app.ingest.start()
        started = time.perf_counter()
        for event in batch:
            await app.ingest.submit(event)
        await app.ingest.stop()
        elapsed = time.perf_counter() - started
        assert app.ingest.stats.inserted == len(batch), app.ingest.stats
        return elapsed
    finally:
        await app.close()


async def prepare_raw(path: Path, members: int) -> None:
    """The same schema, community and members as the ingest run ends up with (not timed)."""
    app = await bench_app(path)
    try:
        async with app.engine.begin() as conn:
            await conn.execute(
                insert(MemberRow.__table__),
                [
                    {
                        "id": m + 1,
                        "community_id": COMMUNITY,
                        "platform": "fake",
                        "user_id": str(m),
                        "status": "pending",
                        "first_seen_at": START,
                    }
                    for m in range(members)
                ],
            )
    finally:
        await app.close()


def raw_executemany(path: Path, batch: list[MessagePosted]) -> float:
    """Only the contribution rows, one executemany, one transaction: the floor for this machine."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        for pragma in ("PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL", "PRAGMA foreign_keys=ON"):
            conn.execute(pragma)
        rows = [
            (
                COMMUNITY,
                int(e.member.user_id) + 1,
                "thread_reply" if e.in_thread else "message",
                1.0,
                e.channel_id,
                0,
                f"msg:{e.channel_id}:{e.message_id}",
                e.at.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds"),
            )
            for e in batch
        ]
        columns = "community_id, member_id, kind, weight, channel_id, by_staff, source_id, occurred_at"
        started = time.perf_counter()
        conn.execute("BEGIN")
        conn.executemany(f"INSERT INTO contribution ({columns}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
        conn.execute("COMMIT")
        return time.perf_counter() - started
    finally:
        conn.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--members", type=int, default=500)
    parser.add_argument("--journal", action="store_true", help="through the on-disk journal")
    args = parser.parse_args()
    batch = events(args.events, args.members)
    with tempfile.TemporaryDirectory() as tmp:
        ingest_seconds = await through_ingest(Path(tmp) / "ingest.db", batch, args.journal)
        await prepare_raw(Path(tmp) / "raw.db", args.members)
        raw_seconds = raw_executemany(Path(tmp) / "raw.db", batch)
    ingest_rate, raw_rate = args.events / ingest_seconds, args.events / raw_seconds
    print(f"events:                   {args.events} from {args.members} members")
    label = "ingest path (journal):" if args.journal else "ingest path:"
    print(f"{label:<26}{ingest_seconds:8.2f} s  {ingest_rate:12,.0f} events/s")
    print(f"raw sqlite3.executemany:  {raw_seconds:8.2f} s  {raw_rate:12,.0f} events/s")
    share = ingest_rate / raw_rate
    print(f"ratio (raw / ingest):     {raw_rate / ingest_rate:8.1f}x  (ingest at {share:.0%} of raw)")


if __name__ == "__main__":
    asyncio.run(main())
