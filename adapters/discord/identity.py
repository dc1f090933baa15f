"""Who is acting: a Discord member becomes an `Actor` of the community bound to its guild."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import discord

from adapters.discord.settings import DiscordCommunity
from bot.config import CommunityConfig
from bot.core.refs import Actor, MemberRef, Role

PLATFORM = "discord"


def member_ref(user: discord.abc.Snowflake | int) -> MemberRef:
    """The core's reference to a Discord user."""
    return MemberRef(PLATFORM, str(user if isinstance(user, int) else user.id))


def user_id(ref: MemberRef) -> int:
    """The Discord user id behind a core reference; ValueError for another platform's member."""
    if ref.platform != PLATFORM or not ref.user_id.isdigit():
        raise ValueError(f"{ref} is not a Discord user")
    return int(ref.user_id)


def roles_of(user_id: int, role_ids: Iterable[int], binding: DiscordCommunity) -> frozenset[Role]:
    """Core roles from configured role and user ids only: a server admin is not a moderator unless
    the configuration says so (nothing configured, nobody moderates)."""
    held = set(role_ids)
    roles = binding.roles
    found: set[Role] = set()
    if roles.member is not None and roles.member in held:
        found.add(Role.MEMBER)
    if user_id in roles.lead_users or held & set(roles.leads):
        found |= {Role.LEAD, Role.MODERATOR}  # leads can do what moderators do
    if user_id in roles.moderator_users or held & set(roles.moderators):
        found.add(Role.MODERATOR)
    return frozenset(found)


def actor_for(user: discord.Member | discord.User, community: CommunityConfig) -> Actor:
    """The acting person; a `discord.User` (no guild context, e.g. in a DM) carries user-id roles only."""
    assert community.discord is not None
    role_ids = [role.id for role in user.roles] if isinstance(user, discord.Member) else []
    return Actor(
        ref=member_ref(user),
        community_id=community.id,
        roles=roles_of(user.id, role_ids, community.discord),
        display_name=user.display_name,
        is_bot=user.bot,
    )


@dataclass(frozen=True)
class Communities:
    """The configured Discord communities, found by guild id or community id."""

    by_guild: dict[int, CommunityConfig]

    @classmethod
    def of(cls, communities: Iterable[CommunityConfig]) -> Communities:
        return cls({c.discord.guild_id: c for c in communities if c.discord is not None})

    def for_guild(self, guild_id: int | None) -> CommunityConfig | None:
        return self.by_guild.get(guild_id) if guild_id is not None else None

    def get(self, community_id: str) -> CommunityConfig | None:
        return next((c for c in self.by_guild.values() if c.id == community_id), None)

    @property
    def guild_ids(self) -> list[int]:
        return list(self.by_guild)
