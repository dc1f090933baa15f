"""How fast the Slack app acknowledges: signed slash commands, button presses and events sent over
HTTP on loopback to the real bolt app (SQLite file, Web API calls to the loopback fake Slack).

    python bench/slack_ack.py [--requests 300] [--concurrency 20]

Prints acknowledgement latency (what Slack's 3 s limit is about) and the time until the answer
reached the response_url, as p50 / p95 / max in milliseconds. Exits 1 if any acknowledgement took
longer than one second.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.clock import SystemClock  # noqa: E402
from storage.db import create_engine  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from tests.adapters.slack.fake_slack import FakeSlackApi  # noqa: E402
from tests.adapters.slack.harness import MEMBER, NEWCOMER, running  # noqa: E402
from tests.adapters.slack.kit import build_kit  # noqa: E402


def figures(name: str, seconds: list[float]) -> str:
    ms = sorted(s * 1000 for s in seconds)
    p95 = ms[max(int(len(ms) * 0.95) - 1, 0)]
    return f"{name:<24} n={len(ms):<5} p50={statistics.median(ms):7.1f}  p95={p95:7.1f}  max={ms[-1]:7.1f} ms"


async def main(requests: int, concurrency: int) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        engine = create_engine(url)
        await upgrade(engine)
        kit = build_kit()
        async with (
            FakeSlackApi() as fake,
            running(engine, url, SystemClock(), fake, registry=kit.registry, handlers=kit.handlers) as run,  # type: ignore[arg-type]
        ):
            gate = asyncio.Semaphore(concurrency)
            acks: dict[str, list[float]] = {"slash command": [], "button": [], "event": []}

            async def one(i: int) -> None:
                async with gate:
                    kind = ("slash command", "button", "event")[i % 3]
                    if kind == "slash command":
                        reply = await run.slack.slash_command("/help", user_id=NEWCOMER)
                    elif kind == "button":
                        reply = await run.slack.block_action("survey:seen:1", "survey:seen:1", user_id=MEMBER)
                    else:
                        event = {"type": "reaction_added", "user": MEMBER, "reaction": "tada"}
                        event["item"] = {"type": "message", "channel": "C0X", "ts": f"{i}.000100"}
                        reply = await run.slack.event(event)
                    assert reply.status == 200
                    acks[kind].append(reply.elapsed)

            started = time.perf_counter()
            await asyncio.gather(*(one(i) for i in range(requests)))
            await run.settle()
            answered = time.perf_counter() - started
        await engine.dispose()

    print(f"{requests} requests, {concurrency} at a time, answered in {answered:.2f} s")
    for name, seconds in acks.items():
        print(figures(f"ack: {name}", seconds))
    slow = [s for seconds in acks.values() for s in seconds if s > 1.0]
    print(f"acknowledgements over 1 s: {len(slow)}")
    return 1 if slow else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument(
        "--no-limit", action="store_true", help="exit 0 however long acknowledgements took (smoke runs)"
    )
    args = parser.parse_args()
    status = asyncio.run(main(args.requests, args.concurrency))
    raise SystemExit(0 if args.no_limit else status)
