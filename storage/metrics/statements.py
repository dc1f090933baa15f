"""The week's statements of the metrics queries (storage/metrics/reader.py), built once per process.

Each is a fixed statement with named parameters (`:community_id`, `:start`, `:end`, …) instead of one
built with the period's values on every call: the digest and /health run them every time, and a
statement built again costs its construction and its cache key (the walk SQLAlchemy makes to find its
compiled form) on each run, about as much as the rest of running it. A built statement keeps its cache
key, so only the parameters change from run to run. The parameters take their types from the columns
they are compared with (UTC date-times stay UTC date-times).
"""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import BindParameter, and_, bindparam, distinct, func, or_, select, union_all

from storage.metrics.activity import kinds_in
from storage.metrics.sql import (
    DECIDED,
    IS_HELPFUL,
    NOT_ADOPTED,
    PENDING,
    REFERRAL_METHODS,
    A,
    C,
    M,
    count_if,
    member_at,
    seconds_between,
)
from storage.metrics.tables import MemberActivityRow as ACT
from storage.programming.tables import (
    AmaQuestionRow,
    OccurrenceRow,
    RsvpRow,
    SeriesRow,
    ShowcaseSubmissionRow,
)

COMMUNITY: BindParameter[Any] = bindparam("community_id")
START: BindParameter[Any] = bindparam("start")
END: BindParameter[Any] = bindparam("end")


def _within(column: Any) -> Any:
    return and_(column >= START, column < END)


@functools.cache
def member_counts() -> Any:
    """Members at :end, and admissions and departures in [:start, :end): one pass over the members."""
    return select(
        count_if(member_at(END)),
        count_if(and_(_within(M.admitted_at), NOT_ADOPTED, M.is_bot.is_(False))),
        count_if(and_(_within(M.left_at), M.is_bot.is_(False))),
    ).where(M.community_id == COMMUNITY)


@functools.cache
def activity() -> Any:
    """Members at :end with a window mask in the rollup week :week, and the kinds in their masks.

    The members are reached by id from the week's masks (`by_id`), not from the admitted_at index."""
    return (
        select(func.count(), func.coalesce(func.sum(kinds_in(ACT.window_kinds)), 0))
        .select_from(ACT)
        .join(M, M.id == ACT.member_id)
        .where(
            ACT.community_id == COMMUNITY,
            ACT.week_start == bindparam("week"),
            ACT.window_kinds != 0,
            member_at(END, by_id=True),
        )
    )


@functools.cache
def referrals() -> Any:
    """Admissions in [:start, :end) and those a member's referral explains."""
    referred = or_(M.referred_by_id.is_not(None), M.admission_method.in_(REFERRAL_METHODS))
    return select(func.count(), count_if(referred)).where(
        M.community_id == COMMUNITY,
        M.admitted_at >= START,
        M.admitted_at < END,
        M.is_bot.is_(False),
        NOT_ADOPTED,
    )


@functools.cache
def peer_answers() -> Any:
    """Helpful answers in [:start, :end), and those by members who were not staff then."""
    return select(func.count(), count_if(C.by_staff.is_(False))).where(
        C.community_id == COMMUNITY, IS_HELPFUL, C.occurred_at >= START, C.occurred_at < END
    )


@functools.cache
def applications() -> tuple[Any, Any, Any]:
    """Applications submitted in [:start, :end); approved and rejected in it; the decisions' durations."""
    submitted = select(func.count()).where(A.community_id == COMMUNITY, _within(A.submitted_at))
    decided = and_(
        A.community_id == COMMUNITY, A.status.in_(DECIDED), A.decided_at >= START, A.decided_at < END
    )
    counts = select(count_if(A.status == "approved"), count_if(A.status == "rejected")).where(decided)
    durations = select(seconds_between(A.submitted_at, A.decided_at)).where(decided)
    return submitted, counts, durations


@functools.cache
def pending() -> Any:
    """Applications waiting for a decision at :moment (decided later, or not yet): id, member_id and
    submitted_at. Few rows, so the digest's counts and lists of them are taken from one read. Two
    disjoint parts, each led by its own index (status; community and decision time): the submission
    bound is wrapped so no planner reads every application through its submitted_at index."""
    columns = (A.id, A.member_id, A.submitted_at)
    moment: BindParameter[Any] = bindparam("moment")
    submitted = func.coalesce(A.submitted_at, A.submitted_at) < moment
    waiting = select(*columns).where(A.community_id == COMMUNITY, A.status == PENDING, submitted)
    decided_later = select(*columns).where(
        A.community_id == COMMUNITY, A.status != PENDING, A.decided_at >= moment, submitted
    )
    return union_all(waiting, decided_later)


@functools.cache
def programming() -> Any:
    """Sessions held in [:start, :end) with their RSVPs and attendance (outer-joined, so a session
    without any still counts), and the questions and submissions made in it (subqueries)."""

    def created(table: Any) -> Any:
        return (
            select(func.count())
            .select_from(table)
            .join(OccurrenceRow, OccurrenceRow.id == table.occurrence_id)
            .join(SeriesRow)
            .where(SeriesRow.community_id == COMMUNITY, table.created_at >= START, table.created_at < END)
            .correlate(None)  # its own occurrences and series, not the sessions held
            .scalar_subquery()
        )

    return (
        select(
            func.count(distinct(OccurrenceRow.id)),
            count_if(RsvpRow.answer == "going"),
            count_if(RsvpRow.answer == "maybe"),
            count_if(RsvpRow.attended.is_(True)),
            created(AmaQuestionRow),
            created(ShowcaseSubmissionRow),
        )
        .select_from(OccurrenceRow)
        .join(SeriesRow)
        .outerjoin(RsvpRow, RsvpRow.occurrence_id == OccurrenceRow.id)
        .where(
            SeriesRow.community_id == COMMUNITY,
            OccurrenceRow.starts_at >= START,
            OccurrenceRow.starts_at < END,
            OccurrenceRow.status != "skipped",
        )
    )
