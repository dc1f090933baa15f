"""Erasing one member from a community the size of the 12-week demo: the sweep reads every text and
JSON column of every table (the outbox's payloads in Python), so its cost grows with the outbox.

Seeds `--members` members and `--outbox` delivered posts (each crediting a few members by name and
mention, about 700 bytes like the demo's), then erases one member through the bus and prints the
wall time, the rows rewritten and deleted, and the peak RSS.

    python bench/erase.py [--members 400] [--outbox 3500]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import COMMUNITY, bench_app, peak_rss_mb  # noqa: E402

from bot.core.effects import PostMessage  # noqa: E402
from bot.core.privacy.commands import EraseMyData  # noqa: E402
from bot.core.refs import Actor, MemberRef  # noqa: E402
from bot.core.text import mention  # noqa: E402
from storage.tables import OutboxRow  # noqa: E402


def ref(i: int) -> MemberRef:
    return MemberRef("fake", f"U{i:09d}")


async def main(members: int, outbox: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        app = await bench_app(Path(tmp) / "bench.db")
        try:
            now = app.clock.now()
            async with app.uow_factory() as uow:
                for i in range(members):
                    await uow.members.upsert_seen(COMMUNITY, ref(i), now, display_name=f"Person Number{i}")
                for n in range(outbox):
                    who = [(n * 7 + k) % members for k in range(3)]
                    credits = ", ".join(f"Person Number{i} ({mention(ref(i))})" for i in who)
                    text = f"Weekly recognition #{n}: thanks to {credits}. " + "Details of the week. " * 25
                    post = PostMessage(COMMUNITY, "recognition", text)
                    await uow.outbox.add(post, platform="fake", now=now)
                await uow.commit()
            erased = ref(7)
            actor = Actor(erased, COMMUNITY, display_name="Person Number7")
            started = time.perf_counter()
            await app.bus.handle(EraseMyData(community_id=COMMUNITY, member=erased), actor)
            took = time.perf_counter() - started
            async with app.engine.connect() as conn:
                payloads = (await conn.execute(select(OutboxRow.payload))).scalars().all()
            left = [p for p in payloads if "Person Number7 " in p["text"] or erased.user_id in p["text"]]
            print(f"members: {members}, outbox rows: {outbox}")
            print(f"erase (one member, full sweep): {took * 1000:.0f} ms")
            others = sum("Person Number70 " in p["text"] for p in payloads)  # a longer name: untouched
            print(f"outbox rows still naming the member: {len(left)}; naming Person Number70: {others}")
            print(f"peak RSS: {peak_rss_mb():.0f} MiB")
        finally:
            await app.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=400)
    parser.add_argument("--outbox", type=int, default=3500)
    args = parser.parse_args()
    asyncio.run(main(args.members, args.outbox))
