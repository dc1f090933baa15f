"""`townsquare demo`, the README's main job, as a user runs it: small communities, so the suite
stays quick (the default 12 weeks × 300 people runs with `make demo`, and here only when
TOWNSQUARE_TEST_DEMO_DEFAULT=1 is set)."""

from __future__ import annotations

import asyncio
import os
import random
import sqlite3
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bot.core.metrics.digest_render import plain_who, sections
from bot.demo.community import start_of
from bot.demo.people import Way, plan_population
from storage.db import create_engine
from tests.conftest import PG_URL
from tests.core.test_digest import _digest, _week

ROOT = Path(__file__).resolve().parent.parent
# Every heading the digest renderer defines, whatever sections it grows: read from the renderer.
HEADINGS = ("Headline", *(s.title for s in sections(_digest(_week(1, 2), _week(1, 2)), plain_who)))


def _townsquare(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
    )


def _demo(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    result = _townsquare("demo", *args, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr and "ERROR" not in result.stderr, result.stderr
    return result


def _section(text: str, heading: str) -> list[str]:
    """The lines under a heading of the text digest."""
    lines = text.splitlines()
    start = lines.index(heading) + 1
    end = next((i for i in range(start, len(lines)) if not lines[i].startswith("  ")), len(lines))
    return [line.strip() for line in lines[start:end]]


def test_the_demo_prints_every_section_writes_its_chart_and_a_config_that_reads_it_again(
    tmp_path: Path,
) -> None:
    result = _demo(tmp_path, "--seed", "1", "--weeks", "6", "--members", "80")
    digest = result.stdout
    assert digest.startswith("Weekly digest — Orbit Community, 2026-W22\n")
    lines = digest.splitlines()
    for heading in HEADINGS:
        assert heading in lines, f"no {heading!r} section"
    headline = _section(digest, "Headline")
    assert any(line.startswith("Members") and "vs last week" in line for line in headline)
    assert _section(digest, "Cohort retention (weeks after launch)") != ["- None."]
    assert _section(digest, "Next week") != ["- None."]  # the AMA the scheduler already announced
    [challenge] = _section(digest, "Challenges")
    assert challenge.startswith("- #1 Write a how-to for the docs (until ") and " joined, " in challenge
    assert _section(digest, "Tiers")[0].startswith("- Advocate 📣: ")
    # a good figure is not a warning: the active contributor ratio above its target reads as good news
    assert "above the healthy range" not in digest and "✓ above target (10–20 %)" in digest
    # Progress on standard error, one line per simulated week; where things are, and what next.
    assert "week 6/6 2026-W22 " in result.stderr
    assert "townsquare-demo.db  (replaced on every run)" in result.stderr
    chart = tmp_path / "townsquare-demo-chart.png"
    assert chart.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    # The configuration written next to the database reads the same digest offline.
    config = tmp_path / "townsquare-demo.toml"
    assert f"townsquare digest --config {config.name} --week 2026-W22" in result.stderr
    again = _townsquare("digest", "--config", str(config), "--week", "2026-W22", cwd=ROOT)
    assert again.returncode == 0, again.stderr
    assert again.stdout == digest
    markdown = _townsquare(
        "digest", "--config", str(config), "--week", "2026-W22", "--format", "markdown", cwd=ROOT
    )
    assert all(f"## {heading}" in markdown.stdout for heading in HEADINGS)


def test_the_same_seed_prints_the_same_digest_and_another_seed_another(tmp_path: Path) -> None:
    small = ("--weeks", "2", "--members", "25")
    first = _demo(tmp_path, "--seed", "7", *small).stdout
    second = _demo(tmp_path, "--seed", "7", *small).stdout  # the database is replaced, not added to
    other = _demo(tmp_path, "--seed", "8", *small).stdout
    assert first == second
    assert other != first
    with sqlite3.connect(tmp_path / "townsquare-demo.db") as conn:
        assert conn.execute("SELECT id, platform FROM community").fetchall() == [("demo", "fake")]


def test_the_demo_never_replaces_a_database_it_did_not_write(tmp_path: Path) -> None:
    real = tmp_path / "townsquare.db"
    with sqlite3.connect(real) as conn:
        conn.execute("CREATE TABLE community (id TEXT, platform TEXT)")
        conn.execute("INSERT INTO community VALUES ('acme', 'discord')")
    before = real.read_bytes()
    refused = _townsquare("demo", "--db", str(real), cwd=tmp_path)
    assert refused.returncode == 2
    assert "is not a database `townsquare demo` wrote" in refused.stderr
    assert real.read_bytes() == before
    by_url = _townsquare("demo", "--database-url", f"sqlite+aiosqlite:///{real}", cwd=tmp_path)
    assert by_url.returncode == 2 and "is not a database `townsquare demo` wrote" in by_url.stderr
    assert real.read_bytes() == before
    text = tmp_path / "notes.db"
    text.write_text("not a database at all")
    assert _townsquare("demo", "--db", str(text), cwd=tmp_path).returncode == 2
    assert text.read_text() == "not a database at all"


def test_help_shows_the_demo_and_its_options() -> None:
    listed = _townsquare("--help", cwd=ROOT)
    assert "demo" in listed.stdout
    described = _townsquare("demo", "--help", cwd=ROOT)
    for option in (
        "--seed",
        "--weeks",
        "--members",
        "--db",
        "--database-url",
        "--config",
        "--chart",
        "--format",
        "replaced on every run",
    ):
        assert option in described.stdout


async def _postgres(sql: str) -> None:
    import asyncpg

    assert PG_URL
    conn = await asyncpg.connect(make_url(PG_URL).set(drivername="postgresql").render_as_string(False))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.mark.skipif(not PG_URL, reason="TOWNSQUARE_TEST_POSTGRES_URL is not set")
def test_the_demo_runs_on_postgresql_replaces_only_its_own_database_and_repeats_its_digest(
    tmp_path: Path,
) -> None:
    assert PG_URL
    name = f"townsquare_demo_{uuid.uuid4().hex[:12]}"
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    small = ("--seed", "5", "--weeks", "2", "--members", "15")
    asyncio.run(_postgres(f'CREATE DATABASE "{name}"'))
    try:
        first = _demo(tmp_path, *small, "--database-url", url)
        lines = first.stdout.splitlines()
        assert lines[0] == "Weekly digest — Orbit Community, 2026-W22"
        assert all(heading in lines for heading in HEADINGS)
        assert f"database  {make_url(url).render_as_string(hide_password=True)}" in first.stderr
        assert "events/s" in first.stderr.splitlines()[-1]
        # Again through the configuration the first run wrote: its own database is replaced, and
        # the same seed prints the same digest.
        again = _demo(tmp_path, *small, "--config", str(tmp_path / "townsquare-demo.toml"), "--db", "b.db")
        assert again.stdout == first.stdout
        # A database holding a real community is never touched.
        asyncio.run(_postgres(f'DROP DATABASE "{name}" WITH (FORCE)'))
        asyncio.run(_postgres(f'CREATE DATABASE "{name}"'))
        engine = create_engine(url)

        async def real_community() -> None:
            async with engine.begin() as conn:
                await conn.execute(text("CREATE TABLE community (id TEXT, platform TEXT)"))
                await conn.execute(text("INSERT INTO community VALUES ('acme', 'discord')"))
            await engine.dispose()

        asyncio.run(real_community())
        refused = _townsquare("demo", *small, "--database-url", url, cwd=tmp_path)
        assert refused.returncode == 2 and "is not a database `townsquare demo` wrote" in refused.stderr
    finally:
        asyncio.run(_postgres(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def test_the_population_is_seeded_and_follows_the_gate() -> None:
    start = start_of(12)
    plan = plan_population(random.Random(1), start, 12, 300)
    again = plan_population(random.Random(1), start, 12, 300)
    assert [(p.uid, p.name, p.arrives_at, p.way) for p in plan.people] == [
        (p.uid, p.name, p.arrives_at, p.way) for p in again.people
    ]
    assert len(plan.people) == 300 and len({p.name for p in plan.people}) == 300
    founders = [p for p in plan.people if p.way is Way.FOUNDER]
    assert [p.role is not None for p in founders[:3]] == [True, True, True]  # the lead, two moderators
    assert all(start <= p.arrives_at < start + timedelta(days=1) for p in founders)
    others = [p for p in plan.people if p.way is not Way.FOUNDER]
    assert all(start < p.arrives_at < start + timedelta(weeks=12) for p in others)
    assert all(p.arrives_at >= plan.applications_open_at for p in others if p.way is Way.APPLICATION)
    assert any(p.way is Way.APPLICATION for p in others) and any(p.way is Way.INVITE for p in others)
    # A long tail: most post nothing on their own, a few post most of it.
    rates = sorted((p.rate for p in plan.people), reverse=True)
    assert sum(1 for r in rates if r == 0) > len(rates) / 2
    assert sum(rates[: len(rates) // 10]) > 0.5 * sum(rates)


@pytest.mark.skipif(
    not os.environ.get("TOWNSQUARE_TEST_DEMO_DEFAULT"),
    reason="the default demo takes a minute or more; TOWNSQUARE_TEST_DEMO_DEFAULT=1 runs it",
)
def test_the_default_demo_fills_every_section(tmp_path: Path) -> None:
    digest = _demo(tmp_path, "--seed", "1").stdout
    for heading in HEADINGS[1:]:
        assert _section(digest, heading) != ["- None."], f"{heading!r} is empty"
