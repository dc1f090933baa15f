"""Ports of badges: what its handlers need from storage, as Protocols."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from bot.core.badges.rules import MemberStats
from bot.core.refs import MemberRef


class BadgeRepository(Protocol):
    async def award(
        self, community_id: str, member_id: int, badge_key: str, reason: str, now: datetime
    ) -> bool:
        """Record an award; False when the member already has this badge (awards happen once)."""
        ...

    async def keys_of(self, member_id: int) -> set[str]: ...

    async def held(self, member_ids: Sequence[int]) -> dict[int, set[str]]:
        """Badge keys per member (members without badges are absent)."""
        ...

    async def awards_of(self, member_id: int) -> list[BadgeAward]:
        """A member's awards, oldest first."""
        ...

    async def candidates(
        self, community_id: str, member_ids: Sequence[int], current_week: date
    ) -> list[BadgeCandidate]:
        """The admitted ones among these members (others are absent), by id, each with their all-time
        stats (ContributionRepository.stats) and the badges they hold: what a stat rule recheck needs,
        read at once."""
        ...


@dataclass(frozen=True)
class BadgeCandidate:
    """An admitted member whose stat badges are rechecked."""

    member_id: int
    member: MemberRef
    stats: MemberStats
    held: frozenset[str]


@dataclass(frozen=True)
class BadgeAward:
    """A badge a member holds."""

    badge_key: str
    reason: str
    awarded_at: datetime


@dataclass(frozen=True)
class TierState:
    """A member's tier, since when, and since when they have been short of it (None: they are not)."""

    member_id: int
    member: MemberRef
    tier: str
    since: datetime
    at_risk_since: datetime | None = None


class TierRepository(Protocol):
    async def window_stats(
        self, community_id: str, since_week: date, member_ids: Sequence[int] | None = None
    ) -> dict[int, MemberStats]:
        """Admitted members' counts over the weeks from `since_week` (`active_weeks` = weeks with a
        contribution, not a streak): those given, else everyone with a contribution in the window."""
        ...

    async def states(self, community_id: str) -> dict[int, TierState]:
        """Every member holding a tier."""
        ...

    async def state(self, member_id: int) -> TierState | None: ...

    async def set_tier(self, community_id: str, member_id: int, tier: str | None, now: datetime) -> None:
        """Hold `tier` from `now` (None: no tier); clears any grace."""
        ...

    async def set_at_risk(self, member_id: int, since: datetime | None) -> None: ...
