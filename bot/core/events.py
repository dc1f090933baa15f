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


# --- platform facts (adapters build these from platform events; metadata only, never text) ---


@dataclass(frozen=True, kw_only=True)
class MemberJoined(Event):
    """Someone arrived on the platform side (joined the guild, joined the workspace)."""

    member: MemberRef
    at: datetime
    display_name: str = ""
    is_bot: bool = False
    invite_code: str | None = None  # the referral invite that explains the join, when known
    invite_confidence: str | None = None  # "certain" | "likely" | "ambiguous"


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


# --- domain events shared by several features ---------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class MemberAdmitted(Event):
    """A person became a member (gates emit it; cohorts, badges and metrics subscribe)."""

    member_id: int
    member: MemberRef
    method: str  # AdmissionMethod value
    at: datetime
    referrer_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class BadgeAwarded(Event):
    """A badge was awarded, once (the announcement and role mapping subscribe)."""

    member_id: int
    member: MemberRef
    badge_key: str
    reason: str
    at: datetime


@dataclass(frozen=True, kw_only=True)
class CohortLaunched(Event):
    """A cohort was formed from the pool and its private space requested."""

    cohort_id: int
    member_ids: tuple[int, ...]
    at: datetime


@dataclass(frozen=True, kw_only=True)
class ContributionsRecorded(Event):
    """New contributions were recorded (by the ingest path or a handler); `member_ids` are the members
    whose badge-visible stats moved (see RecordedContributions.rechecks). Badges subscribe."""

    member_ids: tuple[int, ...]
    first_contributors: tuple[int, ...] = ()
    at: datetime
