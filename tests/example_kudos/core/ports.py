"""Ports of kudos: what its handlers need from storage."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from bot.core.refs import MemberRef


class KudosRepository(Protocol):
    async def add(self, giver_id: int, receiver_id: int, at: datetime) -> None: ...

    async def top(self, community_id: str, limit: int) -> list[tuple[MemberRef, int]]:
        """Members by kudos received, most first."""
        ...
