"""docs/privacy.md names every table (what it holds, how long) and every retention window."""

from __future__ import annotations

import re
from pathlib import Path

from bot.core.privacy.settings import PrivacySettings
from storage.schema import metadata

DOC = (Path(__file__).resolve().parents[1] / "docs" / "privacy.md").read_text()


def test_every_table_is_listed_with_what_it_holds_and_how_long() -> None:
    section = DOC.split("## Every table", 1)[1].split("\n## ", 1)[0]
    rows = dict(re.findall(r"^\| `(\w+)` \| (.+) \|$", section, re.MULTILINE))
    tables = {t.name for t in metadata().sorted_tables}
    assert sorted(tables - set(rows)) == [], "tables missing from docs/privacy.md"
    assert sorted(set(rows) - tables) == [], "docs/privacy.md lists tables that do not exist"
    assert all(" | " in row for row in rows.values())  # holds | kept


def test_every_retention_window_is_documented_with_its_default() -> None:
    section = DOC.split("## Retention", 1)[1].split("\n## ", 1)[0]
    for name, field in PrivacySettings.model_fields.items():
        assert f"| `{name}` | {field.default} |" in section, name


def test_logs_are_described() -> None:
    section = DOC.split("## Logs", 1)[1]
    for needle in ("hide_parameters", "slack_bolt", "pseudonym", "libraries"):
        assert needle in section
