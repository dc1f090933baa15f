"""Run and check Alembic migrations from async code (the CLI, start-up and tests)."""

from __future__ import annotations

import sys
from pathlib import Path

# Mako (Alembic's templates, used only to write new migration files) imports Pygments' lexers at
# import time, when Pygments is installed (pytest brings it), for its HTML error pages, which
# Townsquare never renders: ~50 ms of every command that migrates or checks the schema. Without
# the plugin Mako uses its own fallback, as where Pygments is not installed.
sys.modules.setdefault("mako.ext.pygmentplugin", None)  # type: ignore[arg-type]

from alembic import command  # noqa: E402
from alembic.config import Config  # noqa: E402
from alembic.runtime.migration import MigrationContext  # noqa: E402
from alembic.script import ScriptDirectory  # noqa: E402
from sqlalchemy.engine import Connection  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncEngine  # noqa: E402

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


class SchemaOutOfDate(Exception):
    """The database is not at the newest migration; the message says how to fix it."""


async def _run(engine: AsyncEngine, action: str, revision: str) -> None:
    cfg = alembic_config()

    def _do(connection: Connection) -> None:
        cfg.attributes["connection"] = connection
        getattr(command, action)(cfg, revision)

    async with engine.begin() as connection:
        await connection.run_sync(_do)


async def upgrade(engine: AsyncEngine, revision: str = "head", config_path: str | None = None) -> None:
    """Upgrade the schema (to head by default); SchemaOutOfDate when a newer Townsquare made it."""
    _refuse_newer(await current_revision(engine), config_path)
    await _run(engine, "upgrade", revision)


async def downgrade(engine: AsyncEngine, revision: str = "base") -> None:
    """Downgrade the schema (to empty by default)."""
    await _run(engine, "downgrade", revision)


def known_revisions() -> set[str]:
    """Every revision in migrations/versions."""
    return {script.revision for script in ScriptDirectory.from_config(alembic_config()).walk_revisions()}


def _refuse_newer(current: str | None, config_path: str | None = None) -> None:
    if current is not None and current not in known_revisions():
        raise SchemaOutOfDate(
            f"the database schema is at revision {current}, which this Townsquare does not know (it knows "
            f"up to {head_revision()}): a newer Townsquare made it. Upgrade Townsquare to that version or "
            "later, "
            f"or point database.url{f' in {config_path}' if config_path else ''} at another database; "
            "migrate cannot go back."
        )


async def require_current(engine: AsyncEngine, config_path: str | None = None) -> None:
    """Refuse to run on a schema that is not at head (a newer one says to upgrade Townsquare)."""
    current, head = await current_revision(engine), head_revision()
    _refuse_newer(current, config_path)
    if current != head:
        where = f" --config {config_path}" if config_path else ""
        state = "empty" if current is None else f"at revision {current}"
        raise SchemaOutOfDate(
            f"the database schema is {state}, but this Townsquare needs {head}. "
            f"Run `townsquare migrate{where}` first."
        )
