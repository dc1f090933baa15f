"""Read-side SQL for the digest's breakdowns and action lists: referrers, who to act on (cohorts:
storage/metrics/cohorts.py)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from datetime import timedelta
from typing import Any, TypeVar

from sqlalchemy import BindParameter, Integer, Row, bindparam, desc, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.core.metrics.rules import (
    ACTIVATION_DAYS,
    Actions,
    ActivatedReferrer,
    AwardedBadge,
    Helper,
    MetricsPolicy,
    OverdueApplication,
    Person,
    ReferrerReport,
    StalledNewcomer,
    Upcoming,
)
from bot.core.refs import MemberRef
from bot.core.weeks import Period
from storage.badges.tables import BadgeAwardRow
from storage.cohorts.tables import BuddyPairRow
from storage.metrics.programme import no_show_rates
from storage.metrics.sql import (
    IS_HELPFUL,
    NOT_ADOPTED,
    C,
    M,
    activated_within_window,
    count_if,
    member_at,
)
from storage.programming.tables import OccurrenceRow, RsvpRow, SeriesRow

T = TypeVar("T")


class People:
    """The members the digest's lists name, read in one statement once every list has read its rows:
    each list says whom it names (`want`) and returns how to build itself from `found`."""

    def __init__(self) -> None:
        self.wanted: set[int] = set()
        self.found: dict[int, Person] = {}

    def want(self, ids: Iterable[int]) -> None:
        self.wanted.update(ids)

    async def read(self, conn: AsyncConnection) -> None:
        """Read every member wanted (a member erased meanwhile is simply not found)."""
        wanted = sorted(self.wanted - self.found.keys())
        if wanted:
            rows = await conn.execute(_people(), {"ids": wanted})
            for row in rows:
                self.found[row.id] = Person(row.id, MemberRef(row.platform, row.user_id), row.display_name)


Later = Callable[[], T]  # a list built once People.read has run

# The lists' statements are built once per process, with named parameters (as storage/metrics/statements.py).
COMMUNITY: BindParameter[Any] = bindparam("community_id")
START: BindParameter[Any] = bindparam("start")
END: BindParameter[Any] = bindparam("end")
LIMIT: BindParameter[int] = bindparam("limit", type_=Integer())


@functools.cache
def _people() -> Any:
    return select(M.id, M.platform, M.user_id, M.display_name).where(
        M.id.in_(bindparam("ids", expanding=True))
    )


# A list's first rows and how many there are in all, in one statement: the window counts the rows
# that match before LIMIT keeps the first ones (a list limit is at least 1, so no rows means none).
TOTAL = func.count().over().label("total")


def _total(rows: Sequence[Row[Any]]) -> int:
    return int(rows[0].total) if rows else 0


@functools.cache
def _referrers() -> Any:
    return (
        select(M.referred_by_id, func.count().label("n"), count_if(activated_within_window()).label("a"))
        .where(
            M.community_id == COMMUNITY,
            M.referred_by_id.is_not(None),
            M.admitted_at >= START,
            M.admitted_at < END,
            M.is_bot.is_(False),
        )
        .group_by(M.referred_by_id)
        .order_by(desc("n"), desc("a"), M.referred_by_id)
        .limit(LIMIT)
    )


async def referrers(
    conn: AsyncConnection, community_id: str, period: Period, limit: int, people: People
) -> Later[tuple[ReferrerReport, ...]]:
    """First-contribution rate per referrer, over newcomers admitted in the 4 weeks whose 7 days
    ended by the period's end (admitted in [end − 35 d, end − 7 d))."""
    window = timedelta(days=ACTIVATION_DAYS)
    start, end = period.end - window - timedelta(weeks=4), period.end - window
    params = {"community_id": community_id, "start": start, "end": end, "limit": limit}
    rows = (await conn.execute(_referrers(), params)).all()
    people.want(row[0] for row in rows)
    found = people.found
    return lambda: tuple(
        ReferrerReport(found[row[0]], int(row[1]), int(row[2])) for row in rows if row[0] in found
    )


async def actions(
    conn: AsyncConnection,
    community_id: str,
    period: Period,
    policy: MetricsPolicy,
    waiting: Sequence[Row[Any]],
    people: People,
) -> Later[Actions]:
    """The lists a lead acts on, as of the period's end; `waiting` are the applications pending then
    (storage.metrics.statements.pending, which the week's figures read too)."""
    limit = policy.list_limit
    stalled, stalled_total = await _stalled(conn, community_id, period, policy, people)
    overdue, overdue_total = _overdue(period, policy, waiting, people)
    badges, badges_total = await _badges(conn, community_id, period, limit, people)
    helpers = await _helpers(conn, community_id, period, limit, people)
    referrers = await _activated_referrers(conn, community_id, period, limit, people)
    upcoming = await _upcoming(conn, community_id, period, limit)
    no_shows = await no_show_rates(conn, community_id, period)
    return lambda: Actions(
        stalled=stalled(),
        stalled_total=stalled_total,
        overdue=overdue(),
        overdue_total=overdue_total,
        helpers=helpers(),
        referrers=referrers(),
        upcoming=upcoming,
        badges=badges(),
        badges_total=badges_total,
        no_shows=no_shows,
    )


@functools.cache
def _stalled_statement() -> Any:
    return (
        select(M.id, M.admitted_at, TOTAL)
        .where(
            M.community_id == COMMUNITY,
            member_at(END),
            M.admitted_at <= bindparam("admitted_by"),
            M.admitted_at > bindparam("admitted_after"),
            NOT_ADOPTED,
            or_(M.first_contribution_at.is_(None), M.first_contribution_at >= END),
        )
        .order_by(M.admitted_at, M.id)
        .limit(LIMIT)
    )


@functools.cache
def _buddies() -> Any:
    return (
        select(BuddyPairRow.newcomer_id, BuddyPairRow.buddy_id)
        .where(BuddyPairRow.newcomer_id.in_(bindparam("ids", expanding=True)))
        .order_by(BuddyPairRow.newcomer_id, BuddyPairRow.buddy_id)
        .distinct()
    )


async def _stalled(
    conn: AsyncConnection, community_id: str, period: Period, policy: MetricsPolicy, people: People
) -> tuple[Later[tuple[StalledNewcomer, ...]], int]:
    """Members admitted stalled_after..stalled_window days ago with no contribution by the period's end."""
    end = period.end
    params = {
        "community_id": community_id,
        "end": end,
        "admitted_by": end - timedelta(days=policy.stalled_after_days),
        "admitted_after": end - timedelta(days=policy.stalled_window_days),
        "limit": policy.list_limit,
    }
    rows = (await conn.execute(_stalled_statement(), params)).all()
    total = _total(rows)
    ids = [row.id for row in rows]
    buddies: dict[int, list[int]] = {}
    if ids:
        pairs = await conn.execute(_buddies(), {"ids": ids})
        for newcomer_id, buddy_id in pairs:
            buddies.setdefault(newcomer_id, []).append(buddy_id)
    people.want([*ids, *(b for bs in buddies.values() for b in bs)])
    found = people.found

    def items() -> tuple[StalledNewcomer, ...]:
        return tuple(
            StalledNewcomer(
                found[row.id], row.admitted_at, tuple(found[b] for b in buddies.get(row.id, ()) if b in found)
            )
            for row in rows
        )

    return items, total


def _overdue(
    period: Period, policy: MetricsPolicy, waiting: Sequence[Row[Any]], people: People
) -> tuple[Later[tuple[OverdueApplication, ...]], int]:
    """Applications still undecided `sla_hours` after they were submitted, oldest first."""
    due = period.end - timedelta(hours=policy.sla_hours)
    late = [row for row in waiting if row.submitted_at < due]
    rows = late[: policy.list_limit]
    people.want(row.member_id for row in rows)
    found = people.found
    return (
        lambda: tuple(
            OverdueApplication(row.id, found[row.member_id], row.submitted_at)
            for row in rows
            if row.member_id in found
        ),
        len(late),
    )


def _bounds(community_id: str, period: Period, limit: int) -> dict[str, Any]:
    return {"community_id": community_id, "start": period.start, "end": period.end, "limit": limit}


@functools.cache
def _helpers_statement() -> Any:
    return (
        select(C.member_id, func.count().label("n"))
        .where(
            C.community_id == COMMUNITY,
            IS_HELPFUL,
            C.by_staff.is_(False),
            C.occurred_at >= START,
            C.occurred_at < END,
        )
        .group_by(C.member_id)
        .order_by(desc("n"), C.member_id)
        .limit(LIMIT)
    )


async def _helpers(
    conn: AsyncConnection, community_id: str, period: Period, limit: int, people: People
) -> Later[tuple[Helper, ...]]:
    """Non-staff authors of answers marked helpful in the period, most first."""
    rows = (await conn.execute(_helpers_statement(), _bounds(community_id, period, limit))).all()
    people.want(row[0] for row in rows)
    found = people.found
    return lambda: tuple(Helper(found[row[0]], int(row[1])) for row in rows if row[0] in found)


@functools.cache
def _activated_referrers_statement() -> Any:
    return (
        select(M.referred_by_id, func.count().label("n"))
        .where(
            M.community_id == COMMUNITY,
            M.referred_by_id.is_not(None),
            M.first_contribution_at >= START,
            M.first_contribution_at < END,
            M.is_bot.is_(False),
        )
        .group_by(M.referred_by_id)
        .order_by(desc("n"), M.referred_by_id)
        .limit(LIMIT)
    )


async def _activated_referrers(
    conn: AsyncConnection, community_id: str, period: Period, limit: int, people: People
) -> Later[tuple[ActivatedReferrer, ...]]:
    """Members whose referred newcomers made their first contribution in the period."""
    rows = (await conn.execute(_activated_referrers_statement(), _bounds(community_id, period, limit))).all()
    people.want(row[0] for row in rows)
    found = people.found
    return lambda: tuple(ActivatedReferrer(found[row[0]], int(row[1])) for row in rows if row[0] in found)


@functools.cache
def _upcoming_statement() -> Any:
    answers = (
        select(
            RsvpRow.occurrence_id,
            count_if(RsvpRow.answer == "going").label("going"),
            count_if(RsvpRow.answer == "maybe").label("maybe"),
        )
        .group_by(RsvpRow.occurrence_id)
        .subquery()
    )
    return (
        select(
            OccurrenceRow.id,
            SeriesRow.title,
            SeriesRow.kind,
            OccurrenceRow.starts_at,
            func.coalesce(answers.c.going, 0),
            func.coalesce(answers.c.maybe, 0),
        )
        .join(SeriesRow, SeriesRow.id == OccurrenceRow.series_id)
        .outerjoin(answers, answers.c.occurrence_id == OccurrenceRow.id)
        .where(
            SeriesRow.community_id == COMMUNITY,
            OccurrenceRow.starts_at >= START,
            OccurrenceRow.starts_at < END,
            OccurrenceRow.status != "skipped",
        )
        .order_by(OccurrenceRow.starts_at, OccurrenceRow.id)
        .limit(LIMIT)
    )


async def _upcoming(
    conn: AsyncConnection, community_id: str, period: Period, limit: int
) -> tuple[Upcoming, ...]:
    """The programme of the week after the period's week, with RSVP counts."""
    following = Period.of(period.week.shift(1), period.timezone)
    rows = (await conn.execute(_upcoming_statement(), _bounds(community_id, following, limit))).all()
    return tuple(Upcoming(row[0], row[1], row[2], row[3], int(row[4]), int(row[5])) for row in rows)


@functools.cache
def _badges_statement() -> Any:
    return (
        select(BadgeAwardRow.member_id, BadgeAwardRow.badge_key, BadgeAwardRow.awarded_at, TOTAL)
        .where(
            BadgeAwardRow.community_id == COMMUNITY,
            BadgeAwardRow.awarded_at >= START,
            BadgeAwardRow.awarded_at < END,
        )
        .order_by(BadgeAwardRow.awarded_at, BadgeAwardRow.id)
        .limit(LIMIT)
    )


async def _badges(
    conn: AsyncConnection, community_id: str, period: Period, limit: int, people: People
) -> tuple[Later[tuple[AwardedBadge, ...]], int]:
    """Badges awarded in the period, in the order they were awarded."""
    rows = (await conn.execute(_badges_statement(), _bounds(community_id, period, limit))).all()
    total = _total(rows)
    people.want(row[0] for row in rows)
    found = people.found
    return lambda: tuple(
        AwardedBadge(found[row[0]], row[1], row[2]) for row in rows if row[0] in found
    ), total
