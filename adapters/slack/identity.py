"""Who is acting, in which community: Slack workspace → community, Slack user → Actor.

Roles come from the configuration (`moderator_users`, `lead_users`, and the members of
`moderator_groups` / `lead_groups`, read at start): with none configured nobody moderates (fail
closed). A lead is a moderator too, as on Discord (`adapters/discord/identity.py`). MEMBER comes from
the database; the bus checks it again for every command.
A workspace that uninstalled the app or revoked its tokens is stopped until restart.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from adapters.slack.settings import SlackCommunity
from bot.config import CommunityConfig
from bot.core.ports import UnitOfWork
from bot.core.refs import Actor, MemberRef, Role

log = logging.getLogger("townsquare.slack")

PLATFORM = "slack"


class SlackDirectory:
    """The Slack communities of this configuration, by workspace (team id) and by community id."""

    def __init__(self, communities: Iterable[CommunityConfig]) -> None:
        self._by_team: dict[str, CommunityConfig] = {}
        self._by_id: dict[str, CommunityConfig] = {}
        for community in communities:
            if community.platform != PLATFORM or community.slack is None:
                continue
            if community.slack.team_id in self._by_team:
                raise ValueError(
                    f"communities {self._by_team[community.slack.team_id].id!r} and {community.id!r} "
                    f"both claim Slack workspace {community.slack.team_id}"
                )
            self._by_team[community.slack.team_id] = community
            self._by_id[community.id] = community
        self._stopped: dict[str, str] = {}
        self._group_roles: dict[str, dict[str, frozenset[Role]]] = {}

    def __bool__(self) -> bool:
        return bool(self._by_id)

    def for_team(self, team_id: str | None) -> CommunityConfig | None:
        """The community bound to a workspace, None for a workspace this configuration does not know."""
        return self._by_team.get(team_id or "")

    def binding(self, community_id: str) -> SlackCommunity | None:
        """The `[communities.slack]` section of a community."""
        community = self._by_id.get(community_id)
        return community.slack if community is not None else None

    def communities(self) -> list[CommunityConfig]:
        return list(self._by_id.values())

    def roles(self, community: CommunityConfig, user_id: str) -> frozenset[Role]:
        """Configured roles of a Slack user (no configuration, no role)."""
        binding = community.slack
        if binding is None:
            return frozenset()
        roles: set[Role] = set()
        if user_id in binding.moderator_users:
            roles.add(Role.MODERATOR)
        if user_id in binding.lead_users:
            roles |= {Role.LEAD, Role.MODERATOR}  # leads can do what moderators do, as on Discord
        roles |= self._group_roles.get(community.id, {}).get(user_id, frozenset())
        return frozenset(roles)

    def set_group_roles(self, community_id: str, moderators: Iterable[str], leads: Iterable[str]) -> None:
        """Roles held through the configured user groups (replaces what was read before)."""
        found: dict[str, set[Role]] = {}
        for user in moderators:
            found.setdefault(user, set()).add(Role.MODERATOR)
        for user in leads:
            found.setdefault(user, set()).update((Role.LEAD, Role.MODERATOR))
        self._group_roles[community_id] = {user: frozenset(roles) for user, roles in found.items()}

    def staff_users(self, community: CommunityConfig) -> set[str]:
        """Everyone configured as a moderator or lead, by user id or through a user group."""
        binding = community.slack
        staff = set(self._group_roles.get(community.id, {}))
        if binding is not None:
            staff |= set(binding.moderator_users) | set(binding.lead_users)
        return staff

    def is_staff(self, community: CommunityConfig, user_id: str) -> bool:
        return bool(self.roles(community, user_id))

    # --- workspaces that removed the app -----------------------------------------------------

    def stop(self, team_id: str, reason: str) -> None:
        """No more requests or deliveries for this workspace until restart (its token is gone)."""
        if team_id not in self._stopped:
            log.warning("slack workspace %s stopped: %s; restart after reinstalling the app", team_id, reason)
        self._stopped[team_id] = reason

    def stopped(self, team_id: str | None) -> str | None:
        """Why a workspace is stopped, or None when it is running."""
        return self._stopped.get(team_id or "")


class IdentityResolver:
    """Builds the Actor for a Slack user in a community."""

    def __init__(self, directory: SlackDirectory, uow_factory: Callable[[], UnitOfWork]) -> None:
        self.directory = directory
        self.uow_factory = uow_factory

    async def actor(self, community: CommunityConfig, user_id: str, display_name: str = "") -> Actor:
        """Configured roles, plus MEMBER when the database says the person is admitted."""
        ref = MemberRef(PLATFORM, user_id)
        roles = set(self.directory.roles(community, user_id))
        async with self.uow_factory() as uow:
            member = await uow.members.by_ref(community.id, ref)
        if member is not None and member.is_admitted:
            roles.add(Role.MEMBER)
        return Actor(ref=ref, community_id=community.id, roles=frozenset(roles), display_name=display_name)
