"""SQL building blocks shared by the metrics queries (storage/metrics.py, storage/metrics_lists.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, and_, case, func, literal_column, or_
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from bot.core.metrics.rules import ACTIVATION_DAYS
from storage.contributions.tables import ContributionRow, MemberWeekRow
from storage.gates.tables import ApplicationRow
from storage.tables import MemberRow

M, MW, C, A = MemberRow, MemberWeekRow, ContributionRow, ApplicationRow
REFERRAL_METHODS = ("code", "invite")
# Adopted members were there before Townsquare: members, but not admissions (growth) or newcomers.
NOT_ADOPTED = M.admission_method.is_distinct_from("adopted")
DECIDED = ("approved", "rejected")
PENDING = "pending"
# A literal, not a bound parameter: only then can SQLite's planner (and PostgreSQL's generic plans)
# match the partial index ix_contribution_helpful, whose WHERE is kind = 'helpful_answer'.
IS_HELPFUL = ContributionRow.kind == literal_column("'helpful_answer'")


class seconds_between(FunctionElement[float]):  # noqa: N801  (reads as a SQL function)
    """seconds_between(a, b): b − a in seconds, on SQLite and PostgreSQL."""

    type = Float()
    inherit_cache = True
    name = "seconds_between"


@compiles(seconds_between, "sqlite")
def _seconds_sqlite(element: seconds_between, compiler: Any, **kw: Any) -> str:
    start, end = (compiler.process(arg, **kw) for arg in element.clauses)
    return f"((julianday({end}) - julianday({start})) * 86400.0)"


@compiles(seconds_between, "postgresql")
def _seconds_postgresql(element: seconds_between, compiler: Any, **kw: Any) -> str:
    start, end = (compiler.process(arg, **kw) for arg in element.clauses)
    return f"CAST(EXTRACT(EPOCH FROM ({end} - {start})) AS DOUBLE PRECISION)"


def member_at(moment: datetime | Any, row: Any = None, *, by_id: bool = False) -> Any:
    """A member at `moment`: admitted before it and not gone by then (bots never count).

    History is kept in admitted_at/left_at; a member who left has status left/removed and left_at.
    A person who came back and waits at the gate again (status pending) counts from re-admission.
    `row` is the member table, or a subquery carrying its admitted_at, status, left_at and is_bot.

    `by_id`: for a join that reaches the members by id from a smaller set of rows (a week's activity
    masks): the admission bound is wrapped (`coalesce(a, a)`, the same value) so no planner starts
    from the admitted_at index instead, reading every member admitted before `moment` and probing
    the masks for each (SQLite did: 100k members, 100+ ms, against 15k masks looked up by id)."""
    m = M if row is None else row
    admitted = func.coalesce(m.admitted_at, m.admitted_at) if by_id else m.admitted_at
    return and_(
        m.admitted_at.is_not(None),
        admitted < moment,
        m.status != "pending",
        or_(m.status == "admitted", m.left_at >= moment),
        or_(m.left_at.is_(None), m.left_at >= moment),
        m.is_bot.is_(False),
    )


def activated_within_window() -> Any:
    """The member's first contribution came before admission or within 7 days of it."""
    return and_(
        M.first_contribution_at.is_not(None),
        seconds_between(M.admitted_at, M.first_contribution_at) < ACTIVATION_DAYS * 86400,
    )


def count_if(condition: Any) -> Any:
    """SUM(CASE WHEN condition THEN 1 ELSE 0 END), 0 on no rows."""
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)
