"""Ports: what the core needs from the outside, as Protocols. Storage and adapters implement them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol, Self

from bot.core.effects import Effect
from bot.core.events import Event
from bot.core.model.applications import Answer, Application, ApplicationStatus
from bot.core.model.gates import GateState, ReferralCode
from bot.core.model.members import AdmissionMethod, Member
from bot.core.refs import MemberRef
from bot.core.settings import GateMode


class Clock(Protocol):
    """The only source of the current time (timezone-aware UTC)."""

    def now(self) -> datetime: ...


@dataclass(frozen=True)
class PlatformRef:
    """Where a platform put something the core named (a posted message, a private space)."""

    channel_id: str
    message_id: str | None = None


class DeliveryError(Exception):
    """A notifier could not carry out an effect. Retryable errors are tried again with backoff."""

    def __init__(self, message: str, *, retryable: bool = True) -> None:
        super().__init__(message)
        self.retryable = retryable


class Notifier(Protocol):
    """Carries out effects on one platform; returns refs to remember (e.g. the posted message id)."""

    platform: str

    async def deliver(self, effect: Effect, refs: Mapping[str, PlatformRef]) -> Mapping[str, PlatformRef]: ...


@dataclass(frozen=True)
class OutboxItem:
    """One effect waiting in the outbox."""

    id: int
    community_id: str
    platform: str
    effect: Effect
    attempts: int
    status: str
    last_error: str | None
    created_at: datetime


class OutboxRepository(Protocol):
    async def add(
        self, effect: Effect, *, platform: str, now: datetime, dedupe_key: str | None = None
    ) -> bool:
        """Queue an effect; False when `dedupe_key` was queued before (the effect is dropped)."""
        ...

    async def due(self, platforms: Sequence[str], now: datetime, limit: int) -> list[OutboxItem]: ...

    async def claim(self, item_id: int, now: datetime, lease_until: datetime) -> bool: ...

    async def mark_done(self, item_id: int, now: datetime) -> None: ...

    async def mark_failed(self, item_id: int, error: str, next_attempt_at: datetime | None) -> None:
        """Record a failure; with no next attempt the item is parked for leads to see."""
        ...

    async def parked(self, community_id: str | None = None) -> list[OutboxItem]: ...

    async def requeue_parked(self, item_ids: Sequence[int], now: datetime) -> int: ...


class ProcessedEventRepository(Protocol):
    async def claim(self, platform: str, event_id: str, now: datetime) -> bool:
        """True the first time a platform event id is seen; False for a replay or retry."""
        ...


class PlatformRefRepository(Protocol):
    async def get_many(self, community_id: str, keys: Sequence[str]) -> dict[str, PlatformRef]: ...

    async def put(self, community_id: str, key: str, ref: PlatformRef, now: datetime) -> None: ...


class CommunityRepository(Protocol):
    async def ensure(self, community_id: str, name: str, platform: str, now: datetime) -> None: ...

    async def get_state(self, community_id: str) -> dict[str, Any] | None: ...

    async def set_state(self, community_id: str, **values: Any) -> None: ...


class MemberRepository(Protocol):
    async def get(self, member_id: int) -> Member | None: ...

    async def by_ref(self, community_id: str, ref: MemberRef) -> Member | None: ...

    async def upsert_seen(
        self,
        community_id: str,
        ref: MemberRef,
        now: datetime,
        *,
        display_name: str = "",
        is_bot: bool = False,
    ) -> Member:
        """The member row for a platform user, created (status "pending") the first time they are seen."""
        ...

    async def save(self, member: Member) -> None: ...

    async def count_admitted(self, community_id: str) -> int: ...


class BadgeRepository(Protocol):
    async def award(
        self, community_id: str, member_id: int, badge_key: str, reason: str, now: datetime
    ) -> bool:
        """Record an award; False when the member already has this badge (awards happen once)."""
        ...

    async def keys_of(self, member_id: int) -> set[str]: ...


class GateRepository(Protocol):
    """The community's gate switches, admissions and the per-person attempt counter."""

    async def state(self, community_id: str) -> GateState: ...

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


class ContributionSink(Protocol):
    """Where adapters send high-volume platform facts (messages, reactions): a bounded queue
    written in batches, not one transaction per event."""

    async def submit(self, event: Event) -> None: ...


class UnitOfWork(Protocol):
    """One transaction. State changes and the effects they cause commit together."""

    communities: CommunityRepository
    members: MemberRepository
    outbox: OutboxRepository
    processed: ProcessedEventRepository
    refs: PlatformRefRepository
    badges: BadgeRepository
    gates: GateRepository
    referrals: ReferralCodeRepository
    applications: ApplicationRepository

    async def __aenter__(self) -> Self: ...

    async def __aexit__(self, *exc: object) -> None: ...

    async def commit(self) -> None: ...

    async def rollback(self) -> None: ...
