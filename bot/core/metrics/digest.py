"""The weekly digest: headline metrics with week-over-week change and healthy-range flags, what to
act on, and the stable JSON form (documented in docs/metrics.md and docs/digest.schema.json).

Pure composition over what the read side returned (`DigestData`); rendering to text, Markdown and
a platform post lives in bot/core/model/digest_render.py, the chart in bot/charts.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from bot.core.metrics.metrics_json import feedback_json, metrics_json, utc_stamp
from bot.core.metrics.recognition import NO_RECOGNITION, recognition_json
from bot.core.metrics.rules import (
    CohortReport,
    DigestData,
    Person,
    WeekMetrics,
)
from bot.core.weeks import Period

SCHEMA = "townsquare.digest/1"


class Unit(StrEnum):
    PERCENT = "percent"  # a ratio 0..1, shown as a percentage, changes in percentage points
    NUMBER = "number"  # a rate, shown with two decimals
    COUNT = "count"


class Status(StrEnum):
    OK = "ok"
    LOW = "low"
    HIGH = "high"  # above a band that is a ceiling too
    ABOVE = "above"  # above the target band of a metric where more is good: good news, not a flag
    NO_DATA = "no_data"
    UNRATED = "unrated"  # no healthy range is defined for this metric


@dataclass(frozen=True)
class HealthyRange:
    """Where a metric should be; either bound may be open. A floor has no `high`; a target band of a
    metric where more is good (`above_is_good`) reads a value above it as above target, not a flag."""

    low: float | None = None
    high: float | None = None
    above_is_good: bool = False

    def status(self, value: float | None) -> Status:
        """Whether a value is inside the range."""
        if value is None:
            return Status.NO_DATA
        if self.low is not None and value < self.low:
            return Status.LOW
        if self.high is not None and value > self.high:
            return Status.ABOVE if self.above_is_good else Status.HIGH
        return Status.OK


@dataclass(frozen=True)
class HealthyRanges:
    """The ranges the digest flags against (from the community's digest settings)."""

    active_contributor_ratio: HealthyRange = HealthyRange(0.10, 0.20, above_is_good=True)
    first_contribution_rate: HealthyRange = HealthyRange(0.30, None)


@dataclass(frozen=True)
class Headline:
    """One headline metric now and a week earlier."""

    key: str
    label: str
    unit: Unit
    value: float | None
    previous: float | None
    healthy: HealthyRange | None = None
    per: str = ""  # what a NUMBER counts: "admissions per active member per month"

    @property
    def change(self) -> float | None:
        """Value minus the previous week's (percentage points for percentages)."""
        if self.value is None or self.previous is None:
            return None
        return self.value - self.previous

    @property
    def status(self) -> Status:
        """Inside or outside the healthy range, when the metric has one."""
        if self.healthy is None:
            return Status.NO_DATA if self.value is None else Status.UNRATED
        return self.healthy.status(self.value)

    @property
    def flagged(self) -> bool:
        """True when a lead should look: outside the healthy range."""
        return self.status in (Status.LOW, Status.HIGH)


def headlines(now: WeekMetrics, before: WeekMetrics, ranges: HealthyRanges) -> tuple[Headline, ...]:
    """The headline metrics in the order the digest shows them."""

    def pair(
        key: str, label: str, unit: Unit, get: Any, healthy: HealthyRange | None = None, per: str = ""
    ) -> Headline:
        return Headline(key, label, unit, get(now), get(before), healthy, per)

    return (
        pair(
            "active_contributor_ratio",
            "Active contributors",
            Unit.PERCENT,
            lambda m: m.activity.active_contributor_ratio,
            ranges.active_contributor_ratio,
        ),
        pair(
            "first_contribution_rate",
            "First contribution within 7 days",
            Unit.PERCENT,
            lambda m: m.activation.first_contribution_rate,
            ranges.first_contribution_rate,
        ),
        pair(
            "referral_velocity",
            "Referral velocity",
            Unit.NUMBER,
            lambda m: m.referral_velocity,
            per="referred admissions per active member per month",
        ),
        pair("referral_share", "Referral share", Unit.PERCENT, lambda m: m.referrals.referral_share),
        pair("peer_answer_rate", "Peer answers", Unit.PERCENT, lambda m: m.peer_answers.peer_answer_rate),
        pair(
            "engagement_depth",
            "Engagement depth",
            Unit.NUMBER,
            lambda m: m.activity.engagement_depth,
            per="kinds of contribution per active member",
        ),
        pair("members", "Members", Unit.COUNT, lambda m: m.growth.members),
        pair("admitted", "Admitted", Unit.COUNT, lambda m: m.growth.admitted),
        pair("left", "Left", Unit.COUNT, lambda m: m.growth.left),
        pair("net_growth", "Net growth", Unit.COUNT, lambda m: m.growth.net),
        pair(
            "applications_past_sla",
            "Applications past the SLA",
            Unit.COUNT,
            lambda m: m.applications.pending_past_sla,
        ),
    )


@dataclass(frozen=True)
class Digest:
    """A community's digest for one period."""

    community_id: str
    community_name: str
    generated_at: datetime
    data: DigestData
    ranges: HealthyRanges = HealthyRanges()
    sla_hours: int = 48
    list_limit: int = 10  # cohorts shown in the text renderings (the JSON has them all)
    badge_names: Mapping[str, str] = field(default_factory=dict)  # key -> name from the catalogue

    def badge_name(self, key: str) -> str:
        """How leads read a badge: its catalogue name and emoji; a badge from outside the catalogue
        (the ideas feature's "shaped_the_product") by its key in words."""
        return self.badge_names.get(key) or key.replace("_", " ").capitalize()

    @property
    def period(self) -> Period:
        """What the digest covers."""
        return self.data.current.period

    @property
    def headlines(self) -> tuple[Headline, ...]:
        """Headline metrics with their change and flags."""
        return headlines(self.data.current, self.data.previous, self.ranges)

    @property
    def flagged(self) -> tuple[Headline, ...]:
        """Headlines outside their healthy range."""
        return tuple(h for h in self.headlines if h.flagged)

    def to_json(self) -> dict[str, Any]:
        """The stable JSON form: keys documented in docs/metrics.md, checked by docs/digest.schema.json."""
        now = self.data.current
        period = self.period
        return {
            "schema": SCHEMA,
            "community": {"id": self.community_id, "name": self.community_name, "timezone": period.timezone},
            "week": str(period.week),
            "period": {
                "start": utc_stamp(period.start),
                "end": utc_stamp(period.end),
                "complete": period.complete,
            },
            "generated_at": utc_stamp(self.generated_at),
            "headline": {h.key: _headline_json(h) for h in self.headlines},
            "metrics": metrics_json(now, self.sla_hours),
            "cohorts": [_cohort_json(c) for c in self.data.cohorts],
            "referrers": [
                {
                    "member": _person(r.referrer),
                    "newcomers": r.newcomers,
                    "activated": r.activated,
                    "first_contribution_rate": r.first_contribution_rate,
                }
                for r in self.data.referrers
            ],
            "trend": [
                {
                    "week": str(p.week),
                    "active_contributor_ratio": p.active_contributor_ratio,
                    "first_contribution_rate": p.first_contribution_rate,
                }
                for p in self.data.trend
            ],
            "actions": self._actions_json(),
            "feedback": feedback_json(self.data.feedback),
            "recognition": recognition_json(self.data.recognition or NO_RECOGNITION, _person),
        }

    def _actions_json(self) -> dict[str, Any]:
        a = self.data.actions
        return {
            "stalled_newcomers": {
                "total": a.stalled_total,
                "items": [
                    {
                        "member": _person(s.person),
                        "admitted_at": utc_stamp(s.admitted_at),
                        "buddies": [_person(b) for b in s.buddies],
                    }
                    for s in a.stalled
                ],
            },
            "applications_past_sla": {
                "total": a.overdue_total,
                "items": [
                    {
                        "application_id": o.application_id,
                        "member": _person(o.person),
                        "submitted_at": utc_stamp(o.submitted_at),
                    }
                    for o in a.overdue
                ],
            },
            "peer_helpers": [{"member": _person(h.person), "helpful_answers": h.answers} for h in a.helpers],
            "referrers_activated": [
                {"member": _person(r.person), "newcomers": r.newcomers} for r in a.referrers
            ],
            "next_week": [
                {
                    "occurrence_id": u.occurrence_id,
                    "title": u.title,
                    "kind": u.kind,
                    "starts_at": utc_stamp(u.starts_at),
                    "going": u.going,
                    "maybe": u.maybe,
                }
                for u in a.upcoming
            ],
            "no_show_rates": [
                {
                    "series_id": n.series_id,
                    "title": n.title,
                    "kind": n.kind,
                    "sessions": n.sessions,
                    "going": n.going,
                    "no_shows": n.no_shows,
                    "rate": n.rate,
                }
                for n in a.no_shows
            ],
            "badges_awarded": {
                "total": a.badges_total,
                "items": [
                    {"member": _person(b.person), "badge": b.badge_key, "awarded_at": utc_stamp(b.awarded_at)}
                    for b in a.badges
                ],
            },
        }


def _headline_json(h: Headline) -> dict[str, Any]:
    return {
        "label": h.label,
        "unit": h.unit.value,
        "value": h.value,
        "previous": h.previous,
        "change": h.change,
        "healthy": None if h.healthy is None else {"min": h.healthy.low, "max": h.healthy.high},
        "status": h.status.value,
    }


def _cohort_json(c: CohortReport) -> dict[str, Any]:
    return {
        "id": c.cohort_id,
        "name": c.name,
        "launched_at": utc_stamp(c.launched_at),
        "size": c.size,
        "active_by_week": list(c.active_by_week),
        "retention": list(c.retention),
        "dropped_14d": c.dropped_14d,
        "drop_off_14d": c.drop_off_14d,
        "newcomers": c.newcomers,
        "activated": c.activated,
        "first_contribution_rate": c.first_contribution_rate,
    }


def _person(p: Person) -> dict[str, Any]:
    return {"id": p.id, "platform": p.ref.platform, "user_id": p.ref.user_id, "name": p.name}
