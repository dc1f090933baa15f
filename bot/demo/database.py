"""The demo's database: a fresh SQLite file (the default), or a PostgreSQL database given by URL.

The demo replaces its database on every run, so it only ever touches one it wrote itself: a
database whose only community is the demo's on the in-memory platform, or an empty one.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import SQLAlchemyError

from bot.demo.community import COMMUNITY_ID
from storage.db import create_engine, is_sqlite
from storage.migrate import downgrade, upgrade

OURS = [(COMMUNITY_ID, "fake")]


class DemoError(Exception):
    """The demo cannot run as asked; the message says what to do."""


def sqlite_url(db: Path) -> str:
    return f"sqlite+aiosqlite:///{db.resolve().as_posix()}"


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL; None for any other database."""
    return Path(make_url(url).database or "") if is_sqlite(url) else None


def shown(url: str) -> str:
    """A database URL as the demo prints it (no password)."""
    return make_url(url).render_as_string(hide_password=True)


def replaceable_file(db: Path) -> None:
    """Only a database an earlier demo wrote is replaced: never a real community's."""
    if not db.exists():
        return
    rows: list[tuple[object, ...]] | None = None
    try:
        with closing(sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)) as conn:
            if conn.execute("SELECT count(*) FROM sqlite_master").fetchone() == (0,):
                return  # an empty database: a demo stopped before it created anything
            rows = conn.execute("SELECT id, platform FROM community").fetchall()
    except sqlite3.Error:
        pass  # not SQLite, or not Townsquare's schema: not ours to delete
    if rows is not None and all(row == OURS[0] for row in rows):
        return
    raise DemoError(
        f"{db} exists and is not a database `townsquare demo` wrote; the demo replaces its database "
        "on every run, so choose another --db (or move that file away yourself)"
    )


def fresh_file(db: Path) -> None:
    replaceable_file(db)
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)


def _contents(conn: Connection) -> tuple[list[str], list[tuple[object, ...]] | None]:
    tables = [name for name in inspect(conn).get_table_names() if name != "alembic_version"]
    if "community" not in tables:
        return tables, None
    return tables, [tuple(row) for row in conn.execute(text("SELECT id, platform FROM community"))]


async def fresh_server_database(url: str) -> None:
    """Empty a database server's database for the demo (an empty one, or one a demo wrote), at head."""
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            tables, communities = await conn.run_sync(_contents)
        if tables and (communities is None or any(row != OURS[0] for row in communities)):
            raise DemoError(
                f"{shown(url)} holds tables and is not a database `townsquare demo` wrote; the demo "
                "replaces its database on every run, so give it a fresh one (e.g. `createdb "
                "townsquare_demo`, then --database-url postgresql+asyncpg://…/townsquare_demo)"
            )
        if tables:
            await downgrade(engine)
        await upgrade(engine)
    except (SQLAlchemyError, OSError) as exc:
        raise DemoError(f"cannot prepare {shown(url)}: {exc}") from exc
    finally:
        await engine.dispose()
