"""Fixtures wiring the real slack-bolt AsyncApp to the loopback fake Slack."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from tests.adapters.slack.fake_slack import BoltAppServer, FakeSlackApi, SlackSender

SIGNING_SECRET = "townsquare-test-signing-secret"
BOT_TOKEN = "xoxb-test"


@pytest.fixture(autouse=True)
def _no_http_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """slack-sdk routes every call through $HTTPS_PROXY/$HTTP_PROXY and ignores $NO_PROXY."""
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlackApi]:
    """A running fake Slack Web API."""
    async with FakeSlackApi() as fake:
        yield fake


@pytest.fixture
def bolt_app(fake_slack: FakeSlackApi) -> AsyncApp:
    """A real bolt AsyncApp whose Web API client talks to the fake."""
    client = AsyncWebClient(token=BOT_TOKEN, base_url=fake_slack.base_url)
    return AsyncApp(name="townsquare-test", signing_secret=SIGNING_SECRET, client=client)


@pytest.fixture
async def bolt_server(bolt_app: AsyncApp) -> AsyncIterator[BoltAppServer]:
    """``bolt_app`` served over HTTP on loopback at ``/slack/events``."""
    async with BoltAppServer(bolt_app) as server:
        yield server


@pytest.fixture
def slack(bolt_server: BoltAppServer, fake_slack: FakeSlackApi) -> SlackSender:
    """Signs and sends Slack requests to ``bolt_server``; response_urls point at the fake."""
    return SlackSender(bolt_server.url, SIGNING_SECRET, response_url=fake_slack.response_url())
