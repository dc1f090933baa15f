"""Running the Slack app: HTTP (Events API, slash commands and interactivity at POST /slack/events) or
Socket Mode when an app-level token is configured."""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.doctor import log_problems
from adapters.slack.adoption import SLACK_FAILURES, adopt_at_start
from adapters.slack.app import SlackAdapter, SlackConfigError
from adapters.slack.doctor import check_all
from adapters.slack.staff import load_staff_groups
from bot.bootstrap import App
from bot.config import Settings
from bot.core.registry import Registry

log = logging.getLogger("townsquare.slack")

EVENTS_PATH = "/slack/events"


class SlackServer:
    """Serves a bolt app over HTTP or Socket Mode; `start()` returns once it is listening."""

    def __init__(self, adapter: SlackAdapter, bolt: AsyncApp) -> None:
        self.adapter = adapter
        self.bolt = bolt
        self._runner: web.AppRunner | None = None
        self._socket: AsyncSocketModeHandler | None = None
        self._doctor: asyncio.Task[None] | None = None
        self.port: int | None = None
        self.adoption: asyncio.Task[object] | None = None  # the existing members, adopted after start

    async def start(self) -> None:
        settings = self.adapter.settings
        if settings.app_token is not None:
            # apps.connections.open goes through the same (possibly proxied) API base URL.
            web_client = AsyncWebClient(base_url=settings.api_base_url)
            self._socket = AsyncSocketModeHandler(
                self.bolt, app_token=settings.app_token.get_secret_value(), web_client=web_client
            )
            try:
                await self._socket.connect_async()
            except SlackApiError as exc:
                raise SlackConfigError(
                    f"Slack refused SLACK_APP_TOKEN ({exc.response.get('error')}): "
                    "check the app-level token (xapp-…, scope connections:write)"
                ) from None
            log.info("slack: connected in Socket Mode")
            return
        application = self.bolt.web_app(path=EVENTS_PATH)
        application.router.add_get("/healthz", _healthz)
        self._runner = web.AppRunner(application, shutdown_timeout=5.0, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, settings.host, settings.port)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        log.info("slack: listening on http://%s:%s%s", settings.host, self.port, EVENTS_PATH)

    def start_doctor(self, settings: Settings) -> None:
        """Log `townsquare doctor`'s findings, one warning each, without holding start-up."""

        async def doctor() -> None:
            try:
                log_problems(
                    log, await check_all(self.adapter.client, settings.communities, self.adapter.auth_test)
                )
            except Exception as exc:  # noqa: BLE001  (a failed check must never stop the bot)
                log.warning(
                    "doctor: could not check the Slack setup at start (%s); run townsquare doctor", exc
                )

        self._doctor = asyncio.create_task(doctor(), name="slack-doctor")

    async def stop(self) -> None:
        if self.adoption is not None and not self.adoption.done():
            self.adoption.cancel()
            await asyncio.gather(self.adoption, return_exceptions=True)
        if self._doctor is not None:
            self._doctor.cancel()
            self._doctor = None
        if self._socket is not None:
            await self._socket.close_async()
            self._socket = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


async def _healthz(request: web.Request) -> web.Response:
    return web.Response(text="ok")


def prepare_slack(settings: Settings, registry: Registry) -> SlackAdapter:
    """The adapter (and its notifier, for build_app); SlackConfigError names a missing secret."""
    adapter = SlackAdapter(settings, registry)
    if adapter.settings.signing_secret is None and not adapter.socket_mode:
        raise SlackConfigError(
            "SLACK_SIGNING_SECRET is not set: HTTP mode verifies every request from Slack with it"
        )
    return adapter


async def start_slack(app: App, adapter: SlackAdapter) -> SlackServer:
    """Attach the bolt app to the running core and start serving Slack; the people already in each
    workspace's member channels are adopted right after (`server.adoption`), while requests are served."""
    await adapter.check_token()
    for community in adapter.directory.communities():  # before serving: roles from user groups
        try:
            await load_staff_groups(adapter.client, adapter.directory, community)
        except SLACK_FAILURES as exc:
            log.warning("slack %s: could not read the staff user groups: %s", community.id, exc)
    bolt = adapter.attach(app.bus, app.uow_factory, app.clock, app.ingest)
    server = SlackServer(adapter, bolt)
    await server.start()
    server.adoption = asyncio.create_task(adopt_at_start(adapter, app.bus), name="slack adoption")
    server.start_doctor(app.settings)
    return server
