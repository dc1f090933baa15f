"""The lean gateway path: guild messages and reactions become facts in the websocket reader, with no
discord.py Message object and no task per event; a fact the sink refuses can come in again on replay;
the websocket's sequence follows the lean frames, and whoever listens for frames still hears them."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import discord.utils

from adapters.discord.lean import _snowflake_time
from bot.core.events import Event, MessagePosted
from tests.adapters.discord.conftest import Harness


class RefusingSink:
    """Refuses the first `refuse` offers (a full ingest), then takes everything."""

    def __init__(self, refuse: int) -> None:
        self.refuse = refuse
        self.events: list[Event] = []

    async def submit(self, event: Event) -> None:
        self.offer(event)

    def offer(self, event: Event) -> bool:
        if self.refuse > 0:
            self.refuse -= 1
            return False
        self.events.append(event)
        return True


async def test_a_burst_of_guild_messages_builds_no_message_object_and_no_task(harness: Harness) -> None:
    fake, square = harness.fake, harness.square
    client = harness.client()
    dispatched: list[str] = []
    original = client.dispatch

    def recording(event: str, /, *args: Any, **kwargs: Any) -> None:
        dispatched.append(event)
        original(event, *args, **kwargs)

    client.dispatch = recording  # type: ignore[method-assign]
    async with harness.running(client):
        before = len(asyncio.all_tasks())
        for _ in range(200):
            await fake.dispatch(
                "MESSAGE_CREATE",
                fake.message("x", channel=square.ids["channel:general"], author=square.members["alice"]),
            )
        await harness.sink.wait_for(200)
        assert len(asyncio.all_tasks()) <= before + 2  # not one per message
        assert getattr(client.ws, "townsquare_paced", False)  # the reader lets the ingest writer run
    assert "message" not in dispatched  # discord.py never built a Message for them
    assert all(isinstance(e, MessagePosted) for e in harness.sink.events)


async def test_a_refused_message_is_taken_when_it_is_delivered_again(harness: Harness) -> None:
    fake, square = harness.fake, harness.square
    sink = RefusingSink(refuse=1)
    harness.sink = sink  # type: ignore[assignment]
    client = harness.client()
    async with harness.running(client):
        frame = await fake.dispatch(
            "MESSAGE_CREATE",
            fake.message("x", channel=square.ids["channel:general"], author=square.members["alice"]),
        )
        assert frame is not None
        await fake.send_raw(frame)  # the same message again (a resume replays it)
        await fake.send_raw(frame)  # and once more: now a duplicate
        for _ in range(50):
            if sink.events:
                break
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.1)
    assert len(sink.events) == 1


async def test_the_lean_frames_keep_the_sequence_and_a_listener_still_hears_them(harness: Harness) -> None:
    fake, square = harness.fake, harness.square
    client = harness.client()
    async with harness.running(client):
        for _ in range(20):
            frame = await fake.dispatch(
                "MESSAGE_CREATE",
                fake.message("x", channel=square.ids["channel:general"], author=square.members["alice"]),
            )
        await harness.sink.wait_for(20)
        assert frame is not None and client.ws.sequence == frame["s"]  # what heartbeats and resumes send
        heard = asyncio.create_task(
            client.wait_for("socket_event_type", check=lambda event: event == "MESSAGE_CREATE", timeout=5)
        )
        await asyncio.sleep(0)
        await fake.dispatch(
            "MESSAGE_CREATE",
            fake.message("y", channel=square.ids["channel:general"], author=square.members["alice"]),
        )
        assert await heard == "MESSAGE_CREATE"  # discord.py's own path while something listens
        await harness.sink.wait_for(21)
    assert len(harness.sink.events) == 21 and all(isinstance(e, MessagePosted) for e in harness.sink.events)


def test_a_message_s_time_is_its_snowflake_s_as_discord_py_reads_it() -> None:
    for snowflake in (0, 175928847299117063, 1450000000000000000, (1 << 63) - 1):
        assert _snowflake_time(snowflake) == discord.utils.snowflake_time(snowflake)
        assert _snowflake_time(snowflake).utcoffset() == timedelta(0)
