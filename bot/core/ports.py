"""Ports: what the core needs from the outside, as Protocols. Storage and adapters implement them."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, Self, TypeVar

from bot.core.effects import Effect
from bot.core.members import Member
from bot.core.refs import MemberRef

P = TypeVar("P")


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


@dataclass(frozen=True)
class Attempt:
    """Which delivery this is: `key` names the outbox item for good (a platform that deduplicates by
    a caller's key, such as Discord's message nonce, gets it), and `resumed` says an earlier attempt
    may have reached the platform (a crash or a lost answer), so a platform that can look first should."""

    key: str
    resumed: bool = False


class Notifier(Protocol):
    """Carries out effects on one platform; returns refs to remember (e.g. the posted message id)."""

    platform: str

    async def deliver(
        self, effect: Effect, refs: Mapping[str, PlatformRef], attempt: Attempt | None = None
    ) -> Mapping[str, PlatformRef]: ...


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
    dedupe_key: str | None = None
    resumed: bool = False  # an earlier delivery was claimed and never finished (a crash mid-send)
    claimed_until: datetime | None = None  # the claim mark as read (given back as is when not attempted)


class OutboxRepository(Protocol):
    async def add(
        self, effect: Effect, *, platform: str, now: datetime, dedupe_key: str | None = None
    ) -> bool:
        """Queue an effect; False when `dedupe_key` was queued before (the effect is dropped)."""
        ...

    async def due(
        self,
        platforms: Sequence[str],
        now: datetime,
        limit: int,
        *,
        community_id: str | None = None,
        kinds: Sequence[str] | None = None,
        paused: Sequence[tuple[str, str]] = (),
    ) -> list[OutboxItem]:
        """Pending items due now, oldest first, leaving out (platform, community) pairs in `paused`
        and any item behind an earlier one of its lane that is waiting or being delivered."""
        ...

    async def claim_due(
        self,
        platforms: Sequence[str],
        now: datetime,
        limit: int,
        lease_until: datetime,
        *,
        community_id: str | None = None,
        kinds: Sequence[str] | None = None,
        paused: Sequence[tuple[str, str]] = (),
    ) -> tuple[list[OutboxItem], set[int]] | None:
        """`due`, and `claim` of all it read, in one statement where the database can do that exactly:
        the items as read and the ids claimed. None where it cannot (the caller then runs both)."""
        ...

    async def claim(self, item_ids: Sequence[int], now: datetime, lease_until: datetime) -> set[int]:
        """Claim these items until `lease_until`, in one statement; the ids actually claimed (an item
        another relay holds, or no longer pending, is left out)."""
        ...

    async def release(self, claims: Mapping[int, tuple[datetime | None, datetime]]) -> None:
        """Give back items claimed but not attempted: id -> (the claim mark it had before, the lease
        it was claimed until); an item whose lease someone else has taken over is left alone."""
        ...

    async def mark_done(self, item_ids: Sequence[int], now: datetime) -> None:
        """Record that these items were delivered (one statement for a batch)."""
        ...

    async def mark_failed(
        self,
        item_id: int,
        error: str,
        next_attempt_at: datetime | None,
        *,
        retryable: bool = True,
        counted: bool = True,
    ) -> None:
        """Record a failure; with no next attempt the item is parked for leads to see. An uncounted
        failure (a probe during an outage) spends none of the item's attempts."""
        ...

    async def parked(self, community_id: str | None = None) -> list[OutboxItem]: ...

    async def requeue_parked(self, item_ids: Sequence[int], now: datetime) -> int: ...

    async def parked_ids(
        self, *, platform: str | None = None, community_id: str | None = None, retryable: bool | None = None
    ) -> list[int]:
        """Ids of parked items, optionally only of one platform/community or failure kind."""
        ...


class ProcessedEventRepository(Protocol):
    async def claim(self, platform: str, event_id: str, now: datetime) -> bool:
        """True the first time a platform event id is seen; False for a replay or retry."""
        ...

    async def prune(self, before: datetime) -> int:
        """Forget event ids handled before `before` (older than any platform retry); how many went."""
        ...


class PlatformRefRepository(Protocol):
    async def get_many(self, community_id: str, keys: Sequence[str]) -> dict[str, PlatformRef]: ...

    async def put_many(self, refs: Sequence[tuple[str, str, PlatformRef]], now: datetime) -> None:
        """Remember several refs, given as (community, key, ref), in one statement."""
        ...


class CommunityRepository(Protocol):
    async def ensure(self, community_id: str, name: str, platform: str, now: datetime) -> None: ...

    async def privacy_salt(self, community_id: str) -> str:
        """The community's secret salt for keyed hashes (event keys, anonymous marks), made on first use."""
        ...


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

    async def referred_by(self, referrer_ids: Collection[int]) -> list[Member]:
        """The members these members referred (`referred_by_id`), oldest first."""
        ...


class JobRunRepository(Protocol):
    async def claim(self, job_key: str, scheduled_for: datetime, now: datetime) -> bool:
        """The unique run record: True for the first run of (job, scheduled time), False after."""
        ...

    async def ran(self, runs: Collection[tuple[str, datetime]]) -> set[tuple[str, datetime]]:
        """Which of these (job, scheduled time) pairs have a run record (only these are read)."""
        ...

    async def schedule_stamp(self) -> int | None:
        """The version of what the scheduler's jobs are built from (programme, polls); it moves
        in the same transaction as any change to them. None when the database keeps none."""
        ...

    async def stamp_and_ran(
        self, runs: Collection[tuple[str, datetime]]
    ) -> tuple[int | None, set[tuple[str, datetime]]]:
        """`schedule_stamp()` and `ran(runs)` in one round trip (one snapshot): a scheduler pass."""
        ...

    async def last_runs(self, job_keys: Collection[str]) -> dict[str, datetime]: ...

    async def prune(self, before: datetime) -> int: ...


class LeaseRepository(Protocol):
    async def acquire(self, name: str, holder: str, now: datetime, until: datetime) -> bool:
        """Take or renew the lease if it is free, expired or already ours (atomic in SQL)."""
        ...

    async def release(self, name: str, holder: str) -> None: ...

    async def holder(self, name: str, now: datetime) -> str | None: ...


class UnitOfWork(Protocol):
    """One transaction. State changes and the effects they cause commit together.

    The repositories every feature shares are attributes; a feature's own repository is looked up
    by its port, `uow.repo(IdeaRepository)`, so adding a feature never edits this protocol (its
    storage binds the port to an implementation in bot/features.py).
    """

    communities: CommunityRepository
    members: MemberRepository
    outbox: OutboxRepository
    processed: ProcessedEventRepository
    refs: PlatformRefRepository
    job_runs: JobRunRepository
    leases: LeaseRepository

    def repo(self, port: type[P]) -> P:
        """The implementation of a feature's repository port, bound to this transaction."""
        ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(self, *exc: object) -> None: ...

    async def commit(self) -> None: ...

    async def rollback(self) -> None: ...
