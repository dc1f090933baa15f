"""Migrations: empty → head → empty → head on a real database, the models agree with them, the
previous release upgrades to them, and a released revision is never edited.

Every schema change is a new revision in migrations/versions (docs/operations.md). When a release
ships new revisions, add their checksums to RELEASED below.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import to_tuple
from sqlalchemy import MetaData, inspect
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.db import create_engine, on_thread
from storage.migrate import (
    MIGRATIONS,
    SchemaOutOfDate,
    alembic_config,
    current_revision,
    downgrade,
    head_revision,
    require_current,
    upgrade,
)
from storage.schema import metadata, table_modules

VERSIONS = MIGRATIONS / "versions"

RELEASED: dict[str, str] = {
    # revision file -> sha256 of its bytes as released. Never change an entry: add a revision.
    "0001_initial_schema.py": "138d9f6975c1d824381e0cd04a6b55c2bd6ddb17b74ef5686d8103ae09c95605",
    "0002_outbox_relay.py": "1ea79ed53a90e925a3cfd18ccf3588ed55d717123a2c9bcb2f41774b7097e083",
    "0003_metrics_rollup.py": "3d46bf997c0527c11ef7ef7fd221ccaf09ba9a4cbc7566b5ee3280d754aff175",
    "0004_recognition.py": "f3fec1ddd7528f16be8b898c2f02e7b38e0dee412516543e888ec8852e1a8299",
    "0005_governance.py": "87b32e577d59bd0ad3da4173ab7caeea8004a93c3c17bd722c431a0552dac391",
    "0006_schedule_stamp.py": "8aef6bef720ea189e50a184d2d9c3c5e11bf0e00d820a7825b1a3582b97d5cd0",
    "0007_business.py": "229c16c00dfca1211c0d1523afc0a0241f99f883b62943a2fbdb86ff0f822b09",
    "0008_member_activity.py": "c17c9998e447813c7a743fa9c379e568343f875a867a861e751a0f32d3f3c900",
}


def _released_head() -> str:
    """The newest released revision: the one no other released revision revises."""
    scripts = ScriptDirectory.from_config(alembic_config())
    released = {
        script.revision: script for script in scripts.walk_revisions() if Path(script.path).name in RELEASED
    }
    revised = {down for script in released.values() for down in to_tuple(script.down_revision, default=())}
    heads = set(released) - revised
    assert len(heads) == 1, f"the released revisions have {len(heads)} heads: {sorted(heads)}"
    return heads.pop()


def _diff(connection: Connection, target: MetaData) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, target))


async def _tables(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as conn:
        return set(await conn.run_sync(lambda c: inspect(c).get_table_names())) - {"alembic_version"}


async def test_upgrade_downgrade_round_trip(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'm.db'}")
    try:
        assert await current_revision(engine) is None
        await upgrade(engine)
        assert await current_revision(engine) == head_revision()
        assert await _tables(engine) == set(metadata().tables)
        await downgrade(engine)
        assert await current_revision(engine) is None
        assert await _tables(engine) == set()
        await upgrade(engine)
        assert await _tables(engine) == set(metadata().tables)
    finally:
        await engine.dispose()


async def test_models_match_migrations(engine: AsyncEngine) -> None:
    """Autogenerate finds nothing to add: every model change has its migration."""

    async with engine.connect() as conn:
        assert await conn.run_sync(_diff, metadata()) == []


async def test_previous_release_upgrades_to_the_models(empty_db_url: str) -> None:
    """A database as the last release left it, upgraded to head, is exactly what the models say."""
    engine = create_engine(empty_db_url)
    try:
        await upgrade(engine, _released_head())
        assert await current_revision(engine) == _released_head()
        await upgrade(engine)
        assert await current_revision(engine) == head_revision()
        async with engine.connect() as conn:
            assert await conn.run_sync(_diff, metadata()) == []
    finally:
        await engine.dispose()


def test_released_revisions_are_never_edited() -> None:
    """A released revision already ran on somebody's database: editing it changes nothing there."""
    for name, released in RELEASED.items():
        path = VERSIONS / name
        assert path.exists(), f"{path} was released and must stay; add a new revision instead"
        actual = hashlib.sha256(path.read_bytes()).hexdigest()
        assert actual == released, (
            f"{path.relative_to(MIGRATIONS.parent)} was released and must not be edited: databases "
            "already at that revision will never run it again. Revert the edit (git checkout) and put "
            "the change in a new revision: alembic -c migrations/alembic.ini revision --autogenerate "
            "-m '...' (see docs/operations.md)."
        )


def test_unreleased_revisions_follow_the_released_head() -> None:
    """New revisions extend the released history in one line; none branches off an older one."""
    scripts = ScriptDirectory.from_config(alembic_config())
    assert len(scripts.get_heads()) == 1, f"several heads: {scripts.get_heads()}; merge or rebase"
    line = [s.revision for s in scripts.walk_revisions()]  # head first
    released = {s.revision for s in scripts.walk_revisions() if Path(s.path).name in RELEASED}
    assert line[line.index(_released_head()) :] == [r for r in line if r in released]


def test_autogenerate_sees_every_table(tmp_path: Path) -> None:
    """`alembic check`, in a fresh process as a developer runs it, finds the head schema complete:
    migrations/env.py loads every feature's tables, not only those imported so far."""
    db = tmp_path / "check.db"
    env = {**os.environ, "TOWNSQUARE_DATABASE_URL": f"sqlite+aiosqlite:///{db}"}
    alembic = [sys.executable, "-m", "alembic", "-c", str(MIGRATIONS / "alembic.ini")]
    root = MIGRATIONS.parent
    for args in (["upgrade", "head"], ["check"]):
        done = subprocess.run(alembic + args, cwd=root, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
    assert len(table_modules()) >= 7 and "storage.gates.tables" in table_modules()


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
        # Read on the connection's thread: a transaction on the event loop's thread runs with busy
        # timeout 0 and waits for a busy database on the thread (tests/storage/test_sqlite_driver.py).
        async with on_thread(engine).connect() as conn:
            values = {
                name: (await conn.exec_driver_sql(f"PRAGMA {name}")).scalar()
                for name in ("journal_mode", "busy_timeout", "synchronous", "foreign_keys")
            }
        assert values == {"journal_mode": "wal", "busy_timeout": 10000, "synchronous": 1, "foreign_keys": 1}
    finally:
        await engine.dispose()
