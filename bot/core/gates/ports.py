"""Ports of gates: what its handlers need from storage, as Protocols."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Protocol

from bot.core.gates.application_rules import Answer, Application, ApplicationStatus
from bot.core.gates.commands import ExistingMember
from bot.core.gates.rules import GateState, ReferralCode
from bot.core.gates.settings import GateMode
from bot.core.members import AdmissionMethod, Member
from bot.core.privacy.rules import MarkReason
from bot.core.refs import MemberRef


class GateRepository(Protocol):
    """The community's gate switches, admissions and the per-person attempt counter."""

    async def state(self, community_id: str) -> GateState: ...

    async def state_and_mark(
        self, community_id: str, ref: MemberRef, reason: MarkReason, now: datetime
    ) -> tuple[GateState, datetime | None]:
        """The gate state (as `state`) and, read with it, when the live anonymous mark of `reason` an
        erasure kept for this person ends (None: no such mark; see PrivacyRepository.mark_until)."""
        ...

    async def set_mode(self, community_id: str, mode: GateMode | None, switch_on: date | None) -> None:
        """A lead's override of the configured mode (None: back to the config)."""
        ...

    async def set_paused(self, community_id: str, paused: bool) -> bool:
        """Pause or resume admissions; False when it already was so."""
        ...

    async def start_burst(self, community_id: str, now: datetime) -> bool:
        """Mark a join burst as on; True only for the one caller that switched it on."""
        ...

    async def end_burst(self, community_id: str) -> None: ...

    async def record_join(self, community_id: str, at: datetime, window_start: datetime) -> int:
        """Remember a join (forgetting those before the window); returns the joins in the window."""
        ...

    async def lock_member(self, member_id: int) -> Member:
        """Serialise this person's gate commands until the transaction ends; returns the fresh row."""
        ...

    async def admit(
        self,
        member_id: int,
        *,
        method: AdmissionMethod,
        referrer_id: int | None,
        confidence: str | None,
        now: datetime,
    ) -> bool:
        """Admit a person who is not a member; False when they already are (someone else admitted them)."""
        ...

    async def adopt(self, community_id: str, people: Sequence[ExistingMember], now: datetime) -> list[int]:
        """Admit every person not yet admitted by method `adopted`, as of their join date (`now` when
        unknown); returns the ids of those newly admitted. Bots are never adopted."""
        ...

    async def not_admitted(self, community_id: str, people: Sequence[ExistingMember]) -> int:
        """How many of these people (bots aside) are not members: what `adopt` would admit."""
        ...

    async def earliest_adopted(self, community_id: str, limit: int) -> list[Member]:
        """The first `limit` members admitted by adoption, by join date (then id)."""
        ...

    async def failed_attempts(self, member_id: int, since: datetime) -> list[datetime]: ...

    async def record_failed_attempt(self, community_id: str, member_id: int, now: datetime) -> None: ...


class ReferralCodeRepository(Protocol):
    async def create(
        self,
        community_id: str,
        owner_id: int,
        code: str,
        *,
        now: datetime,
        expires_at: datetime,
        max_uses: int,
    ) -> ReferralCode | None:
        """Store a new code; None when the code exists already (draw another)."""
        ...

    async def by_code(self, community_id: str, code: str) -> ReferralCode | None: ...

    async def by_invite(self, community_id: str, invite_code: str) -> ReferralCode | None: ...

    async def live_of(self, owner_id: int, now: datetime) -> list[ReferralCode]:
        """The owner's codes that are not revoked, expired or used up, newest first."""
        ...

    async def quota(self, owner_id: int, now: datetime, since: datetime) -> tuple[list[ReferralCode], int]:
        """`live_of(owner_id, now)` and `created_since(owner_id, since)` in one read."""
        ...

    async def created_since(self, owner_id: int, since: datetime) -> int: ...

    async def consume(self, code_id: int, now: datetime) -> bool:
        """Use the code once if it is live and its owner a member; False when it is not (or no longer)."""
        ...

    async def revoke(self, owner_id: int, now: datetime, code: str | None = None) -> int:
        """Revoke the owner's live codes (or just `code`); returns how many."""
        ...

    async def attach_invite(self, community_id: str, code: str, invite_code: str) -> bool: ...


class ApplicationRepository(Protocol):
    async def add(
        self, community_id: str, member_id: int, answers: tuple[Answer, ...], now: datetime
    ) -> Application: ...

    async def get(self, application_id: int) -> Application | None: ...

    async def latest_of(self, member_id: int) -> Application | None: ...

    async def decide(
        self,
        application_id: int,
        status: ApplicationStatus,
        *,
        decided_by_id: int,
        now: datetime,
        reason: str | None = None,
    ) -> bool:
        """Decide a pending application; False when it was decided already (the other click won)."""
        ...

    async def pending(
        self, community_id: str, submitted_before: datetime | None = None
    ) -> list[Application]: ...
