"""A process that ingests a burst through the journal, printing `acked N` once every fact up to N was
taken (`submit` returned): the crash test kills it with SIGKILL, then runs it again with no new
facts to replay what the first one left.

    python -m tests.core.ingest_child DATABASE_URL JOURNAL_DIR COUNT
"""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime, timedelta

from bot.bootstrap import build_app
from bot.clock import SystemClock
from bot.config import Settings
from bot.core.events import MessagePosted
from bot.core.refs import MemberRef

COMMUNITY = "crash"
START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def event(i: int) -> MessagePosted:
    return MessagePosted(
        community_id=COMMUNITY,
        member=MemberRef("fake", str(i % 97)),
        channel_id=f"c{i % 5}",
        message_id=str(i),
        at=START + timedelta(seconds=i),
    )


async def main(url: str, journal_dir: str, count: int) -> None:
    settings = Settings.model_validate(
        {
            "database": {"url": url},
            "ingest": {"journal_dir": journal_dir},
            "communities": [{"id": COMMUNITY, "name": "Crash", "platform": "fake"}],
        }
    )
    app = build_app(settings, SystemClock(), {}, journal=True)
    await app.ensure_communities()
    app.ingest.start()
    for i in range(count):
        await app.ingest.submit(event(i))
        if i % 50 == 49:
            print(f"acked {i}", flush=True)
            await asyncio.sleep(0.005)  # a burst the writer keeps up with in part: some written, some not
    await app.ingest.drain()
    print(f"drained {app.ingest.stats.written}", flush=True)
    await app.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
