"""What start-up loads: the app and the demo leave out libraries only some set-ups use."""

from __future__ import annotations

import gc
import shutil
import subprocess
import sys
from pathlib import Path

import pytest


def test_the_app_and_the_demo_load_neither_httpx_nor_pygments() -> None:
    """httpx is for the business sinks (loaded when [webhook] or [hubspot] is configured); Pygments
    only for Mako's HTML error pages, which are never rendered."""
    probe = (
        "import sys, bot.bootstrap, bot.demo.run, storage.migrate, alembic.command; "
        "print(sorted({'httpx', 'pygments'} & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def _loaded_after(probe: str, prefixes: tuple[str, ...]) -> list[str]:
    """Which of the packages `prefixes` a fresh interpreter holds after running `probe`."""
    loaded = f"{{p for p in {prefixes!r} for n in sys.modules if n == p or n.startswith(p + '.')}}"
    code = f"import sys; {probe}; print('\\nloaded:', *sorted({loaded}))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return out.stdout.rsplit("\nloaded:", 1)[1].split()


def test_help_loads_no_feature_no_database_and_no_settings_library() -> None:
    """`townsquare --help` builds the parsers only: each verb loads what it needs when it runs."""
    heavy = (
        "bot.core",
        "storage",
        "adapters",
        "programming",
        "sqlalchemy",
        "alembic",
        "pydantic",
        "rapidfuzz",
    )
    assert _loaded_after("import bot.cli; bot.cli.build_parser()", heavy) == []


def test_the_command_line_loads_asyncio_only_when_a_verb_runs() -> None:
    """asyncio is about half of what `townsquare --help` would load: the parsers (every verb's
    module, the demo's included) leave it, and the error handling, to the verb that runs."""
    modules = "bot.cli, bot.cli_business, bot.cli_digest, bot.cli_doctor, bot.cli_ideas, bot.cli_members"
    loaded = _loaded_after(
        f"import {modules}; bot.cli.build_parser()", ("asyncio", "socket", "bot.cli_errors")
    )
    assert loaded == []


def test_a_report_loads_neither_the_scheduler_nor_alembic(tmp_path: Path, sqlite_template: Path) -> None:
    """`townsquare digest` reads a database at head: its schema check needs no Alembic, and it opens
    storage without wiring the bus, the relay, the ingest or the scheduler."""
    shutil.copy(sqlite_template, tmp_path / "t.db")
    config = tmp_path / "t.toml"
    config.write_text(
        f'[database]\nurl = "sqlite+aiosqlite:///{tmp_path / "t.db"}"\n\n'
        '[[communities]]\nid = "t"\nname = "T"\nplatform = "fake"\ntimezone = "UTC"\n',
        encoding="utf-8",
    )
    digest = f"from bot.cli import main; main(['digest', '--config', {str(config)!r}, '--week', '2026-W40'])"
    unused = ("alembic", "apscheduler", "programming", "bot.relay", "bot.ingest", "bot.charts", "httpx")
    assert _loaded_after(digest, unused) == []
    # Nor does it build the effects' (de)serialiser, which only storing or delivering an effect needs.
    built = "import bot.core.effects as e; print('\\nbuilt:', e._adapter.cache_info().currsize)"
    out = subprocess.run(
        [sys.executable, "-c", f"{digest}; {built}"], capture_output=True, text=True, check=True
    ).stdout
    assert out.rsplit("\nbuilt:", 1)[1].split() == ["0"]


def test_a_command_runs_with_the_bots_collector_thresholds_then_restores_the_callers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Start-up imports hundreds of long-lived modules; with the bot's thresholds the young
    collection stops walking them every 700 allocations. The caller (a test) gets its own back."""
    import bot.cli_errors
    from bot.cli import main
    from bot.runtime import GC_THRESHOLDS

    seen: list[tuple[int, ...]] = []
    monkeypatch.setattr(bot.cli_errors, "run_verb", lambda args: seen.append(gc.get_threshold()) or 0)
    before = gc.get_threshold()
    assert before != GC_THRESHOLDS
    assert main(["check-config", "x.toml"]) == 0
    assert seen == [GC_THRESHOLDS]
    assert gc.get_threshold() == before
    monkeypatch.setattr(bot.cli_errors, "run_verb", lambda args: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        main(["check-config", "x.toml"])
    assert gc.get_threshold() == before
