"""`townsquare doctor` on Slack: the scopes the manifest asks for are granted, and the bot is in every
configured channel (Slack lets a bot post, invite or read only where it is a member).

The checks are pure over what the Web API answers (auth.test's `X-OAuth-Scopes` header,
conversations.info per channel); `diagnose` fetches it with the real token, and `run` logs the same
findings at start (adapters/slack/runner.py).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from adapters.doctor import Problem
from adapters.slack.manifest import BOT_SCOPES
from adapters.slack.settings import SlackCommunity, SlackSettings

log = logging.getLogger("townsquare.slack")

REINSTALL = (
    "add them under OAuth & Permissions → Bot Token Scopes (or recreate the app from "
    "`townsquare slack-manifest`), then reinstall the app to the workspace"
)


def granted_scopes(headers: Mapping[str, Any]) -> set[str] | None:
    """The scopes auth.test's `X-OAuth-Scopes` header grants; None when the header is absent."""
    for name, value in headers.items():
        if name.lower() == "x-oauth-scopes":
            text = value[0] if isinstance(value, list) else str(value)
            return {scope.strip() for scope in text.split(",") if scope.strip()}
    return None


def check_scopes(community_id: str, granted: set[str] | None) -> list[Problem]:
    """The manifest's bot scopes that the token lacks."""
    if granted is None:
        return []  # an enterprise proxy may drop the header: nothing to compare, nothing to claim
    missing = [scope for scope in BOT_SCOPES if scope not in granted]
    if not missing:
        return []
    return [Problem(community_id, f"the bot token lacks the scope(s) {', '.join(missing)}", REINSTALL)]


def configured_channels(config: SlackCommunity) -> list[tuple[str, str]]:
    """(setting, channel id) for every channel the community's configuration names."""
    found = [
        (f"channels.{name}", getattr(config.channels, name)) for name in type(config.channels).model_fields
    ]
    found += [(f"member_channels ({channel})", channel) for channel in config.member_channels]
    return [(setting, channel) for setting, channel in found if channel]


def check_channel(
    community_id: str, setting: str, channel_id: str, info: Mapping[str, Any] | None
) -> list[Problem]:
    """One configured channel: it must exist (for the bot) and have the bot in it. `info` is
    conversations.info's channel, None when Slack answered channel_not_found."""
    where = f"communities.slack.{setting}"
    if info is None:
        return [
            Problem(
                community_id,
                f"{where} names {channel_id}, which the bot cannot find (it does not exist, or it is "
                "private and the bot is not in it)",
                "copy the channel id again (channel details → About), and type /invite @townsquare in it",
            )
        ]
    if not info.get("is_member"):
        name = info.get("name") or channel_id
        return [
            Problem(
                community_id,
                f"the bot is not in #{name} ({where})",
                f"type /invite @townsquare in #{name}",
            )
        ]
    return []


async def check_community(
    client: AsyncWebClient,
    community_id: str,
    config: SlackCommunity,
    auth: Mapping[str, Any],
    scopes: set[str] | None,
) -> list[Problem]:
    """Check one workspace binding with an authenticated client."""
    problems = check_scopes(community_id, scopes)
    team = auth.get("team_id")
    if team and team != config.team_id:
        problems.append(
            Problem(
                community_id,
                f"SLACK_BOT_TOKEN belongs to workspace {team}, not communities.slack.team_id = "
                f"{config.team_id}",
                "set team_id to the workspace the app is installed in, or use that workspace's token",
            )
        )
        return problems
    for setting, channel_id in configured_channels(config):
        try:
            info = (await client.conversations_info(channel=channel_id)).get("channel")
        except SlackApiError as exc:
            if exc.response.get("error") != "channel_not_found":
                raise
            info = None
        problems += check_channel(community_id, setting, channel_id, info)
    return problems


async def check_all(
    client: AsyncWebClient, communities: Sequence[Any], auth: AsyncSlackResponse | None = None
) -> list[Problem]:
    """Check every Slack community (with `auth`, the auth.test answer start-up already has); one
    failing check never stops the others."""
    ids = [c for c in communities if c.platform == "slack" and c.slack is not None]
    if not ids:
        return []
    try:
        auth = auth or await client.auth_test()
    except SlackApiError as exc:
        return [
            Problem(
                c.id,
                f"Slack refused SLACK_BOT_TOKEN ({exc.response.get('error')})",
                "copy the Bot User OAuth Token (xoxb-…) again from OAuth & Permissions",
            )
            for c in ids
        ]
    scopes = granted_scopes(auth.headers)
    problems: list[Problem] = []
    for community in ids:
        try:
            problems += await check_community(client, community.id, community.slack, auth.data, scopes)  # type: ignore[arg-type]
        except (SlackApiError, SlackClientError, aiohttp.ClientError, TimeoutError) as exc:
            problems.append(
                Problem(community.id, f"Slack refused the checks ({exc})", "run townsquare doctor again")
            )
    return problems


async def diagnose(section: SlackSettings, communities: Sequence[Any]) -> list[Problem]:
    """Check every Slack community with the configured bot token."""
    from adapters.slack.app import SlackConfigError, make_client

    try:
        client = make_client(section)
    except SlackConfigError as exc:
        return [Problem(c.id, str(exc).split(":")[0], str(exc)) for c in communities if c.platform == "slack"]
    try:
        return await check_all(client, communities)
    except (SlackClientError, aiohttp.ClientError, TimeoutError) as exc:
        fix = f"check [slack] api_base_url ({section.api_base_url}) and the network"
        return [
            Problem(c.id, f"cannot reach the Slack API ({exc})", fix)
            for c in communities
            if c.platform == "slack"
        ]
