"""Ports: what the core needs from the outside, as Protocols. Storage and adapters implement them."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol, Self

from bot.core.effects import Effect
from bot.core.events import Event
from bot.core.model.members import Member
from bot.core.model.programming import (
    NewSeries,
    Occurrence,
    OccurrenceStatus,
    Question,
    RsvpAnswer,
    RsvpCounts,
    Series,
    SeriesKind,
    SeriesStatus,
    Submission,
    SubmissionStatus,
)
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


class ContributionRepository(Protocol):
    async def record(
        self,
        community_id: str,
        member_id: int,
        kind: str,
        *,
        source_id: str,
        occurred_at: datetime,
        weight: float = 1.0,
        channel_id: str | None = None,
    ) -> bool:
        """Record a contribution once per (community, source_id), with its weekly rollup and the
        member's first contribution; False when that source was recorded before."""
        ...


# --- programming ---------------------------------------------------------------------------------


class SeriesRepository(Protocol):
    async def add(self, series: NewSeries, now: datetime) -> Series: ...

    async def upsert_configured(self, series: NewSeries, now: datetime) -> Series:
        """Create or update the series with this configuration key; its status is left alone."""
        ...

    async def get(self, series_id: int) -> Series | None: ...

    async def of_community(self, community_id: str, *, active_only: bool = True) -> list[Series]: ...

    async def set_status(self, series_id: int, status: SeriesStatus) -> bool: ...


class OccurrenceRepository(Protocol):
    async def ensure(
        self, series_id: int, local_date: date, starts_at: datetime, ends_at: datetime
    ) -> Occurrence:
        """The occurrence on this series date, created (scheduled) if it does not exist yet."""
        ...

    async def get(self, occurrence_id: int) -> Occurrence | None: ...

    async def on_date(self, series_id: int, local_date: date) -> Occurrence | None: ...

    async def save(self, occurrence: Occurrence) -> None:
        """Store times and status (announced_at only changes through mark_announced)."""
        ...

    async def mark_announced(self, occurrence_id: int, now: datetime) -> bool:
        """Set announced_at once; False when it was already announced."""
        ...

    async def set_status(
        self, occurrence_id: int, status: OccurrenceStatus, *, only_from: Collection[OccurrenceStatus]
    ) -> bool:
        """Change the status if it is one of `only_from` (settled in SQL); True when it changed."""
        ...

    async def of_series(self, series_id: int, *, ending_after: datetime) -> list[Occurrence]: ...

    async def upcoming(
        self, community_id: str, after: datetime, limit: int, *, kind: SeriesKind | None = None
    ) -> list[tuple[Series, Occurrence]]:
        """Happening occurrences of active series starting after `after`, soonest first."""
        ...

    async def to_schedule(
        self, community_ids: Collection[str], ending_after: datetime
    ) -> list[tuple[Series, Occurrence]]:
        """Happening occurrences (of any series) that end after `ending_after`: the scheduler's input."""
        ...


class RsvpRepository(Protocol):
    async def answer_of(self, occurrence_id: int, member_id: int) -> RsvpAnswer | None: ...

    async def answer(self, occurrence_id: int, member_id: int, answer: RsvpAnswer, now: datetime) -> bool:
        """Record the answer; False when the member had already given this same answer."""
        ...

    async def check_in(self, occurrence_id: int, member_id: int, now: datetime) -> bool:
        """Mark the member as attending (answer "going" if they had none); False the second time."""
        ...

    async def counts(self, occurrence_id: int) -> RsvpCounts: ...

    async def going(self, occurrence_id: int) -> list[Member]:
        """Admitted members who answered "going"."""
        ...

    async def answers_of(self, member_id: int, occurrence_ids: Collection[int]) -> dict[int, RsvpAnswer]: ...


class QuestionRepository(Protocol):
    async def add(self, occurrence_id: int, asker_id: int, text: str, now: datetime) -> Question: ...

    async def get(self, question_id: int) -> Question | None: ...

    async def count_by(self, occurrence_id: int, asker_id: int) -> int: ...

    async def vote(self, question_id: int, member_id: int, now: datetime) -> bool:
        """Count one vote per member; False when this member had voted already."""
        ...

    async def of_occurrence(self, occurrence_id: int) -> list[Question]: ...

    async def mark_answered(self, question_id: int, now: datetime) -> bool: ...

    async def move_open(self, from_occurrence_id: int, to_occurrence_id: int) -> int:
        """Carry unanswered questions over to another occurrence; returns how many."""
        ...


class ShowcaseRepository(Protocol):
    async def add(
        self,
        occurrence_id: int,
        presenter_id: int,
        *,
        title: str,
        link: str,
        description: str,
        status: SubmissionStatus,
        now: datetime,
    ) -> Submission: ...

    async def get(self, submission_id: int) -> Submission | None: ...

    async def count_by(self, occurrence_id: int, presenter_id: int) -> int: ...

    async def decide(self, submission_id: int, status: SubmissionStatus) -> bool:
        """Accept or reject a pending submission; False when it was decided already."""
        ...

    async def of_occurrence(
        self, occurrence_id: int, status: SubmissionStatus | None = None
    ) -> list[Submission]: ...

    async def move_open(self, from_occurrence_id: int, to_occurrence_id: int) -> int: ...


class JobRunRepository(Protocol):
    async def claim(self, job_key: str, scheduled_for: datetime, now: datetime) -> bool:
        """The unique run record: True for the first run of (job, scheduled time), False after."""
        ...

    async def ran(self, runs: Collection[tuple[str, datetime]]) -> set[tuple[str, datetime]]: ...

    async def last_runs(self, job_keys: Collection[str]) -> dict[str, datetime]: ...

    async def prune(self, before: datetime) -> int: ...


class LeaseRepository(Protocol):
    async def acquire(self, name: str, holder: str, now: datetime, until: datetime) -> bool:
        """Take or renew the lease if it is free, expired or already ours (atomic in SQL)."""
        ...

    async def release(self, name: str, holder: str) -> None: ...

    async def holder(self, name: str, now: datetime) -> str | None: ...


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
    contributions: ContributionRepository
    series: SeriesRepository
    occurrences: OccurrenceRepository
    rsvps: RsvpRepository
    questions: QuestionRepository
    showcases: ShowcaseRepository
    job_runs: JobRunRepository
    leases: LeaseRepository

    async def __aenter__(self) -> Self: ...

    async def __aexit__(self, *exc: object) -> None: ...

    async def commit(self) -> None: ...

    async def rollback(self) -> None: ...
