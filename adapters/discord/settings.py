"""Discord configuration: the bot-wide section and each community's guild binding."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, SecretStr, field_validator

from bot.core.settings_base import StrictModel

DISCORD_API = "https://discord.com/api/v10"
DISCORD_GATEWAY = "wss://gateway.discord.gg/"


class DiscordSettings(StrictModel):
    """`[discord]`: the bot token (from DISCORD_TOKEN) and endpoint overrides for proxies."""

    token: SecretStr | None = None
    api_base_url: str = DISCORD_API
    gateway_url: str | None = None  # None or "": Discord's own gateway

    @field_validator("api_base_url")
    @classmethod
    def _versioned_http_url(cls, value: str) -> str:
        value = value.rstrip("/")
        if not re.fullmatch(r"https?://[^\s/]+(/[^\s]*)?/api/v\d+", value):
            raise ValueError(
                "an http(s) URL ending in the API version, like 'https://discord.com/api/v10' "
                "or 'http://rest-proxy:8080/api/v10'"
            )
        return value

    @field_validator("gateway_url")
    @classmethod
    def _websocket_url(cls, value: str | None) -> str | None:
        if not value:
            return None
        if not re.fullmatch(r"wss?://\S+", value):
            raise ValueError(
                "a ws:// or wss:// URL, like 'wss://gateway.discord.gg/', or empty for Discord's"
            )
        return value


class DiscordRoles(StrictModel):
    """Role ids. With no moderator role or user configured, nobody may moderate (fail closed)."""

    member: int | None = None
    moderators: tuple[int, ...] = ()
    leads: tuple[int, ...] = ()
    moderator_users: tuple[int, ...] = ()
    lead_users: tuple[int, ...] = ()
    badges: dict[str, int] = Field(default_factory=dict)
    tiers: dict[str, int] = Field(default_factory=dict)  # advocacy tier key -> role, granted and revoked


class DiscordChannels(StrictModel):
    """Channel ids for each logical channel the core posts to."""

    welcome: int | None = None
    applications: int | None = None
    announcements: int | None = None
    recognition: int | None = None
    digest: int | None = None
    ideas: int | None = None
    cohort_parent: int | None = None

    def by_name(self, name: str) -> int | None:
        """The id configured for a logical channel name, None when unset or unknown."""
        value = getattr(self, name, None) if name in type(self).model_fields else None
        return value if isinstance(value, int) else None


class DiscordCommunity(StrictModel):
    """`[communities.discord]`: which guild is this community."""

    guild_id: int
    roles: DiscordRoles = DiscordRoles()
    channels: DiscordChannels = DiscordChannels()
    # Cohort spaces: private threads under channels.cohort_parent (a text channel), or private
    # channels under it (a category).
    cohort_space: Literal["thread", "channel"] = "thread"
