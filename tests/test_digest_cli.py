"""`townsquare digest` and `townsquare metrics export` as an operator runs them, on a seeded database.

The JSON digest is validated against docs/digest.schema.json by a small validator for the subset
of JSON Schema the file uses (no extra dependency), and every key is documented in docs/metrics.md.
"""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from storage.db import create_engine
from storage.migrate import upgrade
from tests.storage.digest_fixture import seed_digest_community

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = json.loads((ROOT / "docs" / "digest.schema.json").read_text())
DOC = (ROOT / "docs" / "metrics.md").read_text()
NOW = "2026-11-16T09:00:00+00:00"
SECTIONS = (
    "Headline",
    "Newcomers without a first contribution",
    "Applications past the 48 h SLA",
    "Peer helpers to thank",
    "Referrers whose newcomers activated",
    "Next week",
    "Badges awarded",
    "Programme this week",
    "Applications this week",
    "Feedback loop this week",
    "Cohort retention (weeks after launch)",
    "First contribution by referrer (last 4 weeks)",
)

_TYPES: dict[str, Any] = {
    "object": dict,
    "array": list,
    "string": str,
    "boolean": bool,
    "null": type(None),
    "integer": int,
    "number": (int, float),
}


def _is(value: Any, kind: str) -> bool:
    if isinstance(value, bool) and kind in ("integer", "number"):
        return False
    return isinstance(value, _TYPES[kind])


def validate(value: Any, schema: dict[str, Any], path: str = "$", root: dict[str, Any] = SCHEMA) -> list[str]:
    """Errors of `value` against the JSON Schema subset docs/digest.schema.json uses."""
    if "$ref" in schema:
        target: Any = root
        for part in schema["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        return validate(value, target, path, root)
    errors: list[str] = []
    if "type" in schema:
        kinds = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(_is(value, k) for k in kinds):
            return [f"{path}: {value!r} is not {kinds}"]
    if "const" in schema and value != schema["const"]:
        errors.append(f"{path}: {value!r} != {schema['const']!r}")
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{path}: {value!r} not in {schema['enum']}")
    if "oneOf" in schema:
        matches = [s for s in schema["oneOf"] if not validate(value, s, path, root)]
        if len(matches) != 1:
            errors.append(f"{path}: matches {len(matches)} of oneOf")
    if "pattern" in schema and isinstance(value, str) and not re.search(schema["pattern"], value):
        errors.append(f"{path}: {value!r} does not match {schema['pattern']}")
    if isinstance(value, int | float) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            errors.append(f"{path}: {value} < {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            errors.append(f"{path}: {value} > {schema['maximum']}")
    if isinstance(value, dict):
        props = schema.get("properties", {})
        errors += [f"{path}: missing {key!r}" for key in schema.get("required", []) if key not in value]
        if schema.get("additionalProperties") is False:
            errors += [f"{path}: unexpected {key!r}" for key in value if key not in props]
        for key, sub in props.items():
            if key in value:
                errors += validate(value[key], sub, f"{path}.{key}", root)
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0) or len(value) > schema.get("maxItems", len(value)):
            errors.append(f"{path}: {len(value)} items")
        for i, item in enumerate(value):
            errors += validate(item, schema.get("items", {}), f"{path}[{i}]", root)
    return errors


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
    )


@pytest.fixture
async def config(tmp_path: Path) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path}/t.db"
    engine = create_engine(url)
    try:
        await upgrade(engine)
        await seed_digest_community(engine, "example")
    finally:
        await engine.dispose()
    path = tmp_path / "config.toml"
    path.write_text(
        (ROOT / "config.example.toml").read_text().replace("sqlite+aiosqlite:///townsquare.db", url)
    )
    return str(path)


def test_digest_json_validates_against_the_documented_schema(config: str, tmp_path: Path) -> None:
    chart = tmp_path / "chart.png"
    result = _run(
        "digest",
        "--config",
        config,
        "--week",
        "2026-W46",
        "--format",
        "json",
        "--chart",
        str(chart),
        "--now",
        NOW,
    )
    assert result.returncode == 0, result.stderr
    digest = json.loads(result.stdout)
    assert validate(digest, SCHEMA) == []
    assert digest["week"] == "2026-W46" and digest["period"]["complete"] is True
    assert digest["headline"]["active_contributor_ratio"]["value"] == pytest.approx(0.6)
    assert digest["headline"]["active_contributor_ratio"]["status"] == "above"  # above target: not a flag
    assert digest["metrics"]["applications"]["median_hours_to_decision"] == pytest.approx(42.0)
    assert digest["actions"]["stalled_newcomers"]["items"][0]["member"]["name"] == "Ivy"
    feedback = digest["feedback"]
    assert (feedback["ideas_filed"], feedback["votes"], feedback["status_changes"]) == (2, 3, 1)
    assert [idea["title"] for idea in feedback["shipped"]] == ["Dark mode"]
    assert feedback["implementation_rate"] == pytest.approx(1 / 3) and feedback["window_days"] == 183
    assert chart.read_bytes().startswith(b"\x89PNG")


def test_the_validator_catches_a_broken_digest(config: str) -> None:
    digest = json.loads(
        _run("digest", "--config", config, "--week", "2026-W46", "--format", "json", "--now", NOW).stdout
    )
    del digest["metrics"]["growth"]["net"]
    digest["headline"]["members"]["status"] = "great"
    digest["trend"] = digest["trend"][:3]
    del digest["feedback"]["votes"]
    errors = validate(digest, SCHEMA)
    assert any("missing 'net'" in e for e in errors)
    assert any("'great'" in e for e in errors)
    assert any("$.trend: 3 items" in e for e in errors)
    assert any("$.feedback: missing 'votes'" in e for e in errors)


def _keys(schema: dict[str, Any]) -> set[str]:
    """Every property name in a schema, following $ref, items and oneOf."""
    if "$ref" in schema:
        return _keys(SCHEMA["$defs"][schema["$ref"].rsplit("/", 1)[1]])
    keys: set[str] = set()
    for key, sub in schema.get("properties", {}).items():
        keys |= {key} | _keys(sub)
    for sub in [*([schema["items"]] if "items" in schema else []), *schema.get("oneOf", [])]:
        keys |= _keys(sub)
    return keys


def test_every_json_key_is_documented() -> None:
    undocumented = sorted(k for k in _keys(SCHEMA) if f"`{k}`" not in DOC)
    assert undocumented == []


def test_digest_text_and_markdown_show_every_section(config: str) -> None:
    text = _run("digest", "--config", config, "--week", "2026-W46", "--now", NOW)
    assert text.returncode == 0, text.stderr
    assert text.stdout.startswith("Weekly digest — Example Community, 2026-W46\n")
    markdown = _run("digest", "--config", config, "--week", "2026-W46", "--format", "markdown", "--now", NOW)
    for section in SECTIONS:
        assert f"\n{section}\n" in text.stdout, section
        assert f"\n## {section}\n" in markdown.stdout, section
    assert "  - Shipped this week: #1 Dark mode\n" in text.stdout
    assert "- Implementation rate (six months): 33% (1 of 3)\n" in markdown.stdout
    # Without --week: the last complete week (W46 on Monday 16 Nov).
    default = _run("digest", "--config", config, "--now", NOW)
    assert default.stdout == text.stdout


def test_metrics_export_csv_and_json(config: str, tmp_path: Path) -> None:
    result = _run("metrics", "export", "--config", config, "--week", "2026-W46", "--now", NOW)
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["week"] for r in rows] == [f"2026-W{n}" for n in range(35, 47)]
    last = rows[-1]
    assert last["community"] == "example" and last["activity.active_members"] == "6"
    assert float(last["activity.active_contributor_ratio"]) == pytest.approx(0.6)
    assert last["applications.pending_past_sla"] == "1" and last["growth.net"] == "1"
    assert rows[0]["activity.active_contributor_ratio"] == ""  # no members yet: no data, not 0
    out = tmp_path / "m.json"
    result = _run(
        "metrics",
        "export",
        "--config",
        config,
        "--format",
        "json",
        "--weeks",
        "3",
        "--output",
        str(out),
        "--now",
        NOW,
    )
    assert result.returncode == 0, result.stderr
    exported = json.loads(out.read_text())
    assert [w["week"] for w in exported["weeks"]] == ["2026-W44", "2026-W45", "2026-W46"]
    metrics_schema = SCHEMA["properties"]["metrics"]
    for week in exported["weeks"]:
        assert validate(week["metrics"], metrics_schema) == []


def test_mistakes_are_reported_without_a_traceback(config: str, tmp_path: Path) -> None:
    bad_week = _run("digest", "--config", config, "--week", "W46", "--now", NOW)
    assert bad_week.returncode == 2 and "like 2026-W47" in bad_week.stderr
    future = _run("digest", "--config", config, "--week", "2026-W50", "--now", NOW)
    assert future.returncode == 2 and "has not started yet" in future.stderr
    unknown = _run("metrics", "export", "--config", config, "--community", "nope")
    assert unknown.returncode == 2 and "configured: example" in unknown.stderr
    empty = tmp_path / "empty.toml"
    empty.write_text(Path(config).read_text().replace("/t.db", "/empty.db"))
    stale = _run("digest", "--config", str(empty))
    assert stale.returncode == 2 and "townsquare migrate" in stale.stderr
    for result in (bad_week, future, unknown, stale):
        assert "Traceback" not in result.stderr
