"""Adopting a large existing community: 50,000 people in pages of 1,000, as the Discord and Slack
adapters send them (one AdoptMembers command and transaction per page), on a fresh SQLite file.

Prints the wall time, the rate, the peak RSS and how many members the database then holds; a second
run over the same pages shows the idempotent pass (nobody adopted twice).

    python bench/adoption.py [--people 50000] [--page 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import COMMUNITY, bench_app, peak_rss_mb  # noqa: E402

from adapters.adoption import adopt_pages  # noqa: E402
from bot.core.gates.commands import ExistingMember  # noqa: E402
from bot.core.refs import MemberRef  # noqa: E402

START = datetime(2019, 1, 1, tzinfo=UTC)


async def pages(people: int, size: int) -> AsyncIterator[list[ExistingMember]]:
    """Pages made one at a time, as a platform's paginated member list yields them."""
    for first in range(0, people, size):
        yield [
            ExistingMember(MemberRef("fake", f"{i:08d}"), f"person {i}", START + timedelta(minutes=i))
            for i in range(first, min(first + size, people))
        ]


async def main(people: int, size: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        app = await bench_app(Path(tmp) / "bench.db")
        try:
            started = time.perf_counter()
            report = await adopt_pages(app.bus, COMMUNITY, pages(people, size))
            took = time.perf_counter() - started
            again_started = time.perf_counter()
            again = await adopt_pages(app.bus, COMMUNITY, pages(people, size))
            again_took = time.perf_counter() - again_started
            async with app.uow_factory() as uow:
                members = await uow.members.count_admitted(COMMUNITY)
        finally:
            await app.close()
    print(
        f"adopted {report.adopted:,} of {report.listed:,} in {report.pages} pages: {took:.1f} s "
        f"({report.adopted / took:,.0f} people/s)"
    )
    print(f"second pass: adopted {again.adopted:,} in {again_took:.1f} s")
    print(f"members in the database: {members:,}; peak RSS {peak_rss_mb():.0f} MiB")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=50_000)
    parser.add_argument("--page", type=int, default=1_000)
    args = parser.parse_args()
    asyncio.run(main(args.people, args.page))
