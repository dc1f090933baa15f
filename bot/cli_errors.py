"""Errors a person can act on, for every CLI verb: one line naming the file, key or flag and the fix.

`run_verb` runs a parsed command and turns what an operator can fix (a missing, unreachable or
read-only database, a schema from a newer Townsquare, a number out of range) into that one line and
exit status 2; output piped into a closed pipe (`townsquare ideas export | head`) ends quietly.
`checked_storage` opens the configured database for a verb: it refuses a missing SQLite file, checks
the schema, and reads a read-only SQLite file without writing to it.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.bootstrap import Storage
    from bot.config import Settings

ROW_ID_MAX = 2**63 - 1  # the largest id a database row can have


class CliFailure(Exception):
    """What is wrong and how to fix it, in one line; the verb exits with status 2."""


def run_verb(args: argparse.Namespace) -> int:
    """Run the verb parsed into `args`; its one-line failure, if any, goes to stderr."""
    verb = " ".join(str(part) for part in _verb(args))
    try:
        status = int(args.func(args) or 0)
        sys.stdout.flush()  # here, not at exit: a closed pipe is then caught below
        return status
    except BrokenPipeError:  # the reader went away (`| head`): stop quietly, as cat does
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # so the flush at exit does not fail again
        return 1
    except CliFailure as exc:
        line = str(exc)
    except OSError as exc:
        if exc.filename is None:
            explained = describe_database_error(exc, getattr(args, "config", None))
            if explained is None:
                raise
            line = explained
        else:  # a file named on the command line (--output, --chart, --write)
            line = f"{exc.filename}: {exc.strerror or exc}; check the path and that this user may write there"
    except Exception as exc:  # noqa: BLE001  (the one edge where any database failure is explained)
        explained = describe_database_error(exc, getattr(args, "config", None))
        if explained is None:
            raise
        line = explained
    print(f"townsquare {verb}: {line}", file=sys.stderr)
    return 2


def _verb(args: argparse.Namespace) -> list[str]:
    words = [args.command]
    for attribute in (
        "ideas_command",
        "metrics_command",
        "members_command",
        "customers_command",
        "automations_command",
    ):
        if getattr(args, attribute, None):
            words.append(getattr(args, attribute))
    return words


def where(config: str | None) -> str:
    """The setting that names the database: the environment variable when it overrides the file."""
    if os.environ.get("TOWNSQUARE_DATABASE_URL"):
        return "TOWNSQUARE_DATABASE_URL"
    return f"{config}: database.url" if config else "database.url"


def safe_url(url: str) -> str:
    """The URL with its password hidden."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001  (an unparseable URL is shown as the config's key only)
        return "(the configured URL)"


def _configured_url(config: str | None) -> str | None:
    if not config:
        return None
    from bot.config import ConfigError, load_settings

    try:
        return load_settings(config).database.url
    except ConfigError:
        return None


def describe_database_error(exc: BaseException, config: str | None) -> str | None:
    """One line for a database failure an operator can fix; None for anything else."""
    from sqlalchemy.exc import SQLAlchemyError

    url = _configured_url(config)
    shown = safe_url(url) if url else "the database"
    key = where(config)
    network = isinstance(exc, ConnectionError | TimeoutError | socket.gaierror)
    if not (network or isinstance(exc, SQLAlchemyError) or _is_driver_error(exc)):
        return None
    reason = str(getattr(exc, "orig", None) or exc).splitlines()[0] if str(exc) else type(exc).__name__
    lowered = reason.lower()
    if "readonly" in lowered or "read-only" in lowered:
        return (
            f"{key}: {shown} is read-only for this user; make the file and its folder writable by this user, "
            "or run as the user that owns them"
        )
    if "unable to open database file" in lowered:
        return (
            f"{key}: cannot open the SQLite file of {shown}; check that its folder exists and that this "
            "user can write to it"
        )
    if "no such table" in lowered or ("does not exist" in lowered and "relation" in lowered):
        return f"{key}: {shown} has no Townsquare tables; run `townsquare migrate --config {config}`"
    if "database is locked" in lowered:
        return f"{key}: {shown} stayed locked by another process; retry when it is less busy"
    if (
        "password" in lowered
        or "authentication" in lowered
        or ("role" in lowered and "does not exist" in lowered)
    ):
        return f"{key}: {shown} refused the login ({reason}); check the user and password"
    if "database" in lowered and "does not exist" in lowered:
        return f"{key}: {shown}: {reason}; create it (createdb) or fix the database name"
    if network or "connect" in lowered:
        return (
            f"{key}: cannot reach {shown} ({reason or 'timed out'}); check that the database server runs "
            "there and accepts connections, or fix the host and port"
        )
    return f"{key}: {shown} failed: {reason}"


def _is_driver_error(exc: BaseException) -> bool:
    module = type(exc).__module__
    return module.startswith(("asyncpg", "sqlite3"))


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL (None for PostgreSQL)."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if not parsed.drivername.startswith("sqlite") or not parsed.database:
        return None
    name = parsed.database.removeprefix("file:").split("?")[0]
    return Path(name)


def _writable(path: Path) -> bool:
    return os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)


def _read_only_copy(settings: Settings, path: Path) -> Settings:
    """The settings pointed at `path` opened read-only: `immutable` reads a WAL file whose folder
    this user cannot write (where SQLite could not create its shared-memory file)."""
    wal = path.with_name(path.name + "-wal")
    flags = "mode=ro" if wal.exists() and wal.stat().st_size else "mode=ro&immutable=1"
    url = f"sqlite+aiosqlite:///file:{path.resolve()}?{flags}&uri=true"
    database = settings.database.model_copy(update={"url": url})
    return settings.model_copy(update={"database": database})


def require_database_file(settings: Settings, config: str) -> None:
    """CliFailure when the configured SQLite file does not exist (connecting would create it empty)."""
    path = sqlite_file(settings.database.url)
    if path is not None and not path.exists():
        raise CliFailure(
            f"{where(config)}: there is no database at {path}; create it with "
            f"`townsquare migrate --config {config}` (or fix the path)"
        )


@asynccontextmanager
async def checked_storage(
    settings: Settings, config: str, *, writes: bool, schema: bool = True, create: bool = False
) -> AsyncIterator[Storage]:
    """The configured database for one CLI verb, its schema checked (unless `schema` is False).

    A missing SQLite file is an error unless `create` (migrate); a read-only one is read without
    writing when the verb only reads, and an error when it `writes`."""
    from bot.bootstrap import open_storage
    from storage.migrate import SchemaOutOfDate, require_current

    path = sqlite_file(settings.database.url)
    if path is not None:
        if not create:
            require_database_file(settings, config)
        if not path.parent.is_dir():
            raise CliFailure(
                f"{where(config)}: the folder {path.parent} does not exist; create it or fix the path"
            )
        if path.exists() and not _writable(path):
            if writes:
                raise CliFailure(
                    f"{where(config)}: {path} is read-only for this user; make the file and its folder "
                    "writable, or run as the user that owns them"
                )
            settings = _read_only_copy(settings, path)
    async with open_storage(settings, reports=not writes) as storage:
        if schema:
            try:
                await require_current(storage.engine, config)
            except SchemaOutOfDate as exc:
                raise CliFailure(str(exc)) from None
        yield storage


def retry_words(values: list[str] | None, flag: str) -> list[str]:
    """`--retry` words: parked ids (possible row ids) or "all"; CliFailure names the flag otherwise."""
    for word in values or []:
        if word != "all" and not (word.isascii() and word.isdigit() and 1 <= int(word) <= ROW_ID_MAX):
            raise CliFailure(
                f"{flag} {word!r}: give parked ids (whole numbers from 1 to {ROW_ID_MAX}) or 'all'; "
                "`townsquare outbox` lists them"
            )
    return list(values or [])
