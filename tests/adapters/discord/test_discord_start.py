"""Starting on Discord: intents, command sync only on change, start-up work once, fatal close codes,
endpoint overrides for proxies, and `townsquare run` refusing a missing token."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import discord
import pytest
import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

from adapters.discord.client import INTENTS
from adapters.discord.commands import DEFAULT_PERMISSIONS
from adapters.discord.runner import DiscordRunner, DiscordStartError, configure_endpoints
from adapters.discord.settings import DiscordSettings
from bot.clock import FixedClock
from bot.config import ConfigError, Settings, load_settings
from bot.core.commands import Permission
from bot.core.registry import SlashCommand
from bot.core.replies import Reply
from tests.adapters.discord.conftest import Harness
from tests.adapters.discord.fake_discord import FakeDiscord
from tests.adapters.kit_feature import Answer

ROOT = Path(__file__).resolve().parents[3]


def _command_puts(fake: FakeDiscord, guild_id: int) -> list[list[dict[str, object]]]:
    path = f"/applications/{fake.application_id}/guilds/{guild_id}/commands"
    return [r.payload for r in fake.requests_to("PUT", path)]


async def test_identify_asks_for_exactly_the_intents_used(harness: Harness) -> None:
    async with harness.running(harness.client()):
        identify = harness.fake.identify
    assert identify is not None
    expected = discord.Intents(
        guilds=True, members=True, guild_messages=True, guild_reactions=True, invites=True
    )
    assert identify["intents"] == INTENTS.value == expected.value
    assert not identify["intents"] & discord.Intents(message_content=True, presences=True).value


async def test_commands_are_synced_from_the_registry_once(harness: Harness) -> None:
    fake, guild_id = harness.fake, int(harness.square.guild["id"])
    async with harness.running(harness.client()):
        pass
    [payload] = _command_puts(fake, guild_id)
    by_name = {c["name"]: c for c in payload}
    assert set(by_name) == {"announce", "ping", "refer", "slow", "survey", "topic", "Mark helpful"}
    assert by_name["Mark helpful"]["type"] == 3
    # moderator and lead commands are hidden by default; the rest are visible to everyone
    assert by_name["announce"]["default_member_permissions"] == str(
        DEFAULT_PERMISSIONS[Permission.MODERATOR].value
    )
    assert by_name["ping"]["default_member_permissions"] is None
    # typed options, required first, limits; subcommands grouped under their first word
    slow_options = by_name["slow"]["options"]
    assert [(o["name"], o["type"], o.get("min_value"), o.get("max_value")) for o in slow_options] == [
        ("seconds", 4, 0, 5),
        ("public", 5, None, None),
    ]
    topic = by_name["topic"]
    assert [(o["name"], o["type"]) for o in topic["options"]] == [("close", 1), ("pick", 1)]
    pick = topic["options"][1]["options"]
    assert [(o["name"], o["type"]) for o in pick] == [("who", 6), ("topic", 3)]
    assert pick[1]["autocomplete"] is True and "choices" not in pick[1]  # 40 choices: autocomplete
    assert topic["default_member_permissions"] is None  # /topic pick is for everyone

    # A restart with the same registry reads the commands and writes nothing.
    async with harness.running(harness.client()):
        pass
    assert len(_command_puts(fake, guild_id)) == 1
    gets = fake.requests_to("GET", f"/applications/{fake.application_id}/guilds/{guild_id}/commands")
    assert len(gets) == 2

    # A changed registry is written again.
    harness.registry.slash(SlashCommand("hello", "Says hello", lambda inv: Reply(text="hi"), command=Answer))
    async with harness.running(harness.client()):
        pass
    assert len(_command_puts(fake, guild_id)) == 2
    assert "hello" in {c["name"] for c in fake.guild_commands[guild_id]}


async def test_reconnects_do_not_repeat_start_up_work(harness: Harness) -> None:
    fake = harness.fake
    gid = harness.square.guild["id"]
    client = harness.client()

    async def identify_now(shard_id: int | None, *, initial: bool = False) -> None:
        pass  # discord.py waits 5 s before identifying again, as Discord asks; the test need not

    client.before_identify_hook = identify_now  # type: ignore[method-assign]
    async with harness.running(client):
        await fake.request_reconnect()
        await _until(lambda: len(fake.resume_payloads) == 1 and fake.connected)
        await fake.invalidate_session(resumable=False)  # a fresh session: READY again
        await fake.wait_for_identify(count=2)
        await fake.wait_for_request("GET", f"/guilds/{gid}/invites", count=2)
    assert len(fake.requests_to("GET", f"/applications/{fake.application_id}/guilds/{gid}/commands")) == 1
    assert len(fake.requests_to("PUT", f"/applications/{fake.application_id}/guilds/{gid}/commands")) == 1
    # only the invite counters are read again on a new session (they may have moved meanwhile)
    assert len(fake.requests_to("GET", f"/guilds/{gid}/invites")) == 2


async def _until(predicate: Callable[[], bool], timeout: float = 5.0) -> None:  # noqa: ASYNC109
    async with asyncio.timeout(timeout):
        while not predicate():  # noqa: ASYNC110  (the fake has no event for every condition)
            await asyncio.sleep(0.01)


async def test_disallowed_intents_stop_with_one_clear_error(harness: Harness) -> None:
    harness.fake.close_on_identify(4014)
    runner = DiscordRunner(_through(harness.settings, harness.fake), harness.clock)
    with pytest.raises(DiscordStartError) as info:
        await asyncio.wait_for(runner.run(harness.app), 10)
    assert "Server Members Intent" in str(info.value) and "4014" in str(info.value)
    assert "\n" not in str(info.value)
    assert len(harness.fake.identify_payloads) == 1  # no reconnect loop


async def test_rejected_token_is_reported(harness: Harness) -> None:
    harness.fake.token = "the-real-token"
    runner = DiscordRunner(_through(harness.settings, harness.fake), harness.clock)
    with pytest.raises(DiscordStartError, match="DISCORD_TOKEN"):
        await asyncio.wait_for(runner.run(harness.app), 10)


def _through(settings: Settings, fake: FakeDiscord, token: str = "fake-token") -> Settings:
    """The settings with a [discord] section pointing at the fake (the fixture restores the URLs)."""
    data = settings.model_dump(mode="python")
    data["discord"] = {"token": token, "api_base_url": fake.api_base_url, "gateway_url": fake.gateway_url}
    return Settings.model_validate(data)


async def test_a_gateway_proxy_is_used_for_resuming_too(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = harness.fake
    proxy = fake.gateway_url  # the fake stands in for the proxy
    # Discord's READY names its own resume host; through a proxy that host must not be used.
    monkeypatch.setattr(FakeDiscord, "gateway_url", property(lambda self: "ws://127.0.0.1:9/discord-direct"))
    client = harness.client(gateway_url=proxy)
    async with harness.running(client):
        assert client.ws is not None and client.ws.gateway == yarl.URL(proxy)
        await fake.request_reconnect()
        await _until(lambda: len(fake.resume_payloads) == 1 and fake.connected)
    assert len(fake.identify_payloads) == 1  # resumed through the proxy, not identified again


def test_endpoints_are_configured_and_restored() -> None:
    before = (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY)
    restore = configure_endpoints(
        DiscordSettings(api_base_url="http://rest-proxy:8080/api/v10/", gateway_url="ws://gw-proxy:7878")
    )
    try:
        assert Route.BASE == "http://rest-proxy:8080/api/v10"
        assert DiscordWebSocket.DEFAULT_GATEWAY == yarl.URL("ws://gw-proxy:7878")
        assert Route("GET", "/users/@me").url == "http://rest-proxy:8080/api/v10/users/@me"
    finally:
        restore()
    assert (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY) == before
    restore = configure_endpoints(DiscordSettings())
    try:
        assert Route.BASE == "https://discord.com/api/v10"
        assert DiscordWebSocket.DEFAULT_GATEWAY == yarl.URL("wss://gateway.discord.gg/")
    finally:
        restore()


def _config(tmp_path: Path, extra: str = "") -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        f'[database]\nurl = "sqlite+aiosqlite:///{tmp_path}/t.db"\n{extra}\n'
        '[[communities]]\nid = "town"\nname = "Town"\nplatform = "discord"\n'
        "[communities.discord]\nguild_id = 123\n"
    )
    return path


def test_endpoint_settings_are_validated(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="discord.api_base_url"):
        load_settings(_config(tmp_path, '[discord]\napi_base_url = "https://discord.com/api"\n'), {})
    with pytest.raises(ConfigError, match="discord.gateway_url"):
        load_settings(_config(tmp_path, '[discord]\ngateway_url = "https://gateway.discord.gg"\n'), {})
    settings = load_settings(_config(tmp_path, '[discord]\ngateway_url = ""\n'), {"DISCORD_TOKEN": "t"})
    assert settings.discord is not None and settings.discord.gateway_url is None


def test_one_guild_is_one_community(tmp_path: Path) -> None:
    path = _config(tmp_path)
    path.write_text(
        path.read_text() + '[[communities]]\nid = "again"\nname = "Again"\nplatform = "discord"\n'
        "[communities.discord]\nguild_id = 123\n"
    )
    with pytest.raises(ConfigError, match="repeated guild_id"):
        load_settings(path, {})


def test_missing_token_is_named(tmp_path: Path) -> None:
    settings = load_settings(_config(tmp_path, "[discord]\n"), {})
    with pytest.raises(DiscordStartError, match="DISCORD_TOKEN is not set"):
        DiscordRunner(settings, FixedClock.__new__(FixedClock))


def test_run_without_token_exits_with_one_line(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "run", "--config", str(_config(tmp_path, "[discord]\n"))],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
    )
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("townsquare: DISCORD_TOKEN is not set: export the bot token as DISCORD_TOKEN")


async def _townsquare(
    tmp_path: Path, fake: FakeDiscord, guild_id: str, *args: str
) -> asyncio.subprocess.Process:
    config = tmp_path / "live.toml"
    config.write_text(
        f'[database]\nurl = "sqlite+aiosqlite:///{tmp_path}/live.db"\n'
        f'[discord]\napi_base_url = "{fake.api_base_url}"\ngateway_url = "{fake.gateway_url}"\n'
        '[[communities]]\nid = "town"\nname = "Town"\nplatform = "discord"\n'
        f"[communities.discord]\nguild_id = {guild_id}\n"
    )
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "DISCORD_TOKEN": "fake-token"}
    migrate = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "migrate",
        "--config",
        str(config),
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
    )
    assert await migrate.wait() == 0
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "run",
        "--config",
        str(config),
        *args,
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def test_townsquare_run_connects_and_stops_cleanly(
    fake_discord: FakeDiscord, square: object, tmp_path: Path
) -> None:
    fake = fake_discord
    guild_id = next(iter(fake.guilds))
    process = await _townsquare(tmp_path, fake, str(guild_id))
    try:
        await fake.wait_for_identify(timeout=60)
        await fake.wait_for_request(
            "PUT", f"/applications/{fake.application_id}/guilds/{guild_id}/commands", timeout=30
        )
    finally:
        process.terminate()
        _, stderr = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0, stderr.decode()
    assert fake.identify is not None and fake.identify["intents"] == INTENTS.value


async def test_townsquare_run_stops_on_disallowed_intents(
    fake_discord: FakeDiscord, square: object, tmp_path: Path
) -> None:
    fake_discord.close_on_identify(4014)
    process = await _townsquare(tmp_path, fake_discord, str(next(iter(fake_discord.guilds))))
    _, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 1
    # The one-line reason is printed when Discord fails; the other tasks' shutdown may still log after it.
    [reason] = [line for line in stderr.decode().splitlines() if line.startswith("townsquare: ")]
    assert reason.startswith("townsquare: discord: Discord refused the Server Members intent")
    assert len(fake_discord.identify_payloads) == 1


async def test_townsquare_run_logs_the_doctor_s_findings_at_start(
    fake_discord: FakeDiscord, square: object, tmp_path: Path
) -> None:
    fake = fake_discord
    guild_id = next(iter(fake.guilds))
    process = await _townsquare(tmp_path, fake, str(guild_id))
    try:
        await fake.wait_for_request(
            "PUT", f"/applications/{fake.application_id}/guilds/{guild_id}/commands", timeout=60
        )
        await fake.wait_for_request("GET", re.compile(rf"/guilds/{guild_id}/members/\d+"), timeout=30)
        await asyncio.sleep(0.5)
    finally:
        process.terminate()
        _, stderr = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0, stderr.decode()
    warnings = [line.split(" WARNING ", 1)[1] for line in stderr.decode().splitlines() if " WARNING " in line]
    assert (
        "townsquare.discord: doctor: town: @everyone may create invites, so anyone can bring people in past "
        "the gate. Fix: in Server Settings → Roles → @everyone, turn off Create Invite"
    ) in warnings
    assert any("doctor: town: no member role is configured" in line for line in warnings)
