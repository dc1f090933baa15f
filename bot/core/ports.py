"""Ports: what the core needs from the outside, as Protocols. Storage and adapters implement them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, Self

from bot.core.effects import Effect
from bot.core.events import Event
from bot.core.model.digest import Digest
from bot.core.model.members import Member
from bot.core.model.metrics import DigestData, MetricsPolicy, WeekMetrics
from bot.core.model.weeks import Period
from bot.core.refs import MemberRef


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


class ContributionSink(Protocol):
    """Where adapters send high-volume platform facts (messages, reactions): a bounded queue
    written in batches, not one transaction per event."""

    async def submit(self, event: Event) -> None: ...


class MetricsReader(Protocol):
    """Read-side SQL over the rollups for health metrics and the digest (definitions: docs/metrics.md).

    Reads on a read-only connection of its own, so a report never holds SQLite's write lock."""

    async def week(self, community_id: str, period: Period, policy: MetricsPolicy) -> WeekMetrics:
        """Every metric for one period."""
        ...

    async def digest(self, community_id: str, period: Period, policy: MetricsPolicy) -> DigestData:
        """What a digest shows: this period and the one before, the trend, cohorts, action lists."""
        ...


class ChartRenderer(Protocol):
    """Draws the digest chart (bot/charts.py: matplotlib, outside the core)."""

    async def digest_chart(self, digest: Digest) -> bytes:
        """PNG bytes: the 12-week trend and cohort retention."""
        ...


class UnitOfWork(Protocol):
    """One transaction. State changes and the effects they cause commit together."""

    communities: CommunityRepository
    members: MemberRepository
    outbox: OutboxRepository
    processed: ProcessedEventRepository
    refs: PlatformRefRepository
    badges: BadgeRepository
    metrics: MetricsReader

    async def __aenter__(self) -> Self: ...

    async def __aexit__(self, *exc: object) -> None: ...

    async def commit(self) -> None: ...

    async def rollback(self) -> None: ...
