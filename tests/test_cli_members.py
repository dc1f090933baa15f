"""`townsquare members import`: the CLI sends each community's existing members to its platform's
importer (injected here; the Discord and Slack ones page through the real APIs) and prints one line
per community; a platform that cannot list members, or an unknown --community, is a clear error."""

from __future__ import annotations

import logging
import sys
import types
from collections.abc import AsyncIterator, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from adapters.adoption import AdoptionReport, adopt_pages
from bot import cli_members
from bot.cli import main
from bot.core.gates.commands import ExistingMember
from bot.core.refs import MemberRef
from bot.logs import _ConsoleHandler

CONFIG = """
[database]
url = "{db_url}"

[[communities]]
id = "garden"
name = "Garden"
platform = "discord"
[communities.discord]
guild_id = 1

[[communities]]
id = "sandbox"
name = "Sandbox"
platform = "fake"
"""


@pytest.fixture(autouse=True)
def _own_log_handler() -> Iterator[None]:
    """The CLI's stderr log handler binds the stream of the test that installed it (capsys's, here or
    in an earlier test): each test starts and ends without one."""

    def drop() -> None:
        root = logging.getLogger()
        for handler in [h for h in root.handlers if isinstance(h, _ConsoleHandler)]:
            root.removeHandler(handler)

    drop()
    yield
    drop()


@pytest.fixture
def config(tmp_path: Path, db_url: str) -> str:
    if not db_url.startswith("sqlite"):
        pytest.skip("the CLI is exercised on SQLite")
    path = tmp_path / "config.toml"
    path.write_text(CONFIG.format(db_url=db_url))
    return str(path)


@pytest.fixture
def importer(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, bool]]:
    """A Discord importer listing three people in two pages, recording each call."""
    calls: list[tuple[str, bool]] = []

    async def pages() -> AsyncIterator[Sequence[ExistingMember]]:
        joined = datetime(2025, 1, 1, tzinfo=UTC)
        yield [
            ExistingMember(MemberRef("discord", "1"), "ada", joined),
            ExistingMember(MemberRef("discord", "2")),
        ]
        yield [ExistingMember(MemberRef("discord", "3"), "bot", joined, is_bot=True)]

    async def import_members(settings: Any, community: Any, bus: Any, dry_run: bool) -> AdoptionReport:
        calls.append((community.id, dry_run))
        return await adopt_pages(bus, community.id, pages(), dry_run=dry_run)

    module = types.ModuleType("tests_fake_discord_adoption")
    module.import_members = import_members  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, module.__name__, module)
    monkeypatch.setitem(cli_members.IMPORTERS, "discord", module.__name__)
    return calls


def test_dry_run_prints_what_would_change_then_import_adopts_once(
    config: str, importer: list[tuple[str, bool]], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["members", "import", "--config", config, "--community", "garden", "--dry-run"]) == 0
    assert capsys.readouterr().out == "garden: would adopt 2 of 3 existing people (2 pages)\n"
    assert main(["members", "import", "--config", config, "--community", "garden"]) == 0
    assert capsys.readouterr().out == "garden: adopted 2 of 3 existing people (2 pages)\n"
    assert main(["members", "import", "--config", config, "--community", "garden"]) == 0
    assert capsys.readouterr().out == "garden: adopted 0 of 3 existing people (2 pages)\n"
    assert importer == [("garden", True), ("garden", False), ("garden", False)]


def test_a_platform_that_cannot_list_members_is_named_and_the_others_still_run(
    config: str, importer: list[tuple[str, bool]], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["members", "import", "--config", config, "--dry-run"]) == 2
    out, err = capsys.readouterr()
    assert out == "garden: would adopt 2 of 3 existing people (2 pages)\n"
    assert "sandbox: the 'fake' platform cannot list its members; admit people one by one with /admit" in err
    assert "Traceback" not in err, err


def test_an_unknown_community_names_the_configured_ones(
    config: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["members", "import", "--config", config, "--community", "orchard"]) == 2
    assert "--community 'orchard' is not configured (configured: garden, sandbox)" in capsys.readouterr().err


def test_an_old_schema_is_refused_with_the_command_that_fixes_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "config.toml"
    path.write_text(CONFIG.format(db_url=f"sqlite+aiosqlite:///{tmp_path}/empty.db"))
    assert main(["members", "import", "--config", str(path)]) == 2
    assert f"townsquare migrate --config {path}" in capsys.readouterr().err
