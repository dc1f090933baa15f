"""The one date and the one date-and-time format members read."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.core.text import day, local_time, moment, plain_times, render_times, user_text

BERLIN, TOKYO = ZoneInfo("Europe/Berlin"), ZoneInfo("Asia/Tokyo")


@pytest.mark.parametrize(
    ("instant", "zone", "expected"),
    [
        (datetime(2026, 12, 7, 15, 0, tzinfo=UTC), BERLIN, "Mon 07 Dec 2026 16:00 Europe/Berlin"),
        (datetime(2026, 7, 7, 15, 0, tzinfo=UTC), BERLIN, "Tue 07 Jul 2026 17:00 Europe/Berlin"),
        (datetime(2026, 12, 31, 23, 30, tzinfo=UTC), TOKYO, "Fri 01 Jan 2027 08:30 Asia/Tokyo"),
        (datetime(2026, 3, 5, 9, 5, tzinfo=UTC), ZoneInfo("UTC"), "Thu 05 Mar 2026 09:05 UTC"),
    ],
)
def test_moment_is_local_with_the_zone_named(instant: datetime, zone: ZoneInfo, expected: str) -> None:
    assert moment(instant, zone) == expected


@pytest.mark.parametrize(
    ("instant", "zone", "expected"),
    [
        (datetime(2026, 12, 7, 15, 0, tzinfo=UTC), BERLIN, "07 Dec 2026"),
        (datetime(2026, 12, 31, 23, 30, tzinfo=UTC), BERLIN, "01 Jan 2027"),
        (datetime(2026, 12, 31, 23, 30, tzinfo=UTC), ZoneInfo("America/New_York"), "31 Dec 2026"),
    ],
)
def test_day_is_the_local_date(instant: datetime, zone: ZoneInfo, expected: str) -> None:
    assert day(instant, zone) == expected


def test_a_local_time_token_carries_the_instant_and_reads_as_moment_where_no_platform_renders_it() -> None:
    instant = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)
    token = local_time(instant, BERLIN)
    assert token != moment(instant, BERLIN)
    assert plain_times(f"Starts {token}.") == "Starts Mon 07 Dec 2026 16:00 Europe/Berlin."
    seen: list[tuple[datetime, str]] = []
    render_times(token, lambda when, zone: seen.append((when, zone.key)) or "")
    assert seen == [(instant, "Europe/Berlin")]


def test_a_member_cannot_type_a_time_token() -> None:
    token = local_time(datetime(2026, 12, 7, 15, 0, tzinfo=UTC), TOKYO)
    assert user_text(f"fake {token}") == plain_times(user_text(f"fake {token}"))
