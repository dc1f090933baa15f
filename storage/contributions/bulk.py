"""The ingest's hot statements: contributions inserted in multi-row `INSERT … ON CONFLICT DO NOTHING
RETURNING source_id` statements written for the driver. SQLAlchemy's per-value type processing cost
more than the database's own work here (a batch is thousands of rows), so each time is converted
once, as UTCDateTime would: aware UTC for PostgreSQL, naive UTC text for SQLite (and a week as the
ISO date SQLAlchemy's Date stores there). The weekly rollups are added to in one executemany.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
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


async def add_to_weeks(
    session: AsyncSession, community_id: str, totals: Mapping[tuple[int, date, str], tuple[int, float]]
) -> None:
    """Add each (member, week, kind)'s count and weight to the weekly rollup, in one executemany."""
    connection = await session.connection()
    postgres = connection.dialect.name == "postgresql"
    marks = ", ".join(f"${i}" for i in range(1, 7)) if postgres else ", ".join("?" * 6)
    sql = (
        "INSERT INTO member_week (member_id, week_start, kind, community_id, count, weight) "
        f"VALUES ({marks}) ON CONFLICT (member_id, week_start, kind) DO UPDATE SET "
        "count = member_week.count + excluded.count, weight = member_week.weight + excluded.weight"
    )
    await connection.exec_driver_sql(
        sql,
        [
            (member_id, week if postgres else week.isoformat(), kind, community_id, count, weight)
            for (member_id, week, kind), (count, weight) in sorted(totals.items())  # one lock order
        ],
    )
