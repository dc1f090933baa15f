"""Helpers shared by the SQL repositories."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import BindParameter, CursorResult, Result, Table, bindparam
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import TypeEngine

FIXED_IN_MAX = 16  # the longest IN list `fixed_in` writes out; past it, one expanding parameter


class SqlRepository:
    """A repository bound to the unit of work's session."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    @property
    def dialect(self) -> str:
        return self.session.get_bind().dialect.name


def fixed_in(
    name: str, count: int, type_: TypeEngine[Any], *, expanding: str | None = None
) -> list[BindParameter[Any]] | BindParameter[Any]:
    """The values of an `IN` of `count` items as bind parameters of their own (`in_<name>_0`, …, see
    `fixed_in_params`). The statement's SQL is then fixed: an expanding parameter makes SQLAlchemy
    rewrite the SQL text and its parameters at every execution (some 20 µs). With `expanding`, past
    FIXED_IN_MAX items one expanding parameter of that name instead (a statement per count, up to a
    bound, is what the compiled cache holds)."""
    if expanding is not None and count > FIXED_IN_MAX:
        return bindparam(expanding, expanding=True)
    return [bindparam(f"in_{name}_{i}", type_=type_) for i in range(count)]


def fixed_in_params(name: str, values: Sequence[Any], *, expanding: str | None = None) -> dict[str, Any]:
    """The parameters of `fixed_in(name, len(values), …, expanding=expanding)` for `values`."""
    if expanding is not None and len(values) > FIXED_IN_MAX:
        return {expanding: list(values)}
    return {f"in_{name}_{i}": value for i, value in enumerate(values)}


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
