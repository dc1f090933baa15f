"""[communities.programming]: a bad series in the file names its key and what is expected."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings

BASE = """
[[communities]]
id = "acme"
name = "Acme"
platform = "fake"
timezone = "Europe/Berlin"
"""

SERIES = """
[[communities.programming.series]]
key = "{key}"
kind = "ama"
title = "Ask us"
recurrence = "{recurrence}"
{extra}
"""


def _load(tmp_path: Path, body: str) -> str:
    path = tmp_path / "c.toml"
    path.write_text(BASE + body)
    with pytest.raises(ConfigError) as info:
        load_settings(path, {})
    return str(info.value)


def test_series_in_the_file_are_validated(tmp_path: Path) -> None:
    message = _load(tmp_path, SERIES.format(key="ama", recurrence="thursdays-ish", extra=""))
    assert "communities[0].programming.series[0].recurrence" in message
    assert "weekly on Thursday 17:00" in message
    message = _load(
        tmp_path, SERIES.format(key="ama", recurrence="weekly on Thursday 17:00", extra='timezone = "Berlin"')
    )
    assert "series[0].timezone" in message and "IANA" in message
    twice = SERIES.format(key="ama", recurrence="weekly on Thursday 17:00", extra="") * 2
    assert "repeated: ama" in _load(tmp_path, twice)


def test_reminder_offsets_are_checked_and_sorted(tmp_path: Path) -> None:
    message = _load(tmp_path, "[communities.programming]\nreminder_offsets_minutes = [60, 60]\n")
    assert "different" in message
    path = tmp_path / "ok.toml"
    path.write_text(BASE + "[communities.programming]\nreminder_offsets_minutes = [15, 1440]\n")
    programming = load_settings(path, {}).communities[0].programming
    assert programming.reminder_offsets_minutes == (1440, 15)
