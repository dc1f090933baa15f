"""The Slack adapter, assembled: Web API client, notifier, and the bolt AsyncApp with its listeners."""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

import aiohttp
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.request.async_internals import build_async_context
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from adapters.slack.commands import CommandNames
from adapters.slack.identity import IdentityResolver, SlackDirectory
from adapters.slack.listeners import SlackListeners
from adapters.slack.notifier import SlackNotifier
from adapters.slack.render import FORM_CALLBACK
from adapters.slack.settings import SlackSettings
from bot.config import Settings
from bot.core.bus import Bus
from bot.core.contributions.ports import ContributionSink
from bot.core.ports import Clock, UnitOfWork
from bot.core.registry import Registry

log = logging.getLogger("townsquare.slack")


class SlackConfigError(Exception):
    """Slack cannot start with this configuration; the message names what to set."""


def make_client(settings: SlackSettings) -> AsyncWebClient:
    """The Web API client: Slack's URL or a proxy's, 429s retried after Retry-After."""
    if settings.bot_token is None:
        raise SlackConfigError("SLACK_BOT_TOKEN is not set: export the app's Bot User OAuth Token (xoxb-…)")
    return AsyncWebClient(
        token=settings.bot_token.get_secret_value(),
        base_url=settings.api_base_url,
        retry_handlers=[
            AsyncConnectionErrorRetryHandler(max_retry_count=1),
            AsyncRateLimitErrorRetryHandler(max_retry_count=settings.rate_limit_retries),
        ],
    )


async def _repair_form_body(
    req: AsyncBoltRequest, resp: BoltResponse, next: Callable[[], Awaitable[Any]]
) -> Any:
    """slack-bolt 1.30 reads any form body containing the word "payload" as an interactivity payload,
    so `/apply payload…` (or a user or channel named so) would parse to nothing and get a 404."""
    if req.mode == "http" and not req.body and req.raw_body and not req.raw_body.lstrip().startswith("{"):
        fields = dict(parse_qsl(req.raw_body, keep_blank_values=True))
        if "payload" not in fields and "command" in fields:
            req.body = fields
            build_async_context(req.context, fields)
            for made_too_early in ("respond", "say"):  # built before the repair, without response_url
                req.context.pop(made_too_early, None)
    return await next()


class SlackAdapter:
    """Townsquare on Slack. The notifier exists from the start (the relay needs it); `attach()` builds
    the bolt app once the bus exists."""

    def __init__(self, settings: Settings, registry: Registry, *, client: AsyncWebClient | None = None):
        if settings.slack is None:
            raise SlackConfigError("no [slack] section in the configuration")
        self.settings = settings.slack
        self.registry = registry
        try:
            self.directory = SlackDirectory(settings.communities)
            self.names = CommandNames(registry, self.settings.command_names)
        except ValueError as exc:
            raise SlackConfigError(str(exc)) from None
        self.client = client or make_client(self.settings)
        self.notifier = SlackNotifier(self.client, self.directory, self.names)
        self.bolt: AsyncApp | None = None
        self.listeners: SlackListeners | None = None
        self._auth_test: AsyncSlackResponse | None = None

    async def check_token(self) -> None:
        """auth.test now: a wrong token stops start-up with a clear message, and no request waits for it."""
        try:
            self._auth_test = await self.client.auth_test()
        except SlackApiError as exc:
            raise SlackConfigError(
                f"Slack refused SLACK_BOT_TOKEN ({exc.response.get('error')}): check the Bot User OAuth Token"
            ) from None
        except (SlackClientError, aiohttp.ClientError, TimeoutError) as exc:
            raise SlackConfigError(f"cannot reach the Slack API at {self.client.base_url}: {exc}") from None

    @property
    def auth_test(self) -> AsyncSlackResponse | None:
        """The auth.test answer of `check_token` (its headers carry the granted scopes)."""
        return self._auth_test

    def _authorize_function(self) -> Callable[[], Awaitable[AuthorizeResult]]:
        """Bolt's authorization for every request, from the one auth.test (bolt's own single-workspace
        authorization would make it during the first request, delaying that acknowledgement)."""

        async def authorize() -> AuthorizeResult:  # bolt passes only the arguments a function names
            if self._auth_test is None:
                self._auth_test = await self.client.auth_test()
            return AuthorizeResult.from_auth_test_response(
                auth_test_response=self._auth_test, bot_token=self.client.token
            )

        return authorize

    @property
    def bot_user_id(self) -> str:
        """The bot's own user id (from auth.test; empty before check_token)."""
        return str(self._auth_test.get("user_id") or "") if self._auth_test is not None else ""

    @property
    def socket_mode(self) -> bool:
        return self.settings.app_token is not None

    def attach(
        self,
        bus: Bus,
        uow_factory: Callable[[], UnitOfWork],
        clock: Clock,
        sink: ContributionSink,
    ) -> AsyncApp:
        """Build the bolt app: every listener routes through `bus` and `self.registry`; messages and
        reactions go to `sink` (the app's contribution ingest)."""
        secret = self.settings.signing_secret
        if secret is None and not self.socket_mode:
            raise SlackConfigError(
                "SLACK_SIGNING_SECRET is not set: HTTP mode verifies every request from Slack with it"
            )
        bolt = AsyncApp(
            name="townsquare",
            # A client without a token (each request's client gets the token from `authorize`): with
            # token= bolt would call auth.test right here, and with a token and authorize it warns.
            client=AsyncWebClient(
                base_url=self.client.base_url, retry_handlers=list(self.client.retry_handlers)
            ),
            authorize=self._authorize_function(),
            signing_secret=secret.get_secret_value() if secret else "",
            request_verification_enabled=not self.socket_mode,  # Socket Mode has no HTTP requests to sign
            process_before_response=False,  # ack first, work after
        )
        listeners = SlackListeners(
            bus=bus,
            registry=self.registry,
            directory=self.directory,
            identity=IdentityResolver(self.directory, uow_factory),
            names=self.names,
            sink=sink,
            clock=clock,
        )
        bolt.middleware(_repair_form_body)
        bolt.middleware(self._stopped_workspaces)
        bolt.command(re.compile(r"^/.+"))(listeners.on_command)
        bolt.action(re.compile(r".+"))(listeners.on_action)
        bolt.view(FORM_CALLBACK)(listeners.on_view)
        bolt.shortcut(re.compile(r".+"))(listeners.on_shortcut)
        bolt.event("team_join")(listeners.on_team_join)
        bolt.event("member_joined_channel")(listeners.on_member_joined_channel)
        bolt.event("subteam_members_changed")(listeners.on_subteam_members_changed)
        bolt.event("message")(listeners.on_message)
        bolt.event("reaction_added")(listeners.on_reaction_added)
        bolt.event("app_uninstalled")(listeners.on_app_uninstalled)
        bolt.event("tokens_revoked")(listeners.on_tokens_revoked)
        self.bolt, self.listeners = bolt, listeners
        return bolt

    async def _stopped_workspaces(
        self, req: AsyncBoltRequest, resp: BoltResponse, next: Callable[[], Awaitable[Any]]
    ) -> Any:
        """A workspace that removed the app gets acknowledged and nothing else."""
        if self.directory.stopped(req.context.team_id):
            return BoltResponse(status=200, body="")
        return await next()
