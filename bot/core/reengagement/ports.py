"""Ports of re-engagement: what its handlers need from storage."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from bot.core.refs import MemberRef


@dataclass(frozen=True)
class Drifter:
    """A member found drifting, with who is best placed to reach out (None: nobody)."""

    member_id: int
    member: MemberRef
    reach_id: int | None = None
    via: str = ""  # "buddy" | "referrer" | "champion"


@dataclass(frozen=True)
class Missed:
    """What happened while a member was away."""

    joined: int
    helpful_answers: int


class DriftRepository(Protocol):
    async def drifting(
        self,
        community_id: str,
        lookback_from: date,
        silent_from: date,
        active_weeks: int,
        champions: list[str],
    ) -> list[Drifter]:
        """Admitted members active in `active_weeks` weeks of [lookback_from, silent_from) and silent
        since `silent_from`, without an open drift episode; with their buddy, referrer or else a member
        holding one of the `champions` tiers (the least busy) to reach out."""
        ...

    async def open_episode(self, community_id: str, drifter: Drifter, now: datetime) -> None: ...

    async def came_back(self, community_id: str, now: datetime) -> int:
        """Close the open episodes of members with a contribution in or after their episode's week;
        returns how many came back."""
        ...

    async def may_nudge(self, member_id: int, before: datetime) -> bool:
        """Not opted out, not nudged after `before`, and not opted out of reminders."""
        ...

    async def nudged(self, community_id: str, member_id: int, now: datetime) -> None: ...

    async def opt_out(self, community_id: str, member_id: int) -> None: ...

    async def missed(self, community_id: str, since: datetime, until: datetime) -> Missed: ...
