"""Shared fixtures: a real database per test (a SQLite file; PostgreSQL too when
TOWNSQUARE_TEST_POSTGRES_URL is set), a fixed clock, the app wired to the in-memory platform."""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.fake.platform import FakeNotifier, FakePlatform
from bot.bootstrap import App, build_app
from bot.clock import FixedClock
from bot.config import Settings
from storage.db import create_engine
from storage.migrate import upgrade
from storage.tables import Base

PG_URL = os.environ.get("TOWNSQUARE_TEST_POSTGRES_URL")
BACKENDS = ["sqlite", "postgresql"] if PG_URL else ["sqlite"]
COMMUNITY = "test"
START = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)  # a Monday


def _sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


async def _migrate(url: str) -> None:
    engine = create_engine(url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head once; each test gets a copy (fast, and a real file)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    asyncio.run(_migrate(_sqlite_url(path)))
    return path


async def _admin(sql: str) -> None:
    import asyncpg

    assert PG_URL
    url = make_url(PG_URL).set(drivername="postgresql")
    conn = await asyncpg.connect(url.render_as_string(hide_password=False))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str | None]:
    """A throw-away PostgreSQL database for this test session, migrated to head."""
    if not PG_URL:
        yield None
        return
    name = f"townsquare_test_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    try:
        asyncio.run(_migrate(url))
        yield url
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=BACKENDS)
def empty_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of its own, not even migrated: a new SQLite file, or a throw-away
    PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
        return
    assert PG_URL
    name = f"townsquare_empty_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _truncate(url: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
            await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            # ... back to the state the migrations leave: the scheduler's stamp row exists.
            await conn.execute(text("INSERT INTO schedule_stamp (name, version) VALUES ('schedule', 0)"))
    finally:
        await engine.dispose()


@pytest.fixture(params=BACKENDS)
def db_url(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path, pg_url: str | None
) -> Iterator[str]:
    """A database at head, empty: a fresh SQLite file, or the session's PostgreSQL database."""
    if request.param == "sqlite":
        path = tmp_path / "townsquare.db"
        shutil.copy(sqlite_template, path)
        yield _sqlite_url(path)
        return
    assert pg_url is not None
    yield pg_url
    asyncio.run(_truncate(pg_url))


@pytest.fixture
async def engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(db_url)
    yield engine
    await engine.dispose()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


def make_settings(db_url: str, **community: object) -> Settings:
    """Settings with one community on the in-memory platform; keyword args override its keys."""
    base: dict[str, object] = {
        "id": COMMUNITY,
        "name": "Test Community",
        "platform": "fake",
        "timezone": "UTC",
    }
    base.update(community)
    return Settings.model_validate({"database": {"url": db_url}, "communities": [base]})


@pytest.fixture
def settings(db_url: str) -> Settings:
    return make_settings(db_url)


@pytest.fixture
def notifier() -> FakeNotifier:
    return FakeNotifier()


@pytest.fixture
async def app(settings: Settings, clock: FixedClock, engine: AsyncEngine, notifier: FakeNotifier) -> App:
    app = build_app(settings, clock, {"fake": notifier}, engine=engine)
    await app.ensure_communities()
    return app


@pytest.fixture
def platform(app: App, notifier: FakeNotifier) -> FakePlatform:
    return FakePlatform(app.bus, COMMUNITY, notifier)
