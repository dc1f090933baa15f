"""Helpers shared by the SQL repositories."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, Result, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


class SqlRepository:
    """A repository bound to the unit of work's session."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    @property
    def dialect(self) -> str:
        return self.session.get_bind().dialect.name


def insert_ignore(dialect: str, table: Table, **conflict: Any) -> Any:
    """INSERT … ON CONFLICT DO NOTHING for SQLite and PostgreSQL (rowcount tells if it inserted)."""
    module = postgresql if dialect == "postgresql" else sqlite
    return module.insert(table).on_conflict_do_nothing(**conflict)


def upsert(dialect: str, table: Table) -> Any:
    """An INSERT that can take `.on_conflict_do_update(...)` on either dialect."""
    module = postgresql if dialect == "postgresql" else sqlite
    return module.insert(table)


def affected_rows(result: Result[Any]) -> int:
    """How many rows an INSERT, UPDATE or DELETE touched.

    AsyncSession.execute is typed to return Result, but for a DML statement without RETURNING the
    object is a CursorResult, which is what carries rowcount.
    """
    return cast(CursorResult[Any], result).rowcount
