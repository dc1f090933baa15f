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
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo, available_timezones

__all__ = [
    "DEFAULT_ANCHOR",
    "DEFAULT_ANNOUNCEMENT_LEAD",
    "MAX_INTERVAL_WEEKS",
    "WEEKDAY_NAMES",
    "Frequency",
    "Override",
    "Recurrence",
    "RecurrenceFormatError",
    "announcement_time",
    "apply_overrides",
    "describe",
    "is_occurrence_date",
    "next_occurrence",
    "occurrences",
    "parse_recurrence",
    "reminder_times",
    "resolve_wall_time",
]

Frequency = Literal["weekly", "monthly"]

WEEKDAY_NAMES: tuple[str, ...] = tuple("Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split())

#: Phase reference for "every N weeks" series that have no stored anchor. Callers should store the
#: date a series was created and pass it as ``anchor``; this only keeps the default deterministic.
DEFAULT_ANCHOR = dt.date(1970, 1, 5)  # a Monday

DEFAULT_ANNOUNCEMENT_LEAD = dt.timedelta(days=7)

MAX_INTERVAL_WEEKS = 52

_ORDINAL_NAMES = {1: "first", 2: "second", 3: "third", 4: "fourth", -1: "last"}

# Generators stop short of date.max so that probing a day either side never overflows.
_LAST_DATE = dt.date.max - dt.timedelta(days=3)
_FIRST_DATE = dt.date.min + dt.timedelta(days=3)


# --------------------------------------------------------------------------------------------
# Time zones
# --------------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _known_zones() -> dict[str, str]:
    """Map a forgiving spelling (lower case, spaces as underscores) to each canonical zone name.

    Host-specific entries that can turn up in a system zoneinfo directory are left out: "localtime"
    (whatever the host is set to), "posixrules", and the "right/" leap-second variants, whose
    clocks are not POSIX time and would skew every UTC instant by the leap-second count.
    """
    return {
        name.lower(): name
        for name in available_timezones()
        if name not in ("localtime", "posixrules") and not name.startswith(("posix/", "right/"))
    }


def _zone(name: object) -> ZoneInfo:
    """Load an IANA zone, with a helpful ValueError for anything else.

    Only IANA zone names are accepted: ZoneInfo would also load host-dependent keys such as
    "localtime", which would make a stored series mean different things on different hosts.
    """
    if not isinstance(name, str):
        raise ValueError(f"time zone must be an IANA zone name such as 'Europe/Berlin', got {name!r}")
    known = _known_zones()
    if known.get(name.lower()) != name:
        suggestion = known.get(name.strip().lower().replace(" ", "_"))
        hint = f" (did you mean {suggestion!r}?)" if suggestion else ""
        raise ValueError(
            f"unknown time zone {name!r}{hint}: expected an IANA zone name such as "
            "'Europe/Berlin', 'America/New_York' or 'UTC'"
        )
    return ZoneInfo(name)


def _as_zone(zone: str | dt.tzinfo) -> dt.tzinfo:
    return _zone(zone) if isinstance(zone, str) else zone


def _offset_at(tz: dt.tzinfo, instant: dt.datetime) -> dt.timedelta:
    """UTC offset in force at ``instant`` (a naive datetime read as UTC)."""
    offset = instant.replace(tzinfo=dt.UTC).astimezone(tz).utcoffset()
    if offset is None:  # pragma: no cover - only for a broken tzinfo
        raise ValueError(f"time zone {tz!r} has no UTC offset at {instant:%Y-%m-%d %H:%M} UTC")
    return offset


def _require_aware(name: str, value: object) -> dt.datetime:
    """Return ``value`` converted to UTC, insisting it is an aware datetime."""
    if not isinstance(value, dt.datetime):
        raise ValueError(f"{name} must be a timezone-aware datetime, got {value!r}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(
            f"{name} must be timezone-aware (e.g. datetime(..., tzinfo=datetime.UTC)), got naive {value!r}"
        )
    return value.astimezone(dt.UTC)


def _require_date(name: str, value: object) -> dt.date:
    # datetime is a subclass of date; silently dropping its time and zone would hide bugs.
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        raise ValueError(f"{name} must be a datetime.date (a local calendar date), got {value!r}")
    return value


def _require_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    return value


# --------------------------------------------------------------------------------------------
# Recurrence and Override
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Recurrence:
    """A recurring slot: a wall-clock time in an IANA zone on a weekly or monthly pattern.

    * weekly: ``weekday`` (0=Monday .. 6=Sunday), optionally every ``interval`` weeks;
    * monthly by weekday: ``weekday`` + ``nth`` (1..4, or -1 for the last one in the month);
    * monthly by date: ``day`` (1..28, so that it exists in every month).
    """

    freq: Frequency
    time: dt.time
    timezone: str
    weekday: int | None = None
    interval: int = 1
    nth: int | None = None
    day: int | None = None

    def __post_init__(self) -> None:
        if self.freq not in ("weekly", "monthly"):
            raise ValueError(f"freq must be 'weekly' or 'monthly', got {self.freq!r}")
        if not isinstance(self.time, dt.time):
            raise ValueError(f"time must be a datetime.time (local wall-clock time), got {self.time!r}")
        if self.time.tzinfo is not None:
            raise ValueError(
                f"time must be a naive wall-clock time; the zone belongs in `timezone`, got {self.time!r}"
            )
        if self.time.microsecond:
            raise ValueError(f"time must be a whole number of seconds, got {self.time.isoformat()}")
        if self.time.fold:
            # fold has no say here (ambiguity is resolved by policy); normalise so equal series compare equal.
            object.__setattr__(self, "time", self.time.replace(fold=0))
        _zone(self.timezone)
        interval = _require_int("interval", self.interval)
        if self.weekday is not None:
            weekday = _require_int("weekday", self.weekday)
            if not 0 <= weekday <= 6:
                raise ValueError(f"weekday must be 0 (Monday) .. 6 (Sunday), got {weekday}")
        if self.nth is not None:
            nth = _require_int("nth", self.nth)
            if nth not in _ORDINAL_NAMES:
                raise ValueError(
                    f"nth must be 1, 2, 3, 4 or -1 (last); a fifth weekday does not occur "
                    f"every month, got {nth}"
                )
        if self.day is not None:
            day = _require_int("day", self.day)
            if not 1 <= day <= 28:
                raise ValueError(
                    f"day of month must be 1..28 so that it exists in every month "
                    f"(use nth=-1 with a weekday for 'the last <weekday>'), got {day}"
                )

        if self.freq == "weekly":
            if self.weekday is None:
                raise ValueError("a weekly recurrence needs a weekday (0=Monday .. 6=Sunday)")
            if self.nth is not None or self.day is not None:
                raise ValueError("nth and day only apply to monthly recurrences")
            if not 1 <= interval <= MAX_INTERVAL_WEEKS:
                raise ValueError(f"interval must be 1..{MAX_INTERVAL_WEEKS} weeks, got {interval}")
        else:
            if interval != 1:
                raise ValueError(
                    f"interval only applies to weekly recurrences; monthly means every month, got {interval}"
                )
            if self.day is not None:
                if self.weekday is not None or self.nth is not None:
                    raise ValueError("a monthly recurrence takes either day, or weekday + nth, not both")
            elif self.weekday is None or self.nth is None:
                raise ValueError(
                    "a monthly recurrence needs either day (1..28) or weekday + nth "
                    "(e.g. weekday=1, nth=1 for the first Tuesday)"
                )

    @property
    def zone(self) -> ZoneInfo:
        return _zone(self.timezone)

    def __str__(self) -> str:
        return describe(self)


@dataclass(frozen=True)
class Override:
    """A one-off change to a single occurrence, keyed by its scheduled local date.

    ``moved_to=None`` skips the occurrence; otherwise it happens at ``moved_to`` instead
    (stored in UTC). ``original_date`` is the local date the series would have used, in the
    series' zone, even when a DST gap pushed that occurrence's instant past midnight.
    """

    original_date: dt.date
    moved_to: dt.datetime | None = None

    def __post_init__(self) -> None:
        _require_date("original_date", self.original_date)
        if self.moved_to is not None:
            object.__setattr__(self, "moved_to", _require_aware("moved_to", self.moved_to))

    @classmethod
    def skip(cls, original_date: dt.date) -> Override:
        return cls(original_date)

    @classmethod
    def move(cls, original_date: dt.date, moved_to: dt.datetime) -> Override:
        return cls(original_date, moved_to)

    @property
    def skipped(self) -> bool:
        return self.moved_to is None


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
    _require_date("local_date", local_date)
    if not isinstance(wall_time, dt.time) or wall_time.tzinfo is not None:
        raise ValueError(f"wall_time must be a naive datetime.time, got {wall_time!r}")
    tz = _as_zone(zone)
    wall = dt.datetime.combine(local_date, wall_time.replace(fold=0))

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
    base = DEFAULT_ANCHOR if anchor is None else _require_date("anchor", anchor)
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
    _require_date("local_date", local_date)
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
    start = _require_aware("start", start)
    end = _require_aware("end", end)
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
    after = _require_aware("after", after)
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
        instant = _require_aware("instant", instant)
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
    base = _require_aware("occurrence_utc", occurrence_utc)
    return [base - _lead("reminder offset", offset) for offset in offsets]


def announcement_time(
    occurrence_utc: dt.datetime, lead: dt.timedelta = DEFAULT_ANNOUNCEMENT_LEAD
) -> dt.datetime:
    """When to announce an occurrence: ``lead`` of elapsed time before it (UTC).

    Elapsed, like reminders: across a DST change a 7-day lead lands an hour off the event's local
    wall time.
    """
    return _require_aware("occurrence_utc", occurrence_utc) - _lead("lead", lead)


# --------------------------------------------------------------------------------------------
# Human strings
# --------------------------------------------------------------------------------------------


class RecurrenceFormatError(ValueError):
    """A recurrence string could not be understood; the message says what is expected."""

    FORMAT_HELP = (
        "expected '<weekly | every N weeks> on <weekday> [at] HH:MM', "
        "'monthly on the <first|second|third|fourth|last> <weekday> [at] HH:MM' or "
        "'monthly on day <1-28> [at] HH:MM', for example 'weekly on Thursday 17:00', "
        "'every 2 weeks on Monday 09:30', 'monthly on the last Friday 16:00' or "
        "'monthly on day 15 at 12:00'"
    )

    def __init__(self, text: str, reason: str) -> None:
        super().__init__(f"cannot understand recurrence {text!r}: {reason}; {self.FORMAT_HELP}")
        self.text = text
        self.reason = reason


class _Reject(Exception):
    """Internal: a parse failure, with the reason; becomes RecurrenceFormatError."""


_WEEKDAY_WORDS: dict[str, int] = {}
for _index, _name in enumerate(WEEKDAY_NAMES):
    for _word in (_name.lower(), _name.lower() + "s", _name[:3].lower()):
        _WEEKDAY_WORDS[_word] = _index
_WEEKDAY_WORDS.update({"tues": 1, "weds": 2, "thur": 3, "thurs": 3})

_ORDINAL_WORDS = {
    "first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4, "last": -1,
}  # fmt: skip

_NUMBER = re.compile(r"[0-9]{1,6}")
_DAY_NUMBER = re.compile(r"([0-9]{1,2})(st|nd|rd|th)?")
_TIME = re.compile(r"([0-9]{1,2})(?::([0-9]{2}))?(?::([0-9]{2}))?\s*(am|pm|a\.m\.|p\.m\.)?")


class _Tokens:
    def __init__(self, words: list[str]) -> None:
        self.words = words
        self.pos = 0

    def peek(self) -> str | None:
        return self.words[self.pos] if self.pos < len(self.words) else None

    def take(self) -> str | None:
        word = self.peek()
        self.pos += word is not None
        return word

    def accept(self, *options: str) -> bool:
        if self.peek() in options:
            self.pos += 1
            return True
        return False

    def rest(self) -> list[str]:
        words, self.pos = self.words[self.pos :], len(self.words)
        return words


def _weekday(word: str | None) -> int:
    if word is None:
        raise _Reject("it is missing the weekday")
    if word in _WEEKDAY_WORDS:
        return _WEEKDAY_WORDS[word]
    if word[:1].isdigit():
        raise _Reject(f"expected a weekday before {word!r}")
    raise _Reject(f"{word!r} is not a weekday (use Monday..Sunday or Mon..Sun)")


def _frequency(tokens: _Tokens) -> tuple[Frequency, int, int | None]:
    """Parse the leading frequency words: (freq, interval, weekday if it was given here)."""
    word = tokens.take()
    if word == "weekly":
        return "weekly", 1, None
    if word == "monthly":
        return "monthly", 1, None
    if word == "fortnightly":
        return "weekly", 2, None
    if word == "biweekly":
        raise _Reject("'biweekly' is ambiguous (twice a week or every two weeks?); say 'every 2 weeks'")
    if word != "every":
        raise _Reject(f"it should start with 'weekly', 'every N weeks' or 'monthly', not {word!r}")
    word = tokens.take()
    if word == "week":
        return "weekly", 1, None
    if word == "month":
        return "monthly", 1, None
    if word == "other":
        if tokens.accept("week"):
            return "weekly", 2, None
        return "weekly", 2, _weekday(tokens.take())
    if word is not None and _NUMBER.fullmatch(word):
        unit = tokens.take()
        if unit in ("week", "weeks"):
            if not 1 <= int(word) <= MAX_INTERVAL_WEEKS:
                raise _Reject(f"'every {word} weeks' needs a number of weeks from 1 to {MAX_INTERVAL_WEEKS}")
            return "weekly", int(word), None
        if unit in ("month", "months"):
            raise _Reject("only every month is supported for monthly series, not every N months")
        raise _Reject(f"expected 'weeks' after 'every {word}'")
    if word in _WEEKDAY_WORDS:
        return "weekly", 1, _WEEKDAY_WORDS[word]
    if word is None:
        raise _Reject("expected 'week', 'N weeks' or a weekday after 'every'")
    raise _Reject(f"expected 'week', 'N weeks' or a weekday after 'every', not {word!r}")


def _day_of_month(day: int) -> int:
    if not 1 <= day <= 28:
        raise _Reject(
            f"day {day} does not exist in every month; use a day from 1 to 28, or 'the last <weekday>'"
        )
    return day


def _monthly_slot(tokens: _Tokens) -> tuple[int | None, int | None, int | None]:
    """Parse 'first Tuesday' / 'last Friday' / 'day 15' / '15th': (weekday, nth, day)."""
    word = tokens.take()
    if word is None:
        raise _Reject("it is missing which day of the month")
    # "1st".."4th" followed by a weekday is "the 1st Tuesday"; on their own they are a day of the month.
    before_weekday = tokens.peek() in _WEEKDAY_WORDS
    if word in ("fifth", "5th") and before_weekday:
        raise _Reject("not every month has a fifth weekday; use 'last' instead")
    if word in _ORDINAL_WORDS and (before_weekday or not word[0].isdigit()):
        return _weekday(tokens.take()), _ORDINAL_WORDS[word], None
    if word == "day":
        number = tokens.take()
        match = _DAY_NUMBER.fullmatch(number or "")
        if not match:
            raise _Reject(f"expected a day number (1-28) after 'day', not {number!r}")
        return None, None, _day_of_month(int(match.group(1)))
    match = _DAY_NUMBER.fullmatch(word)
    if match and match.group(2):
        return None, None, _day_of_month(int(match.group(1)))
    if word in _WEEKDAY_WORDS:
        name = WEEKDAY_NAMES[_WEEKDAY_WORDS[word]]
        raise _Reject(f"which {name} of the month? say e.g. 'the first {name}' or 'the last {name}'")
    raise _Reject(f"expected 'the first <weekday>', 'the last <weekday>' or 'day <1-28>', not {word!r}")


def _match_time(text: str) -> re.Match[str] | None:
    """Match "17:00", "17:00:30", "5pm", "5:30 pm"; a bare "17" is rejected as too ambiguous."""
    match = _TIME.fullmatch(text)
    return match if match and (match.group(2) or match.group(4)) else None


def _time_of_day(words: list[str]) -> dt.time:
    if not words:
        raise _Reject("it is missing the time of day (24-hour HH:MM, e.g. 17:00)")
    text = " ".join(words)
    if text == "noon":
        return dt.time(12, 0)
    if text == "midnight":
        return dt.time(0, 0)
    match = _match_time(text)
    if not match:
        for used in (2, 1):  # a valid time followed by something else, e.g. "17:00 UTC"
            if len(words) > used and _match_time(" ".join(words[:used])):
                extra = " ".join(words[used:])
                raise _Reject(f"unexpected {extra!r} after the time (the time zone is configured separately)")
        raise _Reject(f"{text!r} is not a time of day (use 24-hour HH:MM, e.g. 17:00)")
    hour, minute, second = int(match.group(1)), int(match.group(2) or 0), int(match.group(3) or 0)
    meridiem = match.group(4)
    if meridiem:
        if not 1 <= hour <= 12:
            raise _Reject(f"{text!r} is not a time of day (with am/pm the hour is 1..12)")
        hour = hour % 12 + (12 if meridiem.startswith("p") else 0)
    if hour > 23 or minute > 59 or second > 59:
        raise _Reject(f"{text!r} is not a time of day (use 24-hour HH:MM between 00:00 and 23:59)")
    return dt.time(hour, minute, second)


def parse_recurrence(text: str, timezone: str) -> Recurrence:
    """Parse a human recurrence string such as "monthly on the first Tuesday 18:00".

    Case-insensitive; "on", "the", "at" and a trailing "of the month" are optional; weekdays may be
    abbreviated or plural; times may be 24-hour "17:00" or "5pm". ``timezone`` is an IANA zone name.
    Raises RecurrenceFormatError (a ValueError) saying what format is expected.
    """
    if not isinstance(text, str):
        raise TypeError(f"recurrence text must be a string, got {type(text).__name__}")
    _zone(timezone)  # a bad zone is reported as such, not as a format problem
    tokens = _Tokens(text.replace(",", " ").lower().split())
    try:
        if tokens.peek() is None:
            raise _Reject("it is empty")
        freq, interval, weekday = _frequency(tokens)
        tokens.accept("on")
        tokens.accept("the")
        nth = day = None
        if freq == "weekly":
            if weekday is None:
                weekday = _weekday(tokens.take())
        else:
            weekday, nth, day = _monthly_slot(tokens)
            if tokens.accept("of"):
                tokens.accept("the", "each", "every")
                if not tokens.accept("month"):
                    raise _Reject("expected 'of the month'")
        tokens.accept("at")
        wall = _time_of_day(tokens.rest())
        try:
            return Recurrence(
                freq=freq, weekday=weekday, interval=interval, nth=nth, day=day, time=wall, timezone=timezone
            )
        except ValueError as exc:
            raise _Reject(str(exc)) from exc
    except _Reject as exc:
        raise RecurrenceFormatError(text, str(exc)) from None


def _format_time(wall: dt.time) -> str:
    return wall.strftime("%H:%M:%S" if wall.second else "%H:%M")


def describe(recurrence: Recurrence) -> str:
    """Canonical human form, e.g. "monthly on the first Tuesday at 18:00".

    ``parse_recurrence(describe(r), r.timezone) == r`` for every valid recurrence. The zone is not
    included: it is stored and passed separately.
    """
    at = _format_time(recurrence.time)
    if recurrence.freq == "weekly":
        assert recurrence.weekday is not None
        every = "weekly" if recurrence.interval == 1 else f"every {recurrence.interval} weeks"
        return f"{every} on {WEEKDAY_NAMES[recurrence.weekday]} at {at}"
    if recurrence.day is not None:
        return f"monthly on day {recurrence.day} at {at}"
    assert recurrence.weekday is not None and recurrence.nth is not None
    return f"monthly on the {_ORDINAL_NAMES[recurrence.nth]} {WEEKDAY_NAMES[recurrence.weekday]} at {at}"
