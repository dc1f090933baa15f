"""Read-side SQL for the health metrics and the weekly digest (definitions: docs/metrics.md).

Everything is aggregated in SQL over the rollups (`member_week`), the member table and the small
tables (applications, programme, badges); contribution rows are read only for helpful answers,
through a partial index. Time boundaries are computed in Python and passed as parameters, so the
same statements run on SQLite and PostgreSQL; the one per-row interval (first contribution within
7 days of admission) is `seconds_between`, compiled for each dialect.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.core.feedback.report_rules import FEEDBACK_WINDOW
from bot.core.metrics.rules import (
    ACTIVATION_DAYS,
    ACTIVE_WEEKS,
    TREND_WEEKS,
    Activation,
    Activity,
    Applications,
    DigestData,
    Growth,
    MetricsPolicy,
    PeerAnswers,
    Programming,
    Referrals,
    TrendPoint,
    WeekMetrics,
    ratio,
)
from bot.core.weeks import Period
from storage.db import for_reports
from storage.feedback.report import feedback_figures
from storage.metrics import statements
from storage.metrics.cohorts import cohorts
from storage.metrics.lists import People, actions, referrers
from storage.metrics.recognition import recognition
from storage.metrics.snapshots import kept_weeks
from storage.metrics.trend import activations_statement, active_ratios_statements, slots_for, slotted


class MetricsQueries:
    """The metrics of one community on one connection; activity, activation and the member counts
    are memoised per period because the trend, the week and the week before share them. `kept` holds
    the finished weeks' metrics already in the rollup (storage/metrics/snapshots.py), by week id:
    those are read, not computed."""

    def __init__(
        self, conn: AsyncConnection, community_id: str, kept: dict[str, WeekMetrics] | None = None
    ) -> None:
        self.conn = conn
        self.community_id = community_id
        self.kept = kept or {}
        self._activity: dict[Period, Activity] = {}
        self._activation: dict[Period, Activation] = {}
        self._members: dict[Period, tuple[int, int, int]] = {}
        self._pending: dict[datetime, list[Row[Any]]] = {}

    def kept_metrics(self, period: Period) -> WeekMetrics | None:
        """The rollup's metrics of a finished period, if kept."""
        found = self.kept.get(str(period.week)) if period.complete else None
        return found if found is not None and found.period == period else None

    async def one(self, stmt: Any, params: dict[str, Any] | None = None) -> tuple[int, ...]:
        """The single row of an aggregate query of counts (PostgreSQL sums come back as Decimal)."""
        return tuple(int(value or 0) for value in (await self.conn.execute(stmt, params)).one())

    async def count(self, stmt: Any) -> int:
        """A scalar count."""
        return int(await self.conn.scalar(stmt) or 0)

    def bounds(self, start: datetime, end: datetime) -> dict[str, Any]:
        """The parameters of a statement (storage/metrics/statements.py) over [start, end)."""
        return {"community_id": self.community_id, "start": start, "end": end}

    async def member_counts(self, period: Period) -> tuple[int, int, int]:
        """Members at the period's end, and admissions and departures in it: one pass over the members."""
        if period in self._members:
            return self._members[period]
        members, admitted, left = await self.one(
            statements.member_counts(), self.bounds(period.start, period.end)
        )
        self._members[period] = (members, admitted, left)
        return members, admitted, left

    async def activity(self, period: Period) -> Activity:
        """Members active in the 4 rollup weeks ending with the period's week, among members at its end:
        one `member_activity` row per member, its window mask saying which kinds they made."""
        if period in self._activity:
            return self._activity[period]
        params = {"community_id": self.community_id, "week": period.rollup_week, "end": period.end}
        active, kinds = await self.one(statements.activity(), params)
        members, _, _ = await self.member_counts(period)
        result = Activity(members=members, active_members=active, kind_total=kinds)
        self._activity[period] = result
        return result

    async def activation(self, period: Period) -> Activation:
        """Newcomers admitted in [start − 7 d, end − 7 d): each has had 7 whole days by the period's end."""
        if period not in self._activation:
            await self.activations([period])
        return self._activation[period]

    async def activations(self, periods: Sequence[Period]) -> None:
        """The activation of each of these periods (those not known yet), in one statement."""
        wanted = [p for p in dict.fromkeys(periods) if p not in self._activation]
        if not wanted:
            return
        window = timedelta(days=ACTIVATION_DAYS)
        slots = slots_for(len(wanted))
        params = slotted(
            slots, **{"from": [p.start - window for p in wanted], "to": [p.end - window for p in wanted]}
        )
        params["community_id"] = self.community_id
        params["first"] = min(p.start for p in wanted) - window
        params["last"] = max(p.end for p in wanted) - window
        counts = await self.one(activations_statement(slots), params)
        for i, p in enumerate(wanted):
            self._activation[p] = Activation(newcomers=counts[2 * i], activated=counts[2 * i + 1])

    async def referrals(self, period: Period) -> Referrals:
        """Admissions in the 4 weeks ending with the period, and those a member's referral explains."""
        bounds = self.bounds(period.shift(-(ACTIVE_WEEKS - 1)).start, period.end)
        admissions, by_referral = await self.one(statements.referrals(), bounds)
        return Referrals(admissions=admissions, referral_admissions=by_referral)

    async def peer_answers(self, period: Period) -> PeerAnswers:
        """Helpful answers in the period; `by_staff` records whether the author was staff then."""
        total, peers = await self.one(statements.peer_answers(), self.bounds(period.start, period.end))
        return PeerAnswers(helpful_answers=total, by_peers=peers)

    async def applications(self, period: Period, sla_hours: int) -> Applications:
        """Submitted and decided in the period; the queue at its end."""
        submitted_stmt, decided_stmt, durations_stmt = statements.applications()
        bounds = self.bounds(period.start, period.end)
        (submitted,) = await self.one(submitted_stmt, bounds)
        approved, rejected = await self.one(decided_stmt, bounds)
        # Median is not portable SQL; a week's decisions are few, so their durations come back as numbers.
        durations = (await self.conn.scalars(durations_stmt, bounds)).all()
        median = float(statistics.median(durations)) / 3600 if durations else None
        end = period.end
        waiting = await self.pending(end)
        late = sum(1 for row in waiting if row.submitted_at < end - timedelta(hours=sla_hours))
        return Applications(
            submitted=submitted,
            approved=approved,
            rejected=rejected,
            median_hours_to_decision=median,
            pending=len(waiting),
            pending_past_sla=late,
        )

    async def pending(self, moment: datetime) -> list[Row[Any]]:
        """Applications waiting at `moment`, oldest first (read once: the week's figures and the overdue list
        share it)."""
        if moment not in self._pending:
            params = {"community_id": self.community_id, "moment": moment}
            rows = (await self.conn.execute(statements.pending(), params)).all()
            self._pending[moment] = sorted(rows, key=lambda row: (row.submitted_at, row.id))
        return self._pending[moment]

    async def programming(self, period: Period) -> Programming:
        """Sessions held in the period with RSVPs and attendance; questions and submissions made in it."""
        occurrences, going, maybe, attended, questions, submissions = await self.one(
            statements.programming(), self.bounds(period.start, period.end)
        )
        return Programming(
            occurrences=occurrences,
            rsvps_going=going,
            rsvps_maybe=maybe,
            attended=attended,
            ama_questions=questions,
            showcase_submissions=submissions,
        )

    async def growth(self, period: Period) -> Growth:
        """Admissions and departures in the period, and members at its end."""
        members, admitted, left = await self.member_counts(period)
        return Growth(admitted=admitted, left=left, members=members)

    async def week(self, period: Period, policy: MetricsPolicy) -> WeekMetrics:
        """Every metric of one period (a kept finished week is read from the rollup)."""
        kept = self.kept_metrics(period)
        if kept is not None:
            return kept
        activity = await self.activity(period)
        return WeekMetrics(
            period=period,
            activity=activity,
            activation=await self.activation(period),
            referrals=await self.referrals(period),
            peer_answers=await self.peer_answers(period),
            applications=await self.applications(period, policy.sla_hours),
            programming=await self.programming(period),
            growth=await self.growth(period),
        )

    async def trend(self, period: Period) -> tuple[TrendPoint, ...]:
        """Active contributor ratio and first-contribution rate for the 12 weeks ending with the period."""
        periods = period.trailing(TREND_WEEKS)
        # Kept weeks come from the rollup; the others (consecutive, usually the last one or two) are
        # computed together.
        missing = [i for i, p in enumerate(periods) if self.kept_metrics(p) is None]
        computed: dict[int, float | None] = {}
        if len(missing) <= 2:  # the week and the one before: their activity is computed anyway
            computed = {i: (await self.activity(periods[i])).active_contributor_ratio for i in missing}
        elif missing:
            span = range(missing[0], missing[-1] + 1)
            ratios = await self.active_ratios([periods[i] for i in span])
            computed = dict(zip(span, ratios, strict=True))
        await self.activations([periods[i] for i in missing])
        points = []
        for i, p in enumerate(periods):
            kept = self.kept_metrics(p)
            if kept is not None:
                active_ratio, activation = kept.activity.active_contributor_ratio, kept.activation
            else:
                active_ratio, activation = computed[i], await self.activation(p)
            points.append(TrendPoint(p.week, active_ratio, activation.first_contribution_rate))
        return tuple(points)

    async def active_ratios(self, periods: Sequence[Period]) -> list[float | None]:
        """The active contributor ratio of consecutive periods in two statements: each week's
        `member_activity` rows with a window mask are its members active in the 4 weeks to it."""
        slots = slots_for(len(periods))
        weeks = [p.rollup_week for p in periods]
        params = slotted(slots, week=weeks, end=[p.end for p in periods])
        params |= {"community_id": self.community_id, "first_week": min(weeks), "last_week": max(weeks)}
        active_stmt, members_stmt = active_ratios_statements(slots)
        active = await self.one(active_stmt, params)
        members = await self.one(members_stmt, params)
        n = len(periods)
        return [ratio(a, m) for a, m in zip(active[:n], members[:n], strict=True)]


class SqlMetricsReader:
    """The MetricsReader port on SQL; every report runs on one read-only connection."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = for_reports(engine)

    async def week(self, community_id: str, period: Period, policy: MetricsPolicy) -> WeekMetrics:
        async with self.engine.connect() as conn:
            kept = await kept_weeks(conn, community_id, period.timezone, [str(period.week)])
            return await MetricsQueries(conn, community_id, kept).week(period, policy)

    async def digest(self, community_id: str, period: Period, policy: MetricsPolicy) -> DigestData:
        async with self.engine.connect() as conn:
            weeks = [str(p.week) for p in (period, *period.trailing(TREND_WEEKS), period.previous())]
            kept = await kept_weeks(conn, community_id, period.timezone, weeks)
            queries = MetricsQueries(conn, community_id, kept)
            # Every activation the week, the week before and the trend compute, in one statement.
            await queries.activations(
                [
                    p
                    for p in (period, period.previous(), *period.trailing(TREND_WEEKS))
                    if queries.kept_metrics(p) is None
                ]
            )
            current = await queries.week(period, policy)
            previous = await queries.week(period.previous(), policy)
            trend = await queries.trend(period)
            cohort_reports = await cohorts(conn, community_id, period)
            people = People()  # the members the lists name, read once after all of them
            referrer_list = await referrers(conn, community_id, period, policy.list_limit, people)
            action_lists = await actions(
                conn, community_id, period, policy, await queries.pending(period.end), people
            )
            feedback = await feedback_figures(
                conn, community_id, period.start, period.end, period.end - FEEDBACK_WINDOW
            )
            recognised = await recognition(conn, community_id, period, policy.list_limit, people)
            await people.read(conn)
            return DigestData(
                current=current,
                previous=previous,
                trend=trend,
                cohorts=cohort_reports,
                referrers=referrer_list(),
                actions=action_lists(),
                feedback=feedback,
                recognition=recognised(),
            )
