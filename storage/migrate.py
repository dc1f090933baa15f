"""Run and check Alembic migrations from async code (the CLI, start-up and tests).

Alembic itself (~0.1 s to import, and its script directory executes every revision file) loads only
when a migration runs or the revision files are not plain. Checking that a database is at head,
what every start-up and every read-only command does, reads the version row Alembic keeps and the
`revision`/`down_revision` lines of migrations/versions; tests/test_startup_migrate.py holds both
answers to Alembic's own.
"""

from __future__ import annotations

import ast
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

if TYPE_CHECKING:
    from alembic.config import Config

# Mako (Alembic's templates, used only to write new migration files) imports Pygments' lexers at
# import time, when Pygments is installed (pytest brings it), for its HTML error pages, which
# Townsquare never renders: ~50 ms of every command that loads Alembic (see read_revisions).
# Without the plugin Mako uses its own fallback, as where Pygments is not installed.
sys.modules.setdefault("mako.ext.pygmentplugin", None)  # type: ignore[arg-type]

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
VERSION_TABLE = "alembic_version"  # Alembic's default; migrations/env.py keeps it
# A module-level `name = value` or `name: type = value` line of a revision file.
_HEADER = re.compile(r"^(revision|down_revision|branch_labels|depends_on)\b[^=\n]*=(.*)$", re.MULTILINE)


def alembic_config() -> Config:
    """The Alembic configuration shipped in migrations/."""
    from alembic.config import Config

    cfg = Config(str(MIGRATIONS / "alembic.ini"))
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


@dataclass(frozen=True)
class Revisions:
    """What migrations/versions holds: every revision id and the one head."""

    known: frozenset[str]
    head: str


_NOT_LITERAL = object()


def _literal(value: str) -> object:
    """A header line's value (a trailing comment allowed); _NOT_LITERAL for anything computed."""
    for candidate in (value, value.split("#", 1)[0]):
        try:
            return ast.literal_eval(candidate.strip())
        except (ValueError, SyntaxError):
            continue
    return _NOT_LITERAL


def read_revisions(versions: Path = MIGRATIONS / "versions") -> Revisions | None:
    """The revisions of `versions`, read from each file's header lines without running it.

    None (ask Alembic) unless every file is plain: one literal `revision` and `down_revision`,
    no branch labels or `depends_on`, distinct ids, one line of history ending in one head.
    """
    known: set[str] = set()
    revised: set[str] = set()
    for path in versions.glob("*.py"):
        if path.name.startswith((".#", "__init__")):
            continue  # Alembic skips these too
        found: dict[str, list[object]] = {}
        for name, value in _HEADER.findall(path.read_text(encoding="utf-8")):
            literal = _literal(value)
            if literal is _NOT_LITERAL:
                return None
            found.setdefault(name, []).append(literal)
        revision, down = found.get("revision", []), found.get("down_revision", [])
        if len(revision) != 1 or len(down) != 1 or not isinstance(revision[0], str):
            return None
        if any(value is not None for key in ("branch_labels", "depends_on") for value in found.get(key, [])):
            return None
        downs = down[0] if isinstance(down[0], tuple) else () if down[0] is None else (down[0],)
        if revision[0] in known or not all(isinstance(d, str) for d in downs):
            return None
        known.add(revision[0])
        revised.update(str(d) for d in downs)
    heads = known - revised
    if len(heads) != 1 or not revised <= known:
        return None
    return Revisions(frozenset(known), heads.pop())


def head_revision() -> str | None:
    """The newest migration in migrations/versions."""
    revisions = read_revisions()
    if revisions is not None:
        return revisions.head
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def _current(connection: Connection) -> str | None:
    """The revision in Alembic's version table, read as Alembic's MigrationContext reads it."""
    if not inspect(connection).has_table(VERSION_TABLE):
        return None
    rows = connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars().all()
    if len(rows) <= 1:
        return rows[0] if rows else None
    from alembic.runtime.migration import MigrationContext  # several heads: Alembic says what is wrong

    return MigrationContext.configure(connection).get_current_revision()


async def current_revision(engine: AsyncEngine) -> str | None:
    """The revision the database is at (None for an empty database)."""
    async with engine.connect() as connection:
        return await connection.run_sync(_current)


class SchemaOutOfDate(Exception):
    """The database is not at the newest migration; the message says how to fix it."""


async def _run(engine: AsyncEngine, action: str, revision: str) -> None:
    from alembic import command

    cfg = alembic_config()

    def _do(connection: Connection) -> None:
        cfg.attributes["connection"] = connection
        getattr(command, action)(cfg, revision)

    async with engine.begin() as connection:
        await connection.run_sync(_do)


async def upgrade(engine: AsyncEngine, revision: str = "head", config_path: str | None = None) -> None:
    """Upgrade the schema (to head by default); SchemaOutOfDate when a newer Townsquare made it."""
    current = await current_revision(engine)
    _refuse_newer(current, config_path)
    if revision == "head" and current is not None and current == head_revision():
        return  # Alembic would find nothing to run
    await _run(engine, "upgrade", revision)


async def downgrade(engine: AsyncEngine, revision: str = "base") -> None:
    """Downgrade the schema (to empty by default)."""
    await _run(engine, "downgrade", revision)


def known_revisions() -> set[str]:
    """Every revision in migrations/versions."""
    revisions = read_revisions()
    if revisions is not None:
        return set(revisions.known)
    from alembic.script import ScriptDirectory

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
