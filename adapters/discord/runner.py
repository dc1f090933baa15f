"""Starting Discord from `townsquare run`: endpoints, token, and errors that must stop the process."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from typing import Any

import discord
import yarl

from adapters.discord.client import TownsquareClient
from adapters.discord.doctor import check_all
from adapters.discord.identity import Communities
from adapters.discord.notifier import DiscordNotifier
from adapters.discord.settings import DISCORD_GATEWAY, DiscordSettings
from adapters.doctor import log_problems
from bot.bootstrap import App
from bot.config import Settings
from bot.core.ports import Clock

log = logging.getLogger("townsquare.discord")


class DiscordStartError(Exception):
    """Discord cannot be used as configured; the message says what to change (one line)."""


PRIVILEGED_INTENTS = (
    "Discord refused the Server Members intent Townsquare needs (close code 4014). Turn on "
    "'Server Members Intent' under Bot → Privileged Gateway Intents in the Discord Developer Portal, "
    "then start again."
)
BAD_TOKEN = (
    "Discord rejected the bot token in DISCORD_TOKEN. Copy it again from the Discord Developer Portal "
    "(Bot → Reset Token)."
)


def configure_endpoints(settings: DiscordSettings) -> Callable[[], None]:
    """Point discord.py's REST and gateway at the configured URLs (process-wide: discord.py has no
    per-client option). Returns a function restoring the previous values."""
    from discord.gateway import DiscordWebSocket
    from discord.http import Route

    previous = (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY)
    Route.BASE = settings.api_base_url.rstrip("/")
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.gateway_url or DISCORD_GATEWAY)

    def restore() -> None:
        Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = previous

    return restore


class DiscordRunner:
    """Owns the Discord client of one `townsquare run`: made before the app (its notifier goes into
    build_app), started once the app is running."""

    platform = "discord"

    def __init__(self, settings: Settings, clock: Clock) -> None:
        section = settings.discord
        if section is None:
            raise DiscordStartError(
                "communities with platform = 'discord' need a [discord] section (and DISCORD_TOKEN)"
            )
        if section.token is None or not section.token.get_secret_value().strip():
            raise DiscordStartError(
                "DISCORD_TOKEN is not set: export the bot token as DISCORD_TOKEN (or set token in [discord])"
            )
        self.section = section
        self.token = section.token.get_secret_value().strip()
        self.communities = Communities.of(settings.communities)
        self.configured: Sequence[Any] = settings.communities
        self.client = TownsquareClient(self.communities, clock, gateway_url=section.gateway_url)

    @property
    def notifier(self) -> DiscordNotifier:
        return self.client.notifier

    async def run(self, app: App) -> None:
        """Connect and serve until cancelled; DiscordStartError for what a retry cannot fix."""
        if not self.communities.guild_ids:
            log.warning("[discord] is configured but no community has platform = 'discord'")
        configure_endpoints(self.section)
        self.client.bind(app.bus, app.ingest)
        doctor = asyncio.create_task(self._doctor(), name="discord-doctor")
        try:
            await self.client.start(self.token)
        except discord.PrivilegedIntentsRequired:
            raise DiscordStartError(PRIVILEGED_INTENTS) from None
        except discord.LoginFailure:
            raise DiscordStartError(BAD_TOKEN) from None
        finally:
            doctor.cancel()
            await self.client.close()

    async def _doctor(self) -> None:
        """`townsquare doctor`'s findings, one warning each, once connected (start-up never waits on it)."""
        await self.client.wait_until_ready()
        if self.client.user is None:
            return
        try:
            log_problems(log, await check_all(self.client.http, self.configured, self.client.user.id))
        except (discord.HTTPException, OSError) as exc:
            log.warning("doctor: could not check the Discord setup at start (%s); run townsquare doctor", exc)
