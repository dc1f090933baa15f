"""Stopping the relay: a cancellation that arrives together with a wake-up still ends it."""

from __future__ import annotations

import asyncio

from bot.bootstrap import App


async def test_a_cancel_that_meets_a_wake_up_still_stops_the_relay(app: App) -> None:
    for _ in range(20):
        task = asyncio.create_task(app.relay.run_forever(poll_seconds=30))
        await asyncio.sleep(0.05)  # the first pass is done; it waits for a wake-up
        app.relay.wake()
        task.cancel()
        done, _ = await asyncio.wait({task}, timeout=3)
        assert done, "the relay outlived its cancellation"
        assert task.cancelled()
