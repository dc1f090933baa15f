"""Health metrics as the read side computes them: plain counts, with the ratios derived here.

The SQL lives in storage/metrics.py; every definition is written down in docs/metrics.md. Counts
are kept next to the ratios so a lead (and a test) can see what a percentage is made of.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from bot.core.feedback.report_rules import NO_FEEDBACK, FeedbackWeek
from bot.core.refs import MemberRef
from bot.core.weeks import IsoWeek, Period

if TYPE_CHECKING:
    from bot.core.metrics.recognition import Recognition

ACTIVE_WEEKS = 4  # "active in the last 28 days" = the 4 rollup weeks ending with the report week
ACTIVATION_DAYS = 7  # a first contribution within 7 days of admission counts as activation
RETENTION_WEEKS = 8  # cohort retention follows weeks 1-8 after launch
TREND_WEEKS = 12  # the chart's trend


def ratio(part: int | float, whole: int | float) -> float | None:
    """part / whole, or None when there is nothing to divide by (no data is not 0 %)."""
    return part / whole if whole else None


@dataclass(frozen=True)
class MetricsPolicy:
    """The community's knobs the read side needs."""

    sla_hours: int = 48
    stalled_after_days: int = 7
    stalled_window_days: int = 28
    list_limit: int = 10


@dataclass(frozen=True)
class Person:
    """A member named in a report."""

    id: int
    ref: MemberRef
    name: str


@dataclass(frozen=True)
class Activity:
    """Who contributed in the 4 rollup weeks ending with the report week, among the members then."""

    members: int
    active_members: int
    kind_total: int  # distinct contribution kinds per active member, summed

    @property
    def active_contributor_ratio(self) -> float | None:
        """Active members / members."""
        return ratio(self.active_members, self.members)

    @property
    def engagement_depth(self) -> float | None:
        """Distinct contribution kinds per active member."""
        return ratio(self.kind_total, self.active_members)


@dataclass(frozen=True)
class Activation:
    """Newcomers whose 7 days ended within the period, and those of them who contributed in time."""

    newcomers: int
    activated: int

    @property
    def first_contribution_rate(self) -> float | None:
        """Activated / newcomers."""
        return ratio(self.activated, self.newcomers)


@dataclass(frozen=True)
class Referrals:
    """Admissions in the 4 weeks ending with the report period, and how many a member referred."""

    admissions: int
    referral_admissions: int

    @property
    def referral_share(self) -> float | None:
        """Referral-attributed admissions / all admissions."""
        return ratio(self.referral_admissions, self.admissions)


@dataclass(frozen=True)
class PeerAnswers:
    """Answers marked helpful in the period, and those written by non-staff members."""

    helpful_answers: int
    by_peers: int

    @property
    def peer_answer_rate(self) -> float | None:
        """Helpful answers by non-staff / all helpful answers."""
        return ratio(self.by_peers, self.helpful_answers)


@dataclass(frozen=True)
class Applications:
    """The application funnel in the period, and the queue at its end."""

    submitted: int
    approved: int
    rejected: int
    median_hours_to_decision: float | None
    pending: int
    pending_past_sla: int


@dataclass(frozen=True)
class Programming:
    """The programme held in the period."""

    occurrences: int
    rsvps_going: int
    rsvps_maybe: int
    attended: int
    ama_questions: int
    showcase_submissions: int


@dataclass(frozen=True)
class Growth:
    """Who came and went in the period."""

    admitted: int
    left: int
    members: int  # at the end of the period

    @property
    def net(self) -> int:
        """Admitted minus left."""
        return self.admitted - self.left


@dataclass(frozen=True)
class WeekMetrics:
    """Every metric for one period."""

    period: Period
    activity: Activity
    activation: Activation
    referrals: Referrals
    peer_answers: PeerAnswers
    applications: Applications
    programming: Programming
    growth: Growth

    @property
    def referral_velocity(self) -> float | None:
        """Referral-attributed admissions in 4 weeks (a month) per active member."""
        return ratio(self.referrals.referral_admissions, self.activity.active_members)


@dataclass(frozen=True)
class TrendPoint:
    """One week of the 12-week trend."""

    week: IsoWeek
    active_contributor_ratio: float | None
    first_contribution_rate: float | None


@dataclass(frozen=True)
class CohortReport:
    """One cohort: retention by week after launch, 14-day drop-off, activation of its newcomers."""

    cohort_id: int
    name: str
    launched_at: datetime
    size: int
    active_by_week: tuple[int | None, ...]  # weeks 1..8; None for weeks not reached yet
    dropped_14d: int | None  # None until week 2 has been reached
    newcomers: int  # members whose 7 days have ended
    activated: int

    @property
    def retention(self) -> tuple[float | None, ...]:
        """Share of the cohort active in each week after launch."""
        return tuple(None if n is None else ratio(n, self.size) for n in self.active_by_week)

    @property
    def drop_off_14d(self) -> float | None:
        """Share of the cohort silent (or gone) in the 14 days after launch."""
        return None if self.dropped_14d is None else ratio(self.dropped_14d, self.size)

    @property
    def first_contribution_rate(self) -> float | None:
        """Activated / newcomers of this cohort."""
        return ratio(self.activated, self.newcomers)


@dataclass(frozen=True)
class ReferrerReport:
    """A referrer's newcomers admitted in the 4 weeks before the activation window closed."""

    referrer: Person
    newcomers: int
    activated: int

    @property
    def first_contribution_rate(self) -> float | None:
        """Activated / newcomers referred by this member."""
        return ratio(self.activated, self.newcomers)


@dataclass(frozen=True)
class StalledNewcomer:
    """A newcomer with no first contribution yet, and who their buddies are."""

    person: Person
    admitted_at: datetime
    buddies: tuple[Person, ...]


@dataclass(frozen=True)
class OverdueApplication:
    """An application waiting longer than the SLA."""

    application_id: int
    person: Person
    submitted_at: datetime


@dataclass(frozen=True)
class Helper:
    """A non-staff member whose answers were marked helpful."""

    person: Person
    answers: int


@dataclass(frozen=True)
class ActivatedReferrer:
    """A referrer whose newcomers made their first contribution."""

    person: Person
    newcomers: int


@dataclass(frozen=True)
class Upcoming:
    """A session next week with its RSVP counts."""

    occurrence_id: int
    title: str
    kind: str
    starts_at: datetime
    going: int
    maybe: int


@dataclass(frozen=True)
class NoShowRate:
    """A series' sessions that ended in the period: members who said they were going and did not
    check in ("I'm here"), of all who said they were going."""

    series_id: int
    title: str
    kind: str
    sessions: int
    going: int
    no_shows: int

    @property
    def rate(self) -> float | None:
        """No-shows ÷ going; None when no one said they were going."""
        return self.no_shows / self.going if self.going else None


@dataclass(frozen=True)
class AwardedBadge:
    """A badge awarded in the period."""

    person: Person
    badge_key: str
    awarded_at: datetime


@dataclass(frozen=True)
class Actions:
    """What leads can act on; each list is capped, the totals are not."""

    stalled: tuple[StalledNewcomer, ...]
    stalled_total: int
    overdue: tuple[OverdueApplication, ...]
    overdue_total: int
    helpers: tuple[Helper, ...]
    referrers: tuple[ActivatedReferrer, ...]
    upcoming: tuple[Upcoming, ...]
    badges: tuple[AwardedBadge, ...]
    badges_total: int
    no_shows: tuple[NoShowRate, ...] = ()


@dataclass(frozen=True)
class DigestData:
    """Everything a digest shows, read in one go."""

    current: WeekMetrics
    previous: WeekMetrics
    trend: tuple[TrendPoint, ...]
    cohorts: tuple[CohortReport, ...]
    referrers: tuple[ReferrerReport, ...]
    actions: Actions
    feedback: FeedbackWeek = NO_FEEDBACK  # the feedback loop in the period (ideas, votes, shipped)
    recognition: Recognition | None = None  # tiers, drifting members (bot.core.metrics.recognition)
