"""Cohort planning as pure functions: balanced splits, launch triggers, maximum wait, the window."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.cohorts.rules import Trigger, Waiting, cohort_sizes, next_window, plan_launch, split_balanced

T0 = datetime(2026, 11, 2, 16, 0, tzinfo=UTC)


@st.composite
def bounds_and_count(draw: st.DrawFn) -> tuple[int, int, int]:
    min_size = draw(st.integers(1, 30))
    max_size = draw(st.integers(2 * min_size - 1, 80))
    count = draw(st.integers(min_size, 2000))
    return min_size, max_size, count


@given(bounds_and_count())
def test_split_places_everyone_once_within_bounds(case: tuple[int, int, int]) -> None:
    min_size, max_size, count = case
    groups = split_balanced(list(range(count)), min_size, max_size)
    placed = [m for g in groups for m in g]
    assert sorted(placed) == list(range(count))  # everyone, once
    assert all(min_size <= len(g) <= max_size for g in groups)
    assert max(map(len, groups)) - min(map(len, groups)) <= 1


@given(st.integers(0, 9))
def test_fewer_than_the_minimum_form_no_cohort(count: int) -> None:
    assert cohort_sizes(count, 10, 20) == []


@pytest.mark.parametrize(
    ("count", "sizes"),
    [(10, [10]), (20, [20]), (21, [11, 10]), (25, [13, 12]), (40, [20, 20]), (45, [15, 15, 15])],
)
def test_default_sizes(count: int, sizes: list[int]) -> None:
    assert cohort_sizes(count, 10, 20) == sizes


def test_infeasible_bounds_are_refused() -> None:
    with pytest.raises(ValueError):
        cohort_sizes(16, 10, 15)  # 16 cannot be one cohort (> 15) nor two of at least 10


def _pool(count: int, oldest: datetime = T0) -> list[Waiting]:
    return [Waiting(i, oldest + timedelta(minutes=i)) for i in range(1, count + 1)]


def _plan(waiting: list[Waiting], now: datetime, trigger: Trigger) -> list[list[int]]:
    return plan_launch(waiting, now, trigger, min_size=10, max_size=20, max_wait=timedelta(days=14))


def test_admission_launches_only_full_cohorts_of_the_longest_waiting() -> None:
    assert _plan(_pool(19), T0, Trigger.ADMISSION) == []
    (group,) = _plan(_pool(20), T0, Trigger.ADMISSION)
    assert group == list(range(1, 21))
    groups = _plan(list(reversed(_pool(23))), T0, Trigger.ADMISSION)
    assert groups == [list(range(1, 21))]  # the three newest keep waiting


def test_window_launches_at_least_the_minimum_and_splits_the_rest() -> None:
    assert _plan(_pool(9), T0 + timedelta(days=3), Trigger.WINDOW) == []
    assert [len(g) for g in _plan(_pool(10), T0, Trigger.WINDOW)] == [10]
    assert [len(g) for g in _plan(_pool(33), T0, Trigger.WINDOW)] == [17, 16]


def test_maximum_wait_launches_a_small_cohort_at_the_window() -> None:
    waiting = _pool(4, oldest=T0 - timedelta(minutes=1))  # the first has waited since T0
    assert _plan(waiting, T0 + timedelta(days=14), Trigger.WINDOW) == []  # exactly the maximum: not longer
    assert _plan(waiting, T0 + timedelta(days=14, seconds=1), Trigger.WINDOW) == [[1, 2, 3, 4]]
    assert _plan(waiting, T0 + timedelta(days=20), Trigger.ADMISSION) == []  # only the window does that


ZONES = st.sampled_from(["UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata"])


@given(
    after=st.datetimes(
        min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1), timezones=st.just(UTC)
    ),
    weekday=st.integers(0, 6),
    at=st.times(),
    zone=ZONES,
)
def test_next_window_is_the_next_local_weekday_and_time(
    after: datetime, weekday: int, at: time, zone: str
) -> None:
    tz = ZoneInfo(zone)
    window = next_window(after, weekday, at, tz)
    assert window > after
    assert window - after <= timedelta(days=7, hours=1)
    local = window.astimezone(tz)
    assert local.weekday() == weekday
    # The wall-clock time is kept, except inside a spring-forward gap, where it moves forward.
    shift = datetime.combine(local.date(), local.time()) - datetime.combine(local.date(), at.replace(fold=0))
    assert timedelta(0) <= shift <= timedelta(hours=1)


def test_next_window_keeps_local_time_across_daylight_saving() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    before = next_window(datetime(2026, 3, 20, tzinfo=UTC), 0, time(16), berlin)
    after = next_window(before, 0, time(16), berlin)
    assert before == datetime(2026, 3, 23, 15, 0, tzinfo=UTC)  # CET
    assert after == datetime(2026, 3, 30, 14, 0, tzinfo=UTC)  # CEST: still 16:00 in Berlin
    assert next_window(before - timedelta(seconds=1), 0, time(16), berlin) == before


def test_a_window_in_the_spring_forward_gap_moves_forward_whatever_its_fold() -> None:
    """02:00 does not exist in New York on 8 March 2020; the window is 03:00 EDT (07:00 UTC) either way."""
    after = datetime(2020, 3, 2, tzinfo=UTC)
    for fold in (0, 1):
        window = next_window(after, 6, time(2, 0, fold=fold), ZoneInfo("America/New_York"))
        assert window == datetime(2020, 3, 8, 7, 0, tzinfo=UTC), fold
