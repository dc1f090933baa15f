"""Ports: what the core needs from the outside, as Protocols. Storage and adapters implement them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol, Self

from bot.core.effects import Effect
from bot.core.events import Event
from bot.core.model.badges import MemberStats
from bot.core.model.buddies import BuddyCandidate, Newcomer
from bot.core.model.cohorts import Cohort, CohortView, Waiting
from bot.core.model.contributions import ContributionFact, RecordedContributions, ReferralCredit
from bot.core.model.members import Member
from bot.core.model.privacy import AnonymousMark, MarkReason
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

    async def held(self, member_ids: Sequence[int]) -> dict[int, set[str]]:
        """Badge keys per member (members without badges are absent)."""
        ...

    async def awards_of(self, member_id: int) -> list[BadgeAward]:
        """A member's awards, oldest first."""
        ...


@dataclass(frozen=True)
class BadgeAward:
    """A badge a member holds."""

    badge_key: str
    reason: str
    awarded_at: datetime


class CohortRepository(Protocol):
    async def join_pool(self, community_id: str, member_id: int, since: datetime) -> bool:
        """Put a newcomer in the forming pool; False when they are already waiting."""
        ...

    async def waiting(self, community_id: str) -> list[Waiting]:
        """Admitted newcomers waiting, oldest first. Locks the community's pool until commit, so two
        transactions never launch the same newcomers; drops people who are no longer admitted."""
        ...

    async def waiting_since(self, member_id: int) -> datetime | None: ...

    async def leave_pool(self, member_ids: Sequence[int]) -> None: ...

    async def in_active_cohort(self, member_id: int) -> bool:
        """True while the member is a newcomer in a cohort that has not graduated yet."""
        ...

    async def create(self, community_id: str, launched_at: datetime, member_ids: Sequence[int]) -> Cohort:
        """A new cohort, numbered per community, with these newcomers."""
        ...

    async def buddy_candidates(self, community_id: str, badge_keys: Sequence[str]) -> list[BuddyCandidate]:
        """Admitted members holding one of the badges, with how many newcomers they buddy now."""
        ...

    async def past_pairs(self, member_ids: Sequence[int]) -> set[frozenset[int]]:
        """Every buddy pair, either way round, that involved one of these members."""
        ...

    async def add_buddies(
        self, cohort_id: int, buddies: Mapping[int, Sequence[int]], now: datetime
    ) -> None: ...

    async def newcomers(self, member_ids: Sequence[int]) -> list[Newcomer]:
        """Newcomers with their declared interests and the words of their application answers."""
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

    async def milestones(self, member_id: int) -> dict[str, datetime]: ...

    async def graduate(self, cohort_id: int, member_id: int, now: datetime) -> bool:
        """Mark a newcomer graduated; False when already graduated."""
        ...

    async def set_status(self, cohort_id: int, status: str) -> None: ...

    async def waiting_count(self, community_id: str) -> int: ...


@dataclass(frozen=True)
class LeaderboardEntry:
    """One line of the leaderboard."""

    member_id: int
    member: MemberRef
    display_name: str
    helpful_answers: int
    activated_referrals: int


class ContributionRepository(Protocol):
    async def record(
        self, facts: Sequence[ContributionFact], referral: ReferralCredit | None = None
    ) -> RecordedContributions:
        """Store contributions once per (community, source_id), keep the weekly rollups and
        `member.first_contribution_at` current, and credit referrers (`referral`) when a referred
        newcomer's first contribution comes in time. Members are created on first sight; bots are
        skipped. Only newly inserted rows change the rollups, so a replay changes nothing."""
        ...

    async def stats(
        self, community_id: str, member_ids: Sequence[int], current_week: date
    ) -> dict[int, MemberStats]:
        """All-time stats of admitted members (others are absent)."""
        ...

    async def recently_active(self, community_id: str, since_week: date) -> list[int]:
        """Members with a contribution in or after `since_week`."""
        ...

    async def leaderboard(
        self, community_id: str, since_week: date | None, limit: int
    ) -> list[LeaderboardEntry]:
        """Admitted members ranked by helpful answers plus activated referrals (never by volume)."""
        ...


class PrivacyRepository(Protocol):
    async def export(self, member_id: int) -> dict[str, Any]:
        """Every exportable row that refers to the member, per table, as JSON-ready dicts."""
        ...

    async def erase(self, member: Member, marks: Sequence[AnonymousMark], now: datetime) -> dict[str, int]:
        """Delete or forget the member in every table as declared, drop outbox items naming them,
        keep only `marks` (hashed). Returns rows touched per table."""
        ...

    async def last_rejection_at(self, member_id: int) -> datetime | None: ...

    async def failed_redemptions_since(self, member_id: int, since: datetime) -> int: ...

    async def has_mark(self, community_id: str, ref: MemberRef, reason: MarkReason, now: datetime) -> bool:
        """True while an erased person's anonymous mark for `reason` is in force."""
        ...


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
    cohorts: CohortRepository
    contributions: ContributionRepository
    privacy: PrivacyRepository

    async def __aenter__(self) -> Self: ...

    async def __aexit__(self, *exc: object) -> None: ...

    async def commit(self) -> None: ...

    async def rollback(self) -> None: ...
