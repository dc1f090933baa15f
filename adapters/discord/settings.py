"""Discord configuration: the bot-wide section and each community's guild binding."""

from __future__ import annotations

from pydantic import Field, SecretStr

from bot.core.settings import StrictModel


class DiscordSettings(StrictModel):
    """`[discord]`: the bot token (from DISCORD_TOKEN) and endpoint overrides for proxies."""

    token: SecretStr | None = None
    api_base_url: str = "https://discord.com/api/v10"
    gateway_url: str | None = None  # None: ask Discord (GET /gateway/bot)


class DiscordRoles(StrictModel):
    """Role ids. With no moderator role or user configured, nobody may moderate (fail closed)."""

    member: int | None = None
    moderators: tuple[int, ...] = ()
    leads: tuple[int, ...] = ()
    moderator_users: tuple[int, ...] = ()
    lead_users: tuple[int, ...] = ()
    badges: dict[str, int] = Field(default_factory=dict)


class DiscordChannels(StrictModel):
    """Channel ids for each logical channel the core posts to."""

    welcome: int | None = None
    applications: int | None = None
    announcements: int | None = None
    recognition: int | None = None
    digest: int | None = None
    cohort_parent: int | None = None


class DiscordCommunity(StrictModel):
    """`[communities.discord]`: which guild is this community."""

    guild_id: int
    roles: DiscordRoles = DiscordRoles()
    channels: DiscordChannels = DiscordChannels()
