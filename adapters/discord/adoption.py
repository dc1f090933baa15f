"""Adopting a Discord server's existing members: everyone holding the member role, a moderator or a
lead role (or named as a moderator or lead by user id) is a member.

The guild's member list is read with `GET /guilds/{id}/members` a page at a time (1,000 is Discord's
maximum), each page handed to `adapters.adoption.adopt_pages` before the next is asked for, so a
50,000-member server is never held in memory whole. discord.py's HTTP client keeps to the route's
rate limit (it waits when `X-RateLimit-Remaining` reaches 0 and retries a 429 after `retry_after`).
`townsquare run` adopts at start (TownsquareClient); `townsquare members import` calls
`import_members`, which logs in over REST only, without the gateway.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable, Mapping
from datetime import datetime
from typing import Any, Protocol

import discord

from adapters.adoption import AdoptionReport, adopt_pages
from adapters.discord.identity import member_ref, roles_of
from adapters.discord.settings import DiscordCommunity
from bot.config import CommunityConfig, Settings
from bot.core.bus import Bus
from bot.core.gates.commands import AdoptMembers, ExistingMember

log = logging.getLogger("townsquare.discord.adoption")

PAGE_SIZE = 1000  # Discord's largest page for the guild member list


class MemberLister(Protocol):
    """The one call of discord.py's HTTPClient used here."""

    def get_members(self, guild_id: int, limit: int, after: int | None) -> Any: ...


def holds_membership(user_id: int, role_ids: Iterable[int], binding: DiscordCommunity) -> bool:
    """Whether these roles (or this user id) make someone a member: the member role, a moderator or a
    lead role, or a configured moderator or lead user."""
    return bool(roles_of(user_id, role_ids, binding))


def existing_member(payload: Mapping[str, Any], binding: DiscordCommunity) -> ExistingMember | None:
    """The person behind a guild member object, or None when they hold no membership role."""
    user = payload.get("user") or {}
    user_id = int(user.get("id", 0))
    role_ids = [int(r) for r in payload.get("roles") or ()]
    if not user_id or not holds_membership(user_id, role_ids, binding):
        return None
    name = payload.get("nick") or user.get("global_name") or user.get("username") or ""
    joined = payload.get("joined_at")
    return ExistingMember(
        ref=member_ref(user_id),
        display_name=str(name),
        joined_at=datetime.fromisoformat(joined) if isinstance(joined, str) else None,
        is_bot=bool(user.get("bot")),  # listed, never adopted: the core skips bots
    )


async def discord_pages(
    http: MemberLister, binding: DiscordCommunity, *, page_size: int = PAGE_SIZE
) -> AsyncIterator[list[ExistingMember]]:
    """The guild's role holders, one page of the member list at a time (ascending user id)."""
    after: int | None = None
    while True:
        raw: list[Mapping[str, Any]] = await http.get_members(binding.guild_id, page_size, after)
        if not raw:
            return
        yield [person for payload in raw if (person := existing_member(payload, binding)) is not None]
        if len(raw) < page_size:
            return
        after = max(int(payload["user"]["id"]) for payload in raw)


async def adopt_guild(
    http: MemberLister,
    bus: Bus,
    community: CommunityConfig,
    *,
    dry_run: bool = False,
    page_size: int = PAGE_SIZE,
) -> AdoptionReport:
    """Adopt (or, in a dry run, count) one community's existing members."""
    if community.discord is None:
        raise ValueError(f"community {community.id!r} is not bound to a Discord guild")
    pages = discord_pages(http, community.discord, page_size=page_size)
    return await adopt_pages(bus, community.id, pages, dry_run=dry_run)


async def import_members(
    settings: Settings, community: CommunityConfig, bus: Bus, dry_run: bool = False
) -> AdoptionReport:
    """`townsquare members import` for a Discord community: log in over REST (no gateway), adopt,
    log out. DiscordStartError (one line naming the fix) when the token or guild cannot be used."""
    from adapters.discord.runner import BAD_TOKEN, DiscordStartError, configure_endpoints

    section = settings.discord
    if section is None or section.token is None or not section.token.get_secret_value().strip():
        raise DiscordStartError(
            "DISCORD_TOKEN is not set: export the bot token as DISCORD_TOKEN (or set token in [discord])"
        )
    if community.discord is None:
        raise DiscordStartError(f"community {community.id!r} has no [communities.discord] guild_id")
    restore = configure_endpoints(section)
    client = discord.Client(intents=discord.Intents.none())
    try:
        try:
            await client.login(section.token.get_secret_value().strip())
        except discord.LoginFailure:
            raise DiscordStartError(BAD_TOKEN) from None
        try:
            return await adopt_guild(client.http, bus, community, dry_run=dry_run)
        except discord.Forbidden:
            raise DiscordStartError(
                f"guild {community.discord.guild_id}: Discord refused the member list; turn on "
                "'Server Members Intent' for the bot (docs/discord.md)"
            ) from None
        except discord.NotFound:
            raise DiscordStartError(
                f"the bot is not in guild {community.discord.guild_id}; "
                "invite it with the URL in docs/discord.md"
            ) from None
    finally:
        await client.close()
        restore()


class Adoption:
    """The running bot's side: adopt every configured guild once per start, and anyone later given a
    membership role by a human (GUILD_MEMBER_UPDATE). Townsquare's own role grants reach here too;
    they change nothing, since adoption leaves members who are already admitted as they are."""

    def __init__(
        self, bus: Bus, communities: Iterable[CommunityConfig], *, page_size: int = PAGE_SIZE
    ) -> None:
        self.bus = bus
        self.communities = {c.discord.guild_id: c for c in communities if c.discord is not None}
        self.page_size = page_size
        self.reports: list[AdoptionReport] = []

    async def adopt_all(self, http: MemberLister) -> list[AdoptionReport]:
        """Each guild in turn; one that fails is logged and does not stop the others."""
        for guild_id, community in self.communities.items():
            try:
                report = await adopt_guild(http, self.bus, community, page_size=self.page_size)
            except discord.HTTPException as exc:
                log.error(
                    "guild %s: could not read the member list to adopt existing members (%s %s); "
                    "check the bot is in the server with the Server Members intent",
                    guild_id,
                    exc.status,
                    exc.text[:200],
                )
                continue
            self.reports.append(report)  # adopt_pages logged its one line
        return self.reports

    async def role_changed(self, data: Mapping[str, Any], held_before: bool) -> bool:
        """A GUILD_MEMBER_UPDATE: adopt the person when they now hold a membership role and did not
        before (or were not cached). True when a command was sent."""
        community = self.communities.get(int(data.get("guild_id", 0)))
        if community is None or community.discord is None or held_before:
            return False
        person = existing_member(data, community.discord)
        if person is None or person.is_bot:
            return False
        await self.bus.handle(AdoptMembers(community_id=community.id, members=(person,)))
        return True
