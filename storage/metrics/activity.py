"""Weekly activity masks (`member_activity`): per member and rollup week, the kinds of contribution
made that week (`week_kinds`) and in the 4 weeks ending with it (`window_kinds`), one bit per kind.

"Active in the last 28 days" and its engagement depth (docs/metrics.md) become one row per member
to count instead of four weeks of per-kind `member_week` rows to regroup; cohort retention reads
one row per member and week. The masks follow `member_week` exactly (a kind counts in a week when
its count there is above zero):

- the contribution write path calls `note_contributions` with the (member, week, kind) keys of the
  rows it just inserted (storage/contributions/repository.py, `record`); counts only grow there,
  so bits are only added, and only for kinds new to that week (one SELECT, then an upsert of the
  few rows that change); the same SELECT tells which of those weeks are new to the member (a week
  mask of 0: no kind counted in it), which the badge rechecks need;
- a path that moves counts between kinds calls `recount` for the (member, week) pairs it touched
  (storage/contributions/helpful.py), which recomputes their masks from `member_week`;
- migration 0008 fills the table from `member_week` (`BACKFILL`, also used by bench/digest.py).

Bits are part of the stored data: never renumber one; a new kind takes the next free bit.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

import orjson
from sqlalchemy import and_, case, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.contributions.tables import MemberWeekRow
from storage.metrics.tables import MemberActivityRow
from storage.repository_base import upsert

KIND_BITS: dict[str, int] = {
    "message": 1 << 0,
    "thread_reply": 1 << 1,
    "reaction": 1 << 2,
    "helpful_answer": 1 << 3,
    "ama_question": 1 << 4,
    "showcase": 1 << 5,
    "event_attended": 1 << 6,
    "referral_activated": 1 << 7,
    "idea_filed": 1 << 8,
    "idea_vote": 1 << 9,
    "helpful_flagged": 1 << 10,
}
OTHER_BIT = 1 << 30  # a kind missing above (none is: a test checks every ContributionKind has a bit)
WINDOW_WEEKS = 4  # bot.core.metrics.rules.ACTIVE_WEEKS: a week's mask counts in its window of 4
_WEEK = timedelta(weeks=1)
A = MemberActivityRow


def kind_bit(kind: str) -> int:
    """The bit of a contribution kind."""
    return KIND_BITS.get(kind, OTHER_BIT)


def kinds_in(mask: Any) -> Any:
    """SQL: how many kinds a mask holds (its set bits)."""
    return sum(case((mask.op("&")(bit) != 0, 1), else_=0) for bit in (*KIND_BITS.values(), OTHER_BIT))


async def note_contributions(
    session: AsyncSession, community_id: str, keys: Iterable[tuple[int, date, str]]
) -> set[tuple[int, date]]:
    """Add newly inserted contributions, as (member, week, kind) keys, to the masks; returns the
    (member, week) pairs that had no contribution before (a week new to the member: streaks move).

    On the ingest's hot path, so written for the driver as storage/contributions/bulk.py is: one
    SELECT of the weeks' masks (the lists as one parameter each, so its SQL text never changes and
    the driver's prepared statement is reused), then one executemany of the rows whose masks gain a
    bit (usually none: a member's kinds in a week are soon all seen). Called after the `member_week`
    upsert of the same rows (the writers' lock order: `member_week`, then `member_activity`), whose
    new rows this transaction's masks do not show yet."""
    masks: dict[tuple[int, date], int] = {}
    for member_id, week, kind in keys:
        masks[(member_id, week)] = masks.get((member_id, week), 0) | kind_bit(kind)
    if not masks:
        return set()
    connection = await session.connection()
    postgres = connection.dialect.name == "postgresql"
    members, weeks = sorted({m for m, _ in masks}), sorted({w for _, w in masks})
    if postgres:
        sql = (
            "SELECT member_id, week_start, week_kinds FROM member_activity "
            "WHERE member_id = ANY($1::bigint[]) AND week_start = ANY($2::date[])"
        )
        params: tuple[Any, ...] = (members, weeks)
    else:
        sql = (
            "SELECT member_id, week_start, week_kinds FROM member_activity "
            "WHERE member_id IN (SELECT value FROM json_each(?)) "
            "AND week_start IN (SELECT value FROM json_each(?))"
        )
        params = (orjson.dumps(members).decode(), orjson.dumps([w.isoformat() for w in weeks]).decode())
    found = await connection.exec_driver_sql(sql, params)
    have = {(m, w if isinstance(w, date) else date.fromisoformat(w)): bits for m, w, bits in found}
    # A bit already in a week's mask is in its window rows too (added in the same transaction).
    rows: dict[tuple[int, date], tuple[int, int]] = {}
    for (member_id, week), mask in masks.items():
        new = mask & ~have.get((member_id, week), 0)
        for k in range(WINDOW_WEEKS) if new else ():
            key = (member_id, week + k * _WEEK)
            week_bits, window_bits = rows.get(key, (0, 0))
            rows[key] = (week_bits | (new if k == 0 else 0), window_bits | new)
    first = {pair for pair in masks if not have.get(pair)}
    if not rows:
        return first
    values = ", ".join(f"${i}" for i in range(1, 6)) if postgres else ", ".join("?" * 5)
    await connection.exec_driver_sql(
        "INSERT INTO member_activity (member_id, week_start, community_id, week_kinds, window_kinds) "
        f"VALUES ({values}) ON CONFLICT (member_id, week_start) DO UPDATE SET "
        "week_kinds = member_activity.week_kinds | excluded.week_kinds, "
        "window_kinds = member_activity.window_kinds | excluded.window_kinds",
        [
            (member_id, week if postgres else week.isoformat(), community_id, week_bits, window_bits)
            for (member_id, week), (week_bits, window_bits) in sorted(rows.items())  # one lock order
        ],
    )
    return first


async def recount(session: AsyncSession, community_id: str, pairs: Iterable[tuple[int, date]]) -> None:
    """Recompute the masks that (member, week) pairs feed from `member_week` (after counts moved)."""
    wanted = {(m, w + k * _WEEK) for m, w in pairs for k in range(WINDOW_WEEKS)}
    if not wanted:
        return
    weeks = [w for _, w in wanted]
    # Lock the masks first (in the ingest's order): an ingest adding a bit to them meanwhile either
    # committed before, and its member_week rows are read below, or waits and adds its bit after.
    await session.execute(
        select(A.member_id)
        .where(A.member_id.in_({m for m, _ in wanted}), A.week_start.in_(set(weeks)))
        .order_by(A.member_id, A.week_start)
        .with_for_update()
    )
    found = await session.execute(
        select(MemberWeekRow.member_id, MemberWeekRow.week_start, MemberWeekRow.kind).where(
            MemberWeekRow.member_id.in_({m for m, _ in wanted}),
            and_(
                MemberWeekRow.week_start >= min(weeks) - (WINDOW_WEEKS - 1) * _WEEK,
                MemberWeekRow.week_start <= max(weeks),
            ),
            MemberWeekRow.count > 0,
        )
    )
    by_week: dict[tuple[int, date], int] = {}
    for member_id, week, kind in found:
        by_week[(member_id, week)] = by_week.get((member_id, week), 0) | kind_bit(kind)
    rows = {}
    for member_id, week in wanted:
        window = 0
        for k in range(WINDOW_WEEKS):
            window |= by_week.get((member_id, week - k * _WEEK), 0)
        rows[(member_id, week)] = (by_week.get((member_id, week), 0), window)
    await _upsert(session, community_id, rows)


async def _upsert(
    session: AsyncSession, community_id: str, rows: dict[tuple[int, date], tuple[int, int]]
) -> None:
    """Write masks in place of what is there, in one lock order (sorted)."""
    table = A.__table__
    connection = await session.connection()
    stmt = upsert(connection.dialect.name, table)
    stmt = stmt.on_conflict_do_update(
        index_elements=["member_id", "week_start"],
        set_={"week_kinds": stmt.excluded.week_kinds, "window_kinds": stmt.excluded.window_kinds},
    )
    await session.execute(
        stmt,
        [
            {
                "member_id": member_id,
                "week_start": week,
                "community_id": community_id,
                "week_kinds": week_bits,
                "window_kinds": window_bits,
            }
            for (member_id, week), (week_bits, window_bits) in sorted(rows.items())
        ],
    )


def backfill_sql(dialect: str) -> str:
    """One statement filling an empty `member_activity` from `member_week` (a migration keeps its
    own copy: released migrations do not change with this module)."""
    bit = " ".join(f"WHEN '{k}' THEN {b}" for k, b in KIND_BITS.items())
    shifted = (
        "date(mw.week_start, '+' || (7 * k.k) || ' days')"
        if dialect == "sqlite"
        else "mw.week_start + 7 * k.k"
    )
    offsets = " UNION ALL ".join(f"SELECT {k} AS k" for k in range(WINDOW_WEEKS))
    return (
        "INSERT INTO member_activity (member_id, week_start, community_id, week_kinds, window_kinds) "
        "SELECT member_id, week, community_id, "
        "sum(DISTINCT CASE WHEN k = 0 THEN bit ELSE 0 END), sum(DISTINCT bit) "
        f"FROM (SELECT mw.member_id, {shifted} AS week, mw.community_id, k.k, "
        f"CASE mw.kind {bit} ELSE {OTHER_BIT} END AS bit "
        f"FROM member_week AS mw CROSS JOIN ({offsets}) AS k WHERE mw.count > 0) AS s "
        "GROUP BY member_id, week, community_id"
    )
