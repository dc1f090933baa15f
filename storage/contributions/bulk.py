"""The ingest's hot statement: contributions inserted in multi-row `INSERT … ON CONFLICT DO NOTHING
RETURNING source_id` statements written for the driver. SQLAlchemy's per-value type processing cost
more than the database's own work here (a batch is thousands of rows), so each time is converted
once, as UTCDateTime would: aware UTC for PostgreSQL, naive UTC text for SQLite.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

COLUMNS = (
    "community_id",
    "member_id",
    "kind",
    "weight",
    "channel_id",
    "target_member_id",
    "by_staff",
    "source_id",
    "occurred_at",
)
ROWS_PER_STATEMENT = 1000  # 9 parameters a row: under SQLite's 32,766 and PostgreSQL's 32,767


def _sqlite_time(at: datetime) -> str:
    return at.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def _placeholders(dialect: str, rows: int) -> str:
    width = len(COLUMNS)
    if dialect == "postgresql":
        return ",".join(
            "(" + ",".join(f"${r * width + c + 1}" for c in range(width)) + ")" for r in range(rows)
        )
    return ",".join(["(" + ",".join("?" * width) + ")"] * rows)


async def insert_new_contributions(session: AsyncSession, rows: Sequence[Mapping[str, Any]]) -> set[str]:
    """Insert the rows that are not there yet; returns the source ids of those inserted."""
    connection = await session.connection()
    dialect = connection.dialect.name
    convert = (lambda at: at.astimezone(UTC)) if dialect == "postgresql" else _sqlite_time
    new: set[str] = set()
    for start in range(0, len(rows), ROWS_PER_STATEMENT):
        chunk = rows[start : start + ROWS_PER_STATEMENT]
        params: list[Any] = []
        for row in chunk:
            params.extend(row[c] for c in COLUMNS[:-1])
            params.append(convert(row["occurred_at"]))
        sql = (
            f"INSERT INTO contribution ({', '.join(COLUMNS)}) VALUES {_placeholders(dialect, len(chunk))} "
            "ON CONFLICT (community_id, source_id) DO NOTHING RETURNING source_id"
        )
        result = await connection.exec_driver_sql(sql, tuple(params))
        new.update(source for (source,) in result)
    return new
