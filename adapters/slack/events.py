"""Slack Events API payloads → core platform facts. Metadata only: message text never leaves here."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from bot.core.events import MemberJoined, MessagePosted, ReactionAdded
from bot.core.refs import MemberRef

PLATFORM = "slack"
# Message subtypes that are someone posting; the others are edits, deletions, joins, bots, topics…
POST_SUBTYPES = frozenset({None, "thread_broadcast", "file_share", "me_message"})
COMMUNITY_CHANNEL_TYPES = frozenset({"channel", "group"})  # not DMs with the bot
# Everything in a message event that could carry what was written.
CONTENT_KEYS = ("text", "blocks", "attachments", "files", "message", "previous_message", "root")


def drop_content(event: dict[str, Any]) -> None:
    """Remove the text of a message event in place, before anything else can see or log it."""
    for key in CONTENT_KEYS:
        event.pop(key, None)


def slack_time(ts: Any, fallback: datetime) -> datetime:
    """A Slack timestamp ("1700000000.000100") as an aware UTC datetime."""
    try:
        return datetime.fromtimestamp(float(ts), UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return fallback


def message_posted(community_id: str, event: Mapping[str, Any], now: datetime) -> MessagePosted | None:
    """A member's post in a community channel; None for edits, bots, system messages and DMs."""
    if event.get("subtype") not in POST_SUBTYPES or event.get("bot_id") or event.get("hidden"):
        return None
    user, channel, ts = event.get("user"), event.get("channel"), event.get("ts")
    if not (user and channel and ts):
        return None
    if event.get("channel_type", "channel") not in COMMUNITY_CHANNEL_TYPES:
        return None
    thread_ts = event.get("thread_ts")
    return MessagePosted(
        community_id=community_id,
        member=MemberRef(PLATFORM, str(user)),
        channel_id=str(channel),
        message_id=str(ts),
        at=slack_time(ts, now),
        in_thread=bool(thread_ts) and thread_ts != ts,
    )


def reaction_added(community_id: str, event: Mapping[str, Any], now: datetime) -> ReactionAdded | None:
    """A reaction to a message (reactions to files are not contributions)."""
    item = event.get("item") or {}
    user = event.get("user")
    if item.get("type") != "message" or not user or not item.get("channel") or not item.get("ts"):
        return None
    author = event.get("item_user")
    return ReactionAdded(
        community_id=community_id,
        member=MemberRef(PLATFORM, str(user)),
        channel_id=str(item["channel"]),
        message_id=str(item["ts"]),
        at=slack_time(event.get("event_ts"), now),
        message_author=MemberRef(PLATFORM, str(author)) if author else None,
    )


def team_join(community_id: str, event: Mapping[str, Any], now: datetime) -> MemberJoined | None:
    """Someone joined the workspace (an admin invited them): the gate decides what they may see."""
    user = event.get("user")
    if not isinstance(user, Mapping) or not user.get("id"):
        return None
    profile = user.get("profile") or {}
    name = (
        profile.get("display_name") or profile.get("real_name") or user.get("real_name") or user.get("name")
    )
    return MemberJoined(
        community_id=community_id,
        member=MemberRef(PLATFORM, str(user["id"])),
        at=now,
        display_name=str(name or ""),
        is_bot=bool(user.get("is_bot")) or user.get("id") == "USLACKBOT",
    )


def channel_join(community_id: str, event: Mapping[str, Any], now: datetime) -> MemberJoined | None:
    """Someone joined a channel (used for the lobby: people already in the workspace arrive there)."""
    user = event.get("user")
    if not user:
        return None
    return MemberJoined(community_id=community_id, member=MemberRef(PLATFORM, str(user)), at=now)
