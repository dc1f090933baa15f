"""Read-side SQL for the digest's breakdowns and action lists: referrers, who to act on (cohorts:
storage/metrics/cohorts.py)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import Row, and_, desc, func, or_, select
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


async def persons(conn: AsyncConnection, ids: Iterable[int]) -> dict[int, Person]:
    """The members with these ids, as people a report can name."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = await conn.execute(select(M.id, M.platform, M.user_id, M.display_name).where(M.id.in_(wanted)))
    return {row.id: Person(row.id, MemberRef(row.platform, row.user_id), row.display_name) for row in rows}


# A list's first rows and how many there are in all, in one statement: the window counts the rows
# that match before LIMIT keeps the first ones (a list limit is at least 1, so no rows means none).
TOTAL = func.count().over().label("total")


def _total(rows: Sequence[Row[Any]]) -> int:
    return int(rows[0].total) if rows else 0


async def referrers(
    conn: AsyncConnection, community_id: str, period: Period, limit: int
) -> tuple[ReferrerReport, ...]:
    """First-contribution rate per referrer, over newcomers admitted in the 4 weeks whose 7 days
    ended by the period's end (admitted in [end − 35 d, end − 7 d))."""
    window = timedelta(days=ACTIVATION_DAYS)
    rows = (
        await conn.execute(
            select(M.referred_by_id, func.count().label("n"), count_if(activated_within_window()).label("a"))
            .where(
                M.community_id == community_id,
                M.referred_by_id.is_not(None),
                M.admitted_at >= period.end - window - timedelta(weeks=4),
                M.admitted_at < period.end - window,
                M.is_bot.is_(False),
            )
            .group_by(M.referred_by_id)
            .order_by(desc("n"), desc("a"), M.referred_by_id)
            .limit(limit)
        )
    ).all()
    people = await persons(conn, (row[0] for row in rows))
    return tuple(ReferrerReport(people[row[0]], int(row[1]), int(row[2])) for row in rows if row[0] in people)


async def actions(
    conn: AsyncConnection,
    community_id: str,
    period: Period,
    policy: MetricsPolicy,
    waiting: Sequence[Row[Any]],
) -> Actions:
    """The lists a lead acts on, as of the period's end; `waiting` are the applications pending then
    (storage.metrics.sql.pending_applications, which the week's figures read too)."""
    stalled, stalled_total = await _stalled(conn, community_id, period, policy)
    overdue, overdue_total = await _overdue(conn, period, policy, waiting)
    badges, badges_total = await _badges(conn, community_id, period, policy.list_limit)
    return Actions(
        stalled=stalled,
        stalled_total=stalled_total,
        overdue=overdue,
        overdue_total=overdue_total,
        helpers=await _helpers(conn, community_id, period, policy.list_limit),
        referrers=await _activated_referrers(conn, community_id, period, policy.list_limit),
        upcoming=await _upcoming(conn, community_id, period, policy.list_limit),
        badges=badges,
        badges_total=badges_total,
        no_shows=await no_show_rates(conn, community_id, period),
    )


async def _stalled(
    conn: AsyncConnection, community_id: str, period: Period, policy: MetricsPolicy
) -> tuple[tuple[StalledNewcomer, ...], int]:
    """Members admitted stalled_after..stalled_window days ago with no contribution by the period's end."""
    end = period.end
    where = and_(
        M.community_id == community_id,
        member_at(end),
        M.admitted_at <= end - timedelta(days=policy.stalled_after_days),
        M.admitted_at > end - timedelta(days=policy.stalled_window_days),
        NOT_ADOPTED,
        or_(M.first_contribution_at.is_(None), M.first_contribution_at >= end),
    )
    rows = (
        await conn.execute(
            select(M.id, M.admitted_at, TOTAL)
            .where(where)
            .order_by(M.admitted_at, M.id)
            .limit(policy.list_limit)
        )
    ).all()
    total = _total(rows)
    ids = [row.id for row in rows]
    buddies: dict[int, list[int]] = {}
    if ids:
        pairs = await conn.execute(
            select(BuddyPairRow.newcomer_id, BuddyPairRow.buddy_id)
            .where(BuddyPairRow.newcomer_id.in_(ids))
            .order_by(BuddyPairRow.newcomer_id, BuddyPairRow.buddy_id)
            .distinct()
        )
        for newcomer_id, buddy_id in pairs:
            buddies.setdefault(newcomer_id, []).append(buddy_id)
    people = await persons(conn, [*ids, *(b for bs in buddies.values() for b in bs)])
    items = tuple(
        StalledNewcomer(
            people[row.id], row.admitted_at, tuple(people[b] for b in buddies.get(row.id, ()) if b in people)
        )
        for row in rows
    )
    return items, total


async def _overdue(
    conn: AsyncConnection, period: Period, policy: MetricsPolicy, waiting: Sequence[Row[Any]]
) -> tuple[tuple[OverdueApplication, ...], int]:
    """Applications still undecided `sla_hours` after they were submitted, oldest first."""
    due = period.end - timedelta(hours=policy.sla_hours)
    late = [row for row in waiting if row.submitted_at < due]
    rows = late[: policy.list_limit]
    people = await persons(conn, (row.member_id for row in rows))
    items = tuple(
        OverdueApplication(row.id, people[row.member_id], row.submitted_at)
        for row in rows
        if row.member_id in people
    )
    return items, len(late)


async def _helpers(
    conn: AsyncConnection, community_id: str, period: Period, limit: int
) -> tuple[Helper, ...]:
    """Non-staff authors of answers marked helpful in the period, most first."""
    rows = (
        await conn.execute(
            select(C.member_id, func.count().label("n"))
            .where(
                C.community_id == community_id,
                IS_HELPFUL,
                C.by_staff.is_(False),
                C.occurred_at >= period.start,
                C.occurred_at < period.end,
            )
            .group_by(C.member_id)
            .order_by(desc("n"), C.member_id)
            .limit(limit)
        )
    ).all()
    people = await persons(conn, (row[0] for row in rows))
    return tuple(Helper(people[row[0]], int(row[1])) for row in rows if row[0] in people)


async def _activated_referrers(
    conn: AsyncConnection, community_id: str, period: Period, limit: int
) -> tuple[ActivatedReferrer, ...]:
    """Members whose referred newcomers made their first contribution in the period."""
    rows = (
        await conn.execute(
            select(M.referred_by_id, func.count().label("n"))
            .where(
                M.community_id == community_id,
                M.referred_by_id.is_not(None),
                M.first_contribution_at >= period.start,
                M.first_contribution_at < period.end,
                M.is_bot.is_(False),
            )
            .group_by(M.referred_by_id)
            .order_by(desc("n"), M.referred_by_id)
            .limit(limit)
        )
    ).all()
    people = await persons(conn, (row[0] for row in rows))
    return tuple(ActivatedReferrer(people[row[0]], int(row[1])) for row in rows if row[0] in people)


async def _upcoming(
    conn: AsyncConnection, community_id: str, period: Period, limit: int
) -> tuple[Upcoming, ...]:
    """The programme of the week after the period's week, with RSVP counts."""
    following = Period.of(period.week.shift(1), period.timezone)
    answers = (
        select(
            RsvpRow.occurrence_id,
            count_if(RsvpRow.answer == "going").label("going"),
            count_if(RsvpRow.answer == "maybe").label("maybe"),
        )
        .group_by(RsvpRow.occurrence_id)
        .subquery()
    )
    rows = (
        await conn.execute(
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
                SeriesRow.community_id == community_id,
                OccurrenceRow.starts_at >= following.start,
                OccurrenceRow.starts_at < following.end,
                OccurrenceRow.status != "skipped",
            )
            .order_by(OccurrenceRow.starts_at, OccurrenceRow.id)
            .limit(limit)
        )
    ).all()
    return tuple(Upcoming(row[0], row[1], row[2], row[3], int(row[4]), int(row[5])) for row in rows)


async def _badges(
    conn: AsyncConnection, community_id: str, period: Period, limit: int
) -> tuple[tuple[AwardedBadge, ...], int]:
    """Badges awarded in the period, in the order they were awarded."""
    where = and_(
        BadgeAwardRow.community_id == community_id,
        BadgeAwardRow.awarded_at >= period.start,
        BadgeAwardRow.awarded_at < period.end,
    )
    rows = (
        await conn.execute(
            select(BadgeAwardRow.member_id, BadgeAwardRow.badge_key, BadgeAwardRow.awarded_at, TOTAL)
            .where(where)
            .order_by(BadgeAwardRow.awarded_at, BadgeAwardRow.id)
            .limit(limit)
        )
    ).all()
    total = _total(rows)
    people = await persons(conn, (row[0] for row in rows))
    return tuple(AwardedBadge(people[row[0]], row[1], row[2]) for row in rows if row[0] in people), total
