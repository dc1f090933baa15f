"""The SQLite adapter: a transaction runs on the event loop's thread (no hop at all) unless its
engine is `on_thread`, where a statement is one call on aiosqlite's thread (its BEGIN rides along
with the first statement of the transaction); a busy database is waited for on the thread, never on
the loop; SQLAlchemy sees the same results, row counts, ids, transactions and errors as with the
stock adapter."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
from sqlalchemy import exc, text
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.db import BUSY_TIMEOUT_MS, ReadOnlyViolation, create_engine, on_thread, read_only
from storage.sqlite_driver import OneHopConnection


@pytest.fixture
async def sqlite(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'driver.db'}")
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)"))
    yield engine
    await engine.dispose()


@pytest.fixture
def hops(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The name of every function sent to a connection's thread."""
    seen: list[str] = []
    original = aiosqlite.Connection._execute

    async def counted(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(getattr(fn, "__name__", repr(fn)))
        return await original(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    return seen


async def test_an_inline_transaction_makes_no_hop(sqlite: AsyncEngine, hops: list[str]) -> None:
    async with sqlite.connect() as conn:  # the connection is open now: count from here
        await conn.rollback()
        hops.clear()
        await conn.execute(text("INSERT INTO t (v) VALUES ('a')"))
        found = (await conn.execute(text("SELECT id, v FROM t"))).all()
        await conn.commit()
        await conn.execute(text("UPDATE t SET v = 'b'"))
        await conn.rollback()
    assert found == [(1, "a")]
    assert hops == []
    async with sqlite.connect() as conn:
        assert (await conn.execute(text("SELECT v FROM t"))).scalar_one() == "a"
        timeout = (await conn.exec_driver_sql("PRAGMA busy_timeout")).scalar_one()
    assert timeout == 0  # inside an inline transaction: a busy database is not waited for on the loop
    async with on_thread(sqlite).connect() as conn:
        timeout = (await conn.exec_driver_sql("PRAGMA busy_timeout")).scalar_one()
    assert timeout == BUSY_TIMEOUT_MS  # restored before the connection's thread ran anything


async def test_back_to_back_inline_transactions_leave_the_busy_timeout_alone(sqlite: AsyncEngine) -> None:
    sent: list[str] = []
    async with sqlite.connect() as conn:
        raw = (await conn.get_raw_connection()).dbapi_connection
        assert isinstance(raw, OneHopConnection)
        raw._connection._conn.set_trace_callback(sent.append)
        for value in ("a", "b", "c"):
            await conn.execute(text(f"INSERT INTO t (v) VALUES ('{value}')"))
            await conn.commit()
        raw._connection._conn.set_trace_callback(None)
    # The fixture's CREATE TABLE (an inline transaction) set it to 0 already; nothing put it back.
    assert [statement for statement in sent if statement.startswith("PRAGMA")] == []
    assert sent.count("BEGIN IMMEDIATE") == 3


async def test_on_thread_a_statement_is_one_hop_and_its_transaction_adds_one_for_the_commit(
    sqlite: AsyncEngine, hops: list[str]
) -> None:
    async with on_thread(sqlite).connect() as conn:  # the connection is open now: count from here
        await conn.rollback()
        hops.clear()
        await conn.execute(text("INSERT INTO t (v) VALUES ('a')"))
        found = (await conn.execute(text("SELECT id, v FROM t"))).all()
        await conn.commit()
    assert found == [(1, "a")]
    assert hops == ["_execute", "_execute", "commit"]  # BEGIN went with the INSERT; no reset after


async def test_a_transaction_that_ran_nothing_costs_no_hop(sqlite: AsyncEngine, hops: list[str]) -> None:
    async with on_thread(sqlite).connect() as conn:
        await conn.rollback()
        hops.clear()
        async with conn.begin():
            pass
    assert hops == []


@pytest.mark.parametrize("inline", [True, False], ids=["inline", "on_thread"])
async def test_results_row_counts_ids_and_rollbacks_are_as_sqlalchemy_expects(
    sqlite: AsyncEngine, inline: bool
) -> None:
    sqlite = sqlite if inline else on_thread(sqlite)
    async with sqlite.begin() as conn:
        inserted = await conn.execute(text("INSERT INTO t (v) VALUES ('a')"))
        assert inserted.lastrowid == 1
        many = await conn.execute(text("INSERT INTO t (v) VALUES (:v)"), [{"v": "b"}, {"v": "c"}])
        assert many.rowcount == 2
        updated = await conn.execute(text("UPDATE t SET v = 'x' WHERE id > 1"))
        assert updated.rowcount == 2
    async with sqlite.connect() as conn:
        await conn.execute(text("DELETE FROM t"))
        await conn.rollback()  # the DELETE (and the BEGIN IMMEDIATE before it) are undone
        rows = (await conn.execute(text("SELECT v FROM t ORDER BY id"))).scalars().all()
    assert rows == ["a", "x", "x"]
    async with sqlite.connect() as conn:
        streamed = await conn.stream(text("SELECT v FROM t ORDER BY id"))  # a server-side cursor
        assert [v async for v in streamed.scalars()] == ["a", "x", "x"]


@pytest.mark.parametrize("inline", [True, False], ids=["inline", "on_thread"])
async def test_an_error_in_a_statement_surfaces_as_sqlalchemys_and_leaves_the_connection_usable(
    sqlite: AsyncEngine, inline: bool
) -> None:
    sqlite = sqlite if inline else on_thread(sqlite)
    async with sqlite.connect() as conn:
        with pytest.raises(exc.OperationalError, match="no such table"):
            await conn.execute(text("SELECT * FROM missing"))
        await conn.rollback()
        await conn.execute(text("INSERT INTO t (id, v) VALUES (1, 'a')"))
        with pytest.raises(exc.IntegrityError, match="UNIQUE"):
            await conn.execute(text("INSERT INTO t (id, v) VALUES (1, 'b')"))
        assert (await conn.execute(text("SELECT count(*) FROM t"))).scalar_one() == 1  # still in it
        await conn.commit()
    async with sqlite.connect() as conn:
        assert (await conn.execute(text("SELECT v FROM t"))).scalars().all() == ["a"]


@pytest.mark.parametrize("inline", [True, False], ids=["inline", "on_thread"])
async def test_a_write_on_a_read_only_view_is_still_refused(sqlite: AsyncEngine, inline: bool) -> None:
    reader = read_only(sqlite if inline else on_thread(sqlite))
    async with reader.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM t"))).scalar_one() == 0
        with pytest.raises(ReadOnlyViolation):
            await conn.execute(text("INSERT INTO t (v) VALUES ('a')"))
    async with sqlite.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM t"))).scalar_one() == 0


async def test_a_busy_database_is_waited_for_on_the_thread_while_the_loop_goes_on(
    sqlite: AsyncEngine, tmp_path: Path, hops: list[str]
) -> None:
    """Another connection (another process, e.g. a CLI command) holds the write lock: the inline
    BEGIN IMMEDIATE finds the database busy at once, and the transaction waits on the thread with
    the full busy timeout, then goes on inline."""
    other = sqlite3.connect(tmp_path / "driver.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO t (v) VALUES ('other')")
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    async def release() -> None:
        await asyncio.sleep(0.3)
        other.execute("COMMIT")

    async with sqlite.connect() as conn:
        await conn.rollback()
        hops.clear()
        ticking = asyncio.create_task(ticker())
        releasing = asyncio.create_task(release())
        await conn.execute(text("INSERT INTO t (v) VALUES ('mine')"))  # waits for the other's commit
        ticked_while_waiting = ticks
        await conn.execute(text("UPDATE t SET v = 'mine!' WHERE v = 'mine'"))
        await conn.commit()
        ticking.cancel()
        await releasing
    other.close()
    assert ticked_while_waiting >= 10  # the event loop ran other tasks meanwhile
    assert hops == ["_execute_waiting"]  # the rest of the transaction went inline
    async with sqlite.connect() as conn:
        rows = (await conn.execute(text("SELECT v FROM t ORDER BY id"))).scalars().all()
    assert rows == ["other", "mine!"]


async def test_after_a_call_on_the_thread_was_abandoned_the_connection_stays_on_the_thread(
    sqlite: AsyncEngine, hops: list[str]
) -> None:
    """Cancelled while waiting for its thread, a call may still run there: the connection must never
    be used from two threads at once, so it stays on its thread from then on (with the full busy
    timeout). (SQLAlchemy invalidates a connection whose statement was cancelled; this is the
    adapter's own guard.)"""
    async with sqlite.connect() as conn:
        await conn.execute(text("INSERT INTO t (v) VALUES ('a')"))  # an inline transaction
        raw = (await conn.get_raw_connection()).dbapi_connection
        assert isinstance(raw, OneHopConnection)
        waiting = asyncio.create_task(conn.run_sync(lambda _: raw.await_(asyncio.sleep(10))))
        await asyncio.sleep(0.05)
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        hops.clear()
        await conn.execute(text("INSERT INTO t (v) VALUES ('b')"))
        await conn.commit()
        await conn.execute(text("INSERT INTO t (v) VALUES ('c')"))
        timeout = (await conn.exec_driver_sql("PRAGMA busy_timeout")).scalar_one()
        await conn.commit()
    assert hops.count("_execute") == 3 and "commit" in hops
    assert timeout == BUSY_TIMEOUT_MS
    async with on_thread(sqlite).connect() as conn:
        assert (await conn.execute(text("SELECT v FROM t ORDER BY id"))).scalars().all() == ["a", "b", "c"]
