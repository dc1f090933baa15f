"""The local fake Discord (REST + gateway) in its own process, for bench/burst.py --gateway: one guild,
then, on a line `go N` on stdin, N MESSAGE_CREATE dispatches back to back from a few hundred authors.

Prints one JSON line with the URLs and ids once serving, then `sent N SECONDS` when done. Not a test
fixture: the bench measures the bot's process, so the fake's own memory and CPU stay out of it.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.adapters.discord.fake_discord import FakeDiscord  # noqa: E402

AUTHORS = 500


async def main() -> None:
    async with FakeDiscord() as fake:
        guild = fake.guild("Bench", channels=["general"])
        channel = next(c for c in guild["channels"] if c["name"] == "general")
        authors = [fake.user(f"member{i}") for i in range(AUTHORS)]
        print(
            json.dumps({"api": fake.api_base_url, "gateway": fake.gateway_url, "guild": guild["id"]}),
            flush=True,
        )
        reader = asyncio.StreamReader()
        loop = asyncio.get_running_loop()
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
        while line := (await reader.readline()).decode().strip():
            count = int(line.split()[1])
            session = next(iter(fake._sessions.values()))  # the bot's gateway session
            started = time.perf_counter()
            for i in range(count):
                author = authors[i % AUTHORS]
                data = {
                    "id": str(fake.snowflake()),
                    "channel_id": channel["id"],
                    "guild_id": guild["id"],
                    "author": author,
                    "member": {
                        "roles": [],
                        "joined_at": "2026-01-01T00:00:00+00:00",
                        "deaf": False,
                        "mute": False,
                    },
                    "content": "",
                    "timestamp": "2026-11-02T09:00:00+00:00",
                    "edited_timestamp": None,
                    "tts": False,
                    "mention_everyone": False,
                    "mentions": [],
                    "mention_roles": [],
                    "attachments": [],
                    "embeds": [],
                    "reactions": [],
                    "pinned": False,
                    "type": 0,
                    "flags": 0,
                    "components": [],
                    "nonce": None,
                }
                await fake._dispatch_to(session, "MESSAGE_CREATE", data)
                if len(session.history) > 1000:
                    session.history.clear()  # the fake keeps frames for resumes; the bench does not resume
            print(f"sent {count} {time.perf_counter() - started:.3f}", flush=True)


if __name__ == "__main__":
    asyncio.run(main())
