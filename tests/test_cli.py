"""The `townsquare` command as a user runs it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

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
    assert f"database at {head_revision()} (was empty)" in migrated.stdout
    listed = _run("outbox", "--config", str(config))
    assert listed.returncode == 0 and "no parked effects" in listed.stdout


def test_outbox_retry_all_requeues_every_parked_effect_and_what_waits_on_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import asyncio

    from bot.cli import main
    from bot.clock import FixedClock
    from bot.config import load_settings
    from bot.core.effects import EditMessage, PostMessage
    from storage.db import create_engine
    from storage.migrate import upgrade
    from storage.uow import SqlUnitOfWorkFactory
    from tests.conftest import START

    config = tmp_path / "config.toml"
    text = (ROOT / "config.example.toml").read_text()
    config.write_text(
        text.replace("sqlite+aiosqlite:///townsquare.db", f"sqlite+aiosqlite:///{tmp_path}/t.db")
    )
    settings = load_settings(str(config))
    community = settings.communities[0].id

    async def park_three() -> list[str]:
        engine = create_engine(settings.database.url)
        await upgrade(engine)
        from bot.bootstrap import build_app

        app = build_app(settings, FixedClock(START), {}, engine=engine)
        await app.ensure_communities()
        factory: SqlUnitOfWorkFactory = app.uow_factory  # type: ignore[assignment]
        async with factory() as uow:
            post = PostMessage(community, "welcome", "hi", message_key="k")
            for effect in (post, EditMessage(community, "k", "hi!"), PostMessage(community, "digest", "x")):
                await uow.outbox.add(effect, platform="discord", now=START)
            for item in await uow.outbox.due(["discord"], START, 10):
                await uow.outbox.mark_failed(item.id, "refused", None, retryable=False)
            await uow.commit()
        async with factory() as uow:
            statuses = [i.status for i in await uow.outbox.parked()]
        await engine.dispose()
        return statuses

    assert asyncio.run(park_three()) == ["parked"] * 3
    assert main(["outbox", "--config", str(config), "--retry", "nope"]) == 2
    capsys.readouterr()
    assert main(["outbox", "--config", str(config), "--retry", "1"]) == 0  # the post, and its edit
    assert "requeued 2 parked effect(s)" in capsys.readouterr().out
    assert main(["outbox", "--config", str(config), "--retry", "all"]) == 0
    assert "requeued 1 parked effect(s)" in capsys.readouterr().out
    assert main(["outbox", "--config", str(config)]) == 0
    assert "no parked effects" in capsys.readouterr().out
