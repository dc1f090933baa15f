"""Helpers shared by the SQL repositories."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
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
