"""A soak of the outbox relay: effects committed at a steady rate for minutes or hours, delivered by
the real relay (run_forever, real time) to a platform that answers slowly and goes down now and
then, on a SQLite file. Prints memory, database size and log volume over time.

    python bench/soak.py --duration 3600                  # an hour
    python bench/soak.py --duration 600 --outage-every 120 --outage-for 40
    python bench/soak.py --duration 8 --report-every 2    # the smoke size (tests/test_bench.py)
    python bench/soak.py --duration 60 --absorbs          # the platform says resends are absorbed, so
                                                          # the relay marks a batch's sends done together

At the end the platform comes back for good and the relay drains; the soak checks that every
effect landed exactly once and in order per channel, and exits 1 if not.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import resource
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Mapping
from pathlib import Path

from common import COMMUNITY, bench_app
from sqlalchemy import func, select

from bot.core.effects import DirectMessage, Effect, PostMessage, lane
from bot.core.ports import Attempt, DeliveryError, PlatformRef
from bot.core.refs import MemberRef
from storage.tables import OutboxRow

CHANNELS = ("welcome", "announcements", "digest", "ideas", "recognition")


class FlakyPlatform:
    """Answers after `latency` seconds; while `down`, answers 503. Counts what landed, per lane."""

    platform = "fake"

    def __init__(self, latency: float, absorbs: bool = False) -> None:
        self.latency = latency
        self.absorbs = absorbs
        self.down = False
        self.landed: dict[str, list[str]] = defaultdict(list)
        self.keys: set[str] = set()
        self.duplicates = 0
        self.calls = 0

    def absorbs_resend(self, effect: Effect) -> bool:
        return self.absorbs

    async def deliver(
        self, effect: Effect, refs: Mapping[str, PlatformRef], attempt: Attempt | None = None
    ) -> Mapping[str, PlatformRef]:
        self.calls += 1
        await asyncio.sleep(self.latency)
        if self.down:
            raise DeliveryError("the platform answered 503", retryable=True)
        key = attempt.key if attempt else ""
        if key in self.keys:
            self.duplicates += 1
            return {}
        self.keys.add(key)
        assert isinstance(effect, PostMessage | DirectMessage)
        self.landed[lane(effect) or ""].append(effect.text)
        return {}


class Volume(logging.Handler):
    """Counts log lines and bytes (formatted as the bot's log would be) without keeping them."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        self.lines = 0
        self.bytes = 0

    def emit(self, record: logging.LogRecord) -> None:
        text = self.format(record)
        self.lines += text.count("\n") + 1
        self.bytes += len(text) + 1


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * resource.getpagesize() / 2**20


def db_mb(path: Path) -> float:
    files = [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]
    return sum(f.stat().st_size for f in files if f.exists()) / 2**20


async def soak(args: argparse.Namespace, folder: Path) -> int:
    path = folder / "soak.db"
    app = await bench_app(path)
    platform = FlakyPlatform(args.latency, args.absorbs)
    app.relay.notifiers = {"fake": platform}
    volume = Volume()
    logging.getLogger("townsquare").addHandler(volume)
    logging.getLogger("townsquare").setLevel(logging.INFO)
    queued: dict[str, list[str]] = defaultdict(list)
    relay = asyncio.create_task(app.relay.run_forever(poll_seconds=0.2))
    began = time.monotonic()
    next_report = 0.0
    count = 0
    print("   t(s)  rss(MB)  db(MB)  log lines  log KB  queued  landed  pending  platform")
    try:
        while (elapsed := time.monotonic() - began) < args.duration:
            cycle = elapsed % args.outage_every if args.outage_every else args.outage_every
            platform.down = bool(args.outage_every) and cycle >= args.outage_every - args.outage_for
            effects: list[Effect] = []
            for _ in range(max(1, int(args.rate / 10))):
                count += 1
                if count % 5:
                    effects.append(PostMessage(COMMUNITY, CHANNELS[count % len(CHANNELS)], f"e{count}"))
                else:
                    effects.append(DirectMessage(COMMUNITY, MemberRef("fake", str(count % 50)), f"e{count}"))
            async with app.uow_factory() as uow:
                for effect in effects:
                    await uow.outbox.add(effect, platform="fake", now=app.clock.now())
                await uow.commit()
            for effect in effects:
                assert isinstance(effect, PostMessage | DirectMessage)
                queued[lane(effect) or ""].append(effect.text)
            app.relay.wake()
            if elapsed >= next_report:
                await report(app, path, volume, platform, elapsed, count)
                next_report += args.report_every
            await asyncio.sleep(0.1)
        platform.down = False
        for _ in range(int(args.drain_seconds * 10)):
            if not await pending(app):
                break
            await asyncio.sleep(0.1)
        await report(app, path, volume, platform, time.monotonic() - began, count)
    finally:
        relay.cancel()
        await asyncio.gather(relay, return_exceptions=True)
        await app.engine.dispose()
    landed = sum(len(texts) for texts in platform.landed.values())
    ok = dict(platform.landed) == dict(queued) and platform.duplicates == 0
    print(
        f"{count} effects queued, {landed} landed, {platform.duplicates} duplicates, "
        f"{platform.calls} platform calls; {'all once, in order' if ok else 'MISMATCH'}"
    )
    print(f"log volume: {volume.lines} lines, {volume.bytes / 1024:.1f} KB")
    return 0 if ok else 1


async def pending(app: object) -> int:
    async with app.uow_factory() as uow:  # type: ignore[attr-defined]
        query = select(func.count()).select_from(OutboxRow).where(OutboxRow.status != "done")
        return int(await uow.session.scalar(query) or 0)


async def report(
    app: object, path: Path, volume: Volume, platform: FlakyPlatform, elapsed: float, count: int
) -> None:
    landed = sum(len(texts) for texts in platform.landed.values())
    print(
        f"{elapsed:7.1f}  {rss_mb():7.1f}  {db_mb(path):6.2f}  {volume.lines:9d}  "
        f"{volume.bytes / 1024:6.1f}  {count:6d}  {landed:6d}  {await pending(app):7d}  "
        f"{'DOWN' if platform.down else 'up'}",
        flush=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--duration", type=float, default=600, help="seconds of traffic")
    parser.add_argument("--rate", type=float, default=50, help="effects committed per second")
    parser.add_argument("--latency", type=float, default=0.002, help="the platform's answer time (s)")
    parser.add_argument("--outage-every", type=float, default=120, help="an outage every N s (0: none)")
    parser.add_argument("--outage-for", type=float, default=40, help="how long each outage lasts (s)")
    parser.add_argument("--report-every", type=float, default=30, help="print a line every N s")
    parser.add_argument(
        "--absorbs", action="store_true", help="the platform absorbs resends: done marks go per batch"
    )
    parser.add_argument("--drain-seconds", type=float, default=120, help="how long the final drain may take")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        return asyncio.run(soak(args, Path(folder)))


if __name__ == "__main__":
    sys.exit(main())
