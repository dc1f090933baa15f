"""Run by tests/core/test_relay_crash.py as a separate process that the test kills with SIGKILL:
a relay over the given database, delivering to a platform that appends every send to a file.

Usage: python -m tests.core.relay_crash_child DB_URL SENDS_FILE [absorbs]
With `absorbs` the platform says a resend is absorbed (as Discord's nonce absorbs it), so the relay
marks a batch's sends done together at the end of the batch.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Mapping
from datetime import timedelta

from bot.bootstrap import build_app
from bot.clock import SystemClock
from bot.core.effects import Effect, lane
from bot.core.ports import Attempt, PlatformRef
from bot.relay import OutboxRelay, RetryPolicy
from tests.conftest import make_settings


class FilePlatform:
    """Each send is one line written straight to the file (it survives SIGKILL) before the answer."""

    platform = "fake"

    def __init__(self, path: str, absorbs: bool) -> None:
        self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
        self.absorbs = absorbs

    def absorbs_resend(self, effect: Effect) -> bool:
        return self.absorbs

    async def deliver(
        self, effect: Effect, refs: Mapping[str, PlatformRef], attempt: Attempt | None = None
    ) -> Mapping[str, PlatformRef]:
        assert attempt is not None
        text = getattr(effect, "text", "")
        line = {"key": attempt.key, "resumed": attempt.resumed, "lane": lane(effect), "text": text}
        os.write(self.fd, (json.dumps(line) + "\n").encode())
        await asyncio.sleep(0.003)  # the platform's answer takes a moment: a kill often lands here
        return {}


async def main(db_url: str, sends: str, absorbs: bool) -> None:
    app = build_app(make_settings(db_url), SystemClock(), {"fake": FilePlatform(sends, absorbs)})
    # A short lease, so the restarted relay takes over the killed one's claim within a second.
    relay = OutboxRelay(
        app.uow_factory, app.clock, app.relay.notifiers, RetryPolicy(), lease=timedelta(seconds=1)
    )
    await relay.run_forever(poll_seconds=0.05)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3:] == ["absorbs"]))
