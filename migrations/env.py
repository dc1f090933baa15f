"""Alembic environment: async engines, batch mode for SQLite, the complete models' metadata as target.

Schema changes are new revisions in versions/; a released revision is never edited (see
docs/operations.md, enforced by tests/storage/test_migrations.py).
"""

from __future__ import annotations

import asyncio
import os

from alembic import context
from sqlalchemy.engine import Connection

from storage.db import create_engine
from storage.schema import metadata

config = context.config
target_metadata = metadata()  # the base tables and every storage/<feature>/tables.py


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite cannot ALTER most things; batch mode rebuilds tables
        compare_type=True,
    )


def _run(connection: Connection) -> None:
    _configure(connection)
    with context.begin_transaction():
        context.run_migrations()


async def _run_async(url: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run)
            await connection.commit()
    finally:
        await engine.dispose()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:  # called from storage.migrate with a live (sync-facing) connection
        _run(connection)
        return
    url = config.get_main_option("sqlalchemy.url") or os.environ.get(
        "TOWNSQUARE_DATABASE_URL", "sqlite+aiosqlite:///townsquare.db"
    )
    asyncio.run(_run_async(url))


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; run `townsquare migrate`")
run_migrations_online()
