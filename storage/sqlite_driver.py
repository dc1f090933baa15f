"""SQLAlchemy's aiosqlite adapter, with no thread hop for short transactions and one for long ones.

aiosqlite runs every call on its connection's thread and hands the result back to the event loop:
a queue, a wake-up of the loop and GIL hand-overs, ~125 µs, where SQLite answers a small query in a
few µs. SQLAlchemy's adapter makes four such calls per statement (cursor, execute, fetch, close).

A transaction begun `inline` (storage.db's "begin" hook: every one but those of `on_thread`
engines, i.e. reports over the whole history) runs its statements, COMMIT and ROLLBACK on the calling
thread, the event loop's: no hop at all. Its busy timeout is 0 meanwhile (and stays 0 after it
until work goes to the thread, so back-to-back inline transactions send no PRAGMA), so a database
locked by another connection (another process, e.g. a CLI command) never blocks the loop: a
statement that finds it busy changed nothing and is redone on the thread with the connection's full
busy timeout (an executemany, which may have run some rows, is not redone; it only meets a busy
database when it opens the transaction, and then its BEGIN, run first, is what fails and is
redone). Other
transactions make one hop per statement: BEGIN (`begin_with`), execute, fetch and close go
together in one call on the thread.

Either way, a transaction that ran no statement ends without a hop, and so does the pool's rollback
of a connection whose transaction was already committed or rolled back (the driver is in autocommit
mode: only a statement can open a transaction). The connection is never used by two threads at
once: inline work only starts when no call is outstanding on the thread (one abandoned by a
cancellation sends the connection back to its thread for good). Everything else (server-side
cursors, errors) is SQLAlchemy's adapter unchanged; `create_engine` passes it as the engine's
`module`.
"""

from __future__ import annotations

import sqlite3
from collections import deque
from functools import partial
from typing import Any, cast

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util.concurrency import await_only

Outcome = tuple[Any, list[Any] | None, int | None, int]


def _execute(
    db: sqlite3.Connection, begin: str | None, operation: str, parameters: Any, many: bool
) -> Outcome:
    """On the connection's thread: begin if asked, execute, fetch every row, close; what the cursor
    learnt."""
    if begin is not None:
        db.execute(begin)
    cursor = db.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else None
        return description, rows, cursor.lastrowid, cursor.rowcount
    finally:
        cursor.close()


def _execute_waiting(
    db: sqlite3.Connection, wait_ms: int, begin: str | None, operation: str, parameters: Any, many: bool
) -> Outcome:
    """`_execute` with the busy timeout `wait_ms` (on the thread, for an inline transaction that
    found the database busy); the transaction goes on inline (timeout 0) afterwards."""
    db.execute(f"PRAGMA busy_timeout={int(wait_ms)}")
    try:
        return _execute(db, begin, operation, parameters, many)
    finally:
        db.execute("PRAGMA busy_timeout=0")


async def _ready(outcome: Outcome) -> Outcome:
    return outcome


def _busy(error: sqlite3.OperationalError) -> bool:
    """SQLite answered SQLITE_BUSY (another connection holds a lock the statement needs)."""
    return getattr(error, "sqlite_errorcode", 0) & 0xFF == sqlite3.SQLITE_BUSY


class OneHopCursor(AsyncAdapt_aiosqlite_cursor):
    """A buffered cursor whose execute is a single call, on the connection's thread or inline."""

    __slots__ = ()

    def _run(self, operation: Any, parameters: Any, many: bool) -> None:
        adapted = cast(OneHopConnection, self._adapt_connection)  # made by OneHopConnection.cursor
        description, rows, lastrowid, rowcount = adapted.run(operation, parameters, many)
        if description:
            self.description = description
            self.lastrowid = self.rowcount = -1
            self._rows = deque(rows or ())
        else:
            self.description = None
            self.lastrowid = cast(int, lastrowid)
            self.rowcount = rowcount

    def execute(self, operation: Any, parameters: Any = None) -> Any:
        self._run(operation, parameters, many=False)

    def executemany(self, operation: Any, seq_of_parameters: Any) -> Any:
        self._run(operation, seq_of_parameters, many=True)


class OneHopConnection(AsyncAdapt_aiosqlite_connection):
    """A connection whose transactions run either on its aiosqlite thread or, when begun `inline`,
    on the calling (event loop's) thread: see the module's docstring."""

    __slots__ = ("_begin", "_clean", "_inline", "_unsure", "_wait_ms", "_zero")

    def __init__(self, dbapi: Any, connection: Any) -> None:
        super().__init__(dbapi, connection)
        self._begin: str | None = None  # a BEGIN to run with the next statement
        self._clean = False  # committed or rolled back, and no statement since
        self._inline = False  # this transaction runs on the caller's thread, busy timeout 0
        self._unsure = False  # a call on the thread was abandoned (cancelled): never inline again
        self._wait_ms: int | None = None  # the connection's busy timeout (restored after inline)
        self._zero = False  # its busy timeout is 0 now (left so after an inline transaction)

    def begin_with(self, statement: str, *, inline: bool = False) -> None:
        """Start the transaction with `statement` (e.g. BEGIN IMMEDIATE) along with its first
        statement; `inline`: run the transaction on the caller's thread."""
        self._begin = statement
        self._inline = inline and not self._unsure

    def await_(self, awaitable: Any) -> Any:
        try:
            return await_only(awaitable)
        except BaseException as error:
            if not isinstance(error, Exception):
                # Cancelled or interrupted while the thread may still be running the call: from now
                # on everything goes to the thread, queued behind it, with the full busy timeout.
                self._unsure, self._inline = True, False
                if self._wait_ms is not None and self._connection._connection is not None:
                    reset = partial(self._connection._conn.execute, f"PRAGMA busy_timeout={self._wait_ms}")
                    self._connection._tx.put_nowait((None, reset))
                    self._zero = False
            raise

    def run(self, operation: Any, parameters: Any, many: bool) -> Outcome:
        """Execute a statement (with the pending BEGIN) and fetch its rows, in one call."""
        begin, self._begin, self._clean = self._begin, None, False
        statement = (operation, parameters, many)
        try:
            db = self._connection._conn
            if not self._inline:
                self._full_timeout()
                return cast(Outcome, self.await_(self._connection._execute(_execute, db, begin, *statement)))
            if begin is not None and not self._zero:
                if self._wait_ms is None:
                    self._wait_ms = int(db.execute("PRAGMA busy_timeout").fetchone()[0])
                db.execute("PRAGMA busy_timeout=0")
                self._zero = True
            if begin is not None:
                try:
                    db.execute(begin)
                except sqlite3.OperationalError as error:
                    if not _busy(error):
                        raise
                    return self._wait_on_thread(db, begin, operation, parameters, many)
            try:
                outcome = _execute(db, None, operation, parameters, many)
            except sqlite3.OperationalError as error:
                # Another connection holds a lock: wait for it on the thread. A statement that
                # failed busy changed nothing; executemany may have run some rows, so it is not redone.
                if not _busy(error) or many:
                    raise
                return self._wait_on_thread(db, None, operation, parameters, many)
            # SQLAlchemy's AsyncConnection.execute insists that the driver awaited something: an
            # awaitable that is ready at once (no trip through the event loop).
            return cast(Outcome, self.await_(_ready(outcome)))
        except Exception as error:
            self._handle_exception(error)

    def _wait_on_thread(
        self, db: sqlite3.Connection, begin: str | None, operation: Any, parameters: Any, many: bool
    ) -> Outcome:
        assert self._wait_ms is not None
        waiting = self._connection._execute(
            _execute_waiting, db, self._wait_ms, begin, operation, parameters, many
        )
        return cast(Outcome, self.await_(waiting))

    def _leave_inline(self) -> None:
        """The rest of the transaction runs on the thread, with the connection's busy timeout."""
        self._inline = False
        self._full_timeout()

    def _full_timeout(self) -> None:
        """Give the connection its busy timeout back before work on its thread. An inline transaction
        leaves it at 0 when it ends, so the next inline one (most are) needs no PRAGMA at all. Run
        here, not on the thread: no call is outstanding there (after an abandoned one, `await_`
        queued the reset behind it instead)."""
        if self._zero:
            self._zero = False
            self._connection._conn.execute(f"PRAGMA busy_timeout={self._wait_ms}")

    def cursor(self, server_side: bool = False) -> AsyncAdapt_aiosqlite_cursor:
        if server_side:
            self._flush_begin()
            return super().cursor(server_side=True)
        return OneHopCursor(self)

    def _flush_begin(self) -> None:
        begin, self._begin, self._clean = self._begin, None, False
        try:
            self._leave_inline()
            if begin is not None:
                self.await_(self._connection.execute(begin))
        except Exception as error:
            self._handle_exception(error)

    def execute(self, *args: Any, **kw: Any) -> Any:
        self._flush_begin()
        return super().execute(*args, **kw)

    def commit(self) -> None:
        if self._begin is not None or self._clean:
            self._begin, self._inline = None, False  # nothing ran since the last end: nothing to commit
            return
        if self._inline:
            self._end_inline(commit=True)
        else:
            super().commit()
        self._clean = True

    def rollback(self) -> None:
        if self._begin is not None or self._clean:
            self._begin, self._inline = None, False
            return
        if self._inline:
            self._end_inline(commit=False)
        else:
            super().rollback()
        self._clean = True

    def _end_inline(self, *, commit: bool) -> None:
        try:
            db = self._connection._conn
            try:
                if commit:
                    db.commit()
                else:
                    db.rollback()
            except sqlite3.OperationalError as error:
                if not (commit and _busy(error)):
                    raise
                # A COMMIT that failed busy leaves the transaction open: wait on the thread.
                self._leave_inline()
                self.await_(self._connection.commit())
            finally:
                self._inline = False  # the busy timeout stays 0 until work goes to the thread
        except Exception as error:
            self._handle_exception(error)


class OneHopDBAPI(AsyncAdapt_aiosqlite_dbapi):
    """The DB-API module SQLAlchemy's aiosqlite dialect uses, making OneHopConnections."""

    def connect(self, *arg: Any, **kw: Any) -> AsyncAdapt_aiosqlite_connection:
        adapted = super().connect(*arg, **kw)
        if type(adapted) is not AsyncAdapt_aiosqlite_connection:
            return adapted  # the sync fallback mode: left as it is
        return OneHopConnection(self, adapted._connection)


def dbapi() -> OneHopDBAPI:
    """The module to give `create_async_engine(module=...)` for a sqlite+aiosqlite URL."""
    return OneHopDBAPI(aiosqlite, sqlite3)
