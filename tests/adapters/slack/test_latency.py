"""Every interaction is answered within 1 s: bolt acknowledges before the core runs, so 1.5 s of
latency in the core path delays the answer (sent to response_url afterwards), never the ack."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.clock import FixedClock
from tests.adapters.slack.fake_slack import FakeSlackApi
from tests.adapters.slack.harness import LOBBY, MEMBER, running

LATENCY = 1.5


@pytest.mark.parametrize("via", ["command", "button", "shortcut"])
async def test_acknowledged_within_a_second_with_slow_core(
    engine: AsyncEngine,
    db_url: str,
    clock: FixedClock,
    fake_slack: FakeSlackApi,
    monkeypatch: pytest.MonkeyPatch,
    via: str,
) -> None:
    async with running(engine, db_url, clock, fake_slack) as run:
        await run.admit(MEMBER)
        inner = run.bus.handle

        async def slow(message: Any, *args: Any, **kwargs: Any) -> Any:
            await asyncio.sleep(LATENCY)
            return await inner(message, *args, **kwargs)

        monkeypatch.setattr(run.bus, "handle", slow)
        started = time.monotonic()
        if via == "command":
            reply = await run.slack.slash_command("/refer", user_id=MEMBER, channel_id=LOBBY)
        elif via == "button":
            reply = await run.slack.block_action("rsvp:going:1", "rsvp:going:1", user_id=MEMBER)
        else:
            message = {"ts": "1.000300", "user": "U0MOD0001"}
            reply = await run.slack.message_shortcut("mark_helpful", user_id=MEMBER, message=message)
        acked = time.monotonic() - started

        assert reply.status == 200 and reply.elapsed < 1.0 and acked < 1.0, (reply.elapsed, acked)
        [answer] = await run.fake.wait_for("response_url", within=LATENCY + 3)
        assert time.monotonic() - started >= LATENCY  # the work did wait for the slow core…
        assert answer.params["text"]  # …and its answer followed the ack
