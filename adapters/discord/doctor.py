"""`townsquare doctor` on Discord: can the bot run the gate, and can anyone walk around it?

`check_guild` is pure over what the REST API returns (the guild with its roles, its channels with
their permission overwrites, the bot's own member); `diagnose` fetches that with the real token, and
`run` logs the same findings at start (`DiscordRunner`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import discord

from adapters.discord.settings import DiscordCommunity, DiscordSettings
from adapters.doctor import Problem

log = logging.getLogger("townsquare.discord")

JSON = Mapping[str, Any]

ADMINISTRATOR = 1 << 3
CREATE_INSTANT_INVITE = 1 << 0
VIEW_CHANNEL = 1 << 10
# What the bot needs (docs/discord.md, "Invite the bot"), by the name Discord shows.
REQUIRED: tuple[tuple[str, int], ...] = (
    ("View Channels", VIEW_CHANNEL),
    ("Send Messages", 1 << 11),
    ("Embed Links", 1 << 14),
    ("Attach Files", 1 << 15),
    ("Manage Roles", 1 << 28),
    ("Manage Server", 1 << 5),
    ("Create Invite", CREATE_INSTANT_INVITE),
)
# Channels newcomers may see before they are admitted; every other configured channel is for members.
PUBLIC_CHANNELS = frozenset({"welcome"})


def _permissions(roles: Sequence[JSON]) -> int:
    value = 0
    for role in roles:
        value |= int(role.get("permissions", 0))
    return value


def _everyone_sees(channel: JSON, everyone: JSON, guild_id: str) -> bool:
    """Whether @everyone can view the channel: the server-wide permission, then the channel's overwrite."""
    allowed = int(everyone.get("permissions", 0))
    if allowed & ADMINISTRATOR:
        return True
    for overwrite in channel.get("permission_overwrites") or ():
        if str(overwrite.get("id")) == guild_id and int(overwrite.get("type", 0)) == 0:
            allowed &= ~int(overwrite.get("deny", 0))
            allowed |= int(overwrite.get("allow", 0))
    return bool(allowed & VIEW_CHANNEL)


def check_guild(
    community_id: str,
    config: DiscordCommunity,
    guild: JSON,
    channels: Sequence[JSON],
    bot_member: JSON,
) -> list[Problem]:
    """Every problem with one guild's setup, each with its fix."""
    problems: list[Problem] = []

    def problem(what: str, fix: str) -> None:
        problems.append(Problem(community_id, what, fix))

    guild_id = str(guild["id"])
    roles = {str(role["id"]): role for role in guild.get("roles", ())}
    everyone = roles.get(guild_id, {"permissions": "0"})
    bot_roles = [everyone, *(roles[str(r)] for r in bot_member.get("roles", ()) if str(r) in roles)]
    granted = _permissions(bot_roles)
    if not granted & ADMINISTRATOR:
        missing = [name for name, bit in REQUIRED if not granted & bit]
        if missing:
            problem(
                f"the bot lacks the permission(s) {', '.join(missing)}",
                "in Server Settings → Roles, give the bot's role "
                + ", ".join(missing)
                + " (or invite it again with the link in docs/discord.md)",
            )
    top = max((int(role.get("position", 0)) for role in bot_roles), default=0)
    granted_roles = {"member role": config.roles.member}
    granted_roles.update({f"badge role {key!r}": role_id for key, role_id in config.roles.badges.items()})
    for label, role_id in granted_roles.items():
        role = roles.get(str(role_id)) if role_id is not None else None
        if role is not None and int(role.get("position", 0)) >= top:
            problem(
                f"the bot cannot grant the {label} {role['name']!r}: it sits above the bot's own role",
                "in Server Settings → Roles, drag the bot's role above it",
            )
    configured_roles: list[tuple[str, int | None]] = [("roles.member", config.roles.member)]
    configured_roles += [(f"roles.moderators ({r})", r) for r in config.roles.moderators]
    configured_roles += [(f"roles.leads ({r})", r) for r in config.roles.leads]
    configured_roles += [(f"roles.badges.{key}", r) for key, r in config.roles.badges.items()]
    for setting, role_id in configured_roles:
        if role_id is not None and str(role_id) not in roles:
            problem(
                f"communities.discord.{setting} names role {role_id}, which this server does not have",
                "copy the role id again (Developer Mode, right click the role → Copy Role ID)",
            )
    if config.roles.member is None:
        problem(
            "no member role is configured, so admission grants no access",
            "set communities.discord.roles.member to the role that opens the member channels",
        )
    by_id = {str(channel["id"]): channel for channel in channels}
    for name in type(config.channels).model_fields:
        channel_id = config.channels.by_name(name)
        if channel_id is None:
            continue
        channel = by_id.get(str(channel_id))
        if channel is None:
            problem(
                f"communities.discord.channels.{name} names channel {channel_id}, which this server "
                "does not have",
                "copy the channel id again (Developer Mode, right click the channel → Copy Channel ID)",
            )
        elif name not in PUBLIC_CHANNELS and _everyone_sees(channel, everyone, guild_id):
            problem(
                f"@everyone can see #{channel.get('name', channel_id)} ({name}), so people who were never "
                "admitted read it",
                "in the channel's settings → Permissions, deny View Channel to @everyone and allow it to "
                "the member role",
            )
    if int(everyone.get("permissions", 0)) & (CREATE_INSTANT_INVITE | ADMINISTRATOR):
        problem(
            "@everyone may create invites, so anyone can bring people in past the gate",
            "in Server Settings → Roles → @everyone, turn off Create Invite",
        )
    if guild.get("vanity_url_code"):
        problem(
            f"the server has the vanity URL discord.gg/{guild['vanity_url_code']}, which lets anyone in "
            "without a referral",
            "remove it in Server Settings → Overview (Vanity URL)",
        )
    return problems


async def check_community(
    http: discord.http.HTTPClient, community_id: str, config: DiscordCommunity, bot_user_id: int
) -> list[Problem]:
    """Fetch one guild's setup and check it; a refusal is itself the problem found."""
    try:
        guild = await http.get_guild(config.guild_id)
        channels = await http.get_all_guild_channels(config.guild_id)
        bot_member = await http.get_member(config.guild_id, bot_user_id)
    except (discord.NotFound, discord.Forbidden):
        return [
            Problem(
                community_id,
                f"the bot is not in the server {config.guild_id} (communities.discord.guild_id)",
                "invite it with the link in docs/discord.md, or correct guild_id",
            )
        ]
    return check_guild(community_id, config, guild, channels, bot_member)


async def check_all(
    http: discord.http.HTTPClient, communities: Sequence[Any], bot_user_id: int
) -> list[Problem]:
    """Check every Discord community; one failing check never stops the others."""
    problems: list[Problem] = []
    for community in communities:
        if community.platform != "discord" or community.discord is None:
            continue
        try:
            problems += await check_community(http, community.id, community.discord, bot_user_id)
        except discord.HTTPException as exc:
            problems.append(
                Problem(community.id, f"Discord refused the checks ({exc})", "run townsquare doctor again")
            )
    return problems


async def diagnose(section: DiscordSettings, communities: Sequence[Any]) -> list[Problem]:
    """Log in with the configured token (REST only, no gateway) and check every Discord community."""
    from adapters.discord.runner import configure_endpoints

    ids = [c.id for c in communities if c.platform == "discord"]
    token = section.token.get_secret_value().strip() if section.token else ""
    if not token:
        return [Problem(i, "DISCORD_TOKEN is not set", "export the bot token as DISCORD_TOKEN") for i in ids]
    restore = configure_endpoints(section)
    # Townsquare uses no voice: the doctor's output should not open with voice library warnings.
    discord.VoiceClient.warn_nacl = discord.VoiceClient.warn_dave = False
    client = discord.Client(intents=discord.Intents(guilds=True))  # REST only: never connects
    try:
        try:
            await client.login(token)
        except discord.LoginFailure:
            fix = "copy the token again from the Discord Developer Portal (Bot → Reset Token)"
            return [Problem(i, "Discord rejected the bot token in DISCORD_TOKEN", fix) for i in ids]
        assert client.user is not None
        return await check_all(client.http, communities, client.user.id)
    finally:
        await client.close()
        restore()
