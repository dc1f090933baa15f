"""Ports of challenges."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class Challenge:
    id: int
    title: str
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True)
class Entry:
    joined_at: datetime
    submitted_at: datetime | None = None
    completed_at: datetime | None = None


class ChallengeRepository(Protocol):
    async def create(
        self, community_id: str, title: str, starts_at: datetime, ends_at: datetime
    ) -> Challenge: ...

    async def get(self, community_id: str, challenge_id: int) -> Challenge | None: ...

    async def entry(self, challenge_id: int, member_id: int) -> Entry | None: ...

    async def join(self, challenge_id: int, member_id: int, now: datetime) -> bool:
        """False when the member had joined already."""
        ...

    async def submit(self, challenge_id: int, member_id: int, now: datetime) -> bool:
        """False when already submitted."""
        ...

    async def complete(self, challenge_id: int, member_id: int, now: datetime) -> bool:
        """False when already completed."""
        ...
