"""Day one on an existing Slack workspace: the people already in the member channels are members.

People already in a workspace never send `team_join`, so at start (and on `townsquare members
import`) each community pages through `conversations.members` of its member channels (1,000 ids a
page), adds its configured moderators and leads (user ids and `usergroups.users.list`), and adopts
them through `adapters.adoption.adopt_pages`. Only the user ids are held, to count each person once
across channels; profiles are read a page at a time (`users.info` for a few people, `users.list`
pages for many: one call per 1,000 people instead of one per person). Slack gives no workspace join
date, so adopted members are dated by the adoption itself.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Collection

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.adoption import AdoptionReport, adopt_pages
from adapters.slack.app import SlackAdapter, SlackConfigError, make_client
from adapters.slack.identity import SlackDirectory
from adapters.slack.staff import existing_member, load_staff_groups
from bot.config import CommunityConfig, Settings
from bot.core.bus import Bus
from bot.core.gates.commands import ExistingMember

log = logging.getLogger("townsquare.slack")

PAGE = 1000  # conversations.members and users.list: Slack's largest page
FEW = 200  # up to this many people, one users.info each beats paging through the whole workspace
SLACK_FAILURES = (SlackApiError, SlackClientError, aiohttp.ClientError, TimeoutError)


async def channel_members(client: AsyncWebClient, channel: str) -> AsyncIterator[list[str]]:
    """The user ids in a channel, a page at a time (cursor pagination)."""
    cursor: str | None = None
    while True:
        page = await client.conversations_members(channel=channel, limit=PAGE, cursor=cursor)
        yield [str(user) for user in page.get("members") or []]
        cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
        if not cursor:
            return


async def member_ids(
    client: AsyncWebClient, directory: SlackDirectory, community: CommunityConfig, bot_user_id: str
) -> set[str]:
    """Everyone who counts as a member: the member channels' people and the configured staff, once each."""
    ids = directory.staff_users(community)
    for channel in community.slack.member_channels if community.slack else ():
        async for page in channel_members(client, channel):
            ids.update(page)
    ids.discard(bot_user_id)
    return ids


async def existing_pages(client: AsyncWebClient, ids: Collection[str]) -> AsyncIterator[list[ExistingMember]]:
    """The people behind `ids` (bots and deactivated accounts left out), a page at a time."""
    if len(ids) <= FEW:
        page: list[ExistingMember] = []
        for user_id in sorted(ids):
            found = await client.users_info(user=user_id)
            person = existing_member(found.get("user") or {})
            if person is not None:
                page.append(person)
            if len(page) >= PAGE:
                yield page
                page = []
        yield page
        return
    cursor: str | None = None
    while True:
        listed = await client.users_list(limit=PAGE, cursor=cursor)
        people = (existing_member(user) for user in listed.get("members") or [] if user.get("id") in ids)
        yield [person for person in people if person is not None]
        cursor = (listed.get("response_metadata") or {}).get("next_cursor") or None
        if not cursor:
            return


async def adopt_community(
    client: AsyncWebClient,
    bus: Bus,
    community: CommunityConfig,
    directory: SlackDirectory,
    bot_user_id: str,
    *,
    dry_run: bool = False,
) -> AdoptionReport:
    """Adopt one community's existing members (user groups are read first)."""
    await load_staff_groups(client, directory, community)
    ids = await member_ids(client, directory, community, bot_user_id)
    return await adopt_pages(bus, community.id, existing_pages(client, ids), dry_run=dry_run)


async def adopt_at_start(adapter: SlackAdapter, bus: Bus) -> list[AdoptionReport]:
    """`townsquare run`: adopt every Slack community's existing members; one failing community is
    logged and does not stop the others."""
    reports = []
    for community in adapter.directory.communities():
        try:
            reports.append(
                await adopt_community(adapter.client, bus, community, adapter.directory, adapter.bot_user_id)
            )
        except (*SLACK_FAILURES, RuntimeError) as exc:
            log.warning("slack %s: could not adopt the existing members: %s", community.id, exc)
    return reports


async def import_members(
    settings: Settings, community: CommunityConfig, bus: Bus, dry_run: bool
) -> AdoptionReport:
    """`townsquare members import` for a Slack community: the same adoption, with the configured token."""
    if settings.slack is None:
        raise SlackConfigError("no [slack] section in the configuration")
    client = make_client(settings.slack)
    try:
        auth = await client.auth_test()
    except SlackApiError as exc:
        raise SlackConfigError(f"Slack refused SLACK_BOT_TOKEN ({exc.response.get('error')})") from None
    directory = SlackDirectory([community])
    bot_user_id = str(auth.get("user_id") or "")
    return await adopt_community(client, bus, community, directory, bot_user_id, dry_run=dry_run)
