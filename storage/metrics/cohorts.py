"""The digest's cohort breakdown: retention by week, 14-day drop-off and activation per cohort.

A cohort's week windows start at the rollup week it launched in, so the cohorts are read grouped by
launch week: a small derived table of the launch weeks (one row of bound values each) joins the
cohorts launched in it, their members and those members' `member_activity` rows in that launch
week's window. Three statements in all, however many cohorts and launch weeks; the derived table has
a fixed number of rows (LAUNCH_SLOTS, the unused ones NULL and matching nothing), so each statement's
SQL text stays the same from week to week and is compiled once per process.
"""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Date, and_, bindparam, exists, func, or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.core.metrics.rules import ACTIVATION_DAYS, RETENTION_WEEKS, TREND_WEEKS, CohortReport
from bot.core.weeks import Period
from storage.cohorts.tables import CohortMemberRow, CohortRow
from storage.metrics.sql import M, activated_within_window, count_if
from storage.metrics.tables import MemberActivityRow as ACT

CM = CohortMemberRow
_WEEK = timedelta(weeks=1)
# The rollup (UTC) weeks the cohorts of the 12 local weeks ending with a period can launch in: a
# local week straddles two UTC weeks, so 12 of them touch at most 13.
LAUNCH_SLOTS = TREND_WEEKS + 1


def _monday(moment: datetime) -> date:
    """The rollup week (ISO Monday, UTC) an instant falls in."""
    day = moment.date()
    return day - timedelta(days=day.weekday())


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def _launch_table() -> Any:
    """A derived table of LAUNCH_SLOTS launch weeks, slot i bound to `first_i`, `last_i`, `lo_i`, `hi_i`
    and `stay_i` (`_launch_weeks`): `first` (the launch week), `last` (the window's last week), `lo`/`hi`
    (the launch week's instants, for the cohorts' launched_at) and `stay` (the end of week 2)."""
    moment = CohortRow.launched_at.type
    rows = [
        select(
            bindparam(f"first_{i}", type_=Date()).label("first"),
            bindparam(f"last_{i}", type_=Date()).label("last"),
            bindparam(f"lo_{i}", type_=moment).label("lo"),
            bindparam(f"hi_{i}", type_=moment).label("hi"),
            bindparam(f"stay_{i}", type_=moment).label("stay"),
        )
        for i in range(LAUNCH_SLOTS)
    ]
    return union_all(*rows).subquery("launch")


def _launch_weeks(weeks: list[tuple[date, date, date]]) -> dict[str, Any]:
    """The launch table's parameters for these (launch week, window's last week, end of week 2); the
    slots left over are NULL and match nothing."""
    params: dict[str, Any] = {}
    for i in range(LAUNCH_SLOTS):
        week = weeks[i] if i < len(weeks) else None
        params[f"first_{i}"] = week and week[0]
        params[f"last_{i}"] = week and week[1]
        params[f"lo_{i}"] = week and _midnight(week[0])
        params[f"hi_{i}"] = week and _midnight(week[0] + _WEEK)
        params[f"stay_{i}"] = week and _midnight(week[2])
    return params


def _in_window(community_id: Any, start: Any, end: Any) -> Any:
    """Cohorts of the community launched in [start, end)."""
    return and_(
        CohortRow.community_id == community_id, CohortRow.launched_at >= start, CohortRow.launched_at < end
    )


_IN_WINDOW = _in_window(bindparam("community_id"), bindparam("start"), bindparam("end"))


@functools.cache
def _cohorts_statement() -> Any:
    """The cohorts launched in [:start, :end) with their sizes (built once per process)."""
    return (
        select(CohortRow.id, CohortRow.name, CohortRow.launched_at, func.count(CM.member_id))
        .outerjoin(CM, CM.cohort_id == CohortRow.id)
        .where(_IN_WINDOW)
        .group_by(CohortRow.id, CohortRow.name, CohortRow.launched_at)
        .order_by(CohortRow.launched_at, CohortRow.id)
    )


@functools.cache
def _activation_statement() -> Any:
    """Per cohort launched in [:start, :end): its members admitted by :admitted_by, and those activated."""
    return (
        select(CM.cohort_id, func.count(), count_if(activated_within_window()))
        .join(M, M.id == CM.member_id)
        .where(
            CM.cohort_id.in_(select(CohortRow.id).where(_IN_WINDOW)),
            M.admitted_at.is_not(None),
            M.admitted_at <= bindparam("admitted_by"),
        )
        .group_by(CM.cohort_id)
    )


def _weeks_between() -> tuple[Any, Any]:
    """Constant bounds around every launch week's window (:from_week, :to_week): the rows a planner
    has to consider."""
    return ACT.week_start >= bindparam("from_week"), ACT.week_start <= bindparam("to_week")


@functools.cache
def _weekly_activity_statement() -> Any:
    """Per cohort launched in the launch table's weeks (and in [:start, :end)), its members active in
    each week of their launch week's window."""
    launch = _launch_table()
    launched = and_(_IN_WINDOW, CohortRow.launched_at >= launch.c.lo, CohortRow.launched_at < launch.c.hi)
    return (
        select(CM.cohort_id, ACT.week_start, func.count())
        .select_from(launch)
        .join(CohortRow, launched)
        .join(CM, CM.cohort_id == CohortRow.id)
        .join(
            ACT,
            and_(
                ACT.member_id == CM.member_id,
                ACT.week_start >= launch.c.first,
                ACT.week_start <= launch.c.last,
            ),
        )
        .where(ACT.week_kinds != 0, *_weeks_between())
        .group_by(CM.cohort_id, ACT.week_start)
    )


@functools.cache
def _retention_statement() -> Any:
    """Per cohort launched in the launch table's weeks (and in [:start, :end)), its members who
    contributed in weeks 1-2 and had not left by the end of week 2."""
    launch = _launch_table()
    launched = and_(_IN_WINDOW, CohortRow.launched_at >= launch.c.lo, CohortRow.launched_at < launch.c.hi)
    contributed = exists().where(
        ACT.member_id == CM.member_id,
        ACT.week_start >= launch.c.first,
        ACT.week_start <= launch.c.last,
        ACT.week_kinds != 0,
        *_weeks_between(),
    )
    return (
        select(CM.cohort_id, func.count())
        .select_from(launch)
        .join(CohortRow, launched)
        .join(CM, CM.cohort_id == CohortRow.id)
        .join(M, M.id == CM.member_id)
        .where(contributed, or_(M.left_at.is_(None), M.left_at >= launch.c.stay))
        .group_by(CM.cohort_id)
    )


async def cohorts(conn: AsyncConnection, community_id: str, period: Period) -> tuple[CohortReport, ...]:
    """Cohorts launched in the 12 weeks ending with the period: retention, drop-off, activation."""
    params = {
        "community_id": community_id,
        "start": period.shift(-(TREND_WEEKS - 1)).start,
        "end": period.end,
        "admitted_by": period.end - timedelta(days=ACTIVATION_DAYS),
    }
    rows = (await conn.execute(_cohorts_statement(), params)).all()
    if not rows:
        return ()
    firsts = sorted({_monday(row.launched_at) for row in rows})
    windows = [(f, min(f + (RETENTION_WEEKS - 1) * _WEEK, period.rollup_week), f + 2 * _WEEK) for f in firsts]
    bounds = {"from_week": firsts[0], "to_week": period.rollup_week}
    result = await conn.execute(_weekly_activity_statement(), params | _launch_weeks(windows) | bounds)
    active = {(row[0], row[1]): int(row[2]) for row in result}
    retained: dict[int, int] = {}
    reached = [f for f in firsts if f + _WEEK <= period.rollup_week]  # week 2 has begun
    if reached:
        windows = [(f, f + _WEEK, f + 2 * _WEEK) for f in reached]
        bounds = {"from_week": reached[0], "to_week": reached[-1] + _WEEK}
        result = await conn.execute(_retention_statement(), params | _launch_weeks(windows) | bounds)
        retained = {row[0]: int(row[1]) for row in result}
    activation = {
        row[0]: (int(row[1]), int(row[2])) for row in await conn.execute(_activation_statement(), params)
    }
    reports = []
    last = period.rollup_week  # worked out once: a quarter's cohorts can be a thousand or more
    offsets = [timedelta(weeks=k) for k in range(RETENTION_WEEKS)]
    for cohort_id, name, launched_at, size in rows:
        first = _monday(launched_at)
        weeks = [first + offset for offset in offsets]
        week2_reached = weeks[1] <= last
        newcomers, activated = activation.get(cohort_id, (0, 0))
        reports.append(
            CohortReport(
                cohort_id=cohort_id,
                name=name,
                launched_at=launched_at,
                size=int(size),
                active_by_week=tuple(active.get((cohort_id, w), 0) if w <= last else None for w in weeks),
                dropped_14d=int(size) - retained.get(cohort_id, 0) if week2_reached else None,
                newcomers=newcomers,
                activated=activated,
            )
        )
    return tuple(reports)
