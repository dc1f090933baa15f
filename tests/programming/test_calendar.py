"""Tests for programming.calendar: DST policy, series maths, reminders, parsing and overrides.

The independent oracle for "which instant does a wall time mean" is PEP 495 as implemented by
zoneinfo: ``fold=0`` gives the earlier instant in an overlap and the pre-transition offset in a gap
(i.e. a shift forward by the gap). The module under test deliberately does not rely on that; the
tests use it to check the module's own round-trip implementation against.
"""

from __future__ import annotations

import calendar as stdlib_calendar
import datetime as dt
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

import pytest
from hypothesis import assume, event, example, given, settings
from hypothesis import strategies as st

from programming.calendar import (
    DEFAULT_ANCHOR,
    MAX_INTERVAL_WEEKS,
    WEEKDAY_NAMES,
    Override,
    Recurrence,
    RecurrenceFormatError,
    announcement_time,
    apply_overrides,
    describe,
    is_occurrence_date,
    next_occurrence,
    occurrences,
    parse_recurrence,
    reminder_times,
    resolve_wall_time,
)

UTC = dt.UTC
NY = "America/New_York"
BERLIN = "Europe/Berlin"
HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)
WEEK = dt.timedelta(weeks=1)
MON, TUE, WED, THU, FRI, SAT, SUN = range(7)

FORMAT_EXAMPLE = "weekly on Thursday 17:00"  # every format error must show a worked example


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def local(instant: dt.datetime, zone: str) -> dt.datetime:
    return instant.astimezone(ZoneInfo(zone))


def weekly(weekday: int, hour: int, minute: int, zone: str, interval: int = 1) -> Recurrence:
    return Recurrence(
        freq="weekly", weekday=weekday, interval=interval, time=dt.time(hour, minute), timezone=zone
    )


def pep495(day: dt.date, wall: dt.time, zone: str) -> dt.datetime:
    """The oracle: zoneinfo's fold=0 reading, which matches the module's policy (see module docstring)."""
    return dt.datetime.combine(day, wall).replace(tzinfo=ZoneInfo(zone), fold=0).astimezone(UTC)


def exists(naive: dt.datetime, zone: str) -> bool:
    tz = ZoneInfo(zone)
    return any(
        naive.replace(tzinfo=tz, fold=fold).astimezone(UTC).astimezone(tz).replace(tzinfo=None) == naive
        for fold in (0, 1)
    )


def utc_offset(instant: dt.datetime, zone: str) -> dt.timedelta:
    offset = instant.astimezone(ZoneInfo(zone)).utcoffset()
    assert offset is not None
    return offset


# ============================================================================================
# resolve_wall_time: the DST policy, table-driven
# ============================================================================================

RESOLVE_CASES = [
    # zone, local date, wall time, expected UTC instant, expected local rendering
    pytest.param(NY, dt.date(2026, 3, 8), dt.time(1, 59), utc(2026, 3, 8, 6, 59), "2026-03-08T01:59:00-05:00",
                 id="ny-before-gap"),
    pytest.param(NY, dt.date(2026, 3, 8), dt.time(2, 0), utc(2026, 3, 8, 7, 0), "2026-03-08T03:00:00-04:00",
                 id="ny-gap-start"),
    pytest.param(NY, dt.date(2026, 3, 8), dt.time(2, 30), utc(2026, 3, 8, 7, 30), "2026-03-08T03:30:00-04:00",
                 id="ny-gap-shifted-forward"),
    pytest.param(NY, dt.date(2026, 3, 8), dt.time(2, 59, 59), utc(2026, 3, 8, 7, 59, 59),
                 "2026-03-08T03:59:59-04:00", id="ny-gap-end"),
    pytest.param(NY, dt.date(2026, 3, 8), dt.time(3, 0), utc(2026, 3, 8, 7, 0), "2026-03-08T03:00:00-04:00",
                 id="ny-after-gap"),
    pytest.param(NY, dt.date(2026, 11, 1), dt.time(0, 59), utc(2026, 11, 1, 4, 59),
                 "2026-11-01T00:59:00-04:00", id="ny-before-overlap"),
    pytest.param(NY, dt.date(2026, 11, 1), dt.time(1, 0), utc(2026, 11, 1, 5, 0),
                 "2026-11-01T01:00:00-04:00", id="ny-overlap-start-first"),
    pytest.param(NY, dt.date(2026, 11, 1), dt.time(1, 30), utc(2026, 11, 1, 5, 30),
                 "2026-11-01T01:30:00-04:00", id="ny-overlap-first-is-edt"),
    pytest.param(NY, dt.date(2026, 11, 1), dt.time(2, 30), utc(2026, 11, 1, 7, 30),
                 "2026-11-01T02:30:00-05:00", id="ny-0230-not-ambiguous"),
    pytest.param(BERLIN, dt.date(2026, 3, 29), dt.time(2, 30), utc(2026, 3, 29, 1, 30),
                 "2026-03-29T03:30:00+02:00", id="berlin-gap-shifted-forward"),
    pytest.param(BERLIN, dt.date(2026, 10, 25), dt.time(2, 0), utc(2026, 10, 25, 0, 0),
                 "2026-10-25T02:00:00+02:00", id="berlin-overlap-start-first"),
    pytest.param(BERLIN, dt.date(2026, 10, 25), dt.time(2, 30), utc(2026, 10, 25, 0, 30),
                 "2026-10-25T02:30:00+02:00", id="berlin-overlap-first-is-cest"),
    pytest.param(BERLIN, dt.date(2026, 10, 25), dt.time(3, 0), utc(2026, 10, 25, 2, 0),
                 "2026-10-25T03:00:00+01:00", id="berlin-after-overlap"),
    pytest.param("Australia/Lord_Howe", dt.date(2026, 10, 4), dt.time(2, 15), utc(2026, 10, 3, 15, 45),
                 "2026-10-04T02:45:00+11:00", id="lord-howe-30-minute-gap"),
    pytest.param("Australia/Lord_Howe", dt.date(2026, 4, 5), dt.time(1, 45), utc(2026, 4, 4, 14, 45),
                 "2026-04-05T01:45:00+11:00", id="lord-howe-30-minute-overlap"),
    pytest.param("Antarctica/Troll", dt.date(2026, 3, 29), dt.time(1, 30), utc(2026, 3, 29, 1, 30),
                 "2026-03-29T03:30:00+02:00", id="troll-2-hour-gap"),
    pytest.param("Pacific/Apia", dt.date(2011, 12, 30), dt.time(17, 0), utc(2011, 12, 31, 3, 0),
                 "2011-12-31T17:00:00+14:00", id="apia-skipped-day"),
    pytest.param("Asia/Kolkata", dt.date(2026, 3, 29), dt.time(2, 30), utc(2026, 3, 28, 21, 0),
                 "2026-03-29T02:30:00+05:30", id="no-dst-zone"),
    pytest.param("UTC", dt.date(2026, 3, 29), dt.time(2, 30), utc(2026, 3, 29, 2, 30),
                 "2026-03-29T02:30:00+00:00", id="utc"),
]  # fmt: skip


@pytest.mark.parametrize(("zone", "day", "wall", "expected_utc", "expected_local"), RESOLVE_CASES)
def test_resolve_wall_time(
    zone: str, day: dt.date, wall: dt.time, expected_utc: dt.datetime, expected_local: str
) -> None:
    got = resolve_wall_time(day, wall, zone)
    assert got == expected_utc
    assert got.tzinfo is UTC
    assert local(got, zone).isoformat() == expected_local
    assert resolve_wall_time(day, wall, ZoneInfo(zone)) == got  # a tzinfo works as well as a name


def test_resolve_wall_time_ignores_fold_on_the_input() -> None:
    day = dt.date(2026, 11, 1)
    assert resolve_wall_time(day, dt.time(1, 30, fold=1), NY) == resolve_wall_time(day, dt.time(1, 30), NY)
    spring = dt.date(2026, 3, 8)
    assert resolve_wall_time(spring, dt.time(2, 30, fold=1), NY) == utc(2026, 3, 8, 7, 30)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((dt.datetime(2026, 3, 8), dt.time(2, 30), NY), "must be a datetime.date"),
        (("2026-03-08", dt.time(2, 30), NY), "must be a datetime.date"),
        ((dt.date(2026, 3, 8), dt.time(2, 30, tzinfo=UTC), NY), "naive datetime.time"),
        ((dt.date(2026, 3, 8), dt.time(2, 30), "America/NewYork"), "unknown time zone"),
    ],
)
def test_resolve_wall_time_rejects_bad_input(args: tuple[object, object, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        resolve_wall_time(*args)  # type: ignore[arg-type]


# ============================================================================================
# A weekly 02:30 series across the 2026 DST changes
# ============================================================================================

DST_SERIES = [
    # zone, spring-forward Sunday, fall-back Sunday, standard offset, daylight offset
    pytest.param(NY, dt.date(2026, 3, 8), dt.date(2026, 11, 1), -5, -4, id="new-york"),
    pytest.param(BERLIN, dt.date(2026, 3, 29), dt.date(2026, 10, 25), 1, 2, id="berlin"),
]
YEAR_2026 = (utc(2026, 1, 1), utc(2027, 1, 1))


def sundays_of(year: int) -> list[dt.date]:
    day = dt.date(year, 1, 1)
    day += dt.timedelta(days=(SUN - day.weekday()) % 7)
    return [day + dt.timedelta(weeks=k) for k in range(53) if (day + dt.timedelta(weeks=k)).year == year]


@pytest.mark.parametrize(("zone", "spring", "fall", "std", "dst"), DST_SERIES)
def test_weekly_0230_series_occurs_exactly_once_every_week_of_2026(
    zone: str, spring: dt.date, fall: dt.date, std: int, dst: int
) -> None:
    series = weekly(SUN, 2, 30, zone)
    got = occurrences(series, *YEAR_2026)
    local_dates = [local(instant, zone).date() for instant in got]
    assert local_dates == sundays_of(2026)  # every Sunday once: no week with zero, none with two
    assert spring in local_dates and fall in local_dates
    assert len({date.isocalendar()[:2] for date in local_dates}) == len(local_dates) == 52


@pytest.mark.parametrize(("zone", "spring", "fall", "std", "dst"), DST_SERIES)
def test_spring_forward_occurrence_lands_at_0330_local(
    zone: str, spring: dt.date, fall: dt.date, std: int, dst: int
) -> None:
    got = occurrences(weekly(SUN, 2, 30, zone), *YEAR_2026)
    by_date = {local(instant, zone).date(): local(instant, zone) for instant in got}
    shifted = by_date[spring]
    assert shifted.time() == dt.time(3, 30)
    assert shifted.utcoffset() == dt.timedelta(hours=dst)
    assert shifted.astimezone(UTC) == dt.datetime.combine(spring, dt.time(2, 30), UTC) - dt.timedelta(
        hours=std
    )
    others = [value for date, value in by_date.items() if date != spring]
    assert all(value.time() == dt.time(2, 30) for value in others)


def test_fall_back_berlin_0230_takes_the_first_occurrence() -> None:
    got = occurrences(weekly(SUN, 2, 30, BERLIN), *YEAR_2026)
    (on_the_day,) = [instant for instant in got if local(instant, BERLIN).date() == dt.date(2026, 10, 25)]
    assert on_the_day == utc(2026, 10, 25, 0, 30)  # not 01:30Z, the second 02:30
    assert local(on_the_day, BERLIN).isoformat() == "2026-10-25T02:30:00+02:00"


def test_fall_back_new_york_0230_is_unambiguous_and_0130_takes_the_first() -> None:
    day = dt.date(2026, 11, 1)
    at_0230 = occurrences(weekly(SUN, 2, 30, NY), utc(2026, 11, 1), utc(2026, 11, 2))
    assert [local(instant, NY).isoformat() for instant in at_0230] == ["2026-11-01T02:30:00-05:00"]
    at_0130 = occurrences(weekly(SUN, 1, 30, NY), utc(2026, 10, 25), utc(2026, 11, 9))
    assert [local(instant, NY).isoformat() for instant in at_0130] == [
        "2026-10-25T01:30:00-04:00",
        "2026-11-01T01:30:00-04:00",  # EDT: the first 01:30, 05:30Z rather than 06:30Z
        "2026-11-08T01:30:00-05:00",
    ]
    assert at_0130[1] == utc(2026, 11, 1, 5, 30) == resolve_wall_time(day, dt.time(1, 30), NY)


@pytest.mark.parametrize(
    ("zone", "start", "expected"),
    [
        pytest.param(NY, utc(2026, 3, 1), [utc(2026, 3, 1, 7, 30), utc(2026, 3, 8, 7, 30),
                                           utc(2026, 3, 15, 6, 30)], id="ny-spring"),
        pytest.param(NY, utc(2026, 10, 25), [utc(2026, 10, 25, 6, 30), utc(2026, 11, 1, 7, 30),
                                             utc(2026, 11, 8, 7, 30)], id="ny-fall"),
        pytest.param(BERLIN, utc(2026, 3, 22), [utc(2026, 3, 22, 1, 30), utc(2026, 3, 29, 1, 30),
                                                utc(2026, 4, 5, 0, 30)], id="berlin-spring"),
        pytest.param(BERLIN, utc(2026, 10, 18), [utc(2026, 10, 18, 0, 30), utc(2026, 10, 25, 0, 30),
                                                 utc(2026, 11, 1, 1, 30)], id="berlin-fall"),
    ],
)  # fmt: skip
def test_series_instants_are_computed_per_local_date_not_by_adding_168_hours(
    zone: str, start: dt.datetime, expected: list[dt.datetime]
) -> None:
    got = occurrences(weekly(SUN, 2, 30, zone), start, start + 3 * WEEK)
    assert got == expected
    gaps = {later - earlier for earlier, later in zip(got, got[1:], strict=False)}
    assert gaps != {WEEK}  # 167 h or 169 h somewhere: the wall clock, not the stopwatch, drives the series


def test_afternoon_series_keeps_its_wall_time_across_dst() -> None:
    got = occurrences(weekly(THU, 17, 0, BERLIN), utc(2026, 3, 1), utc(2026, 11, 30))
    assert {local(instant, BERLIN).time() for instant in got} == {dt.time(17, 0)}
    assert {instant.hour for instant in got} == {15, 16}  # 15:00Z in summer, 16:00Z in winter


# ============================================================================================
# Reminders and announcements: true elapsed time
# ============================================================================================

DST_OCCURRENCES = [
    pytest.param(NY, dt.date(2026, 3, 8), dt.time(2, 30), id="ny-gap-shifted"),
    pytest.param(NY, dt.date(2026, 3, 8), dt.time(12, 0), id="ny-spring-noon"),
    pytest.param(NY, dt.date(2026, 11, 1), dt.time(1, 30), id="ny-ambiguous"),
    pytest.param(NY, dt.date(2026, 11, 1), dt.time(12, 0), id="ny-fall-noon"),
    pytest.param(BERLIN, dt.date(2026, 3, 29), dt.time(2, 30), id="berlin-gap-shifted"),
    pytest.param(BERLIN, dt.date(2026, 10, 25), dt.time(2, 30), id="berlin-ambiguous"),
    pytest.param(BERLIN, dt.date(2026, 3, 30), dt.time(0, 30), id="berlin-day-after"),
]


@pytest.mark.parametrize(("zone", "day", "wall"), DST_OCCURRENCES)
def test_reminders_are_exactly_24h_and_1h_of_elapsed_time_before(
    zone: str, day: dt.date, wall: dt.time
) -> None:
    occurrence = resolve_wall_time(day, wall, zone)
    day_before, hour_before = reminder_times(occurrence, [24 * HOUR, HOUR])
    assert occurrence - day_before == 24 * HOUR
    assert occurrence - hour_before == HOUR
    assert occurrence.timestamp() - day_before.timestamp() == 86_400
    assert occurrence.timestamp() - hour_before.timestamp() == 3_600
    assert day_before.tzinfo is UTC and hour_before.tzinfo is UTC
    # Same answer when the occurrence is handed over as a local, zone-aware datetime.
    assert reminder_times(local(occurrence, zone), [24 * HOUR, HOUR]) == [day_before, hour_before]


@pytest.mark.parametrize(
    ("zone", "day", "wall", "expected_local"),
    [
        # 24 h of real time before 03:30 CEST (the shifted 02:30) is 02:30 CET the day before...
        (
            BERLIN,
            dt.date(2026, 3, 29),
            dt.time(2, 30),
            ["2026-03-28T02:30:00+01:00", "2026-03-29T01:30:00+01:00"],
        ),
        # ...and before noon EDT on the spring-forward day it is 11:00 EST, not 12:00.
        (NY, dt.date(2026, 3, 8), dt.time(12, 0), ["2026-03-07T11:00:00-05:00", "2026-03-08T11:00:00-04:00"]),
        # After falling back the night is 25 h long: 24 h before noon EST is 13:00 EDT.
        (
            NY,
            dt.date(2026, 11, 1),
            dt.time(12, 0),
            ["2026-10-31T13:00:00-04:00", "2026-11-01T11:00:00-05:00"],
        ),
        # 1 h before the first 01:30 EDT is 00:30 EDT.
        (
            NY,
            dt.date(2026, 11, 1),
            dt.time(1, 30),
            ["2026-10-31T01:30:00-04:00", "2026-11-01T00:30:00-04:00"],
        ),
    ],
)
def test_reminders_across_dst_show_shifted_wall_times(
    zone: str, day: dt.date, wall: dt.time, expected_local: list[str]
) -> None:
    reminders = reminder_times(resolve_wall_time(day, wall, zone), [24 * HOUR, HOUR])
    assert [local(instant, zone).isoformat() for instant in reminders] == expected_local


def test_reminders_do_not_use_wall_clock_arithmetic_on_zone_aware_input() -> None:
    occurrence = local(resolve_wall_time(dt.date(2026, 3, 8), dt.time(12, 0), NY), NY)
    naive_wall_clock_answer = occurrence - 24 * HOUR  # Python does wall-clock maths within one tzinfo
    # ...which is 23 h of real time here (and subtracting two datetimes that share a tzinfo would hide
    # it too, reporting 24 h: compare in UTC).
    assert occurrence.astimezone(UTC) - naive_wall_clock_answer.astimezone(UTC) == 23 * HOUR
    (reminder,) = reminder_times(occurrence, [24 * HOUR])
    assert occurrence - reminder == 24 * HOUR
    assert reminder != naive_wall_clock_answer


def test_reminder_times_keep_the_order_given_and_allow_zero() -> None:
    occurrence = utc(2026, 5, 7, 15)
    offsets = [HOUR, dt.timedelta(0), 24 * HOUR, dt.timedelta(minutes=15)]
    assert reminder_times(occurrence, offsets) == [occurrence - offset for offset in offsets]
    assert reminder_times(occurrence, []) == []


@pytest.mark.parametrize(
    ("occurrence", "offsets", "message"),
    [
        (dt.datetime(2026, 5, 7, 15), [HOUR], "timezone-aware"),
        (utc(2026, 5, 7, 15), [-HOUR], "must not be negative"),
        (utc(2026, 5, 7, 15), [3600], "must be a datetime.timedelta"),
    ],
)
def test_reminder_times_reject_bad_input(
    occurrence: dt.datetime, offsets: list[object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        reminder_times(occurrence, offsets)  # type: ignore[arg-type]


def test_announcement_time_is_seven_days_of_elapsed_time_by_default() -> None:
    occurrence = resolve_wall_time(dt.date(2026, 3, 12), dt.time(17, 0), NY)  # Thursday after the change
    announced = announcement_time(occurrence)
    assert occurrence - announced == dt.timedelta(days=7)
    assert announced.tzinfo is UTC
    assert (
        local(announced, NY).isoformat() == "2026-03-05T16:00:00-05:00"
    )  # an hour off the event's wall time
    assert announcement_time(occurrence, dt.timedelta(days=2)) == occurrence - dt.timedelta(days=2)
    assert announcement_time(local(occurrence, NY)) == announced
    with pytest.raises(ValueError, match="must not be negative"):
        announcement_time(occurrence, -DAY)
    with pytest.raises(ValueError, match="timezone-aware"):
        announcement_time(occurrence.replace(tzinfo=None))


# ============================================================================================
# Monthly series
# ============================================================================================


def test_monthly_first_tuesday_over_2026() -> None:
    showcase = Recurrence(freq="monthly", weekday=TUE, nth=1, time=dt.time(18, 0), timezone=BERLIN)
    got = occurrences(showcase, *YEAR_2026)
    assert [local(instant, BERLIN).date() for instant in got] == [
        dt.date(2026, month, day)
        for month, day in [(1, 6), (2, 3), (3, 3), (4, 7), (5, 5), (6, 2), (7, 7), (8, 4), (9, 1), (10, 6),
                           (11, 3), (12, 1)]
    ]  # fmt: skip
    assert {local(instant, BERLIN).time() for instant in got} == {dt.time(18, 0)}
    assert [instant.hour for instant in got] == [17, 17, 17, 16, 16, 16, 16, 16, 16, 16, 17, 17]


def test_monthly_last_friday_over_2026() -> None:
    demo_day = Recurrence(freq="monthly", weekday=FRI, nth=-1, time=dt.time(16, 0), timezone=NY)
    got = occurrences(demo_day, *YEAR_2026)
    assert [local(instant, NY).date() for instant in got] == [
        dt.date(2026, month, day)
        for month, day in [(1, 30), (2, 27), (3, 27), (4, 24), (5, 29), (6, 26), (7, 31), (8, 28), (9, 25),
                           (10, 30), (11, 27), (12, 25)]
    ]  # fmt: skip
    assert {local(instant, NY).time() for instant in got} == {dt.time(16, 0)}


def test_monthly_on_a_day_of_the_month() -> None:
    series = Recurrence(freq="monthly", day=15, time=dt.time(12, 0), timezone="Asia/Tokyo")
    got = occurrences(series, *YEAR_2026)
    assert got == [utc(2026, month, 15, 3) for month in range(1, 13)]


@given(
    year=st.integers(1900, 2200),
    month=st.integers(1, 12),
    weekday=st.integers(0, 6),
    nth=st.sampled_from([1, 2, 3, 4, -1]),
)
def test_monthly_nth_weekday_agrees_with_the_stdlib_calendar(
    year: int, month: int, weekday: int, nth: int
) -> None:
    series = Recurrence(freq="monthly", weekday=weekday, nth=nth, time=dt.time(12), timezone="UTC")
    got = occurrences(series, utc(year, month, 1), utc(year, month, 1) + dt.timedelta(days=31))
    days = [week[weekday] for week in stdlib_calendar.monthcalendar(year, month) if week[weekday]]
    assert got[0] == utc(year, month, days[nth - 1] if nth > 0 else days[-1], 12)


# ============================================================================================
# every N weeks, anchors, next_occurrence
# ============================================================================================


def test_every_two_weeks_phase_comes_from_the_anchor() -> None:
    series = weekly(MON, 9, 30, "UTC", interval=2)
    anchor = dt.date(2026, 1, 6)  # a Tuesday: the first Monday on or after it is Jan 12
    got = occurrences(series, utc(2025, 12, 20), utc(2026, 2, 20), anchor=anchor)
    assert [instant.date() for instant in got] == [
        dt.date(2025, 12, 29), dt.date(2026, 1, 12), dt.date(2026, 1, 26), dt.date(2026, 2, 9),
    ]  # fmt: skip
    shifted = occurrences(series, utc(2025, 12, 20), utc(2026, 2, 20), anchor=dt.date(2026, 1, 19))
    assert [instant.date() for instant in shifted] == [
        dt.date(2025, 12, 22), dt.date(2026, 1, 5), dt.date(2026, 1, 19), dt.date(2026, 2, 2),
        dt.date(2026, 2, 16),
    ]  # fmt: skip
    assert is_occurrence_date(series, dt.date(2026, 1, 12), anchor)
    assert not is_occurrence_date(series, dt.date(2026, 1, 19), anchor)
    assert not is_occurrence_date(series, dt.date(2026, 1, 13), anchor)


def test_every_n_weeks_without_anchor_uses_the_documented_default() -> None:
    series = weekly(WED, 18, 0, BERLIN, interval=3)
    window = (utc(2026, 1, 1), utc(2026, 6, 1))
    assert occurrences(series, *window) == occurrences(series, *window, anchor=DEFAULT_ANCHOR)
    assert DEFAULT_ANCHOR.weekday() == MON


def test_plain_weekly_ignores_the_anchor() -> None:
    series = weekly(FRI, 16, 0, NY)
    window = (utc(2026, 1, 1), utc(2026, 3, 1))
    assert occurrences(series, *window, anchor=dt.date(2026, 1, 7)) == occurrences(series, *window)


def test_occurrence_window_is_half_open_and_empty_when_reversed() -> None:
    series = weekly(THU, 17, 0, "UTC")
    first = utc(2026, 5, 7, 17)
    assert occurrences(series, first, first + WEEK) == [first]
    assert occurrences(series, first - WEEK, first) == [first - WEEK]
    assert occurrences(series, first, first) == []
    assert occurrences(series, first + DAY, first) == []


def test_next_occurrence_is_strictly_after() -> None:
    series = weekly(SUN, 2, 30, NY)
    spring = utc(2026, 3, 8, 7, 30)
    assert next_occurrence(series, utc(2026, 3, 2)) == spring
    assert next_occurrence(series, spring - dt.timedelta(microseconds=1)) == spring
    assert next_occurrence(series, spring) == utc(2026, 3, 15, 6, 30)
    assert next_occurrence(series, local(spring, "Asia/Tokyo")) == utc(2026, 3, 15, 6, 30)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: occurrences(weekly(MON, 9, 0, "UTC"), dt.datetime(2026, 1, 1), utc(2026, 2, 1)),
         "start must be"),
        (lambda: occurrences(weekly(MON, 9, 0, "UTC"), utc(2026, 1, 1), dt.datetime(2026, 2, 1)),
         "end must be"),
        (lambda: next_occurrence(weekly(MON, 9, 0, "UTC"), dt.datetime(2026, 1, 1)), "after must be"),
        (lambda: occurrences(weekly(MON, 9, 0, "UTC", 2), utc(2026, 1, 1), utc(2026, 2, 1),
                             anchor=dt.datetime(2026, 1, 1)), "anchor must be a datetime.date"),
        (lambda: occurrences(weekly(MON, 9, 0, "UTC"), utc(2026, 1, 1), utc(2026, 2, 1),
                             overrides=[dt.date(2026, 1, 5)]), "Override instances"),
    ],
)  # fmt: skip
def test_series_functions_reject_bad_input(call: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()  # type: ignore[operator]


# ============================================================================================
# Overrides
# ============================================================================================

AMA = weekly(THU, 17, 0, BERLIN)
MARCH = (utc(2026, 3, 1), utc(2026, 4, 1))


def ama(day: int, month: int = 3) -> dt.datetime:
    return resolve_wall_time(dt.date(2026, month, day), dt.time(17), BERLIN)


def test_skip_and_move_within_the_window() -> None:
    moved_to = dt.datetime(2026, 3, 20, 18, tzinfo=ZoneInfo(BERLIN))
    overrides = [Override.skip(dt.date(2026, 3, 12)), Override.move(dt.date(2026, 3, 19), moved_to)]
    assert occurrences(AMA, *MARCH) == [ama(5), ama(12), ama(19), ama(26)]
    assert occurrences(AMA, *MARCH, overrides=overrides) == [ama(5), moved_to.astimezone(UTC), ama(26)]


def test_moves_across_the_window_edge() -> None:
    window = (utc(2026, 3, 1), utc(2026, 3, 15))
    overrides = [
        Override.move(dt.date(2026, 3, 26), utc(2026, 3, 10, 12)),  # moved into the window
        Override.move(dt.date(2026, 3, 12), utc(2026, 4, 2, 12)),  # moved out of it
    ]
    assert occurrences(AMA, *window, overrides=overrides) == [ama(5), utc(2026, 3, 10, 12)]
    assert occurrences(AMA, utc(2026, 4, 1), utc(2026, 4, 8), overrides=overrides) == [
        utc(2026, 4, 2, 12),
        ama(2, 4),
    ]


def test_overrides_for_dates_that_are_not_occurrences_are_ignored() -> None:
    not_a_thursday = dt.date(2026, 3, 11)
    assert not is_occurrence_date(AMA, not_a_thursday)
    overrides = [Override.skip(not_a_thursday), Override.move(not_a_thursday, utc(2026, 3, 20))]
    with pytest.raises(ValueError, match="conflicting overrides for 2026-03-11"):
        occurrences(AMA, *MARCH, overrides=overrides)
    assert occurrences(AMA, *MARCH, overrides=overrides[1:]) == occurrences(AMA, *MARCH)


def test_identical_duplicate_overrides_are_fine() -> None:
    skip = Override.skip(dt.date(2026, 3, 12))
    assert occurrences(AMA, *MARCH, overrides=[skip, Override.skip(dt.date(2026, 3, 12))]) == [
        ama(5),
        ama(19),
        ama(26),
    ]


def test_apply_overrides_to_a_list_of_instants() -> None:
    raw = occurrences(AMA, *MARCH)
    overrides = [
        Override.skip(dt.date(2026, 3, 5)),
        Override.move(dt.date(2026, 3, 26), utc(2026, 4, 30, 12)),  # kept even outside the list's window
        Override.move(dt.date(2026, 2, 26), utc(2026, 3, 13)),  # original not in the list: not added
    ]
    stray = utc(2026, 3, 18, 9)  # not an occurrence of the series: passes through
    assert apply_overrides([*reversed(raw), stray], overrides, AMA) == [
        ama(12),
        stray,
        ama(19),
        utc(2026, 4, 30, 12),
    ]
    assert apply_overrides([], overrides, AMA) == []
    assert apply_overrides(raw, [], AMA) == raw


def test_overrides_match_gap_shifted_occurrences_by_their_scheduled_date() -> None:
    series = weekly(SUN, 2, 30, BERLIN)
    raw = occurrences(series, utc(2026, 3, 20), utc(2026, 4, 10))
    assert apply_overrides(raw, [Override.skip(dt.date(2026, 3, 29))], series) == [raw[0], raw[2]]
    # Apia skipped 30 Dec 2011 entirely: Friday's occurrence lands on Saturday but is still "the 30th".
    apia = weekly(FRI, 17, 0, "Pacific/Apia")
    (shifted,) = occurrences(apia, utc(2011, 12, 30), utc(2012, 1, 1))
    assert local(shifted, "Pacific/Apia").date() == dt.date(2011, 12, 31)
    assert apply_overrides([shifted], [Override.skip(dt.date(2011, 12, 31))], apia) == [shifted]
    assert apply_overrides([shifted], [Override.skip(dt.date(2011, 12, 30))], apia) == []


def test_moving_onto_another_occurrence_does_not_duplicate_it() -> None:
    overrides = [Override.move(dt.date(2026, 3, 12), ama(19))]
    assert occurrences(AMA, *MARCH, overrides=overrides) == [ama(5), ama(19), ama(26)]


def test_next_occurrence_honours_overrides() -> None:
    after = utc(2026, 3, 6)
    assert next_occurrence(AMA, after) == ama(12)
    assert next_occurrence(AMA, after, overrides=[Override.skip(dt.date(2026, 3, 12))]) == ama(19)
    pulled_forward = [Override.move(dt.date(2026, 3, 19), utc(2026, 3, 9, 12))]
    assert next_occurrence(AMA, after, overrides=pulled_forward) == utc(2026, 3, 9, 12)
    postponed = [Override.move(dt.date(2026, 3, 5), utc(2026, 3, 7, 12))]  # a past one, moved to the future
    assert next_occurrence(AMA, after, overrides=postponed) == utc(2026, 3, 7, 12)
    pushed_back = [Override.move(dt.date(2026, 3, 12), utc(2026, 3, 27, 12))]
    assert next_occurrence(AMA, after, overrides=pushed_back) == ama(19)


def test_override_validation_and_normalisation() -> None:
    moved = Override.move(dt.date(2026, 3, 12), dt.datetime(2026, 3, 13, 18, tzinfo=ZoneInfo(BERLIN)))
    assert moved.moved_to == utc(2026, 3, 13, 17) and moved.moved_to.tzinfo is UTC
    assert not moved.skipped and Override.skip(dt.date(2026, 3, 12)).skipped
    with pytest.raises(ValueError, match="moved_to must be timezone-aware"):
        Override.move(dt.date(2026, 3, 12), dt.datetime(2026, 3, 13, 18))
    with pytest.raises(ValueError, match="original_date must be a datetime.date"):
        Override.skip(dt.datetime(2026, 3, 12, 17))  # type: ignore[arg-type]


# ============================================================================================
# Recurrence validation
# ============================================================================================

GOOD = {"time": dt.time(17), "timezone": BERLIN}


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"freq": "daily", "weekday": MON}, "freq must be 'weekly' or 'monthly'"),
        ({"freq": "weekly"}, "weekly recurrence needs a weekday"),
        ({"freq": "weekly", "weekday": 7}, r"weekday must be 0 \(Monday\) \.\. 6 \(Sunday\)"),
        ({"freq": "weekly", "weekday": -1}, "weekday must be 0"),
        ({"freq": "weekly", "weekday": True}, "weekday must be an integer"),
        ({"freq": "weekly", "weekday": "Monday"}, "weekday must be an integer"),
        ({"freq": "weekly", "weekday": MON, "interval": 0}, "interval must be 1..52"),
        ({"freq": "weekly", "weekday": MON, "interval": 53}, "interval must be 1..52"),
        ({"freq": "weekly", "weekday": MON, "interval": 1.5}, "interval must be an integer"),
        ({"freq": "weekly", "weekday": MON, "nth": 1}, "nth and day only apply to monthly"),
        ({"freq": "weekly", "weekday": MON, "day": 3}, "nth and day only apply to monthly"),
        ({"freq": "monthly", "day": 1, "interval": 2}, "interval only applies to weekly"),
        ({"freq": "monthly"}, "needs either day"),
        ({"freq": "monthly", "weekday": TUE}, "needs either day"),
        ({"freq": "monthly", "nth": 1}, "needs either day"),
        ({"freq": "monthly", "weekday": TUE, "nth": 5}, "fifth weekday does not occur every month"),
        ({"freq": "monthly", "weekday": TUE, "nth": 0}, "nth must be 1, 2, 3, 4 or -1"),
        ({"freq": "monthly", "weekday": TUE, "nth": -2}, "nth must be 1, 2, 3, 4 or -1"),
        ({"freq": "monthly", "day": 29}, "day of month must be 1..28"),
        ({"freq": "monthly", "day": 0}, "day of month must be 1..28"),
        ({"freq": "monthly", "day": 3, "weekday": TUE, "nth": 1}, "either day, or weekday \\+ nth, not both"),
        ({"freq": "weekly", "weekday": MON, "time": "17:00"}, "time must be a datetime.time"),
        ({"freq": "weekly", "weekday": MON, "time": dt.time(17, tzinfo=UTC)}, "naive wall-clock time"),
        ({"freq": "weekly", "weekday": MON, "time": dt.time(17, 0, 0, 5)}, "whole number of seconds"),
        ({"freq": "weekly", "weekday": MON, "timezone": "Mars/Olympus_Mons"}, "unknown time zone"),
        ({"freq": "weekly", "weekday": MON, "timezone": "localtime"}, "unknown time zone"),
        ({"freq": "weekly", "weekday": MON, "timezone": "CEST"}, "unknown time zone 'CEST'"),
        ({"freq": "weekly", "weekday": MON, "timezone": "europe/berlin"}, "did you mean 'Europe/Berlin'"),
        (
            {"freq": "weekly", "weekday": MON, "timezone": "America/New York"},
            "did you mean 'America/New_York'",
        ),
        ({"freq": "weekly", "weekday": MON, "timezone": ""}, "IANA zone name such as 'Europe/Berlin'"),
        ({"freq": "weekly", "weekday": MON, "timezone": None}, "IANA zone name"),
    ],
)
def test_recurrence_validation(fields: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Recurrence(**{**GOOD, **fields})  # type: ignore[arg-type]


def test_recurrence_is_frozen_hashable_and_normalises_fold() -> None:
    series = Recurrence(freq="weekly", weekday=MON, time=dt.time(1, 30, fold=1), timezone=NY)
    assert series.time.fold == 0
    assert series == weekly(MON, 1, 30, NY)
    assert hash(series) == hash(weekly(MON, 1, 30, NY))
    assert str(series) == "weekly on Monday at 01:30"
    with pytest.raises(AttributeError):
        series.weekday = TUE  # type: ignore[misc]


# ============================================================================================
# parse_recurrence / describe
# ============================================================================================


def w(weekday: int, hour: int, minute: int = 0, second: int = 0, interval: int = 1) -> Recurrence:
    return Recurrence(
        freq="weekly", weekday=weekday, interval=interval, time=dt.time(hour, minute, second), timezone=BERLIN
    )


def m(hour: int, minute: int = 0, *, weekday: int | None = None, nth: int | None = None,
      day: int | None = None, second: int = 0) -> Recurrence:  # fmt: skip
    return Recurrence(
        freq="monthly", weekday=weekday, nth=nth, day=day, time=dt.time(hour, minute, second), timezone=BERLIN
    )


PARSE_CASES = [
    # The examples from the docs.
    ("weekly on Thursday 17:00", w(THU, 17)),
    ("every 2 weeks on mon 09:30", w(MON, 9, 30, interval=2)),
    ("monthly on the first Tuesday 18:00", m(18, weekday=TUE, nth=1)),
    ("monthly on the last Friday 16:00", m(16, weekday=FRI, nth=-1)),
    ("monthly on day 15 at 12:00", m(12, day=15)),
    # Case, spacing and optional words.
    ("WEEKLY ON THURSDAY AT 17:00", w(THU, 17)),
    ("  weekly   thu\t17:00 ", w(THU, 17)),
    ("Weekly, on Thursdays, at 17:00", w(THU, 17)),
    ("weekly on the thursday 17:00", w(THU, 17)),
    ("every week on Sunday 02:30", w(SUN, 2, 30)),
    ("every 1 week on tues 7:05", w(TUE, 7, 5)),
    ("every 3 weeks on Sat at 23:59", w(SAT, 23, 59, interval=3)),
    ("Every Friday at 16:00", w(FRI, 16)),
    ("every other week on weds 9:00", w(WED, 9, interval=2)),
    ("every other Tuesday at 10:00", w(TUE, 10, interval=2)),
    ("fortnightly on thur 10:00", w(THU, 10, interval=2)),
    ("monthly the 2nd wednesday at 19:30", m(19, 30, weekday=WED, nth=2)),
    ("monthly on the 3rd Wed of the month at noon", m(12, weekday=WED, nth=3)),
    ("monthly on the fourth sat of every month 11:00", m(11, weekday=SAT, nth=4)),
    ("every month on the last Sunday at midnight", m(0, weekday=SUN, nth=-1)),
    ("Monthly on the 15th at 12:00", m(12, day=15)),
    ("monthly on day 1st at 09:00", m(9, day=1)),
    ("monthly, on day 28, at 23:59:30", m(23, 59, day=28, second=30)),
    # 12-hour clock.
    ("weekly on Thursday at 5pm", w(THU, 17)),
    ("weekly on Thursday at 5:30 PM", w(THU, 17, 30)),
    ("weekly on Thursday at 9 a.m.", w(THU, 9)),
    ("weekly on Monday 12am", w(MON, 0)),
    ("weekly on Monday 12pm", w(MON, 12)),
]


@pytest.mark.parametrize(("text", "expected"), PARSE_CASES)
def test_parse_recurrence(text: str, expected: Recurrence) -> None:
    assert parse_recurrence(text, BERLIN) == expected


DESCRIBE_CASES = [
    (w(THU, 17), "weekly on Thursday at 17:00"),
    (w(MON, 9, 30, interval=2), "every 2 weeks on Monday at 09:30"),
    (m(18, weekday=TUE, nth=1), "monthly on the first Tuesday at 18:00"),
    (m(18, weekday=TUE, nth=4), "monthly on the fourth Tuesday at 18:00"),
    (m(16, weekday=FRI, nth=-1), "monthly on the last Friday at 16:00"),
    (m(12, day=15), "monthly on day 15 at 12:00"),
    (m(23, 59, day=28, second=30), "monthly on day 28 at 23:59:30"),
]


@pytest.mark.parametrize(("recurrence", "text"), DESCRIBE_CASES)
def test_describe_is_canonical_and_round_trips(recurrence: Recurrence, text: str) -> None:
    assert describe(recurrence) == text
    assert parse_recurrence(text, BERLIN) == recurrence


BAD_TEXT = [
    ("", "it is empty"),
    ("   ", "it is empty"),
    ("weekly", "missing the weekday"),
    ("weekly on thursday", "missing the time of day"),
    ("weekly on thurzday 17:00", "'thurzday' is not a weekday"),
    ("weekly on 17:00", "expected a weekday before '17:00'"),
    ("weekly on thursday 25:00", "'25:00' is not a time of day"),
    ("weekly on thursday 17:60", "'17:60' is not a time of day"),
    ("weekly on thursday 17", "'17' is not a time of day"),
    ("weekly on thursday 13pm", "with am/pm the hour is 1..12"),
    ("weekly on thursday five", "'five' is not a time of day"),
    ("weekly on thu 17:00 UTC", "unexpected 'utc' after the time"),
    ("weekly on thu 5:30 pm CET", "unexpected 'cet' after the time"),
    ("daily at 17:00", "should start with 'weekly', 'every N weeks' or 'monthly'"),
    ("biweekly on mon 10:00", "'biweekly' is ambiguous"),
    ("every 0 weeks on mon 10:00", "number of weeks from 1 to 52"),
    ("every 53 weeks on mon 10:00", "number of weeks from 1 to 52"),
    ("every 2 days on mon 10:00", "expected 'weeks' after 'every 2'"),
    ("every 2 months on day 1 at 10:00", "not every N months"),
    ("every fortnight on mon 10:00", "after 'every'"),
    ("every", "after 'every'"),
    ("monthly", "missing which day of the month"),
    ("monthly on day 31 at 12:00", "day 31 does not exist in every month"),
    ("monthly on day 0 at 12:00", "day 0 does not exist in every month"),
    ("monthly on day x at 12:00", "expected a day number"),
    ("monthly on the 29th at 12:00", "day 29 does not exist"),
    ("monthly on the fifth monday 10:00", "not every month has a fifth weekday"),
    ("monthly on Friday 10:00", "which Friday of the month?"),
    ("monthly on the first 10:00", "expected a weekday before '10:00'"),
    ("monthly on the first tuesday of the year 10:00", "expected 'of the month'"),
    ("monthly on the tuesday 10:00", "which Tuesday of the month?"),
    ("monthly on the 15 at 12:00", "expected 'the first <weekday>'"),
    ("weekly on thursday 17:00 17:00", "unexpected '17:00' after the time"),
]


@pytest.mark.parametrize(("text", "reason"), BAD_TEXT)
def test_bad_recurrence_text_says_what_is_expected(text: str, reason: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_recurrence(text, BERLIN)
    error = caught.value
    assert isinstance(error, RecurrenceFormatError)
    assert reason in error.reason
    message = str(error)
    assert repr(text) in message
    assert reason in message
    assert "expected" in message and FORMAT_EXAMPLE in message and "monthly on day 15 at 12:00" in message


def test_bad_zone_is_reported_as_a_zone_problem() -> None:
    with pytest.raises(ValueError, match="unknown time zone 'Europe/Berln'.*'Europe/Berlin'") as caught:
        parse_recurrence("weekly on Thursday 17:00", "Europe/Berln")
    assert not isinstance(caught.value, RecurrenceFormatError)


def test_parse_recurrence_needs_a_string() -> None:
    with pytest.raises(TypeError):
        parse_recurrence(None, BERLIN)  # type: ignore[arg-type]


# ============================================================================================
# Hypothesis: strategies
# ============================================================================================

# Zones chosen for awkward transitions: 30-minute DST (Lord Howe), 2-hour DST (Troll), "negative"
# DST (Dublin), midnight transitions (Santiago, Havana, Beirut), Ramadan suspensions (Casablanca),
# a skipped calendar day (Apia), odd offsets (St John's, Kathmandu, Chatham) and no DST at all.
ZONES = [
    "UTC", NY, BERLIN, "America/Los_Angeles", "Europe/London", "Europe/Dublin", "Australia/Sydney",
    "Australia/Lord_Howe", "Antarctica/Troll", "America/Santiago", "America/Havana", "Asia/Beirut",
    "Africa/Casablanca", "Pacific/Apia", "America/St_Johns", "Asia/Kathmandu", "Pacific/Chatham",
    "Asia/Tehran", "Asia/Kolkata", "America/Sao_Paulo",
]  # fmt: skip

# DST changes cluster in the small hours; weight wall times there so gaps and overlaps come up often.
wall_times = st.one_of(
    st.builds(dt.time, st.integers(0, 3), st.sampled_from([0, 1, 15, 30, 45, 59])),
    st.builds(dt.time, st.integers(0, 23), st.integers(0, 59), st.sampled_from([0, 0, 0, 0, 30])),
)


@st.composite
def recurrences(draw: st.DrawFn, zones: list[str] = ZONES) -> Recurrence:
    zone, wall = draw(st.sampled_from(zones)), draw(wall_times)
    kind = draw(st.sampled_from(["weekly", "nth", "day"]))
    if kind == "weekly":
        interval = draw(st.one_of(st.just(1), st.integers(1, MAX_INTERVAL_WEEKS)))
        return Recurrence(
            freq="weekly", weekday=draw(st.integers(0, 6)), interval=interval, time=wall, timezone=zone
        )
    if kind == "nth":
        weekday, nth = draw(st.integers(0, 6)), draw(st.sampled_from([1, 2, 3, 4, -1]))
        return Recurrence(freq="monthly", weekday=weekday, nth=nth, time=wall, timezone=zone)
    return Recurrence(freq="monthly", day=draw(st.integers(1, 28)), time=wall, timezone=zone)


window_starts = st.datetimes(dt.datetime(1995, 1, 1), dt.datetime(2035, 12, 31), timezones=st.just(UTC))
window_lengths = st.timedeltas(dt.timedelta(0), dt.timedelta(days=400))
anchors = st.one_of(st.none(), st.dates(dt.date(1990, 1, 1), dt.date(2040, 12, 31)))


def scheduled_dates_oracle(
    recurrence: Recurrence, first: dt.date, last: dt.date, anchor: dt.date | None
) -> list[dt.date]:
    """Brute force over every day, using the stdlib calendar for monthly rules."""
    dates = []
    day = first
    while day <= last:
        if recurrence.freq == "weekly":
            base = anchor or DEFAULT_ANCHOR
            phase = next(base + dt.timedelta(days=k) for k in range(7)
                         if (base + dt.timedelta(days=k)).weekday() == recurrence.weekday)  # fmt: skip
            hit = day.weekday() == recurrence.weekday and (day - phase).days % (7 * recurrence.interval) == 0
        elif recurrence.day is not None:
            hit = day.day == recurrence.day
        else:
            assert recurrence.weekday is not None and recurrence.nth is not None
            weeks = stdlib_calendar.monthcalendar(day.year, day.month)
            days = [week[recurrence.weekday] for week in weeks if week[recurrence.weekday]]
            wanted = days[recurrence.nth - 1] if recurrence.nth > 0 else days[-1]
            hit = day.weekday() == recurrence.weekday and day.day == wanted
        if hit:
            dates.append(day)
        day += DAY
    return dates


def occurrences_oracle(
    recurrence: Recurrence, start: dt.datetime, end: dt.datetime, anchor: dt.date | None
) -> list[dt.datetime]:
    tz = ZoneInfo(recurrence.timezone)
    first = start.astimezone(tz).date() - 3 * DAY
    last = end.astimezone(tz).date() + DAY
    instants = [
        pep495(day, recurrence.time, recurrence.timezone)
        for day in scheduled_dates_oracle(recurrence, first, last, anchor)
    ]
    return [instant for instant in instants if start <= instant < end]


def assert_wall_time_or_gap_shift(
    recurrence: Recurrence, instant: dt.datetime, anchor: dt.date | None = None
) -> dt.date:
    """The occurrence shows the series' wall time, or that time moved forward by exactly the gap.

    Returns the local date the occurrence was scheduled for (which a gap can differ from: Apia
    skipped 30 Dec 2011, so that Friday's 17:00 shows as Saturday 17:00).
    """
    zone = recurrence.timezone
    shown = local(instant, zone).replace(tzinfo=None)
    scheduled = max(
        wall
        for day in scheduled_dates_oracle(recurrence, shown.date() - 2 * DAY, shown.date(), anchor)
        if (wall := dt.datetime.combine(day, recurrence.time)) <= shown
    )
    if scheduled != shown:
        event("occurrence moved forward by a gap")
        shift = shown - scheduled
        assert not exists(scheduled, zone), f"{scheduled} exists in {zone} but {instant} shows {shown}"
        gap = utc_offset(instant, zone) - utc_offset(instant - shift, zone)
        assert shift == gap > dt.timedelta(0)
    return scheduled.date()


@cache
def transitions(zone: str, year: int) -> tuple[tuple[dt.datetime, dt.timedelta, dt.timedelta], ...]:
    """(naive UTC instant, offset before, offset after) for each offset change in the year."""
    tz = ZoneInfo(zone)

    def offset(naive_utc: dt.datetime) -> dt.timedelta:
        value = naive_utc.replace(tzinfo=UTC).astimezone(tz).utcoffset()
        assert value is not None
        return value

    found = []
    probe = dt.datetime(year, 1, 1)
    while probe.year == year:
        nxt = probe + 12 * HOUR
        if offset(probe) != offset(nxt):
            lo, hi = probe, nxt
            while hi - lo > dt.timedelta(seconds=1):
                mid = lo + (hi - lo) // 2
                mid = mid.replace(microsecond=0)
                lo, hi = (mid, hi) if offset(mid) == offset(probe) else (lo, mid)
            found.append((hi, offset(lo), offset(hi)))
        probe = nxt
    return tuple(found)


DST_ZONES = [zone for zone in ZONES if zone not in ("UTC", "Asia/Kolkata", "Asia/Kathmandu")]


@st.composite
def series_near_transitions(draw: st.DrawFn) -> tuple[Recurrence, dt.date | None, dt.datetime]:
    """A series with an occurrence scheduled right around a real offset change, and that instant."""
    zone, year = draw(st.sampled_from(DST_ZONES)), draw(st.integers(1995, 2035))
    found = transitions(zone, year)
    assume(found)
    instant, before, _ = draw(st.sampled_from(found))
    wall = instant + before + draw(st.integers(-90, 150)) * dt.timedelta(minutes=1)
    day, anchor = wall.date(), None
    kind = draw(st.sampled_from(["weekly", "nth", "day"]))
    if kind == "weekly":
        interval = draw(st.sampled_from([1, 1, 2, 3]))
        anchor = day - dt.timedelta(weeks=interval * draw(st.integers(-3, 3)))
        recurrence = Recurrence(
            freq="weekly", weekday=day.weekday(), interval=interval, time=wall.time(), timezone=zone
        )
    elif kind == "day" and day.day <= 28:
        recurrence = Recurrence(freq="monthly", day=day.day, time=wall.time(), timezone=zone)
    else:
        nths = [(day.day - 1) // 7 + 1] if day.day <= 28 else []
        nths += [-1] if (day + WEEK).month != day.month else []
        nth = draw(st.sampled_from(nths))
        recurrence = Recurrence(
            freq="monthly", weekday=day.weekday(), nth=nth, time=wall.time(), timezone=zone
        )
    return recurrence, anchor, instant.replace(tzinfo=UTC)


@st.composite
def series(draw: st.DrawFn) -> tuple[Recurrence, dt.date | None, dt.datetime]:
    """(recurrence, anchor, window start): half arbitrary, half aimed at a DST change soon after start."""
    if draw(st.booleans()):
        recurrence, anchor, transition = draw(series_near_transitions())
        return recurrence, anchor, transition - draw(st.timedeltas(dt.timedelta(0), dt.timedelta(days=120)))
    return draw(recurrences()), draw(anchors), draw(window_starts)


Series = tuple[Recurrence, dt.date | None, dt.datetime]


# ============================================================================================
# Hypothesis: properties
# ============================================================================================


@settings(deadline=None, max_examples=300)
@given(case=series(), length=window_lengths)
@example(case=(weekly(SUN, 2, 30, NY), None, utc(2026, 1, 1)), length=dt.timedelta(days=365))
@example(case=(weekly(SUN, 2, 30, BERLIN), None, utc(2026, 1, 1)), length=dt.timedelta(days=365))
@example(case=(weekly(FRI, 17, 0, "Pacific/Apia"), None, utc(2011, 12, 1)), length=dt.timedelta(days=60))
def test_occurrence_properties(case: Series, length: dt.timedelta) -> None:
    recurrence, anchor, start = case
    end = start + length
    got = occurrences(recurrence, start, end, anchor)
    assert all(earlier < later for earlier, later in zip(got, got[1:], strict=False))  # strictly increasing
    assert all(start <= instant < end for instant in got)
    assert all(instant.tzinfo is UTC for instant in got)
    scheduled = [assert_wall_time_or_gap_shift(recurrence, instant, anchor) for instant in got]
    # No period skipped or doubled: consecutive scheduled dates are exactly one period apart.
    for earlier, later in zip(scheduled, scheduled[1:], strict=False):
        if recurrence.freq == "weekly":
            assert later - earlier == dt.timedelta(weeks=recurrence.interval)
        else:
            assert (later.year * 12 + later.month) - (earlier.year * 12 + earlier.month) == 1
    assert all(is_occurrence_date(recurrence, day, anchor) for day in scheduled)
    assert got == occurrences_oracle(recurrence, start, end, anchor)


@settings(deadline=None)
@given(case=series(), lengths=st.tuples(window_lengths, window_lengths))
def test_occurrence_windows_split_cleanly(case: Series, lengths: tuple[dt.timedelta, dt.timedelta]) -> None:
    recurrence, anchor, start = case
    middle, end = start + lengths[0], start + lengths[0] + lengths[1]
    first, second = (
        occurrences(recurrence, start, middle, anchor),
        occurrences(recurrence, middle, end, anchor),
    )
    assert occurrences(recurrence, start, end, anchor) == first + second


@settings(deadline=None)
@given(case=series())
def test_next_occurrence_is_the_first_occurrence_strictly_after(case: Series) -> None:
    recurrence, anchor, after = case
    following = next_occurrence(recurrence, after, anchor)
    assert following > after
    assert occurrences(recurrence, after + dt.timedelta(microseconds=1), following, anchor) == []
    assert occurrences(recurrence, following, following + dt.timedelta(microseconds=1), anchor) == [following]
    assert next_occurrence(recurrence, following - dt.timedelta(microseconds=1), anchor) == following


@settings(deadline=None)
@given(case=series(), data=st.data())
def test_overrides_skip_and_move_exactly_the_chosen_occurrences(case: Series, data: st.DataObject) -> None:
    recurrence, anchor, start = case
    end = start + dt.timedelta(days=200)
    raw = occurrences(recurrence, start, end, anchor)
    assume(raw)
    tz = ZoneInfo(recurrence.timezone)
    scheduled = {instant: assert_wall_time_or_gap_shift(recurrence, instant, anchor) for instant in raw}
    chosen = data.draw(st.lists(st.sampled_from(raw), unique=True, max_size=4))
    deltas = st.timedeltas(-dt.timedelta(days=30), dt.timedelta(days=30))
    moves = data.draw(st.lists(deltas, min_size=len(chosen), max_size=len(chosen)))
    overrides = [
        Override.move(scheduled[instant], (instant + delta).astimezone(tz))
        if delta
        else Override.skip(scheduled[instant])
        for instant, delta in zip(chosen, moves, strict=True)
    ]
    untouched = [instant for instant in raw if instant not in chosen]
    moved = [instant + delta for instant, delta in zip(chosen, moves, strict=True) if delta]
    assert apply_overrides(raw, overrides, recurrence) == sorted(set(untouched + moved))
    in_window = sorted(set(untouched + [instant for instant in moved if start <= instant < end]))
    assert occurrences(recurrence, start, end, anchor, overrides=overrides) == in_window


@st.composite
def local_occurrences(draw: st.DrawFn) -> tuple[str, dt.datetime]:
    zone = draw(st.sampled_from(ZONES))
    day = draw(st.dates(dt.date(1995, 1, 1), dt.date(2035, 12, 31)))
    return zone, resolve_wall_time(day, draw(wall_times), zone)


@given(
    case=local_occurrences(),
    offsets=st.lists(st.timedeltas(dt.timedelta(0), dt.timedelta(days=14)), max_size=5),
)
@example(case=(NY, utc(2026, 3, 8, 16)), offsets=[24 * HOUR, HOUR])
@example(case=(BERLIN, utc(2026, 10, 25, 0, 30)), offsets=[24 * HOUR, HOUR])
def test_reminders_are_elapsed_time_property(
    case: tuple[str, dt.datetime], offsets: list[dt.timedelta]
) -> None:
    zone, occurrence = case
    reminders = reminder_times(occurrence, offsets)
    assert [occurrence - reminder for reminder in reminders] == offsets
    assert reminder_times(local(occurrence, zone), offsets) == reminders
    assert all(reminder.tzinfo is UTC for reminder in reminders)
    for offset in offsets:
        assert announcement_time(local(occurrence, zone), offset) == occurrence - offset


@settings(deadline=None, max_examples=200)
@given(recurrence=recurrences(), data=st.data())
def test_describe_round_trips_through_parse(recurrence: Recurrence, data: st.DataObject) -> None:
    text = describe(recurrence)
    assert parse_recurrence(text, recurrence.timezone) == recurrence
    assert describe(parse_recurrence(text, recurrence.timezone)) == text
    variant = data.draw(spellings(recurrence))
    assert parse_recurrence(variant, recurrence.timezone) == recurrence, variant


@st.composite
def spellings(draw: st.DrawFn, recurrence: Recurrence) -> str:
    """A random lenient spelling of ``recurrence``: case, abbreviations, optional words, 12-hour times."""

    def maybe(word: str) -> list[str]:
        return [word] if draw(st.booleans()) else []

    assert recurrence.weekday is not None or recurrence.day is not None
    name = WEEKDAY_NAMES[recurrence.weekday] if recurrence.weekday is not None else ""
    weekday = draw(st.sampled_from([name, name + "s", name[:3]])) if name else ""
    words: list[str] = []
    if recurrence.freq == "weekly":
        if recurrence.interval == 1:
            words += draw(st.sampled_from([["weekly"], ["every", "week"], ["every", "1", "week"]]))
        elif recurrence.interval == 2:
            words += draw(
                st.sampled_from([["fortnightly"], ["every", "other", "week"], ["every", "2", "weeks"]])
            )
        else:
            words += ["every", str(recurrence.interval), "weeks"]
        words += maybe("on") + [weekday]
    else:
        words += draw(st.sampled_from([["monthly"], ["every", "month"]])) + maybe("on") + maybe("the")
        if recurrence.day is not None:
            number = str(recurrence.day)
            suffix = {1: "st", 2: "nd", 3: "rd"}.get(
                recurrence.day % 10 if recurrence.day // 10 != 1 else 0, "th"
            )
            words += draw(st.sampled_from([["day", number], ["day", number + suffix], [number + suffix]]))
        else:
            assert recurrence.nth is not None
            ordinal = {1: ["first", "1st"], 2: ["second", "2nd"], 3: ["third", "3rd"], 4: ["fourth", "4th"],
                       -1: ["last"]}[recurrence.nth]  # fmt: skip
            words += [draw(st.sampled_from(ordinal)), weekday]
        words += draw(st.sampled_from([[], ["of", "the", "month"], ["of", "every", "month"]]))
    words += maybe("at")
    wall = recurrence.time
    clock = [wall.strftime("%H:%M:%S" if wall.second else "%H:%M")]
    if not wall.second:
        clock.append(f"{wall.hour}:{wall.minute:02d}")
        twelve = wall.hour % 12 or 12
        meridiem = draw(st.sampled_from(["am", "AM", "a.m."] if wall.hour < 12 else ["pm", "PM", "p.m."]))
        minutes = f":{wall.minute:02d}" if wall.minute else ""
        clock += [f"{twelve}{minutes}{meridiem}", f"{twelve}{minutes} {meridiem}"]
        clock += {dt.time(12): ["noon"], dt.time(0): ["midnight"]}.get(wall, [])
    words.append(draw(st.sampled_from(clock)))
    text = draw(st.sampled_from([" ", "  ", " , "])).join(words)
    flips = draw(st.lists(st.booleans(), min_size=len(text), max_size=len(text)))
    return "".join(char.upper() if flip else char for char, flip in zip(text, flips, strict=True))


@given(text=st.text(max_size=60))
@example(text="every 99999999999999999999 weeks on mon 10:00")
@example(text="monthly on day ٣ at 12:00")
@example(text="weekly on mon ²:00")
def test_parse_never_fails_with_anything_but_a_helpful_value_error(text: str) -> None:
    try:
        parsed = parse_recurrence(text, "UTC")
    except RecurrenceFormatError as error:
        assert FORMAT_EXAMPLE in str(error)
    else:
        assert parse_recurrence(describe(parsed), "UTC") == parsed


# --- resolve_wall_time against the PEP 495 oracle, aimed at real transitions -----------------


@st.composite
def wall_times_near_transitions(draw: st.DrawFn) -> tuple[str, dt.datetime]:
    zone = draw(st.sampled_from([zone for zone in ZONES if zone not in ("UTC", "Asia/Kolkata")]))
    year = draw(st.integers(1975, 2040))
    found = transitions(zone, year)
    assume(found)
    instant, before, _ = draw(st.sampled_from(found))
    return zone, instant + before + draw(st.integers(-150, 150)) * dt.timedelta(minutes=1)


def check_against_oracle(zone: str, naive: dt.datetime) -> None:
    got = resolve_wall_time(naive.date(), naive.time(), zone)
    assert got == pep495(naive.date(), naive.time(), zone)
    shown = local(got, zone).replace(tzinfo=None)
    if exists(naive, zone):
        event(
            "ambiguous wall time"
            if pep495(naive.date(), naive.time(), zone)
            != naive.replace(tzinfo=ZoneInfo(zone), fold=1).astimezone(UTC)
            else "plain wall time"
        )
        assert shown == naive
        # The first reading: no earlier instant, under any offset in force nearby, shows this wall time.
        for offset in {utc_offset(got + k * HOUR, zone) for k in range(-30, 31)}:
            other = (naive - offset).replace(tzinfo=UTC)
            assert other >= got or local(other, zone).replace(tzinfo=None) != naive
    else:
        event("wall time in a gap")
        shift = shown - naive
        assert shift > dt.timedelta(0)
        assert shift == utc_offset(got, zone) - utc_offset(got - shift, zone)


@settings(deadline=None, max_examples=300)
@given(case=wall_times_near_transitions())
def test_resolve_wall_time_near_transitions_matches_pep495(case: tuple[str, dt.datetime]) -> None:
    check_against_oracle(*case)


@settings(deadline=None)
@given(
    zone=st.sampled_from(sorted(set(available_timezones()) - {"localtime", "posixrules"})),
    naive=st.datetimes(dt.datetime(1900, 1, 1), dt.datetime(2100, 12, 31)),
)
def test_resolve_wall_time_in_any_zone_matches_pep495(zone: str, naive: dt.datetime) -> None:
    check_against_oracle(zone, naive.replace(microsecond=0))
