"""The `townsquare` command as a user runs it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from storage.migrate import head_revision

ROOT = Path(__file__).resolve().parent.parent


def _run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
    )


def test_help_lists_the_commands() -> None:
    result = _run("--help")
    assert result.returncode == 0
    for command in ("demo", "run", "migrate", "check-config", "outbox", "digest"):
        assert command in result.stdout


def test_check_config_reports_the_bad_key(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[[communities]]\nid = "a"\nname = "A"\nplatform = "fake"\ncolour = "blue"\n')
    result = _run("check-config", str(bad))
    assert result.returncode == 2
    assert f"{bad}: communities[0].colour: unknown key" in result.stderr
    assert "Traceback" not in result.stderr
    ok = _run("check-config", str(ROOT / "config.example.toml"))
    assert ok.returncode == 0 and "OK" in ok.stdout


def test_migrate_then_outbox_on_a_fresh_database(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    text = (ROOT / "config.example.toml").read_text()
    config.write_text(
        text.replace("sqlite+aiosqlite:///townsquare.db", f"sqlite+aiosqlite:///{tmp_path}/t.db")
    )
    shutil.copy(config, tmp_path / "copy.toml")
    refused = _run("run", "--config", str(config), "--dry-run")
    assert refused.returncode == 2 and f"townsquare migrate --config {config}" in refused.stderr
    migrated = _run("migrate", "--config", str(config))
    assert migrated.returncode == 0, migrated.stderr
    assert f"database at {head_revision()}" in migrated.stdout
    listed = _run("outbox", "--config", str(config))
    assert listed.returncode == 0 and "no parked effects" in listed.stdout
