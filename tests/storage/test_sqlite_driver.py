"""The SQLite adapter: a statement is one call on aiosqlite's thread (its BEGIN rides along with the
first statement of the transaction), and SQLAlchemy sees the same results, row counts, ids and
transactions as with the stock adapter."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.db import create_engine


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


async def test_a_statement_is_one_hop_and_its_transaction_adds_one_for_the_commit(
    sqlite: AsyncEngine, hops: list[str]
) -> None:
    async with sqlite.connect() as conn:  # the connection is open now: count from here
        await conn.rollback()
        hops.clear()
        await conn.execute(text("INSERT INTO t (v) VALUES ('a')"))
        found = (await conn.execute(text("SELECT id, v FROM t"))).all()
        await conn.commit()
    assert found == [(1, "a")]
    assert hops == ["_execute", "_execute", "commit"]  # BEGIN went with the INSERT; no reset after


async def test_a_transaction_that_ran_nothing_costs_no_hop(sqlite: AsyncEngine, hops: list[str]) -> None:
    async with sqlite.connect() as conn:
        await conn.rollback()
        hops.clear()
        async with conn.begin():
            pass
    assert hops == []


async def test_results_row_counts_ids_and_rollbacks_are_as_sqlalchemy_expects(sqlite: AsyncEngine) -> None:
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


async def test_an_error_in_a_statement_surfaces_and_leaves_the_connection_usable(
    sqlite: AsyncEngine,
) -> None:
    async with sqlite.connect() as conn:
        with pytest.raises(Exception, match="no such table"):
            await conn.execute(text("SELECT * FROM missing"))
        await conn.rollback()
        assert (await conn.execute(text("SELECT count(*) FROM t"))).scalar_one() == 0
