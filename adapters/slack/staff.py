"""Who counts on day one: Slack user objects as people to adopt, and the staff user groups."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.identity import PLATFORM, SlackDirectory
from bot.config import CommunityConfig
from bot.core.gates.commands import ExistingMember
from bot.core.refs import MemberRef

log = logging.getLogger("townsquare.slack")


def existing_member(user: Mapping[str, Any]) -> ExistingMember | None:
    """A Slack user object as a person to adopt; None for bots, Slackbot and deactivated accounts."""
    user_id = str(user.get("id") or "")
    if not user_id or user.get("is_bot") or user_id == "USLACKBOT" or user.get("deleted"):
        return None
    profile = user.get("profile") or {}
    name = (
        profile.get("display_name") or profile.get("real_name") or user.get("real_name") or user.get("name")
    )
    return ExistingMember(MemberRef(PLATFORM, user_id), str(name or "")[:100])


async def _group_users(client: AsyncWebClient, group: str) -> list[str]:
    found = await client.usergroups_users_list(usergroup=group)
    return [str(user) for user in found.get("users") or []]


async def load_staff_groups(
    client: AsyncWebClient, directory: SlackDirectory, community: CommunityConfig
) -> None:
    """Read who moderates and leads through the configured user groups into the directory."""
    binding = community.slack
    if binding is None:
        return
    moderators = [user for group in binding.moderator_groups for user in await _group_users(client, group)]
    leads = [user for group in binding.lead_groups for user in await _group_users(client, group)]
    directory.set_group_roles(community.id, moderators, leads)
    if binding.moderator_groups or binding.lead_groups:
        log.info(
            "slack %s: %d moderator(s) and %d lead(s) from user groups",
            community.id,
            len(moderators),
            len(leads),
        )
