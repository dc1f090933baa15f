"""Run and check Alembic migrations from async code (the CLI, start-up and tests)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config() -> Config:
    """The Alembic configuration shipped in migrations/."""
    cfg = Config(str(MIGRATIONS / "alembic.ini"))
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def head_revision() -> str | None:
    """The newest migration in migrations/versions."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


async def current_revision(engine: AsyncEngine) -> str | None:
    """The revision the database is at (None for an empty database)."""

    def _current(connection: Connection) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    async with engine.connect() as connection:
        return await connection.run_sync(_current)


async def _run(engine: AsyncEngine, action: str, revision: str) -> None:
    cfg = alembic_config()

    def _do(connection: Connection) -> None:
        cfg.attributes["connection"] = connection
        getattr(command, action)(cfg, revision)

    async with engine.begin() as connection:
        await connection.run_sync(_do)


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Upgrade the schema (to head by default)."""
    await _run(engine, "upgrade", revision)


async def downgrade(engine: AsyncEngine, revision: str = "base") -> None:
    """Downgrade the schema (to empty by default)."""
    await _run(engine, "downgrade", revision)


class SchemaOutOfDate(Exception):
    """The database is not at the newest migration; the message says how to fix it."""


async def require_current(engine: AsyncEngine, config_path: str | None = None) -> None:
    """Refuse to run on a schema that is not at head."""
    current, head = await current_revision(engine), head_revision()
    if current != head:
        where = f" --config {config_path}" if config_path else ""
        state = "empty" if current is None else f"at revision {current}"
        raise SchemaOutOfDate(
            f"the database schema is {state}, but this Townsquare needs {head}. "
            f"Run `townsquare migrate{where}` first."
        )
