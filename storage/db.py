"""The engine: SQLite tuned for a bot (WAL, busy timeout, IMMEDIATE writes) or PostgreSQL as is."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from storage import sqlite_driver

BUSY_TIMEOUT_MS = 10_000
READ_ONLY = "townsquare_read_only"
ON_THREAD = "townsquare_on_thread"
POOL_SIZE = 15  # connections kept (commands, the ingest, the relay, the scheduler)
POOL_OVERFLOW = 5  # and opened beyond them for a moment
WRITES = frozenset({"INSERT", "UPDATE", "DELETE", "REPLACE", "MERGE", "CREATE", "DROP", "ALTER", "TRUNCATE"})
# PostgreSQL's "try the transaction again" states: serialization failure, deadlock detected.
RETRY_SQLSTATES = frozenset({"40001", "40P01"})


class ReadOnlyViolation(RuntimeError):
    """A statement that writes was sent on a read-only connection (`read_only`): a bug in the code
    that sent it (e.g. a command declared `reads_only` whose handler writes)."""


def _refuse_writes(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
    """Listens on read-only views only (`read_only`), so other statements pay nothing for it."""
    words = statement.lstrip()[:9].split(None, 1)
    if words and words[0].upper() in WRITES:
        raise ReadOnlyViolation(f"a write on a read-only connection: {statement.lstrip()[:40]}…")


def is_sqlite(url: str) -> bool:
    """True for any SQLite URL."""
    return make_url(url).get_backend_name() == "sqlite"


def create_engine(
    url: str, *, echo: bool = False, busy_timeout_ms: int = BUSY_TIMEOUT_MS, **kwargs: Any
) -> AsyncEngine:
    """An async engine. On SQLite every connection gets the pragmas and every write transaction
    begins IMMEDIATE, so two writers queue on the busy timeout instead of failing with
    "database is locked" when a deferred reader upgrades to a writer. SQL parameters (what members
    typed) never appear in errors or logs (`hide_parameters`)."""
    kwargs.setdefault("hide_parameters", True)
    # Connections kept open between bursts: beyond the kept ones, each command of a burst would open
    # (and, once done, close) one: a new server process on PostgreSQL, a thread and pragmas on SQLite.
    kwargs.setdefault("pool_size", POOL_SIZE)
    kwargs.setdefault("max_overflow", POOL_OVERFLOW)
    if not is_sqlite(url):
        kwargs.setdefault("pool_pre_ping", True)
        return create_async_engine(url, echo=echo, **kwargs)

    parsed = make_url(url)
    if parsed.database in (None, "", ":memory:"):
        raise ValueError("use a SQLite file, not an in-memory database: the bot needs its data to survive")
    kwargs.setdefault("connect_args", {"timeout": busy_timeout_ms / 1000})
    # The connection given back last is handed out next. SQLite empties a connection's page cache
    # when it finds the database changed by another connection since its last transaction; handed
    # out in turn (the pool's default), two connections (a command beside a read-only preparer)
    # took turns for nearly every transaction of the demo (10,154 of 10,189), each then reading
    # its pages again.
    kwargs.setdefault("pool_use_lifo", True)
    kwargs.setdefault("module", sqlite_driver.dbapi())  # one thread hop per statement
    engine = create_async_engine(url, echo=echo, **kwargs)

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin (see the "begin" hook).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in (
            "PRAGMA journal_mode=WAL",
            f"PRAGMA busy_timeout={int(busy_timeout_ms)}",
            "PRAGMA synchronous=NORMAL",
            "PRAGMA foreign_keys=ON",
        ):
            cursor.execute(pragma)
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        read_only = conn.get_execution_options().get(READ_ONLY, False)
        begin = "BEGIN DEFERRED" if read_only else "BEGIN IMMEDIATE"
        dbapi_connection = conn.connection.dbapi_connection
        if isinstance(dbapi_connection, sqlite_driver.OneHopConnection):
            # Sent along with the transaction's first statement; short transactions run inline.
            inline = not conn.get_execution_options().get(ON_THREAD, False)
            dbapi_connection.begin_with(begin, inline=inline)
        else:
            conn.exec_driver_sql(begin)

    return engine


def read_only(engine: AsyncEngine) -> AsyncEngine:
    """A view of the engine whose transactions do not take SQLite's write lock (for reports); a
    statement that writes is refused there (ReadOnlyViolation). On PostgreSQL its statements run
    without BEGIN and ROLLBACK (autocommit): two round trips fewer, and no less consistent, since at
    READ COMMITTED each statement reads its own snapshot inside a transaction too."""
    options: dict[str, Any] = {READ_ONLY: True}
    if engine.dialect.name == "postgresql":
        options["isolation_level"] = "AUTOCOMMIT"
    view = engine.execution_options(**options)
    # A listener on a view applies to the view's connections only (and to views made from it, e.g.
    # `on_thread(read_only(engine))`), not to the engine's: writers' statements skip the check.
    event.listen(view.sync_engine, "before_cursor_execute", _refuse_writes)
    return view


def on_thread(engine: AsyncEngine) -> AsyncEngine:
    """A view of the engine for long statements (reports over the whole history): on SQLite they
    run on the connection's thread, so the event loop serves everything else meanwhile. Other
    transactions run on the event loop's thread (see storage.sqlite_driver); PostgreSQL is
    unaffected."""
    return engine.execution_options(**{ON_THREAD: True})


def for_reports(engine: AsyncEngine) -> AsyncEngine:
    """The view reports read through: read-only, and on SQLite on the connection's thread."""
    return on_thread(read_only(engine))


def is_busy(exc: BaseException) -> bool:
    """True when a transaction failed only because the database was busy, so running it again can
    succeed: SQLite's "database is locked" (the busy timeout ran out), or a PostgreSQL serialization
    failure or deadlock (the transaction was rolled back)."""
    if not isinstance(exc, DBAPIError):
        return False
    if isinstance(exc, OperationalError) and "database is locked" in str(exc.orig):
        return True
    code = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    return code in RETRY_SQLSTATES
