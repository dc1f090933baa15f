"""Pure calendar maths for recurring programming (weekly AMAs, monthly showcases).

Everything here is a pure function of its arguments: no I/O and no clock reads (the current
instant is always passed in). Instants going in must be timezone-aware; instants coming out are
aware UTC datetimes.

The wall-clock policy is deterministic across zones and years:

* A series is a local wall time in an IANA zone. Every occurrence is resolved from that wall time
  on its own local date, never by adding 7 x 24 h to the previous instant, so a 17:00 series stays
  at 17:00 local on both sides of a DST change.
* A wall time that does not exist (spring-forward gap) moves forward by the length of the gap:
  02:30 on a day when clocks jump 02:00 -> 03:00 becomes 03:30.
* An ambiguous wall time (fall-back overlap) resolves to its first occurrence, the earlier UTC
  instant (what PEP 495 calls fold=0).
* Reminder and announcement leads are true elapsed time before the UTC instant, so a 24 h
  reminder is 24 h of real time before the event even when the night in between is 23 h long.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache

from bot.core.programming.recurrence import (
    DEFAULT_ANCHOR,
    Override,
    Recurrence,
    load_zone,
    require_aware,
    require_date,
)
from bot.core.programming.recurrence_text import describe

__all__ = [
    "DEFAULT_ANNOUNCEMENT_LEAD",
    "announcement_time",
    "apply_overrides",
    "is_occurrence_date",
    "next_occurrence",
    "occurrences",
    "reminder_times",
    "resolve_wall_time",
    "scheduled_dates",
]

DEFAULT_ANNOUNCEMENT_LEAD = dt.timedelta(days=7)

# Generators stop short of date.max so that probing a day either side never overflows.
_LAST_DATE = dt.date.max - dt.timedelta(days=3)
_FIRST_DATE = dt.date.min + dt.timedelta(days=3)


def _as_zone(zone: str | dt.tzinfo) -> dt.tzinfo:
    return load_zone(zone) if isinstance(zone, str) else zone


def _offset_at(tz: dt.tzinfo, instant: dt.datetime) -> dt.timedelta:
    """UTC offset in force at ``instant`` (a naive datetime read as UTC)."""
    offset = instant.replace(tzinfo=dt.UTC).astimezone(tz).utcoffset()
    if offset is None:  # pragma: no cover - only for a broken tzinfo
        raise ValueError(f"time zone {tz!r} has no UTC offset at {instant:%Y-%m-%d %H:%M} UTC")
    return offset


def _index_overrides(overrides: Iterable[Override]) -> dict[dt.date, Override]:
    by_date: dict[dt.date, Override] = {}
    for override in overrides:
        if not isinstance(override, Override):
            raise ValueError(f"overrides must be Override instances, got {override!r}")
        existing = by_date.setdefault(override.original_date, override)
        if existing != override:
            raise ValueError(
                f"conflicting overrides for {override.original_date.isoformat()}: "
                f"{existing!r} and {override!r}"
            )
    return by_date


# --------------------------------------------------------------------------------------------
# Wall time -> instant
# --------------------------------------------------------------------------------------------


def resolve_wall_time(local_date: dt.date, wall_time: dt.time, zone: str | dt.tzinfo) -> dt.datetime:
    """The UTC instant at which ``zone``'s clocks read ``wall_time`` on ``local_date``.

    Non-existent times (spring-forward gap) shift forward by the gap; ambiguous times (fall-back
    overlap) take the earlier instant. ``wall_time.fold`` is ignored: the policy decides.

    Existence is checked by round-tripping each candidate instant through the zone rather than by
    trusting ``fold`` semantics, so the result does not depend on how a tzinfo treats folds in gaps.
    """
    require_date("local_date", local_date)
    if not isinstance(wall_time, dt.time) or wall_time.tzinfo is not None:
        raise ValueError(f"wall_time must be a naive datetime.time, got {wall_time!r}")
    return _resolve(local_date, wall_time.replace(fold=0), _as_zone(zone))


@lru_cache(maxsize=4096)
def _resolve(local_date: dt.date, wall_time: dt.time, tz: dt.tzinfo) -> dt.datetime:
    """`resolve_wall_time` once its arguments are checked: a pure function of them, so remembered (the
    scheduler asks for the same few daily instants on every pass)."""
    wall = dt.datetime.combine(local_date, wall_time)

    # Offsets are always under a day, so the offsets in force a day either side of `wall` (read as
    # UTC) bracket any transition that could affect it; then add the offsets in force at the instants
    # those offsets imply, which catches a transition in between.
    offsets = {_offset_at(tz, wall + dt.timedelta(days=k)) for k in (-1, 0, 1)}
    offsets |= {_offset_at(tz, wall - offset) for offset in offsets}
    candidates = sorted(wall - offset for offset in offsets)  # naive UTC instants

    exact = [instant for instant in candidates if instant + _offset_at(tz, instant) == wall]
    if exact:
        return exact[0].replace(tzinfo=dt.UTC)  # earliest: the first of two in an overlap

    # A gap. Reading `wall` with the offset from before the transition gives an instant after it,
    # where the larger offset applies; that instant shows wall + (offset after - offset before),
    # i.e. the wall time moved forward by exactly the gap.
    shifted = [instant for instant in candidates if _offset_at(tz, instant) > wall - instant]
    if shifted:
        return shifted[0].replace(tzinfo=dt.UTC)
    # Unreachable for real zone data; fall back to PEP 495 behaviour rather than fail a schedule.
    return wall.replace(tzinfo=tz, fold=0).astimezone(dt.UTC)  # pragma: no cover


# --------------------------------------------------------------------------------------------
# Dates in a series
# --------------------------------------------------------------------------------------------


def _weekly_phase(recurrence: Recurrence, anchor: dt.date | None) -> dt.date:
    """First series weekday on or after the anchor: a date that is always an occurrence."""
    base = DEFAULT_ANCHOR if anchor is None else require_date("anchor", anchor)
    assert recurrence.weekday is not None
    return base + dt.timedelta(days=(recurrence.weekday - base.weekday()) % 7)


def _monthly_date(recurrence: Recurrence, year: int, month: int) -> dt.date:
    if recurrence.day is not None:
        return dt.date(year, month, recurrence.day)
    assert recurrence.weekday is not None and recurrence.nth is not None
    if recurrence.nth > 0:
        first = dt.date(year, month, 1)
        return first + dt.timedelta(
            days=(recurrence.weekday - first.weekday()) % 7 + 7 * (recurrence.nth - 1)
        )
    last = dt.date(year, 12, 31) if month == 12 else dt.date(year, month + 1, 1) - dt.timedelta(days=1)
    return last - dt.timedelta(days=(last.weekday() - recurrence.weekday) % 7)


def _matches_rule(recurrence: Recurrence, local_date: dt.date) -> bool:
    """Whether the date fits the weekday/day-of-month rule, ignoring the every-N-weeks phase."""
    if recurrence.freq == "weekly":
        return local_date.weekday() == recurrence.weekday
    return local_date == _monthly_date(recurrence, local_date.year, local_date.month)


def is_occurrence_date(recurrence: Recurrence, local_date: dt.date, anchor: dt.date | None = None) -> bool:
    """Whether the series has an occurrence on this local date (e.g. to validate a skip command)."""
    require_date("local_date", local_date)
    if not _matches_rule(recurrence, local_date):
        return False
    if recurrence.freq == "weekly" and recurrence.interval > 1:
        weeks = (local_date - _weekly_phase(recurrence, anchor)).days // 7
        return weeks % recurrence.interval == 0
    return True


def _dates_from(recurrence: Recurrence, first: dt.date, anchor: dt.date | None) -> Iterator[dt.date]:
    """Every scheduled local date on or after ``first``, ascending."""
    first = max(first, _FIRST_DATE)
    if recurrence.freq == "weekly":
        assert recurrence.weekday is not None
        day = first + dt.timedelta(days=(recurrence.weekday - first.weekday()) % 7)
        if recurrence.interval > 1:
            weeks = (day - _weekly_phase(recurrence, anchor)).days // 7
            day += dt.timedelta(weeks=-weeks % recurrence.interval)
        step = dt.timedelta(weeks=recurrence.interval)
        while day <= _LAST_DATE:
            yield day
            day += step
        return
    year, month = first.year, first.month
    while True:
        day = _monthly_date(recurrence, year, month)
        if day > _LAST_DATE:
            return
        if day >= first:
            yield day
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def _instants_from(
    recurrence: Recurrence, first: dt.date, anchor: dt.date | None
) -> Iterator[tuple[dt.date, dt.datetime]]:
    """(scheduled local date, UTC instant) pairs from ``first`` on.

    Instants increase strictly with the date: scheduled dates are at least 7 days apart and
    neither offsets changes nor gap shifts come anywhere near that.
    """
    zone = recurrence.zone
    for local_date in _dates_from(recurrence, first, anchor):
        yield local_date, resolve_wall_time(local_date, recurrence.time, zone)


def _search_start(recurrence: Recurrence, instant: dt.datetime) -> dt.date:
    # Two days of slack: a gap shift can push an occurrence's instant past its own local date.
    return instant.astimezone(recurrence.zone).date() - dt.timedelta(days=2)


def scheduled_dates(
    recurrence: Recurrence, start: dt.datetime, end: dt.datetime, anchor: dt.date | None = None
) -> list[tuple[dt.date, dt.datetime]]:
    """(scheduled local date, UTC instant) of every occurrence in ``[start, end)``, ascending.

    The local date is the one the series names, even when a DST gap pushed the instant past
    midnight; it is what identifies an occurrence (and what an Override is keyed by).
    """
    start = require_aware("start", start)
    end = require_aware("end", end)
    found: list[tuple[dt.date, dt.datetime]] = []
    for local_date, instant in _instants_from(recurrence, _search_start(recurrence, start), anchor):
        if instant >= end:
            break
        if instant >= start:
            found.append((local_date, instant))
    return found


# --------------------------------------------------------------------------------------------
# Occurrences
# --------------------------------------------------------------------------------------------


def occurrences(
    recurrence: Recurrence,
    start: dt.datetime,
    end: dt.datetime,
    anchor: dt.date | None = None,
    *,
    overrides: Iterable[Override] = (),
) -> list[dt.datetime]:
    """UTC instants of every occurrence in ``[start, end)``, ascending.

    ``anchor`` fixes the phase of an every-N-weeks series: the first series weekday on or after it
    is an occurrence (and so is every N-th week before and after it). Monthly and plain weekly series
    ignore it.

    With ``overrides``, skipped occurrences are dropped and moved ones appear wherever their new time
    falls, so an occurrence moved into the window from outside it is included and one moved out is
    not. Overrides for dates that are not occurrences of the series are ignored (validate them with
    ``is_occurrence_date`` when they are created).
    """
    start = require_aware("start", start)
    end = require_aware("end", end)
    by_date = _index_overrides(overrides)
    if end <= start:
        return []
    found: list[dt.datetime] = []
    for local_date, instant in _instants_from(recurrence, _search_start(recurrence, start), anchor):
        if instant >= end:
            break
        if instant >= start and local_date not in by_date:
            found.append(instant)
    if not by_date:
        return found
    moved = [
        override.moved_to
        for override in by_date.values()
        if override.moved_to is not None
        and start <= override.moved_to < end
        and is_occurrence_date(recurrence, override.original_date, anchor)
    ]
    return sorted(set(found).union(moved))


def next_occurrence(
    recurrence: Recurrence,
    after: dt.datetime,
    anchor: dt.date | None = None,
    *,
    overrides: Iterable[Override] = (),
) -> dt.datetime:
    """The first occurrence strictly after ``after`` (UTC).

    Strictly after, so feeding back the occurrence just handled yields the following one rather
    than the same one again.
    """
    after = require_aware("after", after)
    by_date = _index_overrides(overrides)
    candidates = [
        override.moved_to
        for override in by_date.values()
        if override.moved_to is not None
        and override.moved_to > after
        and is_occurrence_date(recurrence, override.original_date, anchor)
    ]
    for local_date, instant in _instants_from(recurrence, _search_start(recurrence, after), anchor):
        if instant > after and local_date not in by_date:
            candidates.append(instant)
            break
    if not candidates:
        raise ValueError(f"{describe(recurrence)} has no occurrence after {after.isoformat()}")
    return min(candidates)


def _original_date(recurrence: Recurrence, instant: dt.datetime) -> dt.date | None:
    """The scheduled local date whose occurrence is ``instant``, if it is one."""
    zone = recurrence.zone
    local = instant.astimezone(zone).date()
    for back in range(3):  # a gap shift can move an instant past its scheduled date
        candidate = local - dt.timedelta(days=back)
        if (
            _matches_rule(recurrence, candidate)
            and resolve_wall_time(candidate, recurrence.time, zone) == instant
        ):
            return candidate
    return None


def apply_overrides(
    instants: Iterable[dt.datetime], overrides: Iterable[Override], recurrence: Recurrence
) -> list[dt.datetime]:
    """Apply skips and moves to a list of occurrence instants; returns sorted, de-duplicated UTC.

    Each instant is matched to its override by the local date it was scheduled for. Instants that
    are not occurrences of ``recurrence`` pass through unchanged. Moved instants are kept even if
    they now fall outside whatever window ``instants`` came from; ``occurrences(...,
    overrides=...)`` gives the window-correct view.
    """
    by_date = _index_overrides(overrides)
    result: set[dt.datetime] = set()
    for instant in instants:
        instant = require_aware("instant", instant)
        original = _original_date(recurrence, instant)
        override = by_date.get(original) if original is not None else None
        if override is None:
            result.add(instant)
        elif override.moved_to is not None:
            result.add(override.moved_to)
    return sorted(result)


# --------------------------------------------------------------------------------------------
# Reminders and announcements
# --------------------------------------------------------------------------------------------


def _lead(name: str, value: object) -> dt.timedelta:
    if not isinstance(value, dt.timedelta):
        raise ValueError(f"{name} must be a datetime.timedelta, got {value!r}")
    if value < dt.timedelta(0):
        raise ValueError(f"{name} must not be negative (it is a lead time before the event), got {value}")
    return value


def reminder_times(occurrence_utc: dt.datetime, offsets: Sequence[dt.timedelta]) -> list[dt.datetime]:
    """``occurrence - offset`` for each offset, in real elapsed time, in the order given (UTC).

    The arithmetic is done in UTC: subtracting from an aware datetime in a ZoneInfo zone would
    subtract wall-clock time and be an hour off across a DST change.
    """
    base = require_aware("occurrence_utc", occurrence_utc)
    return [base - _lead("reminder offset", offset) for offset in offsets]


def announcement_time(
    occurrence_utc: dt.datetime, lead: dt.timedelta = DEFAULT_ANNOUNCEMENT_LEAD
) -> dt.datetime:
    """When to announce an occurrence: ``lead`` of elapsed time before it (UTC).

    Elapsed, like reminders: across a DST change a 7-day lead lands an hour off the event's local
    wall time.
    """
    return require_aware("occurrence_utc", occurrence_utc) - _lead("lead", lead)
