"""Starting Slack: HTTP mode on the configured host and port, Socket Mode with an app-level token, and
`townsquare run` refusing clearly when a secret is missing."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from aiohttp import ClientSession
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.slack.app import SlackAdapter, SlackConfigError
from adapters.slack.runner import start_slack
from bot.bootstrap import build_app
from bot.clock import FixedClock
from tests.adapters.slack.conftest import BOT_TOKEN, SIGNING_SECRET
from tests.adapters.slack.fake_slack import TEAM_ID, FakeSlackApi, SlackSender
from tests.adapters.slack.harness import NEWCOMER, REGISTRY, slack_settings

ROOT = Path(__file__).resolve().parents[3]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def slash_envelope(envelope_id: str, response_url: str) -> dict[str, object]:
    return {
        "envelope_id": envelope_id,
        "type": "slash_commands",
        "accepts_response_payload": True,
        "payload": {
            "team_id": TEAM_ID,
            "channel_id": "C0GENERAL",
            "user_id": NEWCOMER,
            "user_name": "newbie",
            "command": "/help",
            "text": "",
            "response_url": response_url,
            "trigger_id": "1.2.3",
        },
    }


async def test_http_mode_serves_slack_on_the_configured_port(
    engine: AsyncEngine, db_url: str, clock: FixedClock, fake_slack: FakeSlackApi
) -> None:
    port = free_port()
    settings = slack_settings(db_url, fake_slack.base_url, {"host": "127.0.0.1", "port": port})
    adapter = SlackAdapter(settings, REGISTRY)
    app = build_app(settings, clock, {"slack": adapter.notifier}, engine=engine)
    await app.ensure_communities()
    server = await start_slack(app, adapter)
    try:
        sender = SlackSender(
            f"http://127.0.0.1:{port}/slack/events", SIGNING_SECRET, response_url=fake_slack.response_url()
        )
        challenge = await sender.url_verification("abc")
        command = await sender.slash_command("/help", user_id=NEWCOMER)
        forged = await sender.slash_command("/help", user_id=NEWCOMER, forge_signature=True)
        [answer] = await fake_slack.wait_for("response_url")
        async with ClientSession() as session, session.get(f"http://127.0.0.1:{port}/healthz") as health:
            assert (health.status, await health.text()) == (200, "ok")
    finally:
        await server.stop()

    assert challenge.json() == {"challenge": "abc"}
    assert (command.status, forged.status) == (200, 401)
    assert "/help" in answer.params["text"]
    assert fake_slack.methods()[0] == "auth.test"  # at start-up: no request waits for it
    assert fake_slack.methods().count("auth.test") == 1


async def test_a_refused_token_stops_start_up(
    engine: AsyncEngine, db_url: str, clock: FixedClock, fake_slack: FakeSlackApi
) -> None:
    fake_slack.tokens = {"xoxb-the-real-one"}
    settings = slack_settings(db_url, fake_slack.base_url, {"port": free_port()})
    adapter = SlackAdapter(settings, REGISTRY)
    app = build_app(settings, clock, {"slack": adapter.notifier}, engine=engine)

    with pytest.raises(SlackConfigError, match=r"Slack refused SLACK_BOT_TOKEN \(invalid_auth\)"):
        await start_slack(app, adapter)


def test_two_communities_on_one_workspace_are_refused(db_url: str) -> None:
    settings = slack_settings(db_url, "https://slack.example/api/")
    twice = settings.model_copy(update={"communities": (*settings.communities, settings.communities[0])})
    with pytest.raises(SlackConfigError, match="both claim Slack workspace"):
        SlackAdapter(twice, REGISTRY)


async def test_socket_mode_when_an_app_token_is_set(
    engine: AsyncEngine, db_url: str, clock: FixedClock, fake_slack: FakeSlackApi
) -> None:
    settings = slack_settings(db_url, fake_slack.base_url, {"app_token": "xapp-test", "signing_secret": None})
    adapter = SlackAdapter(settings, REGISTRY)
    app = build_app(settings, clock, {"slack": adapter.notifier}, engine=engine)
    await app.ensure_communities()
    server = await start_slack(app, adapter)
    try:
        ack = await fake_slack.socket_send(slash_envelope("env-1", fake_slack.response_url()))
        [answer] = await fake_slack.wait_for("response_url")
    finally:
        await server.stop()

    assert ack["envelope_id"] == "env-1"
    assert "/help" in answer.params["text"]
    [opened] = fake_slack.calls_to("apps.connections.open")
    assert opened.token == "xapp-test"
    assert server.port is None  # nothing listens for HTTP in Socket Mode


# --- `townsquare run` --------------------------------------------------------------------------------

CONFIG = """
[database]
url = "sqlite+aiosqlite:///{db}"

[slack]
host = "127.0.0.1"
port = {port}
api_base_url = "{api}"

[[communities]]
id = "acme"
name = "Acme"
platform = "slack"

[communities.slack]
team_id = "{team}"
"""


def _config(
    tmp_path: Path, port: int = 3999, api: str = "https://slack.com/api/", slack: bool = True
) -> Path:
    text = CONFIG.format(db=tmp_path / "t.db", port=port, api=api, team=TEAM_ID)
    if not slack:
        text = text.replace("[slack]\n", "[outbox]\n").replace('host = "127.0.0.1"\n', "")
        text = text.replace(f"port = {port}\n", "").replace(f'api_base_url = "{api}"\n', "")
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), **(env or {})},
    )


def test_a_missing_secret_is_one_clear_line(tmp_path: Path) -> None:
    config = _config(tmp_path)
    no_token = _cli("run", "--config", str(config))
    no_secret = _cli("run", "--config", str(config), env={"SLACK_BOT_TOKEN": BOT_TOKEN})
    no_section = _cli("run", "--config", str(_config(tmp_path, slack=False)))

    assert no_token.returncode == 2 and no_token.stderr.count("\n") == 1
    assert "SLACK_BOT_TOKEN is not set" in no_token.stderr
    assert no_secret.returncode == 2 and "SLACK_SIGNING_SECRET is not set" in no_secret.stderr
    assert no_section.returncode == 2 and "need a [slack] section" in no_section.stderr
    assert "Traceback" not in no_token.stderr + no_secret.stderr + no_section.stderr


async def test_townsquare_run_starts_slack(tmp_path: Path, fake_slack: FakeSlackApi) -> None:
    port = free_port()
    config = _config(tmp_path, port=port, api=fake_slack.base_url)
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}
    migrate = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "migrate", "--config", str(config), cwd=ROOT, env=env
    )
    assert await migrate.wait() == 0
    secrets = {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "run",
        "--config",
        str(config),
        cwd=ROOT,
        env={**env, **secrets, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), 60)
        assert b"running for 1 community" in line
        sender = SlackSender(
            f"http://127.0.0.1:{port}/slack/events", SIGNING_SECRET, response_url=fake_slack.response_url()
        )
        reply = await sender.slash_command("/help", user_id=NEWCOMER)
        [answer] = await fake_slack.wait_for("response_url", within=10)
    finally:
        if process.returncode is None:
            os.kill(process.pid, signal.SIGTERM)
        code = await asyncio.wait_for(process.wait(), 30)
        stderr = await process.stderr.read() if process.stderr else b""

    assert reply.status == 200 and "/help" in answer.params["text"]
    assert code == 0, stderr.decode()
    assert BOT_TOKEN.encode() not in stderr and SIGNING_SECRET.encode() not in stderr  # redacted logs
