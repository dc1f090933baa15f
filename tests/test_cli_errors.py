"""Errors an operator can act on: every CLI case of a missing, empty, newer, unreachable or read-only
database, an out-of-range number, a configuration `run` would refuse, and a closed pipe answers with
one line naming the file, key or flag and the fix, and a non-zero exit; never a traceback."""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from storage.db import create_engine
from storage.migrate import upgrade

ROOT = Path(__file__).resolve().parent.parent
REPORTS = (["outbox"], ["ideas", "export"], ["ideas", "report"], ["digest"], ["metrics", "export"])
VERBS = (*REPORTS, ["run", "--dry-run"], ["members", "import"], ["outbox", "--retry", "1"])


def _config(tmp_path: Path, url: str | None = None, extra: str = "") -> Path:
    url = url or f"sqlite+aiosqlite:///{tmp_path}/t.db"
    path = tmp_path / "config.toml"
    path.write_text(
        f'{extra}[database]\nurl = "{url}"\n\n[[communities]]\nid = "town"\nname = "Town"\n'
        'platform = "fake"\ntimezone = "UTC"\n'
    )
    return path


def _migrated(tmp_path: Path) -> Path:
    config = _config(tmp_path)

    async def migrate() -> None:
        engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/t.db")
        try:
            await upgrade(engine)
        finally:
            await engine.dispose()

    asyncio.run(migrate())
    return config


def _one_line(capsys: pytest.CaptureFixture[str], status: int, *expected: str) -> str:
    """The verb failed with exactly one stderr line, containing every expected part."""
    err = capsys.readouterr().err
    assert status != 0, err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    for part in expected:
        assert part in lines[0], (part, lines[0])
    return lines[0]


@pytest.mark.parametrize("verb", VERBS, ids=" ".join)
def test_a_missing_database_file_names_the_key_and_says_migrate(
    tmp_path: Path, verb: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    config = _config(tmp_path)
    status = main([*verb, "--config", str(config)])
    _one_line(
        capsys, status, f"{config}: database.url", f"no database at {tmp_path}/t.db", "townsquare migrate"
    )
    assert not (tmp_path / "t.db").exists()  # looking did not create it


@pytest.mark.parametrize("verb", [["outbox"], ["ideas", "export"], ["digest"]], ids=" ".join)
def test_an_empty_database_says_migrate(
    tmp_path: Path, verb: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    config = _config(tmp_path)
    sqlite3.connect(tmp_path / "t.db").close()  # exists, no tables
    status = main([*verb, "--config", str(config)])
    _one_line(capsys, status, "schema is empty", f"townsquare migrate --config {config}")


@pytest.mark.parametrize(
    "verb", [["migrate"], ["outbox"], ["ideas", "report"], ["digest"], ["run", "--dry-run"]]
)
def test_a_schema_from_a_newer_townsquare_says_upgrade(
    tmp_path: Path, verb: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    config = _migrated(tmp_path)
    with sqlite3.connect(tmp_path / "t.db") as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0099_future'")
    status = main([*verb, "--config", str(config)])
    line = _one_line(
        capsys, status, "revision 0099_future", "newer Townsquare", "Upgrade Townsquare", str(config)
    )
    assert "Can't locate revision" not in line
    with sqlite3.connect(tmp_path / "t.db") as conn:  # nothing was changed
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [("0099_future",)]


@pytest.mark.parametrize(
    "verb", [["migrate"], ["outbox"], ["digest"], ["run", "--dry-run"], ["members", "import"]]
)
def test_an_unreachable_database_names_the_url_without_its_password(
    tmp_path: Path, verb: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    config = _config(tmp_path, "postgresql+asyncpg://townsquare:s3cret@127.0.0.1:1/townsquare")
    status = main([*verb, "--config", str(config)])
    line = _one_line(capsys, status, f"{config}: database.url", "cannot reach", "127.0.0.1:1", "check that")
    assert "s3cret" not in line


def test_a_missing_folder_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = _config(tmp_path, f"sqlite+aiosqlite:///{tmp_path}/nowhere/t.db")
    status = main(["migrate", "--config", str(config)])
    _one_line(capsys, status, f"{config}: database.url", f"folder {tmp_path}/nowhere does not exist")


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (
            ["outbox", "--retry", "99999999999999999999999"],
            "--retry '99999999999999999999999': give parked ids (whole numbers",
        ),
        (["outbox", "--retry", "0"], "--retry '0': give parked ids (whole numbers from 1"),
        (["metrics", "export", "--week", "0001-W10"], "--week: weeks of the years 1970 to 9000"),
        (["digest", "--week", "0001-W10"], "--week: weeks of the years 1970 to 9000"),
        (["metrics", "export", "--weeks", "0"], "--weeks 0: give 1 to 520"),
        (["metrics", "export", "--weeks", "1000"], "--weeks 1000: give 1 to 520"),
    ],
)
def test_out_of_range_numbers_name_the_flag(
    tmp_path: Path, argv: list[str], expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _migrated(tmp_path)
    status = main([*argv, "--config", str(config)])
    _one_line(capsys, status, expected)


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        (
            "[outbox]\nbase_delay_seconds = 3600\nmax_delay_seconds = 0.001\n",
            "outbox: base_delay_seconds (3600)",
        ),
        ('[database]\nurl = "mysql://root:pw@db/x"\n', "database.url: Townsquare runs on sqlite+aiosqlite"),
        ('[database]\nurl = "garbage"\n', "database.url: not a database URL"),
        ('[database]\nurl = "sqlite+aiosqlite://"\n', "database.url: a SQLite file is needed"),
    ],
)
def test_check_config_runs_the_checks_run_runs(
    tmp_path: Path, toml: str, expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "c.toml"
    path.write_text(toml + '[[communities]]\nid = "a"\nname = "A"\nplatform = "fake"\n')
    with pytest.raises(SystemExit) as exited:
        main(["check-config", str(path)])
    err = capsys.readouterr().err
    assert exited.value.code == 2 and "Traceback" not in err
    problems = err.strip().splitlines()[1:]  # after "FILE: invalid configuration"
    assert problems == [problems[0]] and expected in problems[0] and str(path) in problems[0], err
    assert "pw" not in err


DISCORD = '[[communities]]\nid = "d"\nname = "D"\nplatform = "discord"\n[communities.discord]\nguild_id = 1\n'
SLACK = '[[communities]]\nid = "s"\nname = "S"\nplatform = "slack"\n[communities.slack]\nteam_id = "T1"\n'
MODERATED_DISCORD = DISCORD + "[communities.discord.roles]\nmoderators = [5]\n"
MODERATED_SLACK = SLACK + 'moderator_users = ["U1"]\n'


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        (MODERATED_DISCORD, "[discord]: communities with platform = 'discord' need a [discord] section"),
        (MODERATED_SLACK, "[slack]: communities with platform = 'slack' need a [slack] section"),
        ("[discord]\n" + DISCORD, "communities[0].discord.roles: no moderator or lead is configured"),
        ("[slack]\n" + SLACK, "communities[0].slack: no moderator or lead is configured"),
        (
            "[discord]\n" + MODERATED_DISCORD + '[communities.gate]\nmode = "application"\n',
            "communities[0].discord.channels.applications: gate.mode = 'application'",
        ),
    ],
)
def test_check_config_refuses_what_run_could_not_serve(
    tmp_path: Path,
    toml: str,
    expected: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for variable in ("DISCORD_TOKEN", "SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET"):
        monkeypatch.setenv(variable, "set-in-the-environment")
    path = tmp_path / "c.toml"
    path.write_text(toml)
    status = main(["check-config", str(path)])
    _one_line(capsys, status, f"{path}: {expected}")


def test_check_config_passes_a_moderated_community_and_notes_missing_secrets(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    path = tmp_path / "c.toml"
    path.write_text("[discord]\n" + MODERATED_DISCORD)
    assert main(["check-config", str(path)]) == 0
    captured = capsys.readouterr()
    assert "OK — 1 community(ies): d (discord)" in captured.out
    assert (
        captured.err.strip()
        == f"townsquare: {path}: note: DISCORD_TOKEN is not set here; `townsquare run` needs it exported"
    )


def test_one_bad_community_key_gives_one_error_not_a_false_second(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[[communities]]\nid = "a"\nname = "A"\nplatform = "fake"\ncolour = "blue"\n')
    with pytest.raises(SystemExit):
        main(["check-config", str(path)])
    err = capsys.readouterr().err
    assert f"{path}: communities[0].colour: unknown key" in err
    assert "Tuple should have at least 1 item" not in err and len(err.strip().splitlines()) == 2


def test_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    config = _migrated(tmp_path)
    argv = [sys.executable, "-m", "bot.cli", "ideas", "export", "--format", "json"]
    reader, writer = os.pipe()
    os.close(reader)  # nobody reads: the first write fails, as after `| head` has exited
    try:
        done = subprocess.run(
            [*argv, "--config", str(config)],
            cwd=ROOT,
            stdout=writer,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
            env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
        )
    finally:
        os.close(writer)
    assert done.stderr == "" and done.returncode == 1


def _without_override() -> list[str] | None:
    """A prefix that runs a command unable to override file permissions, or None when there is none
    (as root, `setpriv` drops the capabilities that would let it write a read-only file)."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        return None
    prefix = [setpriv, "--bounding-set=-dac_override,-dac_read_search,-fowner", "--"]
    probe = subprocess.run([*prefix, "true"], capture_output=True)
    return prefix if probe.returncode == 0 else None


def test_reports_read_a_read_only_database_and_writes_refuse_it(tmp_path: Path) -> None:
    prefix = _without_override()
    if prefix is None:
        pytest.skip("running as root without setpriv: file permissions cannot be enforced")
    folder = tmp_path / "ro"
    folder.mkdir()
    shutil.copy(_migrated(tmp_path), folder / "config.toml")
    shutil.move(tmp_path / "t.db", folder / "t.db")
    config = folder / "config.toml"
    config.write_text(config.read_text().replace(f"{tmp_path}/t.db", f"{folder}/t.db"))
    (folder / "t.db").chmod(0o444)
    folder.chmod(0o555)  # SQLite cannot create its -shm file here either
    try:

        def run(*args: str) -> subprocess.CompletedProcess[str]:
            env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}
            argv = [*prefix, sys.executable, "-m", "bot.cli", *args, "--config", str(config)]
            return subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=120, env=env)

        for verb in (["digest", "--format", "json"], ["outbox"], ["ideas", "export"]):
            done = run(*verb)
            assert done.returncode == 0 and done.stderr == "", (verb, done.stderr)
        for verb in (["migrate"], ["outbox", "--retry", "1"]):
            done = run(*verb)
            lines = done.stderr.strip().splitlines()
            assert done.returncode == 2 and len(lines) == 1 and "Traceback" not in done.stderr, (
                verb,
                done.stderr,
            )
            assert f"{config}: database.url" in lines[0] and "read-only for this user" in lines[0]
    finally:
        folder.chmod(0o755)


def test_an_output_file_that_cannot_be_written_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _migrated(tmp_path)
    target = tmp_path / "no-such-folder" / "metrics.csv"
    status = main(["metrics", "export", "--weeks", "1", "--output", str(target), "--config", str(config)])
    _one_line(capsys, status, f"{target}: No such file or directory", "check the path")
