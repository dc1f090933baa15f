"""`townsquare doctor` on Slack, with the real slack-sdk against the local fake: missing scopes and
channels the bot is not in are named with their fix; a correct workspace reports nothing."""

from __future__ import annotations

import asyncio
import logging

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.slack.app import SlackAdapter
from adapters.slack.doctor import REINSTALL, diagnose
from adapters.slack.manifest import BOT_SCOPES
from adapters.slack.runner import start_slack
from bot.bootstrap import build_app
from bot.clock import FixedClock
from tests.adapters.slack.fake_slack import BOT_USER_ID, FakeSlackApi
from tests.adapters.slack.harness import (
    ANNOUNCEMENTS,
    MEMBER_CHANNELS,
    REGISTRY,
    prepare_fake,
    slack_settings,
)
from tests.adapters.slack.test_runner import free_port
from tests.conftest import COMMUNITY

DB = "sqlite+aiosqlite:///unused.db"  # doctor never opens the database


async def problems(fake: FakeSlackApi, **binding: object) -> list[str]:
    settings = slack_settings(DB, fake.base_url, **binding)
    assert settings.slack is not None
    return [p.line() for p in await diagnose(settings.slack, settings.communities)]


async def test_a_correct_workspace_reports_nothing() -> None:
    async with FakeSlackApi(scopes=",".join(BOT_SCOPES)) as fake:
        prepare_fake(fake)
        assert await problems(fake) == []


async def test_missing_scopes_and_channels_are_named_with_their_fix() -> None:
    granted = [scope for scope in BOT_SCOPES if scope not in ("files:write", "groups:read")]
    async with FakeSlackApi(scopes=",".join(granted)) as fake:
        prepare_fake(fake)
        fake.members[ANNOUNCEMENTS].discard(BOT_USER_ID)  # public: the bot sees it but is not in it
        fake.members[MEMBER_CHANNELS[1]].discard(BOT_USER_ID)  # private: invisible without the bot
        found = await problems(fake, channels={"announcements": ANNOUNCEMENTS, "ideas": "C0GONE"})

    text = "\n".join(found)
    assert "the bot token lacks the scope(s) files:write, groups:read" in text and "reinstall the app" in text
    assert "the bot is not in #announcements (communities.slack.channels.announcements)" in text
    assert "Fix: type /invite @townsquare in #announcements" in text
    assert f"communities.slack.member_channels ({MEMBER_CHANNELS[1]}) names {MEMBER_CHANNELS[1]}" in text
    assert "communities.slack.channels.ideas names C0GONE, which the bot cannot find" in text
    assert len(found) == 4


async def test_another_workspace_s_token_is_named() -> None:
    async with FakeSlackApi(scopes=",".join(BOT_SCOPES), team_id="T0OTHER") as fake:
        prepare_fake(fake)
        found = await problems(fake)
    assert len(found) == 1 and "belongs to workspace T0OTHER" in found[0]


async def test_a_refused_token_is_named() -> None:
    async with FakeSlackApi(tokens={"xoxb-other"}) as fake:
        found = await problems(fake)
    assert len(found) == 1 and "Slack refused SLACK_BOT_TOKEN (invalid_auth)" in found[0]


async def test_start_up_logs_the_same_findings_without_waiting_for_them(
    engine: AsyncEngine, db_url: str, clock: FixedClock, caplog: pytest.LogCaptureFixture
) -> None:
    async with FakeSlackApi(scopes=",".join(s for s in BOT_SCOPES if s != "files:write")) as fake:
        prepare_fake(fake)
        settings = slack_settings(db_url, fake.base_url, {"port": free_port()})
        adapter = SlackAdapter(settings, REGISTRY)
        app = build_app(settings, clock, {"slack": adapter.notifier}, engine=engine)
        await app.ensure_communities()
        with caplog.at_level(logging.WARNING, logger="townsquare.slack"):
            server = await start_slack(app, adapter)
            try:
                await fake.wait_for("conversations.info", count=7)
                await asyncio.sleep(0.05)
            finally:
                await server.stop()
                await app.close()
        assert fake.methods().count("auth.test") == 1  # the doctor reuses start-up's answer
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [
        f"doctor: {COMMUNITY}: the bot token lacks the scope(s) files:write. Fix: {REINSTALL}"
    ]
