"""Migrations: empty → head → empty → head on a real database, and the models agree with them."""

from __future__ import annotations

import shutil
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.db import create_engine
from storage.migrate import (
    SchemaOutOfDate,
    current_revision,
    downgrade,
    head_revision,
    require_current,
    upgrade,
)
from storage.tables import Base


async def _tables(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as conn:
        return set(await conn.run_sync(lambda c: inspect(c).get_table_names())) - {"alembic_version"}


async def test_upgrade_downgrade_round_trip(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'm.db'}")
    try:
        assert await current_revision(engine) is None
        await upgrade(engine)
        assert await current_revision(engine) == head_revision()
        assert await _tables(engine) == set(Base.metadata.tables)
        await downgrade(engine)
        assert await current_revision(engine) is None
        assert await _tables(engine) == set()
        await upgrade(engine)
        assert await _tables(engine) == set(Base.metadata.tables)
    finally:
        await engine.dispose()


async def test_models_match_migrations(engine: AsyncEngine) -> None:
    """Autogenerate finds nothing to add: every model change has its migration."""

    def diff(connection: object) -> list[object]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})  # type: ignore[arg-type]
        return compare_metadata(context, Base.metadata)

    async with engine.connect() as conn:
        assert await conn.run_sync(diff) == []


async def test_run_refuses_an_out_of_date_schema(tmp_path: Path, sqlite_template: Path) -> None:
    empty = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}")
    try:
        try:
            await require_current(empty, "prod.toml")
        except SchemaOutOfDate as exc:
            assert "townsquare migrate --config prod.toml" in str(exc)
            assert "empty" in str(exc)
        else:
            raise AssertionError("an empty database was accepted")
    finally:
        await empty.dispose()
    shutil.copy(sqlite_template, tmp_path / "ok.db")
    ok = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'ok.db'}")
    try:
        await require_current(ok)
    finally:
        await ok.dispose()


async def test_sqlite_pragmas(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'p.db'}")
    try:
        async with engine.connect() as conn:
            values = {
                name: (await conn.exec_driver_sql(f"PRAGMA {name}")).scalar()
                for name in ("journal_mode", "busy_timeout", "synchronous", "foreign_keys")
            }
        assert values == {"journal_mode": "wal", "busy_timeout": 10000, "synchronous": 1, "foreign_keys": 1}
    finally:
        await engine.dispose()
