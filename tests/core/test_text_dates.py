"""The one date and the one date-and-time format members read."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.core.text import day, moment

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
