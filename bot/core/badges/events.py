"""Domain events of badges: other features react to these on the bus."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.core.events import Event
from bot.core.refs import MemberRef


@dataclass(frozen=True, kw_only=True)
class BadgeAwarded(Event):
    """A badge was awarded, once (the announcement and role mapping subscribe)."""

    member_id: int
    member: MemberRef
    badge_key: str
    reason: str
    at: datetime


@dataclass(frozen=True, kw_only=True)
class BadgeEarned(Event):
    """Another feature decided, for its own reason, that a member earned the badge `badge_key` (AMA
    host, showcase presenter, founding member). Badges awards it once and then emits BadgeAwarded."""

    member_id: int
    member: MemberRef
    badge_key: str
    reason: str
