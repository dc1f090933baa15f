"""Who is acting, in which community: Slack workspace → community, Slack user → Actor.

Roles come from the configuration (`moderator_users`, `lead_users`): with none configured nobody
moderates (fail closed). MEMBER comes from the database; the bus checks it again for every command.
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
        return frozenset(roles)

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
