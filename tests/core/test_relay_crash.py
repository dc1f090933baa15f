"""`kill -9` in the middle of delivery, then a restart: every effect lands once (the resend of the one
in flight is absorbed by its attempt key, as Discord's nonce absorbs it) and in order per lane. On a
platform that says it absorbs resends the relay marks a batch's sends done together, so the resends
after the kill are the batch's sends not yet recorded: at most a batch, each a resumed attempt."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.bootstrap import App
from bot.core.effects import DirectMessage, Effect, PostMessage, lane
from bot.core.refs import MemberRef
from storage.tables import OutboxRow
from tests.conftest import COMMUNITY

ROOT = Path(__file__).resolve().parents[2]


def _sends(path: Path) -> list[dict[str, object]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _child(db_url: str, sends: Path, absorbs: bool) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.core.relay_crash_child", db_url, str(sends)]
        + (["absorbs"] if absorbs else []),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def _pending(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        query = select(func.count()).select_from(OutboxRow).where(OutboxRow.status != "done")
        return int(await conn.scalar(query) or 0)


@pytest.mark.parametrize("absorbs", [False, True], ids=["recorded-each", "recorded-per-batch"])
async def test_kill_9_during_delivery_then_restart_lands_every_effect_once_in_order(
    app: App, engine: AsyncEngine, db_url: str, tmp_path: Path, absorbs: bool
) -> None:
    channels = ("welcome", "announcements", "digest", "id:C9")
    effects: list[Effect] = [PostMessage(COMMUNITY, channels[i % 4], f"post {i}") for i in range(240)]
    effects += [DirectMessage(COMMUNITY, MemberRef("fake", str(i % 3)), f"dm {i}") for i in range(60)]
    async with app.uow_factory() as uow:
        for effect in effects:
            await uow.outbox.add(effect, platform="fake", now=app.clock.now())
        await uow.commit()
    sends = tmp_path / "sends.jsonl"

    first = _child(db_url, sends, absorbs)
    for _ in range(6000):  # a minute at most
        if len(_sends(sends)) >= 60:
            break
        await asyncio.sleep(0.01)
    os.kill(first.pid, signal.SIGKILL)
    first.wait(10)
    assert 0 < await _pending(engine), "the relay finished before the kill; the test proves nothing"

    second = _child(db_url, sends, absorbs)
    try:
        for _ in range(900):  # 90 s at most
            if not await _pending(engine):
                break
            await asyncio.sleep(0.1)
    finally:
        second.terminate()
        second.wait(10)
    assert await _pending(engine) == 0

    sent = _sends(sends)
    keys = [str(s["key"]) for s in sent]
    assert len(set(keys)) == len(effects)  # every effect was sent
    repeats = [s for i, s in enumerate(sent) if s["key"] in keys[:i]]
    # At most the one in flight when the process died (a batch's unrecorded sends when they are
    # recorded per batch)...
    assert len(repeats) <= (app.relay.batch_size if absorbs else 1)
    assert all(s["resumed"] for s in repeats)  # ...sent again as a resumed attempt (same key)
    landed: dict[str, list[str]] = {}
    for s in sent:
        if s not in repeats:
            landed.setdefault(str(s["lane"]), []).append(str(s["text"]))
    expected: dict[str, list[str]] = {}
    for effect in effects:
        assert isinstance(effect, PostMessage | DirectMessage)
        expected.setdefault(lane(effect) or "", []).append(effect.text)
    assert landed == expected
