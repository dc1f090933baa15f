"""The benchmarks keep running (tiny sizes; their figures are for people, not for assertions)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PG_URL

ROOT = Path(__file__).resolve().parent.parent


def _run(script: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / script), *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_ingest_benchmark_prints_its_ratio() -> None:
    assert "ratio (raw / ingest)" in _run("ingest.py", "--events", "600", "--members", "30")


def test_burst_benchmark_counts_everything_once() -> None:
    out = _run("burst.py", "--events", "1500", "--members", "40", "--producers", "7")
    assert "all once" in out and "1650" in out  # 10 % replayed, still 1500 rows


@pytest.mark.skipif(not PG_URL, reason="TOWNSQUARE_TEST_POSTGRES_URL is not set")
def test_burst_benchmark_counts_everything_once_on_postgresql() -> None:
    assert PG_URL is not None
    out = _run("burst.py", "--events", "800", "--members", "30", "--producers", "5", "--postgres", PG_URL)
    assert "all once" in out and "880" in out


def test_adoption_benchmark_adopts_everyone_once() -> None:
    out = _run("adoption.py", "--people", "250", "--page", "100")
    assert "adopted 250 of 250 in 3 pages" in out
    assert "second pass: adopted 0" in out
    assert "members in the database: 250" in out


def test_erase_benchmark_leaves_nothing_of_the_member() -> None:
    out = _run("erase.py", "--members", "80", "--outbox", "120")
    assert "outbox rows still naming the member: 0;" in out
    assert "naming Person Number70: 0" not in out  # someone with a longer name keeps theirs


@pytest.mark.parametrize("record", [[], ["--absorbs"]], ids=["recorded-each", "recorded-per-batch"])
def test_soak_benchmark_delivers_everything_once_through_outages(record: list[str]) -> None:
    args = ["--duration", "6", "--report-every", "2", "--outage-every", "3", "--outage-for", "1"]
    out = _run("soak.py", *args, *record)
    assert "all once, in order" in out and "log volume:" in out


@pytest.mark.parametrize("record", [[], ["--record-each"]], ids=["absorbed", "recorded-each"])
def test_relay_benchmark_delivers_every_effect_and_counts_its_statements(record: list[str]) -> None:
    out = _run("relay.py", "--passes", "20", *record)
    assert "60 of 60 delivered" in out and "statements" in out and "transactions" in out


def test_digest_benchmark_builds_its_community_and_computes_the_digest(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'digest.db'}"
    out = _run("digest.py", "--members", "10000", "--contributions", "20000", "--url", url, "--runs", "1")
    assert "generating 10,000 members and 20,000 contributions" in out
    assert "rollup of the 12 earlier weeks" in out
    assert "weekly digest 2026-W46 on SQLite: 10,000 members, 20,000 contributions" in out
    assert "members 9,540," in out  # less those who left by then, and the bots
    assert re.search(r"a write behind the weekly digest job \(.*\): [1-9]\d* writes", out)
    sizes = ("--members", "10000", "--contributions", "20000", "--url", url)
    again = _run("digest.py", *sizes, "--runs", "1", "--no-write-wait")
    assert "reusing the generated database" in again and "members 9,540," in again


def test_commands_benchmark_answers_every_command_and_counts_the_burst_once() -> None:
    out = _run(
        "commands.py",
        "--commands",
        "24",
        "--members",
        "30",
        "--burst",
        "600",
        "--spread",
        "0.2",
        "--warmup",
        "0.05",
    )
    assert "alone: 24 commands, 24 answered" in out
    assert "during the burst: 24 commands, 24 answered" in out
    assert "burst: 600 messages, 600 counted" in out


def test_slack_acknowledgement_benchmark_answers_every_request() -> None:
    out = _run("slack_ack.py", "--requests", "12", "--concurrency", "4", "--no-limit")
    assert "12 requests, 4 at a time, answered" in out


def test_similar_ideas_benchmark_runs() -> None:
    assert "50 open ideas: median" in _run("ideas_similar.py", "--sizes", "50")


def test_every_benchmark_has_a_smoke_run() -> None:
    """A benchmark nobody runs rots: each bench/*.py script is run above (at a size of seconds)."""
    here = Path(__file__).read_text()
    # Modules the scripts run, not scripts: common.py (set-up), and the gateway burst's two halves,
    # which `burst.py --gateway` runs (smoke-run below).
    helpers = {"common.py", "gateway_burst.py", "gateway_server.py"}
    scripts = sorted(p.name for p in (ROOT / "bench").glob("*.py") if p.name not in helpers)
    assert [s for s in scripts if f'"{s}"' not in here] == []


def test_gateway_burst_benchmark_counts_everything_once() -> None:
    out = _run("burst.py", "--gateway", "--events", "400")
    assert "400 rows, 400 in weekly rollups: all once" in out and "lock errors:      0" in out


def test_gateway_burst_with_the_database_down_loses_nothing() -> None:
    out = _run("burst.py", "--gateway", "--db-down", "--events", "400")
    assert "400 rows, 400 in weekly rollups: all once" in out and "refused 0" in out


def test_transactions_benchmark_prints_every_layer() -> None:
    out = _run("transactions.py", "-n", "20", "--repeat", "1")
    for layer in ("one ORM select + COMMIT", "a job run, claimed", "exec_driver_sql", "sqlite3 itself"):
        assert layer in out
