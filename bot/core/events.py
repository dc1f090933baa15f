"""Events: facts, named NounVerbed. Platform facts come in from adapters; domain events are emitted by
handlers and handled in the same unit of work (so their effects commit with the state change)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.core.refs import MemberRef


@dataclass(frozen=True, kw_only=True)
class Event:
    """Base class for every event."""

    community_id: str


@dataclass(frozen=True, kw_only=True)
class MemberJoined(Event):
    """Someone arrived on the platform side (joined the guild, joined the workspace)."""

    member: MemberRef
    at: datetime
    display_name: str = ""
    is_bot: bool = False
    invite_code: str | None = None  # the referral invite that explains the join, when known
    invite_confidence: str | None = None  # "certain" | "inferred" | "likely" | "ambiguous"


@dataclass(frozen=True, kw_only=True)
class MemberLeft(Event):
    """Someone left the platform side (left the guild, was deactivated)."""

    member: MemberRef
    at: datetime


@dataclass(frozen=True, kw_only=True)
class MessagePosted(Event):
    """A message was posted. The adapter drops the text; only who, where and when remain."""

    member: MemberRef
    channel_id: str
    message_id: str
    at: datetime
    in_thread: bool = False
    is_bot: bool = False


@dataclass(frozen=True, kw_only=True)
class ReactionAdded(Event):
    """A member reacted to a message."""

    member: MemberRef
    channel_id: str
    message_id: str
    at: datetime
    message_author: MemberRef | None = None
    is_bot: bool = False
