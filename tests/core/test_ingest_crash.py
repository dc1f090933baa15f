"""`kill -9` in the middle of a burst: every fact the killed process had acknowledged is counted
exactly once after a restart (the journal is replayed; the database dedupes what was written twice)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.contributions.tables import ContributionRow, MemberWeekRow
from tests.core.support import count

ROOT = Path(__file__).resolve().parents[2]
BURST = 30_000


def _child(db_url: str, journal: Path, facts: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.core.ingest_child", db_url, str(journal), str(facts)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def _kill_after(child: subprocess.Popen[str], acked: int) -> int:
    """SIGKILL the child once it has acknowledged at least `acked` facts; the highest it did."""
    assert child.stdout is not None
    last = -1
    for line in child.stdout:
        if line.startswith("acked "):
            last = int(line.split()[1])
            if last >= acked:
                child.send_signal(signal.SIGKILL)
                break
    child.wait(timeout=60)
    assert child.returncode == -signal.SIGKILL, "the burst ended before the kill"
    return last


async def test_a_killed_burst_is_counted_once_after_a_restart(
    db_url: str, engine: AsyncEngine, tmp_path: Path
) -> None:
    journal = tmp_path / "journal"
    last = _kill_after(_child(db_url, journal, BURST), acked=12_000)
    written_before = await count(engine, ContributionRow)
    assert written_before <= BURST
    assert list(journal.glob("*.jsonl")), "the killed process left its journal"

    again = _child(db_url, journal, 0)  # a restart with nothing new: replays the journal
    out, err = again.communicate(timeout=240)
    assert again.returncode == 0, err
    acknowledged = [str(i) for i in range(last + 1)]
    async with engine.connect() as conn:
        rows = await conn.scalar(select(func.count()).select_from(ContributionRow))
        counted = await conn.scalar(
            select(func.count())
            .select_from(ContributionRow)
            .where(ContributionRow.source_id.in_([f"msg:c{int(i) % 5}:{i}" for i in acknowledged]))
        )
        rolled = await conn.scalar(select(func.sum(MemberWeekRow.count)))
    assert counted == last + 1  # every acknowledged fact is there
    assert rows == rolled  # and each counted once in the rollups (a replay added nothing)
    assert rows is not None and last + 1 <= rows <= BURST
    assert list(journal.iterdir()) == []
