"""Cohort rules: when a cohort launches, how the waiting pool splits, when the window closes.

Newcomers are onboarded in cohorts of `min_size`–`max_size` (10–20 by default), never one by one.
A cohort launches as soon as `max_size` are waiting, or when the weekly window closes with at least
`min_size` waiting. Below `min_size` they wait for the next window, unless someone has waited
longer than `max_wait`: then everyone waiting launches together as a small cohort, so nobody waits
more than `max_wait` plus one window.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import TypeVar
from zoneinfo import ZoneInfo

from bot.core.refs import MemberRef

T = TypeVar("T")

ONBOARDING_DAYS = 14


class Trigger(StrEnum):
    """Why a launch is being considered."""

    ADMISSION = "admission"  # someone joined the pool: launch only full cohorts
    WINDOW = "window"  # the cohort window closed: launch whatever the rules allow


class Milestone(StrEnum):
    """Onboarding milestones, counted in days from the cohort's launch."""

    INTRO = "day0"
    NUDGE = "day3"
    ACTIVATION = "day7"
    GRADUATION = "day14"


MILESTONE_DAY = {Milestone.INTRO: 0, Milestone.NUDGE: 3, Milestone.ACTIVATION: 7, Milestone.GRADUATION: 14}


@dataclass(frozen=True)
class Waiting:
    """A newcomer in the forming pool."""

    member_id: int
    since: datetime


def sizes_feasible(min_size: int, max_size: int) -> bool:
    """True when every pool of at least `min_size` splits into cohorts within bounds.

    With k cohorts the smallest pool needing k is (k-1)·max + 1, which must reach k·min; k = 2 is the
    binding case, hence max ≥ 2·min − 1.
    """
    return 1 <= min_size and max_size >= 2 * min_size - 1


def cohort_sizes(count: int, min_size: int, max_size: int) -> list[int]:
    """Balanced sizes for `count` newcomers: each within [min_size, max_size], differing by at most one.

    Fewer than `min_size` gives no cohort at all (an empty list).
    """
    if not sizes_feasible(min_size, max_size):
        raise ValueError(f"cohort sizes {min_size}–{max_size} cannot always be balanced")
    if count < min_size:
        return []
    cohorts = -(-count // max_size)  # the fewest cohorts that respect max_size
    base, extra = divmod(count, cohorts)
    return [base + 1] * extra + [base] * (cohorts - extra)


def split_balanced(items: Sequence[T], min_size: int, max_size: int) -> list[list[T]]:
    """Place every item exactly once, in order, into balanced cohorts (see `cohort_sizes`)."""
    groups: list[list[T]] = []
    start = 0
    for size in cohort_sizes(len(items), min_size, max_size):
        groups.append(list(items[start : start + size]))
        start += size
    return groups


def plan_launch(
    waiting: Sequence[Waiting],
    now: datetime,
    trigger: Trigger,
    *,
    min_size: int,
    max_size: int,
    max_wait: timedelta,
) -> list[list[int]]:
    """Which waiting newcomers launch now, as groups of member ids (longest-waiting first)."""
    ordered = [w.member_id for w in sorted(waiting, key=lambda w: (w.since, w.member_id))]
    if trigger is Trigger.ADMISSION:
        full = len(ordered) // max_size
        return [ordered[i * max_size : (i + 1) * max_size] for i in range(full)]
    if len(ordered) >= min_size:
        return split_balanced(ordered, min_size, max_size)
    if ordered and now - min(w.since for w in waiting) > max_wait:
        return [ordered]  # a small cohort beats waiting another week alone
    return []


def next_window(after: datetime, weekday: int, at: time, zone: ZoneInfo) -> datetime:
    """The first cohort window strictly after `after`, as aware UTC.

    The window is a local wall-clock time (e.g. Monday 16:00 Europe/Berlin), so it stays at 16:00
    across daylight-saving changes; a time that does not exist that day is moved forward by the gap.
    """
    local = after.astimezone(zone)
    day = local.date() + timedelta(days=(weekday - local.weekday()) % 7)
    for offset in (0, 7):
        candidate = _local_instant(day + timedelta(days=offset), at, zone)
        if candidate > after:
            return candidate
    raise AssertionError("unreachable: a week later is always after")


def _local_instant(day: date, at: time, zone: ZoneInfo) -> datetime:
    # fold=0 always: a repeated hour (fall back) means its first occurrence, and a non-existent one
    # (spring forward) is read with the offset before the gap, so the round trip through UTC moves
    # it forward by the gap; fold=1 would move it back an hour, before the time asked for.
    naive = datetime.combine(day, at.replace(tzinfo=None, fold=0))
    return naive.replace(tzinfo=zone).astimezone(UTC)


def onboarding_day(launched_at: datetime, now: datetime) -> int:
    """Whole days since the cohort launched (day 0 is launch day)."""
    return max((now - launched_at) // timedelta(days=1), 0)


# --- what storage hands back ------------------------------------------------------------------


class CohortStatus(StrEnum):
    ACTIVE = "active"  # within its first 14 days
    GRADUATED = "graduated"  # day 14 processed


@dataclass(frozen=True)
class Cohort:
    """A launched cohort."""

    id: int
    community_id: str
    name: str
    launched_at: datetime
    status: CohortStatus


@dataclass(frozen=True)
class CohortMember:
    """A newcomer in a cohort, with what the milestones need."""

    member_id: int
    ref: MemberRef
    display_name: str
    admitted: bool
    first_contribution_at: datetime | None
    graduated_at: datetime | None


@dataclass(frozen=True)
class BuddyLink:
    """A buddy assigned to a newcomer in a cohort."""

    newcomer_id: int
    newcomer: MemberRef
    buddy_id: int
    buddy: MemberRef


@dataclass(frozen=True)
class CohortView:
    """A cohort with its members and buddies."""

    cohort: Cohort
    members: tuple[CohortMember, ...]
    buddies: tuple[BuddyLink, ...]

    def buddies_of(self, newcomer_id: int) -> tuple[MemberRef, ...]:
        """The buddies of one newcomer."""
        return tuple(b.buddy for b in self.buddies if b.newcomer_id == newcomer_id)

    def member(self, member_id: int) -> CohortMember | None:
        """One newcomer of the cohort, if present."""
        return next((m for m in self.members if m.member_id == member_id), None)
