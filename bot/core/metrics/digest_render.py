"""Rendering a digest: plain text and Markdown (the CLI), fields for a platform post or reply.

All three render the same sections, so what leads read in their channel is what the CLI prints.
Names go through `who` (a mention token in a post, "@name" in the CLI); display names are text a
user typed, so they pass through `user_text`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from bot.core.feedback.report_rules import feedback_lines
from bot.core.metrics.digest import Digest, Headline, HealthyRange, Status, Unit
from bot.core.metrics.recognition import NO_RECOGNITION, recognition_sections
from bot.core.metrics.rules import Person
from bot.core.replies import Field
from bot.core.text import day, mention, moment, user_text

Who = Callable[[Person], str]
FIELD_LIMIT = 1024  # Discord's embed field value limit; Slack's is larger


def mention_who(person: Person) -> str:
    """Name people in a platform post: a mention token."""
    return mention(person.ref)


def plain_who(person: Person) -> str:
    """Name people in the CLI: "@display name", or the platform id when there is no name."""
    return "@" + (user_text(person.name, 60) or str(person.ref))


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|#~])")


def markdown_who(person: Person) -> str:
    """Name people in Markdown: a display name cannot add formatting or links."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", plain_who(person))


def fmt_value(unit: Unit, value: float | None) -> str:
    """A metric value as leads read it."""
    if value is None:
        return "no data"
    if unit is Unit.PERCENT:
        return f"{value * 100:.1f} %"
    if unit is Unit.NUMBER:
        return f"{value:.2f}"
    return f"{value:.0f}"


def fmt_change(unit: Unit, change: float | None) -> str:
    """Week-over-week change: percentage points for percentages."""
    if change is None:
        return "no comparison"
    shown = {Unit.PERCENT: 3, Unit.NUMBER: 2}.get(unit, 0)  # what the formats below show
    if round(change, shown) == 0:  # never "-0.00" or "+0.0 pts"
        return "±0 pts" if unit is Unit.PERCENT else "±0"
    if unit is Unit.PERCENT:
        return f"{change * 100:+.1f} pts"
    if unit is Unit.NUMBER:
        return f"{change:+.2f}"
    return f"{change:+.0f}"


def fmt_range(healthy: HealthyRange) -> str:
    """ "10–20 %" (a band), "at least 30 %" (a floor), "at most 5 %" (a ceiling)."""
    low = None if healthy.low is None else f"{healthy.low * 100:g}"
    high = None if healthy.high is None else f"{healthy.high * 100:g}"
    if low is not None and high is not None:
        return f"{low}–{high} %"
    return f"at least {low} %" if low is not None else f"at most {high} %"


def flag_text(h: Headline) -> str:
    """Why a headline is flagged ("⚠ below target"), good news above a target ("✓ above target"), or ""."""
    if h.healthy is None:
        return ""
    target = fmt_range(h.healthy)
    if h.status is Status.LOW:
        return f"⚠ below target ({target})"
    if h.status is Status.HIGH:
        return f"⚠ above the healthy range ({target})"
    if h.status is Status.ABOVE:
        return f"✓ above target ({target})"
    return ""


def value_text(h: Headline) -> str:
    """ "12.0 %", "0.75 referred admissions per active member per month"."""
    per = f" {h.per}" if h.per and h.value is not None else ""
    return f"{fmt_value(h.unit, h.value)}{per}"


def headline_text(h: Headline) -> str:
    """ "12.0 % (+2.0 pts vs last week) ⚠ below target (10–20 %)"; a rate names what it counts."""
    text = f"{value_text(h)} ({fmt_change(h.unit, h.change)} vs last week)"
    flag = flag_text(h)
    return f"{text} {flag}" if flag else text


@dataclass(frozen=True)
class Section:
    title: str
    lines: tuple[str, ...]


def _hours(delta: timedelta) -> int:
    return int(delta.total_seconds() // 3600)


def _kind(kind: str) -> str:
    """ "office_hours" → "Office hours"."""
    return kind.replace("_", " ").capitalize()


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.0f} %"


def plural(count: int, word: str) -> str:
    """ "1 newcomer", "2 newcomers"."""
    return f"{count} {word}{'' if count == 1 else 's'}"


def _more(lines: list[str], shown: int, total: int) -> list[str]:
    return [*lines, f"… and {total - shown} more"] if total > shown else lines


def sections(digest: Digest, who: Who) -> tuple[Section, ...]:
    """The digest's sections after the headline: what to act on, then the programme, applications,
    the feedback loop and cohorts."""
    a = digest.data.actions
    m = digest.data.current
    end = digest.period.end

    stalled = [
        f"{who(s.person)}, admitted {plural((end - s.admitted_at).days, 'day')} ago"
        + (
            f" — {'buddy' if len(s.buddies) == 1 else 'buddies'} {', '.join(who(b) for b in s.buddies)}"
            if s.buddies
            else " — no buddy"
        )
        for s in a.stalled
    ]
    overdue = [
        f"#{o.application_id} from {who(o.person)}, waiting {_hours(end - o.submitted_at)} h"
        for o in a.overdue
    ]
    helpers = [f"{who(h.person)} — {plural(h.answers, 'helpful answer')}" for h in a.helpers]
    referrers = [
        f"{who(r.person)} — {plural(r.newcomers, 'newcomer')} made a first contribution" for r in a.referrers
    ]
    upcoming = [
        f"{moment(u.starts_at, digest.period.zone)} {u.kind.upper() if u.kind == 'ama' else _kind(u.kind)}: "
        f"{user_text(u.title, 80)} — {u.going} going, {u.maybe} maybe"
        for u in a.upcoming
    ]
    badges = [f"{who(b.person)} earned {user_text(digest.badge_name(b.badge_key), 80)}" for b in a.badges]
    p, ap = m.programming, m.applications
    programme = (
        f"{plural(p.occurrences, 'session')}, {p.rsvps_going} going ({p.rsvps_maybe} maybe), "
        f"{p.attended} attended, {plural(p.ama_questions, 'AMA question')}, "
        f"{plural(p.showcase_submissions, 'showcase submission')}"
    )
    no_shows = [
        f"No-shows at {user_text(n.title, 80)} ({plural(n.sessions, 'session')}): "
        f"{n.no_shows} of {n.going} going did not check in ({_pct(n.rate)})"
        for n in a.no_shows
    ]
    median = "–" if ap.median_hours_to_decision is None else f"{ap.median_hours_to_decision:.1f} h"
    funnel = (
        f"{ap.submitted} submitted, {ap.approved} approved, {ap.rejected} rejected, "
        f"median {median} to a decision, {ap.pending} pending ({ap.pending_past_sla} past the SLA)"
    )
    shown = digest.data.cohorts[-digest.list_limit :]
    cohorts = [
        f"{user_text(c.name, 40)} ({plural(c.size, 'member')}, "
        f"launched {day(c.launched_at, digest.period.zone)}): "
        + " · ".join(f"w{i + 1} {_pct(r)}" for i, r in enumerate(c.retention) if r is not None)
        + f"; 14-day drop-off {_pct(c.drop_off_14d)}; first contribution {_pct(c.first_contribution_rate)}"
        for c in shown
    ]
    earlier = len(digest.data.cohorts) - len(shown)
    if earlier:
        cohorts.append(f"… and {plural(earlier, 'earlier cohort')} (all of them in the JSON)")
    by_referrer = [
        f"{who(r.referrer)}: {r.activated} of {plural(r.newcomers, 'newcomer')} "
        f"({_pct(r.first_contribution_rate)})"
        for r in digest.data.referrers
    ]
    recognition = digest.data.recognition or NO_RECOGNITION
    return (
        Section(
            "Newcomers without a first contribution", tuple(_more(stalled, len(stalled), a.stalled_total))
        ),
        Section(
            f"Applications past the {digest.sla_hours} h SLA",
            tuple(_more(overdue, len(overdue), a.overdue_total)),
        ),
        Section("Peer helpers to thank", tuple(helpers)),
        Section("Referrers whose newcomers activated", tuple(referrers)),
        Section("Next week", tuple(upcoming)),
        Section("Badges awarded", tuple(_more(badges, len(badges), a.badges_total))),
        *(Section(t, lines) for t, lines in recognition_sections(recognition, who, digest.badge_name)),
        Section("Programme this week", (programme, *no_shows)),
        Section("Applications this week", (funnel,)),
        Section("Feedback loop this week", tuple(feedback_lines(digest.data.feedback, digest.list_limit))),
        Section("Cohort retention (weeks after launch)", tuple(cohorts)),
        Section("First contribution by referrer (last 4 weeks)", tuple(by_referrer)),
    )


def title(digest: Digest) -> str:
    """ "Weekly digest — Example Community, 2026-W47"."""
    return f"Weekly digest — {user_text(digest.community_name, 100)}, {digest.period.week}"


def summary(digest: Digest) -> str:
    """One line: the period and how many headlines are flagged."""
    period = digest.period
    span = f"{day(period.start, period.zone)} – {day(period.end - timedelta(microseconds=1), period.zone)}"
    state = "" if period.complete else " (week so far)"
    flagged = digest.flagged
    rated = [h for h in digest.headlines if h.healthy is not None and h.value is not None]
    if flagged:
        flags = f"{plural(len(flagged), 'metric')} off target."
    elif rated:
        flags = "Every metric with a target meets it."
    else:
        flags = "No activity to measure yet."

    return f"Week {period.week}, {span}{state}. {flags}"


def _lines_or_none(lines: Sequence[str]) -> Sequence[str]:
    return lines or ("None.",)


def render_text(digest: Digest, who: Who = plain_who) -> str:
    """The digest as plain text (`townsquare digest`)."""
    out = [title(digest), summary(digest), "", "Headline"]
    width = max(len(h.label) for h in digest.headlines)
    out += [f"  {h.label:<{width}}  {headline_text(h)}" for h in digest.headlines]
    for section in sections(digest, who):
        out += ["", section.title, *(f"  - {line}" for line in _lines_or_none(section.lines))]
    return "\n".join(out) + "\n"


def render_markdown(digest: Digest, who: Who = markdown_who) -> str:
    """The digest as Markdown (`townsquare digest --format markdown`)."""
    out = [f"# {title(digest)}", "", summary(digest), "", "## Headline", ""]
    out += ["| metric | this week | change | |", "| --- | ---: | ---: | --- |"]
    for h in digest.headlines:
        out.append(f"| {h.label} | {value_text(h)} | {fmt_change(h.unit, h.change)} | {flag_text(h)} |")
    for section in sections(digest, who):
        out += ["", f"## {section.title}", "", *(f"- {line}" for line in _lines_or_none(section.lines))]
    return "\n".join(out) + "\n"


def _field_value(lines: Sequence[str]) -> str:
    """Join lines within the platform limit, saying how many did not fit."""
    lines = list(_lines_or_none(lines))
    kept: list[str] = []
    for i, line in enumerate(lines):
        rest = len(lines) - i - 1
        tail = f"\n… and {rest} more" if rest else ""
        if len("\n".join([*kept, line])) + len(tail) > FIELD_LIMIT:
            return "\n".join([*kept, f"… and {len(lines) - i} more"])
        kept.append(line)
    return "\n".join(kept)


def headline_fields(heads: Sequence[Headline]) -> tuple[Field, ...]:
    """One inline field per headline metric."""
    return tuple(Field(h.label, headline_text(h), inline=True) for h in heads)


def digest_fields(digest: Digest, who: Who = mention_who) -> tuple[Field, ...]:
    """Headline fields, then one field per section (at most 25 fields in all, as Discord allows)."""
    rest = tuple(Field(s.title, _field_value(s.lines), inline=False) for s in sections(digest, who))
    return (headline_fields(digest.headlines) + rest)[:25]
