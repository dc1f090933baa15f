"""Short write transactions: the digest is computed and drawn before its write transaction opens, so
other writers are not kept waiting behind it; a transaction that finds the database busy is tried
again after a backoff instead of failing."""

from __future__ import annotations

import asyncio
import logging
import shutil
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.bootstrap import App, build_app
from bot.clock import FixedClock
from bot.core.bus import JobRun
from bot.core.metrics.commands import PostWeeklyDigest
from bot.core.metrics.digest import Digest
from bot.core.metrics.ports import ChartRenderer
from bot.core.replies import Reply
from storage.db import create_engine, is_busy
from storage.tables import OutboxRow, ProcessedEventRow
from tests.conftest import COMMUNITY, make_settings
from tests.core.test_digest import MONDAY_AFTER


class BlockedRenderer:
    """A chart renderer that waits until the test lets it finish."""

    def __init__(self) -> None:
        self.drawing = asyncio.Event()
        self.release = asyncio.Event()

    async def digest_chart(self, digest: Digest) -> bytes:
        self.drawing.set()
        await self.release.wait()
        return b"chart"


async def _count(engine: AsyncEngine, table: type) -> int:
    async with engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(table)) or 0)


async def test_a_writer_commits_while_the_weekly_digest_is_being_drawn(
    app: App, clock: FixedClock, engine: AsyncEngine
) -> None:
    clock.set(MONDAY_AFTER)
    renderer = BlockedRenderer()
    app.bus.services[ChartRenderer] = renderer
    # As the scheduler sends it: the job's run is claimed in the command's transaction.
    run = JobRun(f"digest:{COMMUNITY}", MONDAY_AFTER)
    command = PostWeeklyDigest(community_id=COMMUNITY, week="2026-W46")
    job = asyncio.create_task(app.bus.handle(command, job=run))
    async with asyncio.timeout(30):
        await renderer.drawing.wait()
    # The digest is being drawn: another writer gets the database at once (on SQLite it would
    # otherwise wait for the write lock until its busy timeout ran out).
    async with asyncio.timeout(5):
        async with app.uow_factory() as uow:
            assert await uow.processed.claim("test", "written-meanwhile", clock.now())
            await uow.commit()
    assert await _count(engine, ProcessedEventRow) == 1
    assert await _count(engine, OutboxRow) == 0  # nothing of the digest is written yet
    renderer.release.set()
    reply = await job
    assert isinstance(reply, Reply) and "on its way" in reply.text
    async with engine.connect() as conn:
        image = await conn.scalar(select(OutboxRow.payload))
    assert image is not None and "Weekly digest" in str(image)


async def test_a_write_that_finds_the_database_locked_is_tried_again(
    tmp_path: Path, sqlite_template: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "busy.db"
    shutil.copy(sqlite_template, path)
    url = f"sqlite+aiosqlite:///{path}"
    engine = create_engine(url, busy_timeout_ms=30)
    app = build_app(make_settings(url), FixedClock(MONDAY_AFTER), {}, engine=engine)
    try:
        await app.ensure_communities()
        renderer = BlockedRenderer()
        app.bus.services[ChartRenderer] = renderer
        blocker = sqlite3.connect(path, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")  # another process holds the write lock for a while
        job = asyncio.create_task(app.bus.handle(PostWeeklyDigest(community_id=COMMUNITY, week="2026-W46")))
        with caplog.at_level(logging.WARNING, logger="townsquare.bus"):
            async with asyncio.timeout(30):
                await renderer.drawing.wait()
            renderer.release.set()  # the digest is ready; its transaction meets the lock, many times
            await asyncio.sleep(0.4)
            assert not job.done()
            blocker.execute("COMMIT")
            blocker.close()
            reply = await job
        assert isinstance(reply, Reply) and "on its way" in reply.text
        assert "database busy for PostWeeklyDigest" in caplog.text
        assert await _count(engine, OutboxRow) == 1
    finally:
        await app.close()


def test_only_busy_database_errors_are_retried() -> None:
    locked = OperationalError("INSERT …", {}, sqlite3.OperationalError("database is locked"))
    assert is_busy(locked)
    assert not is_busy(OperationalError("SELECT …", {}, sqlite3.OperationalError("no such table: x")))
    assert not is_busy(IntegrityError("INSERT …", {}, sqlite3.IntegrityError("UNIQUE constraint failed")))
    assert not is_busy(ValueError("database is locked"))

    class PgError(Exception):
        sqlstate = "40001"

    assert is_busy(OperationalError("UPDATE …", {}, PgError("could not serialize access")))


async def test_write_transactions_take_turns_so_a_stream_of_writes_cannot_starve_one(
    tmp_path: Path, sqlite_template: Path
) -> None:
    path = tmp_path / "turns.db"
    shutil.copy(sqlite_template, path)
    url = f"sqlite+aiosqlite:///{path}"
    app = build_app(make_settings(url), FixedClock(MONDAY_AFTER), {})
    committed = 0

    async def stream() -> None:  # like the ingest: one write transaction after another, no pause
        nonlocal committed
        for i in range(40):
            async with app.uow_factory() as uow:
                await uow.processed.claim("stream", str(i), MONDAY_AFTER)
                await asyncio.sleep(0.005)  # the rest of a batch's work
                await uow.commit()
            committed += 1

    async def command() -> int:
        await asyncio.sleep(0.01)
        asked = committed
        async with app.uow_factory() as uow:
            await uow.processed.claim("command", "1", MONDAY_AFTER)  # holds the write lock from here
            waited = committed - asked
            await uow.commit()
        return waited

    try:
        _, waited = await asyncio.gather(stream(), command())
        assert waited <= 1  # the command waited for the transaction under way, not for the stream
        async with app.uow_factory() as outer:
            await outer.processed.claim("outer", "1", MONDAY_AFTER)
            with pytest.raises(RuntimeError, match="inside another one of the same task"):
                async with app.uow_factory():
                    pass
    finally:
        await app.close()
