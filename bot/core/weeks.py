"""ISO weeks ("2026-W47") in a community's time zone, and the reporting period a digest covers.

A week id names the Monday-to-Sunday week of ISO 8601 in the community's time zone: it starts on
Monday 00:00 local time and ends (exclusive) on the next Monday 00:00, whatever DST does. The
contribution rollup (`member_week`) is keyed by the same Monday's date in UTC; metrics that read
the rollup use the week with the same id (see docs/metrics.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

_WEEK_RE = re.compile(r"^(\d{4})-W(\d{2})$")
YEARS = (1970, 9000)  # weeks a report can name: ten years of trailing weeks stay within the calendar


@dataclass(frozen=True, order=True)
class IsoWeek:
    """An ISO 8601 week, e.g. IsoWeek(2026, 47) written "2026-W47"."""

    year: int
    week: int

    def __post_init__(self) -> None:
        try:
            date.fromisocalendar(self.year, self.week, 1)
        except ValueError as exc:
            raise ValueError(f"{self.year}-W{self.week:02d} is not an ISO week") from exc

    @classmethod
    def parse(cls, text: str) -> IsoWeek:
        """Read "2026-W47"; ValueError with what was expected otherwise."""
        match = _WEEK_RE.match(text.strip())
        if match is None:
            raise ValueError("not a week; write it like 2026-W47 (ISO year, W, week number)")
        year = int(match.group(1))
        if not YEARS[0] <= year <= YEARS[1]:
            raise ValueError(f"weeks of the years {YEARS[0]} to {YEARS[1]} only, like 2026-W47")
        return cls(year, int(match.group(2)))

    @classmethod
    def containing(cls, day: date) -> IsoWeek:
        """The week a calendar date belongs to."""
        iso = day.isocalendar()
        return cls(iso.year, iso.week)

    @classmethod
    def of(cls, moment: datetime, zone: ZoneInfo) -> IsoWeek:
        """The week an instant falls in, in the given time zone."""
        return cls.containing(moment.astimezone(zone).date())

    @classmethod
    def last_complete(cls, now: datetime, zone: ZoneInfo) -> IsoWeek:
        """The most recent week that has ended (the one a weekly digest posted now reports on)."""
        return cls.of(now, zone).shift(-1)

    def __str__(self) -> str:
        return f"{self.year:04d}-W{self.week:02d}"

    @property
    def monday(self) -> date:
        """The week's Monday (also the rollup key, `member_week.week_start`)."""
        return date.fromisocalendar(self.year, self.week, 1)

    def shift(self, weeks: int) -> IsoWeek:
        """The week `weeks` later (earlier when negative)."""
        return IsoWeek.containing(self.monday + timedelta(weeks=weeks))

    def start(self, zone: ZoneInfo) -> datetime:
        """Monday 00:00 local time, as aware UTC."""
        return datetime.combine(self.monday, time(0), tzinfo=zone).astimezone(UTC)

    def end(self, zone: ZoneInfo) -> datetime:
        """The next Monday 00:00 local time, as aware UTC (exclusive)."""
        return self.shift(1).start(zone)


@dataclass(frozen=True)
class Period:
    """What a report covers: [start, end) of one week, cut at the as-of moment for a week in progress."""

    week: IsoWeek
    timezone: str
    start: datetime
    end: datetime

    @classmethod
    def of(cls, week: IsoWeek, timezone: str, as_of: datetime | None = None) -> Period:
        """The period of `week`, ending at `as_of` when the week has not ended by then."""
        zone = ZoneInfo(timezone)
        start, end = week.start(zone), week.end(zone)
        if as_of is not None:
            end = min(end, max(as_of, start))
        return cls(week=week, timezone=timezone, start=start, end=end)

    @property
    def zone(self) -> ZoneInfo:
        """The community's time zone."""
        return ZoneInfo(self.timezone)

    @property
    def complete(self) -> bool:
        """True when the period covers its whole week."""
        return self.end >= self.week.end(self.zone)

    @property
    def rollup_week(self) -> date:
        """The `member_week.week_start` that holds this week's contributions."""
        return self.week.monday

    def shift(self, weeks: int) -> Period:
        """The same stretch of another week: as much of it as this period covers of its own week."""
        week = self.week.shift(weeks)
        if self.complete:
            return Period.of(week, self.timezone)
        start = week.start(self.zone)
        return Period.of(week, self.timezone, start + (self.end - self.start))

    def previous(self) -> Period:
        """The period to compare with: the week before, cut at the same point of the week."""
        return self.shift(-1)

    def trailing(self, weeks: int) -> tuple[Period, ...]:
        """`weeks` periods ending with this one, oldest first, whole weeks except this one."""
        earlier = tuple(Period.of(self.week.shift(-n), self.timezone) for n in range(weeks - 1, 0, -1))
        return (*earlier, self) if weeks > 0 else ()
