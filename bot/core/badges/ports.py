"""Ports of badges: what its handlers need from storage, as Protocols."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


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


@dataclass(frozen=True)
class BadgeAward:
    """A badge a member holds."""

    badge_key: str
    reason: str
    awarded_at: datetime
