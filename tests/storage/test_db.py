"""The engine's views: a read-only view refuses writes (on every backend, also through views made
from it); the engine itself and its other views carry no such check on their statements."""

from __future__ import annotations

import pytest
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.db import ReadOnlyViolation, _refuse_writes, for_reports, on_thread, read_only


@pytest.mark.parametrize("make_view", [read_only, for_reports, lambda e: read_only(on_thread(e))])
async def test_a_read_only_view_refuses_a_write_and_the_engine_still_writes(
    engine: AsyncEngine, make_view: object
) -> None:
    view: AsyncEngine = make_view(engine)  # type: ignore[operator]
    async with view.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM schedule_stamp"))).scalar_one() == 1
        for write in (
            "INSERT INTO schedule_stamp (name, version) VALUES ('x', 1)",
            "  update schedule_stamp SET version = 2",
            "\nDELETE FROM schedule_stamp",
        ):
            with pytest.raises(ReadOnlyViolation):
                await conn.execute(text(write))
    async with engine.begin() as conn:
        await conn.execute(text("UPDATE schedule_stamp SET version = version + 1"))
        assert (await conn.execute(text("SELECT version FROM schedule_stamp"))).scalar_one() == 1


async def test_only_read_only_views_check_their_statements(engine: AsyncEngine) -> None:
    view = read_only(engine)
    assert event.contains(view.sync_engine, "before_cursor_execute", _refuse_writes)
    for writer in (engine, on_thread(engine)):
        assert not event.contains(writer.sync_engine, "before_cursor_execute", _refuse_writes)


async def test_on_sqlite_the_connection_given_back_last_is_handed_out_next(engine: AsyncEngine) -> None:
    """Two connections used in turn by one writer and one reader would each find the database
    changed by the other and read their pages again: the pool hands out the last one given back."""
    if engine.dialect.name != "sqlite":
        pytest.skip("a SQLite page cache matter")
    view = read_only(engine)  # shares the engine's pool
    async with engine.connect() as first, view.connect() as second:
        first_raw = (await first.get_raw_connection()).dbapi_connection
        second_raw = (await second.get_raw_connection()).dbapi_connection
        assert first_raw is not second_raw
    # `first` went back last (the context managers close in reverse order: second, then first).
    for _ in range(3):
        async with engine.connect() as conn:
            assert (await conn.get_raw_connection()).dbapi_connection is first_raw
        async with view.connect() as conn:
            assert (await conn.get_raw_connection()).dbapi_connection is first_raw
