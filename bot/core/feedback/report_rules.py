"""The monthly insights report and the digest's feedback section: pure composition over figures.

Storage reads one `ReportIdea` per idea (merged duplicates excluded: their votes live on in the
idea they were merged into); everything below is arithmetic on those, so the figures can be
checked by hand against a seeded fixture.

Definitions (docs/feedback.md repeats them for leads):
- top by votes: open ideas by votes cast before the month's end;
- vote velocity: votes cast during the month per week the idea was open during the month
  (at least one day counted, so a day-old idea with 3 votes scores 21/week);
- implementation rate: of the ideas submitted in the trailing six months (the month and the
  five before), the share shipped by the month's end;
- median days to ship: over ideas shipped in the same six months, submission to ship.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.core.feedback.idea_rules import IdeaStatus
from bot.core.text import user_text

TOP = 10
TOP_VELOCITY = 5
WINDOW_MONTHS = 6
# The digest's implementation rate looks back about six months from the week's end.
FEEDBACK_WINDOW = timedelta(days=183)


@dataclass(frozen=True)
class ReportIdea:
    """One idea's figures as of the report period."""

    id: int
    title: str
    status: IdeaStatus
    created_at: datetime
    status_changed_at: datetime
    votes: int  # votes cast before the period's end
    votes_in_period: int  # votes cast during the period
    area: str | None = None
    status_reason: str | None = None
    shipped_at: datetime | None = None
    author: str | None = None  # display name; None once the author is gone
    voters: tuple[str, ...] = ()  # display names, earliest vote first, author excluded


@dataclass(frozen=True)
class Period:
    """A report month in the community's time zone, as UTC instants."""

    label: str  # "2026-11"
    start: datetime
    end: datetime
    window_start: datetime  # start of the trailing six months


def _month_start(year: int, month: int, zone: ZoneInfo) -> datetime:
    return datetime.combine(date(year, month, 1), time(0), tzinfo=zone)


def _shift(year: int, month: int, by: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + by
    return index // 12, index % 12 + 1


def period(label: str, zone: ZoneInfo) -> Period:
    """The period for "YYYY-MM"; ValueError with the expected form when it is not one."""
    try:
        year, month = (int(part) for part in label.split("-"))
        date(year, month, 1)
    except ValueError:
        raise ValueError(f"a month looks like 2026-11, not {label!r}") from None
    start = _month_start(year, month, zone)
    end = _month_start(*_shift(year, month, 1), zone)
    window = _month_start(*_shift(year, month, 1 - WINDOW_MONTHS), zone)
    return Period(
        f"{year:04d}-{month:02d}", start.astimezone(UTC), end.astimezone(UTC), window.astimezone(UTC)
    )


def previous_month(now: datetime, zone: ZoneInfo) -> str:
    """ "YYYY-MM" of the month before `now` in the community's zone (what the monthly post covers)."""
    local = now.astimezone(zone)
    year, month = _shift(local.year, local.month, -1)
    return f"{year:04d}-{month:02d}"


@dataclass(frozen=True)
class Shipped:
    """An idea shipped in the period, with the members credited."""

    idea: ReportIdea
    credited: tuple[str, ...]  # the author first, then the voters who asked first
    days_to_ship: float


@dataclass(frozen=True)
class IdeasReport:
    """The month's figures, ready to render."""

    community: str
    period: Period
    top_by_votes: tuple[ReportIdea, ...]
    top_by_velocity: tuple[tuple[ReportIdea, float], ...]  # (idea, votes per week)
    new: tuple[ReportIdea, ...]
    shipped: tuple[Shipped, ...]
    declined: tuple[ReportIdea, ...]
    submitted_in_window: int
    shipped_in_window: int  # of those submitted in the window, how many shipped by the end
    median_days_to_ship: float | None

    @property
    def implementation_rate(self) -> float | None:
        """Shipped ÷ submitted over the trailing six months; None when nothing was submitted."""
        if not self.submitted_in_window:
            return None
        return self.shipped_in_window / self.submitted_in_window


def _days(delta: timedelta) -> float:
    return delta.total_seconds() / 86_400


def _in(moment: datetime | None, start: datetime, end: datetime) -> bool:
    return moment is not None and start <= moment < end


def velocity(idea: ReportIdea, start: datetime, until: datetime) -> float:
    """Votes per week during [start, until) over the days the idea existed then (at least one)."""
    open_days = max(_days(until - max(start, idea.created_at)), 1.0)
    return idea.votes_in_period / open_days * 7


def compose(
    community: str,
    ideas: Sequence[ReportIdea],
    when: Period,
    *,
    as_of: datetime,
    credit_voters: int,
) -> IdeasReport:
    """The report from per-idea figures. `as_of` bounds velocity for a month not yet over."""
    until = min(when.end, max(as_of, when.start))
    ideas = [i for i in ideas if i.created_at < when.end and i.status is not IdeaStatus.MERGED]
    open_ideas = [i for i in ideas if i.status.is_open]
    top = sorted(open_ideas, key=lambda i: (-i.votes, i.created_at, i.id))[:TOP]
    fast = sorted(
        ((i, round(velocity(i, when.start, until), 2)) for i in open_ideas if i.votes_in_period > 0),
        key=lambda pair: (-pair[1], -pair[0].votes, pair[0].id),
    )[:TOP_VELOCITY]
    new = sorted(
        (i for i in ideas if _in(i.created_at, when.start, when.end)), key=lambda i: (i.created_at, i.id)
    )
    shipped_now = [
        i for i in ideas if i.status is IdeaStatus.SHIPPED and _in(i.shipped_at, when.start, when.end)
    ]
    shipped = tuple(
        Shipped(
            idea=i,
            credited=((i.author,) if i.author else ()) + i.voters[:credit_voters],
            days_to_ship=round(_days(i.shipped_at - i.created_at), 1) if i.shipped_at else 0.0,
        )
        for i in sorted(shipped_now, key=lambda i: (i.shipped_at or i.created_at, i.id))
    )
    declined = tuple(
        sorted(
            (
                i
                for i in ideas
                if i.status is IdeaStatus.DECLINED and _in(i.status_changed_at, when.start, when.end)
            ),
            key=lambda i: (i.status_changed_at, i.id),
        )
    )
    window = [i for i in ideas if _in(i.created_at, when.window_start, when.end)]
    shipped_of_window = [
        i
        for i in window
        if i.status is IdeaStatus.SHIPPED and i.shipped_at is not None and i.shipped_at < when.end
    ]
    ship_days = [
        _days(i.shipped_at - i.created_at)
        for i in ideas
        if i.status is IdeaStatus.SHIPPED and _in(i.shipped_at, when.window_start, when.end) and i.shipped_at
    ]
    return IdeasReport(
        community=community,
        period=when,
        top_by_votes=tuple(top),
        top_by_velocity=tuple(fast),
        new=tuple(new),
        shipped=shipped,
        declined=declined,
        submitted_in_window=len(window),
        shipped_in_window=len(shipped_of_window),
        median_days_to_ship=round(statistics.median(ship_days), 1) if ship_days else None,
    )


def _rate(report: IdeasReport) -> str:
    rate = report.implementation_rate
    if rate is None:
        return "no ideas submitted in the last six months"
    return f"{rate:.0%} ({report.shipped_in_window} of {report.submitted_in_window} submitted in six months)"


def _name(idea: ReportIdea, limit: int = 80) -> str:
    return f"#{idea.id} {user_text(idea.title, limit)}"


def _sections(report: IdeasReport) -> list[tuple[str, list[str]]]:
    median = report.median_days_to_ship
    return [
        (
            "Top ideas by votes",
            [f"{_name(i)} — {i.votes} votes, {i.status.label}" for i in report.top_by_votes],
        ),
        (
            "Fastest rising (votes per week this month)",
            [f"{_name(i)} — {v:g}/week ({i.votes_in_period} this month)" for i, v in report.top_by_velocity],
        ),
        ("New this month", [f"{_name(i)} — {i.votes} votes" for i in report.new]),
        (
            "Shipped this month",
            [
                f"{_name(s.idea)} — after {s.days_to_ship:g} days; credited: "
                + (", ".join(user_text(n, 50) for n in s.credited) or "nobody left to credit")
                for s in report.shipped
            ],
        ),
        (
            "Declined this month",
            [f"{_name(i)} — {user_text(i.status_reason or 'no reason given', 200)}" for i in report.declined],
        ),
        (
            "Feedback implementation",
            [
                f"Implementation rate: {_rate(report)}",
                "Median days from submission to ship: "
                + (f"{median:g}" if median is not None else "nothing shipped in six months"),
            ],
        ),
    ]


def render_markdown(report: IdeasReport) -> str:
    """The report as Markdown (for `townsquare ideas report`, product docs and wikis)."""
    out = [f"# Community insights: ideas, {report.period.label}", ""]
    for heading, lines in _sections(report):
        out += [f"## {heading}", ""] + ([f"- {line}" for line in lines] or ["- none"]) + [""]
    return "\n".join(out).rstrip() + "\n"


def render_text(report: IdeasReport) -> tuple[str, str]:
    """Title and plain text for the monthly post in the leads' channel."""
    out: list[str] = []
    for heading, lines in _sections(report):
        out += [f"{heading}:"] + ([f"• {line}" for line in lines] or ["• none"]) + [""]
    return f"Ideas report, {report.period.label}", "\n".join(out).rstrip()


def _idea_json(idea: ReportIdea) -> dict[str, Any]:
    return {
        "id": idea.id,
        "title": idea.title,
        "area": idea.area,
        "status": idea.status.value,
        "votes": idea.votes,
        "votes_this_month": idea.votes_in_period,
        "created_at": idea.created_at.isoformat(),
    }


def render_json(report: IdeasReport) -> dict[str, Any]:
    """The report as JSON-ready data (for product tools)."""
    rate = report.implementation_rate
    return {
        "community": report.community,
        "month": report.period.label,
        "period": {"start": report.period.start.isoformat(), "end": report.period.end.isoformat()},
        "top_by_votes": [_idea_json(i) for i in report.top_by_votes],
        "top_by_velocity": [{**_idea_json(i), "votes_per_week": v} for i, v in report.top_by_velocity],
        "new": [_idea_json(i) for i in report.new],
        "shipped": [
            {
                **_idea_json(s.idea),
                "shipped_at": s.idea.shipped_at.isoformat() if s.idea.shipped_at else None,
                "days_to_ship": s.days_to_ship,
                "credited": list(s.credited),
            }
            for s in report.shipped
        ],
        "declined": [{**_idea_json(i), "reason": i.status_reason} for i in report.declined],
        "implementation": {
            "window_start": report.period.window_start.isoformat(),
            "submitted": report.submitted_in_window,
            "shipped": report.shipped_in_window,
            "rate": round(rate, 4) if rate is not None else None,
        },
        "median_days_to_ship": report.median_days_to_ship,
    }


@dataclass(frozen=True)
class FeedbackWeek:
    """The digest's feedback section for one week."""

    ideas_filed: int
    votes: int  # votes cast, authors' own votes on their ideas not counted
    status_changes: int
    shipped: tuple[tuple[int, str], ...]  # (idea id, title)
    submitted_in_window: int  # trailing six months, as of the week's end
    shipped_in_window: int
    minutes: tuple[tuple[str, int], ...] = ()  # (body, minutes published in the week)

    @property
    def implementation_rate(self) -> float | None:
        """Shipped ÷ submitted over the trailing six months."""
        return self.shipped_in_window / self.submitted_in_window if self.submitted_in_window else None


NO_FEEDBACK = FeedbackWeek(0, 0, 0, (), 0, 0)  # a week without ideas, votes or changes


def feedback_lines(week: FeedbackWeek, limit: int = 10) -> list[str]:
    """Plain lines for the weekly digest's feedback section (at most `limit` shipped ideas named)."""
    rate = week.implementation_rate
    named = [f"#{i} {user_text(t, 60)}" for i, t in week.shipped[:limit]]
    if len(week.shipped) > limit:
        named.append(f"and {len(week.shipped) - limit} more")
    lines = [
        f"Ideas filed: {week.ideas_filed} · votes: {week.votes} · status changes: {week.status_changes}",
        "Shipped this week: " + (", ".join(named) if named else "nothing"),
        "Implementation rate (six months): "
        + (
            f"{rate:.0%} ({week.shipped_in_window} of {week.submitted_in_window})"
            if rate is not None
            else "n/a"
        ),
    ]
    if week.minutes:
        lines.append("Minutes published: " + ", ".join(f"{user_text(n, 40)} ({c})" for n, c in week.minutes))
    return lines
