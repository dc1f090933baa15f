"""SQLAlchemy's aiosqlite adapter, one thread hop per statement instead of three or four.

aiosqlite runs every call on its connection's thread and hands the result back to the event loop.
SQLAlchemy's adapter makes one such call to open a cursor, one to execute, one to fetch the rows and
one to close the cursor, so each statement pays four hops (and the GIL hand-overs that come with
them), which is most of the cost of a small query. This adapter does the same four steps in one
call on the connection's thread. A transaction's BEGIN (`begin_with`, from storage.db's "begin"
hook) goes along with its first statement; a transaction that ran no statement ends without a
hop, and so does the pool's rollback of a connection whose transaction was already committed or
rolled back (the driver is in autocommit mode: only a statement can open a transaction).
Everything else (server-side cursors, errors) is SQLAlchemy's adapter unchanged; `create_engine`
passes it as the engine's `module`.
"""

from __future__ import annotations

import sqlite3
from collections import deque
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)

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


class OneHopCursor(AsyncAdapt_aiosqlite_cursor):
    """A buffered cursor whose execute is a single call on the connection's thread."""

    __slots__ = ()

    def _run(self, operation: Any, parameters: Any, many: bool) -> None:
        connection = self._connection  # the aiosqlite.Connection
        adapted = self._adapt_connection
        begin = None
        if isinstance(adapted, OneHopConnection):
            begin, adapted._begin, adapted._clean = adapted._begin, None, False
        try:
            description, rows, lastrowid, rowcount = self.await_(
                connection._execute(_execute, connection._conn, begin, operation, parameters, many)
            )
        except Exception as error:
            self._adapt_connection._handle_exception(error)
        if description:
            self.description = description
            self.lastrowid = self.rowcount = -1
            self._rows = deque(rows or ())
        else:
            self.description = None
            self.lastrowid = lastrowid
            self.rowcount = rowcount

    def execute(self, operation: Any, parameters: Any = None) -> Any:
        self._run(operation, parameters, many=False)

    def executemany(self, operation: Any, seq_of_parameters: Any) -> Any:
        self._run(operation, seq_of_parameters, many=True)


class OneHopConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ("_begin", "_clean")

    def __init__(self, dbapi: Any, connection: Any) -> None:
        super().__init__(dbapi, connection)
        self._begin: str | None = None  # a BEGIN to run with the next statement
        self._clean = False  # committed or rolled back, and no statement since

    def begin_with(self, statement: str) -> None:
        """Start the transaction with `statement` (e.g. BEGIN IMMEDIATE) along with its first
        statement."""
        self._begin = statement

    def cursor(self, server_side: bool = False) -> AsyncAdapt_aiosqlite_cursor:
        if server_side:
            self._flush_begin()
            return super().cursor(server_side=True)
        return OneHopCursor(self)

    def _flush_begin(self) -> None:
        begin, self._begin, self._clean = self._begin, None, False
        if begin is not None:
            try:
                self.await_(self._connection.execute(begin))
            except Exception as error:
                self._handle_exception(error)

    def execute(self, *args: Any, **kw: Any) -> Any:
        self._flush_begin()
        return super().execute(*args, **kw)

    def commit(self) -> None:
        if self._begin is not None or self._clean:
            self._begin = None  # nothing ran since the last end: nothing to commit
            return
        super().commit()
        self._clean = True

    def rollback(self) -> None:
        if self._begin is not None or self._clean:
            self._begin = None
            return
        super().rollback()
        self._clean = True


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
