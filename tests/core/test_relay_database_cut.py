"""PostgreSQL cut off through a loopback proxy while the relay delivers: every effect lands once, in
order, and the log says so in a few lines (runs when TOWNSQUARE_TEST_POSTGRES_URL is set)."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.bootstrap import build_app
from bot.clock import FixedClock
from bot.core.effects import PostMessage, lane
from storage.tables import OutboxRow
from tests.conftest import COMMUNITY, make_settings
from tests.core.relay_kit import SimPlatform
from tests.storage.tcp_cut import CuttableProxy


class SlowSim(SimPlatform):
    async def deliver(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        await asyncio.sleep(0.01)  # so the cut lands in the middle of deliveries
        return await super().deliver(*args, **kwargs)


async def _done(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        query = select(func.count()).select_from(OutboxRow).where(OutboxRow.status == "done")
        return int(await conn.scalar(query) or 0)


async def test_the_relay_rides_out_a_database_cut_and_delivers_each_effect_once(
    db_url: str, engine: AsyncEngine, clock: FixedClock, caplog: pytest.LogCaptureFixture
) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("the database is cut at its TCP connection: PostgreSQL only")
    url = make_url(db_url)
    proxy = CuttableProxy(url.host or "127.0.0.1", url.port or 5432)
    await proxy.start()
    proxied = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    sim = SlowSim()
    app = build_app(make_settings(proxied), clock, {"fake": sim})
    await app.ensure_communities()
    effects = [PostMessage(COMMUNITY, ("welcome", "digest")[i % 2], f"post {i}") for i in range(120)]
    async with app.uow_factory() as uow:
        for effect in effects:
            await uow.outbox.add(effect, platform="fake", now=clock.now())
        await uow.commit()
    # The mark-done write is retried for well under the cut's two seconds, so the cut reaches the relay.
    app.relay.policy = replace(app.relay.policy, record_retry_seconds=(0.1,))
    caplog.set_level(logging.INFO, logger="townsquare.outbox")
    task = asyncio.create_task(app.relay.run_forever(poll_seconds=0.05, max_backoff_seconds=0.5))
    try:
        for _ in range(500):
            if len(sim.sends) >= 30:
                break
            await asyncio.sleep(0.01)
        proxy.drop()  # the database goes away for two seconds, mid-delivery
        await asyncio.sleep(2)
        assert await _done(engine) < len(effects)
        proxy.restore()
        for _ in range(600):
            if await _done(engine) == len(effects):
                break
            await asyncio.sleep(0.05)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await app.engine.dispose()
        await proxy.close()
    assert await _done(engine) == len(effects)
    assert sim.duplicates() == 0  # what was sent during the cut was recorded after it, not resent
    expected: dict[str, list[str]] = {}
    for effect in effects:
        expected.setdefault(lane(effect) or "", []).append(effect.text)
    assert dict(sim.landed) == expected
    records = [r for r in caplog.records if r.name == "townsquare.outbox"]
    assert not any(r.exc_info for r in records)
    warnings = [r.getMessage() for r in records if r.levelno >= logging.WARNING]
    assert any("unreachable" in w for w in warnings) and "answers again" in warnings[-1]
    assert len(warnings) <= 3  # down, (sent but not recorded yet), back: not a line per failed pass
