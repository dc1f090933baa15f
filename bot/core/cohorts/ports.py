"""Ports of cohorts: what its handlers need from storage, as Protocols."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Protocol

from bot.core.cohorts.buddy_rules import BuddyCandidate, Newcomer
from bot.core.cohorts.rules import Cohort, CohortView, Waiting


class CohortRepository(Protocol):
    async def join_pool(self, community_id: str, member_id: int, since: datetime) -> bool:
        """Put a newcomer in the forming pool; False when they are already waiting, still onboarding in
        an active cohort (re-admitted within their first 14 days: they keep that cohort), or a founding
        member who left and came back (founders buddy newcomers, they do not onboard)."""
        ...

    async def waiting(self, community_id: str) -> list[Waiting]:
        """Admitted newcomers waiting, oldest first. Locks the community's pool until commit, so two
        transactions never launch the same newcomers; drops people who are no longer admitted."""
        ...

    async def waiting_since(self, member_id: int) -> datetime | None: ...

    async def leave_pool(self, member_ids: Sequence[int]) -> None: ...

    async def create(self, community_id: str, launched_at: datetime, member_ids: Sequence[int]) -> Cohort:
        """A new cohort, numbered per community, with these newcomers."""
        ...

    async def buddy_candidates(self, community_id: str, badge_keys: Sequence[str]) -> list[BuddyCandidate]:
        """Admitted members holding one of the badges, with how many newcomers they buddy now."""
        ...

    async def stand_ins(self, community_id: str) -> list[BuddyCandidate]:
        """Founding members, staff and adopted members: buddies while too few graduates exist."""
        ...

    async def set_match(self, member_id: int, field: str, value: str) -> None:
        """A member's pick for a matching field (role, industry)."""
        ...

    async def past_pairs(self, member_ids: Sequence[int]) -> set[frozenset[int]]:
        """Every buddy pair, either way round, that involved one of these members."""
        ...

    async def add_buddies(
        self, cohort_id: int, buddies: Mapping[int, Sequence[int]], now: datetime
    ) -> None: ...

    async def newcomers(
        self, member_ids: Sequence[int], choices: Mapping[str, Sequence[str]] | None = None
    ) -> list[Newcomer]:
        """Newcomers with their declared interests, the words of their application answers and their
        role/industry picks (with /cohort, or an application answer of that key among `choices`)."""
        ...

    async def active(self, community_id: str) -> list[CohortView]: ...

    async def view(self, cohort_id: int) -> CohortView | None: ...

    async def of_member(self, member_id: int) -> CohortView | None:
        """The newest cohort the member onboarded with."""
        ...

    async def buddying(self, member_id: int) -> list[CohortView]:
        """Active cohorts where the member is a buddy."""
        ...

    async def mark_milestone(self, member_id: int, milestone: str, now: datetime) -> bool:
        """Record a milestone once; False when it was recorded before."""
        ...

    async def mark_milestones(self, member_ids: Sequence[int], milestone: str, now: datetime) -> set[int]:
        """Record a milestone once for each member; the members it was not recorded for before."""
        ...

    async def milestones(self, member_id: int) -> dict[str, datetime]: ...

    async def graduate(self, cohort_id: int, member_ids: Sequence[int], now: datetime) -> set[int]:
        """Mark newcomers of the cohort graduated (one statement); the ids not graduated before."""
        ...

    async def set_status(self, cohort_id: int, status: str) -> None: ...

    async def waiting_count(self, community_id: str) -> int: ...
