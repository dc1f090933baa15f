"""What the outbox relay costs per delivered effect: a few effects queued, then one relay pass, over
and over (as the bot does after each command's commit), on a SQLite file. Prints the time of the
passes (wall and CPU: on a shared machine the CPU time is the steadier figure) and the SQL statements
and transactions they ran, per delivered effect.

    python bench/relay.py                                 # 1,000 passes of 3 effects
    python bench/relay.py --passes 300 --per-pass 10
    python bench/relay.py --record-each                   # a platform that absorbs no resend
    python bench/relay.py --passes 20                     # the smoke size (tests/test_bench.py)
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from common import COMMUNITY, bench_app
from sqlalchemy import event

from adapters.fake.platform import FakeNotifier
from bot.core.effects import DirectMessage, EditMessage, Effect, PostMessage
from bot.core.refs import MemberRef

CHANNELS = ("welcome", "announcements", "digest")


class RecordEach(FakeNotifier):
    """The in-memory platform, saying it absorbs no resend: every send is recorded on its own."""

    def absorbs_resend(self, effect: Effect) -> bool:
        return False


def effects_for(n: int, count: int) -> list[Effect]:
    """Posts, DMs and edits of the posts (an edit needs its post's ref, made in the same pass)."""
    out: list[Effect] = []
    for i in range(count):
        k = n * count + i
        if i % 3 == 0:
            out.append(PostMessage(COMMUNITY, CHANNELS[k % 3], f"post {k}", message_key=f"bench:{k}"))
        elif i % 3 == 1:
            out.append(DirectMessage(COMMUNITY, MemberRef("fake", str(k % 40)), f"dm {k}"))
        else:
            out.append(EditMessage(COMMUNITY, f"bench:{k - 2}", f"post {k - 2}, edited"))
    return out


async def run(args: argparse.Namespace, folder: Path) -> int:
    app = await bench_app(folder / "relay.db")
    notifier = RecordEach() if args.record_each else FakeNotifier()
    app.relay.notifiers = {"fake": notifier}
    counts = {"statements": 0, "transactions": 0}
    counting = {"on": False}

    def statement(*_: Any) -> None:
        if counting["on"]:
            counts["statements"] += 1

    def commit(*_: Any) -> None:
        if counting["on"]:
            counts["transactions"] += 1

    event.listen(app.engine.sync_engine, "before_cursor_execute", statement)
    event.listen(app.engine.sync_engine, "commit", commit)
    spent = cpu = 0.0
    try:
        for n in range(args.passes):
            async with app.uow_factory() as uow:
                for effect in effects_for(n, args.per_pass):
                    await uow.outbox.add(effect, platform="fake", now=app.clock.now())
                await uow.commit()
            counting["on"] = True
            began, began_cpu = time.perf_counter(), time.process_time()
            await app.relay.run_once()
            spent += time.perf_counter() - began
            cpu += time.process_time() - began_cpu
            counting["on"] = False
    finally:
        await app.engine.dispose()
    delivered = len(notifier.delivered)
    expected = args.passes * args.per_pass
    mode = "recorded each" if args.record_each else "resends absorbed"
    print(f"{args.passes} passes of {args.per_pass} effects ({mode}): {delivered} of {expected} delivered")
    print(
        f"relay passes: {spent:.2f} s (CPU {cpu:.2f} s), {1000 * spent / max(delivered, 1):.2f} ms "
        f"({1000 * cpu / max(delivered, 1):.2f} ms CPU) per delivered effect"
    )
    print(
        f"per delivered effect: {counts['statements'] / max(delivered, 1):.2f} statements, "
        f"{counts['transactions'] / max(delivered, 1):.2f} transactions"
    )
    return 0 if delivered == expected else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--passes", type=int, default=1000, help="relay passes")
    parser.add_argument("--per-pass", type=int, default=3, help="effects queued before each pass")
    parser.add_argument("--record-each", action="store_true", help="a platform that absorbs no resend")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        return asyncio.run(run(args, Path(folder)))


if __name__ == "__main__":
    sys.exit(main())
