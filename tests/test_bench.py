"""The benchmarks keep running (tiny sizes; their figures are for people, not for assertions)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

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


def test_adoption_benchmark_adopts_everyone_once() -> None:
    out = _run("adoption.py", "--people", "250", "--page", "100")
    assert "adopted 250 of 250 in 3 pages" in out
    assert "second pass: adopted 0" in out
    assert "members in the database: 250" in out


def test_erase_benchmark_leaves_nothing_of_the_member() -> None:
    out = _run("erase.py", "--members", "80", "--outbox", "120")
    assert "outbox rows still naming the member: 0;" in out
    assert "naming Person Number70: 0" not in out  # someone with a longer name keeps theirs


def test_soak_benchmark_delivers_everything_once_through_outages() -> None:
    out = _run(
        "soak.py", "--duration", "6", "--report-every", "2", "--outage-every", "3", "--outage-for", "1"
    )
    assert "all once, in order" in out and "log volume:" in out
