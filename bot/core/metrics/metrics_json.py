"""Every metric of a week under its stable key: the digest's JSON `metrics` and `feedback` blocks
and the rows of `townsquare metrics export` (documented in docs/metrics.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.core.feedback.report_rules import FEEDBACK_WINDOW, FeedbackWeek
from bot.core.metrics.rules import ACTIVATION_DAYS, ACTIVE_WEEKS, WeekMetrics


def metrics_json(m: WeekMetrics, sla_hours: int) -> dict[str, Any]:
    """Every metric of one period under its stable key (also the rows of `townsquare metrics export`)."""
    period = m.period
    return {
        "activity": {
            "members": m.activity.members,
            "active_members": m.activity.active_members,
            "active_contributor_ratio": m.activity.active_contributor_ratio,
            "engagement_depth": m.activity.engagement_depth,
            "window_weeks": [str(period.week.shift(-n)) for n in range(ACTIVE_WEEKS - 1, -1, -1)],
        },
        "activation": {
            "newcomers": m.activation.newcomers,
            "activated": m.activation.activated,
            "first_contribution_rate": m.activation.first_contribution_rate,
            "days": ACTIVATION_DAYS,
        },
        "referrals": {
            "admissions": m.referrals.admissions,
            "referral_admissions": m.referrals.referral_admissions,
            "referral_share": m.referrals.referral_share,
            "referral_velocity": m.referral_velocity,
        },
        "peer_answers": {
            "helpful_answers": m.peer_answers.helpful_answers,
            "by_peers": m.peer_answers.by_peers,
            "peer_answer_rate": m.peer_answers.peer_answer_rate,
        },
        "applications": {
            "submitted": m.applications.submitted,
            "approved": m.applications.approved,
            "rejected": m.applications.rejected,
            "median_hours_to_decision": m.applications.median_hours_to_decision,
            "pending": m.applications.pending,
            "pending_past_sla": m.applications.pending_past_sla,
            "sla_hours": sla_hours,
        },
        "programming": {
            "occurrences": m.programming.occurrences,
            "rsvps_going": m.programming.rsvps_going,
            "rsvps_maybe": m.programming.rsvps_maybe,
            "attended": m.programming.attended,
            "ama_questions": m.programming.ama_questions,
            "showcase_submissions": m.programming.showcase_submissions,
        },
        "growth": {
            "admitted": m.growth.admitted,
            "left": m.growth.left,
            "net": m.growth.net,
            "members": m.growth.members,
        },
    }


def feedback_json(f: FeedbackWeek) -> dict[str, Any]:
    """The feedback loop in the period: ideas, votes, status changes, shipped, implementation rate."""
    return {
        "ideas_filed": f.ideas_filed,
        "votes": f.votes,
        "status_changes": f.status_changes,
        "shipped": [{"idea_id": idea_id, "title": title} for idea_id, title in f.shipped],
        "implementation_rate": f.implementation_rate,
        "submitted_in_window": f.submitted_in_window,
        "shipped_in_window": f.shipped_in_window,
        "window_days": FEEDBACK_WINDOW.days,
        "minutes": [{"body": body, "published": n} for body, n in f.minutes],
    }


def flat_metrics(m: WeekMetrics, sla_hours: int) -> dict[str, Any]:
    """One period's metrics as a flat row ("activity.members" …) for CSV and BI tools."""
    row: dict[str, Any] = {
        "week": str(m.period.week),
        "period_start": utc_stamp(m.period.start),
        "period_end": utc_stamp(m.period.end),
        "complete": m.period.complete,
    }
    for group, values in metrics_json(m, sla_hours).items():
        for key, value in values.items():
            if not isinstance(value, list):
                row[f"{group}.{key}"] = value
    return row


def utc_stamp(moment: datetime) -> str:
    """An aware UTC time as the JSON forms write it: ISO 8601 with Z."""
    return moment.isoformat().replace("+00:00", "Z")
