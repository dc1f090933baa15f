"""Governance on a calendar: the periods elections and roadmap votes run in, quorum, ties at the
last seat, and where a roadmap vote moves an idea. Pure."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from bot.core.feedback.idea_rules import IdeaStatus
from bot.core.feedback.poll_rules import Poll, PollOption, ranked

ELECTION_MAX_NOMINEES = 20  # a calendar election's ballot (a form, so more than the 10 buttons of a poll)


class RoundKind(StrEnum):
    ELECTION = "election"
    ROADMAP = "roadmap"


class RoundStatus(StrEnum):
    NOMINATING = "nominating"
    VOTING = "voting"
    DONE = "done"
    FAILED = "failed"  # no nominees, or quorum not reached: nothing changed


@dataclass(frozen=True)
class Round:
    """One election or roadmap vote of a period."""

    id: int
    community_id: str
    kind: RoundKind
    period: str
    status: RoundStatus
    council_id: int | None
    poll_id: int | None
    nominations_close_at: datetime | None
    created_at: datetime


def period_of(day: date, every_months: int) -> tuple[str, date]:
    """The period a date falls in, counted from January: its label ("2027-Q1", "2027-H2", "2027-03",
    "2027", else "2027-P2") and its first day."""
    index = (day.month - 1) // every_months
    start = date(day.year, index * every_months + 1, 1)
    if every_months == 12:
        return str(day.year), start
    if every_months == 1:
        return f"{day.year}-{day.month:02d}", start
    letter = {3: "Q", 6: "H"}.get(every_months, "P")
    return f"{day.year}-{letter}{index + 1}", start


def quorum_needed(eligible: int, share: float) -> int:
    """Ballots a result needs: `share` of the eligible members, rounded up (0 when share is 0)."""
    return math.ceil(eligible * share - 1e-9) if share > 0 else 0


def tied_at_cutoff(poll: Poll, points: Mapping[int, int], seats: int) -> list[PollOption]:
    """Nominees tied on the score of the last seat when the tie crosses the cutoff (some in, some out);
    empty when there is no such tie. The ballot order (nomination order) decides between them."""
    order = [(o, p) for o, p in ranked(poll, points) if p > 0]
    if len(order) <= seats or seats < 1:
        return []
    last = order[seats - 1][1]
    if order[seats][1] != last:
        return []
    return [o for o, p in order if p == last]


def roadmap_step(status: IdeaStatus) -> IdeaStatus | None:
    """Where a roadmap vote moves an idea: onto the plan, or from the plan into the work."""
    if status in (IdeaStatus.NEW, IdeaStatus.UNDER_REVIEW):
        return IdeaStatus.PLANNED
    if status is IdeaStatus.PLANNED:
        return IdeaStatus.IN_PROGRESS
    return None


def ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th…"""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
