"""Ports of privacy: what its handlers need from storage, as Protocols."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from bot.core.members import Member
from bot.core.privacy.rules import AnonymousMark, Cutoffs, MarkReason
from bot.core.refs import MemberRef


class PrivacyRepository(Protocol):
    async def export(self, member_id: int) -> dict[str, Any]:
        """Every exportable row that refers to the member, per table, as JSON-ready dicts."""
        ...

    async def erase(
        self, member: Member, marks: Sequence[AnonymousMark], now: datetime, names: Sequence[str] = ()
    ) -> dict[str, int]:
        """Delete or forget the member in every table as declared; in every stored text and key, replace
        their id, mentions and names (`names` besides the stored display name) by "a former member" or
        a keyed hash; drop outbox items addressed to them; keep only `marks` (hashed).
        Returns rows touched per table."""
        ...

    async def last_rejection_at(self, member_id: int) -> datetime | None: ...

    async def mark_until(
        self, community_id: str, ref: MemberRef, reason: MarkReason, now: datetime
    ) -> datetime | None:
        """When an erased person's anonymous mark for `reason` ends; None when none is in force."""
        ...


class RetentionRepository(Protocol):
    async def prune(self, community_id: str, before: Cutoffs) -> dict[str, int]:
        """Delete (or, for application answers and outbox files, empty) the community's records older
        than their cutoffs. Returns rows touched per kind."""
        ...
