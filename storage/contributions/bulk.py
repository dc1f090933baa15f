"""The ingest's hot statements, written for the driver: a batch is thousands of rows, and
SQLAlchemy's per-value type processing and its per-execution rendering of expanding `IN` lists cost
more than the database's own work here.

* contributions go in as multi-row `INSERT … ON CONFLICT DO NOTHING RETURNING source_id` statements;
* the members of a batch are read with one statement, the list passed as one parameter
  (`json_each(?)` on SQLite, `= ANY($n)` on PostgreSQL), so the SQL text never changes and the
  driver's prepared statement is reused (the weeks' activity masks are read so too:
  storage/metrics/activity.py; they also tell the weeks new to a member);
* the weekly rollups are added to in one executemany.

Each time is converted once, as UTCDateTime would: aware UTC for PostgreSQL, naive UTC text for
SQLite (and a week as the ISO date SQLAlchemy's Date stores there); times read back are aware UTC.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any, NamedTuple

import orjson
from sqlalchemy.engine import CursorResult
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


class ContributionValues(NamedTuple):
    """One contribution row, in COLUMNS order."""

    community_id: str
    member_id: int
    kind: str
    weight: float
    channel_id: str | None
    target_member_id: int | None
    by_staff: bool
    source_id: str
    occurred_at: datetime


class KnownMember(NamedTuple):
    id: int
    user_id: str
    is_bot: bool
    first_contribution_at: datetime | None
    admitted: bool  # only admitted members have stats badges look at (ContributionRepository.stats)


def _sqlite_time(at: datetime) -> str:
    """Naive UTC text, as SQLAlchemy's SQLite DateTime stores it: `isoformat(" ", "microseconds")`
    without the "+00:00", made from orjson's text of the time (a third of isoformat's cost, and this
    runs for every row). orjson writes `"2026-11-02T09:00:00.123000+00:00"`, without the fraction
    when it is zero."""
    if at.tzinfo is not UTC:
        at = at.astimezone(UTC)
    text = orjson.dumps(at)
    if len(text) == _WITH_FRACTION:
        return text[1:27].decode().replace("T", " ")
    return text[1:20].decode().replace("T", " ") + ".000000"


_WITH_FRACTION = len(b'"2026-11-02T09:00:00.123000+00:00"')


def _aware(value: Any) -> datetime | None:
    """A time read back by the driver: naive UTC text (SQLite) or a datetime (PostgreSQL)."""
    if value is None:
        return None
    at: datetime = datetime.fromisoformat(value) if isinstance(value, str) else value
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def _fetch(result: CursorResult[Any]) -> list[Any]:
    """Every row as the driver gave it (tuples, no Row object per row), the result closed."""
    try:
        return list(result.cursor.fetchall())
    finally:
        result.close()


def _placeholders(dialect: str, rows: int) -> str:
    width = len(COLUMNS)
    if dialect == "postgresql":
        return ",".join(
            "(" + ",".join(f"${r * width + c + 1}" for c in range(width)) + ")" for r in range(rows)
        )
    return ",".join(["(" + ",".join("?" * width) + ")"] * rows)


async def insert_new_contributions(session: AsyncSession, rows: Sequence[ContributionValues]) -> set[str]:
    """Insert the rows that are not there yet; returns the source ids of those inserted."""
    connection = await session.connection()
    dialect = connection.dialect.name
    convert = (lambda at: at.astimezone(UTC)) if dialect == "postgresql" else _sqlite_time
    new: set[str] = set()
    for start in range(0, len(rows), ROWS_PER_STATEMENT):
        chunk = rows[start : start + ROWS_PER_STATEMENT]
        params: list[Any] = []
        extend, append = params.extend, params.append
        for row in chunk:
            extend(row[:8])
            append(convert(row[8]))
        sql = (
            f"INSERT INTO contribution ({', '.join(COLUMNS)}) VALUES {_placeholders(dialect, len(chunk))} "
            "ON CONFLICT (community_id, source_id) DO NOTHING RETURNING source_id"
        )
        result = await connection.exec_driver_sql(sql, tuple(params))
        new.update(source for (source,) in _fetch(result))
    return new


async def known_members(
    session: AsyncSession, community_id: str, platform: str, user_ids: Iterable[str]
) -> list[KnownMember]:
    """The member rows of these people on this platform (those that exist), in one statement."""
    connection = await session.connection()
    ids = list(user_ids)
    if connection.dialect.name == "postgresql":
        sql = (
            "SELECT id, user_id, is_bot, first_contribution_at, status = 'admitted' FROM member "
            "WHERE community_id = $1 AND platform = $2 AND user_id = ANY($3::varchar[])"
        )
        params: tuple[Any, ...] = (community_id, platform, ids)
    else:
        sql = (
            "SELECT id, user_id, is_bot, first_contribution_at, status = 'admitted' FROM member "
            "WHERE community_id = ? AND platform = ? AND user_id IN (SELECT value FROM json_each(?))"
        )
        params = (community_id, platform, orjson.dumps(ids).decode())
    result = await connection.exec_driver_sql(sql, params)
    return [
        KnownMember(i, u, bool(bot), _aware(first), bool(admitted))
        for i, u, bot, first, admitted in _fetch(result)
    ]


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
