"""Week ids ("2026-W47") and reporting periods in a community's time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.weeks import IsoWeek, Period

ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Pacific/Auckland", "Asia/Kolkata"]
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.mark.parametrize(
    ("text", "week", "monday"),
    [
        ("2026-W47", IsoWeek(2026, 47), date(2026, 11, 16)),
        ("2026-W01", IsoWeek(2026, 1), date(2025, 12, 29)),  # ISO week 1 starts in December
        ("2026-W53", IsoWeek(2026, 53), date(2026, 12, 28)),  # 2026 has 53 ISO weeks
        (" 2027-W09 ", IsoWeek(2027, 9), date(2027, 3, 1)),
    ],
)
def test_parse_and_format(text: str, week: IsoWeek, monday: date) -> None:
    assert IsoWeek.parse(text) == week
    assert week.monday == monday
    assert str(week) == text.strip()


@pytest.mark.parametrize("text", ["2026-47", "2026-W5", "W47", "2025-W53", "2026-W00", "2026-w47", ""])
def test_bad_week_ids_say_how_to_write_one(text: str) -> None:
    with pytest.raises(ValueError, match="2026-W47|not an ISO week"):
        IsoWeek.parse(text)


def test_week_of_an_instant_depends_on_the_zone() -> None:
    sunday_night_utc = datetime(2026, 11, 15, 23, 30, tzinfo=UTC)  # Monday 00:30 in Berlin
    assert IsoWeek.of(sunday_night_utc, ZoneInfo("UTC")) == IsoWeek(2026, 46)
    assert IsoWeek.of(sunday_night_utc, BERLIN) == IsoWeek(2026, 47)
    assert IsoWeek.last_complete(sunday_night_utc, BERLIN) == IsoWeek(2026, 46)


def test_a_week_with_a_dst_change_is_169_hours_long() -> None:
    week = IsoWeek(2026, 43)  # Berlin leaves summer time on Sunday 25 Oct 2026
    assert week.start(BERLIN) == datetime(2026, 10, 18, 22, 0, tzinfo=UTC)
    assert week.end(BERLIN) - week.start(BERLIN) == timedelta(hours=169)


def test_period_of_a_running_week_is_cut_at_as_of() -> None:
    now = datetime(2026, 11, 19, 9, 0, tzinfo=UTC)
    period = Period.of(IsoWeek(2026, 47), "UTC", now)
    assert (period.start, period.end, period.complete) == (datetime(2026, 11, 16, tzinfo=UTC), now, False)
    before = period.previous()
    assert before.week == IsoWeek(2026, 46)
    assert before.end - before.start == now - period.start
    whole = Period.of(IsoWeek(2026, 46), "UTC", now)
    assert whole.complete and whole.end == period.start
    assert Period.of(IsoWeek(2026, 48), "UTC", now).end == Period.of(IsoWeek(2026, 48), "UTC", now).start


def test_complete_periods_stay_complete_across_dst() -> None:
    period = Period.of(IsoWeek(2026, 44), "Europe/Berlin")
    before = period.previous()  # the 169-hour week
    assert before.complete and before.end == period.start


def test_trailing_weeks() -> None:
    period = Period.of(IsoWeek(2026, 2), "UTC", datetime(2026, 1, 7, tzinfo=UTC))
    trail = period.trailing(4)
    assert [str(p.week) for p in trail] == ["2025-W51", "2025-W52", "2026-W01", "2026-W02"]
    assert trail[-1] is period and all(p.complete for p in trail[:-1])


@given(
    st.dates(min_value=date(1990, 1, 1), max_value=date(2090, 12, 31)),
    st.sampled_from(ZONES),
    st.integers(min_value=-120, max_value=120),
)
def test_week_laws(day: date, zone_name: str, shift: int) -> None:
    zone = ZoneInfo(zone_name)
    week = IsoWeek.containing(day)
    assert IsoWeek.parse(str(week)) == week
    assert week.monday <= day < week.monday + timedelta(days=7)
    start, end = week.start(zone), week.end(zone)
    assert IsoWeek.of(start, zone) == week and IsoWeek.of(end, zone) == week.shift(1)
    assert end - start in (timedelta(hours=167), timedelta(hours=168), timedelta(hours=169))
    assert week.shift(shift).shift(-shift) == week
    assert (week.shift(shift) > week) == (shift > 0)
