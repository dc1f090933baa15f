"""A recurring slot (wall time + IANA zone + weekly/monthly rule) and one-off overrides.

Pure and stdlib-only, like the rest of the programme's calendar maths (bot.core.programming.calendar)
and its human form (bot.core.programming.recurrence_text). Only IANA zone names are accepted.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo, available_timezones

__all__ = [
    "DEFAULT_ANCHOR",
    "MAX_INTERVAL_WEEKS",
    "ORDINAL_NAMES",
    "WEEKDAY_NAMES",
    "Frequency",
    "Override",
    "Recurrence",
    "load_zone",
    "require_aware",
    "require_date",
]

Frequency = Literal["weekly", "monthly"]

WEEKDAY_NAMES: tuple[str, ...] = tuple("Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split())

#: Phase reference for "every N weeks" series that have no stored anchor. Callers should store the
#: date a series was created and pass it as ``anchor``; this only keeps the default deterministic.
DEFAULT_ANCHOR = dt.date(1970, 1, 5)  # a Monday

MAX_INTERVAL_WEEKS = 52

ORDINAL_NAMES = {1: "first", 2: "second", 3: "third", 4: "fourth", -1: "last"}


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


def load_zone(name: object) -> ZoneInfo:
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


def require_aware(name: str, value: object) -> dt.datetime:
    """Return ``value`` converted to UTC, insisting it is an aware datetime."""
    if not isinstance(value, dt.datetime):
        raise ValueError(f"{name} must be a timezone-aware datetime, got {value!r}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(
            f"{name} must be timezone-aware (e.g. datetime(..., tzinfo=datetime.UTC)), got naive {value!r}"
        )
    return value.astimezone(dt.UTC)


def require_date(name: str, value: object) -> dt.date:
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
        load_zone(self.timezone)
        interval = _require_int("interval", self.interval)
        if self.weekday is not None:
            weekday = _require_int("weekday", self.weekday)
            if not 0 <= weekday <= 6:
                raise ValueError(f"weekday must be 0 (Monday) .. 6 (Sunday), got {weekday}")
        if self.nth is not None:
            nth = _require_int("nth", self.nth)
            if nth not in ORDINAL_NAMES:
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
        return load_zone(self.timezone)

    def __str__(self) -> str:
        # Imported here: the text module builds Recurrence objects, so it imports this one.
        from bot.core.programming.recurrence_text import describe

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
        require_date("original_date", self.original_date)
        if self.moved_to is not None:
            object.__setattr__(self, "moved_to", require_aware("moved_to", self.moved_to))

    @classmethod
    def skip(cls, original_date: dt.date) -> Override:
        return cls(original_date)

    @classmethod
    def move(cls, original_date: dt.date, moved_to: dt.datetime) -> Override:
        return cls(original_date, moved_to)

    @property
    def skipped(self) -> bool:
        return self.moved_to is None
