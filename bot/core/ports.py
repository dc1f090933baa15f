"""Ports: what the core needs from the outside, as Protocols. Storage and adapters implement them."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol, Self

from bot.core.effects import Effect
from bot.core.events import Event
from bot.core.model.applications import Answer, Application, ApplicationStatus
from bot.core.model.badges import MemberStats
from bot.core.model.buddies import BuddyCandidate, Newcomer
from bot.core.model.cohorts import Cohort, CohortView, Waiting
from bot.core.model.contributions import ContributionFact, RecordedContributions, ReferralCredit
from bot.core.model.digest import Digest
from bot.core.model.gates import GateState, ReferralCode
from bot.core.model.ideas import Draft, Idea, IdeaStatus, Notice, Voter
from bot.core.model.ideas_report import FeedbackWeek, ReportIdea
from bot.core.model.members import AdmissionMethod, Member
from bot.core.model.metrics import DigestData, MetricsPolicy, WeekMetrics
from bot.core.model.polls import Eligibility, NewOption, Person, Poll, PollKind
from bot.core.model.privacy import AnonymousMark, MarkReason
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
from bot.core.model.weeks import Period
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

    async def prune(self, before: datetime) -> int:
        """Forget event ids handled before `before` (older than any platform retry); how many went."""
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

    async def mark_until(
        self, community_id: str, ref: MemberRef, reason: MarkReason, now: datetime
    ) -> datetime | None:
        """When an erased person's anonymous mark for `reason` ends; None when none is in force."""
        ...


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


# --- feedback loop (ideas, polls, councils) ------------------------------------------------------


class IdeaRepository(Protocol):
    async def add(
        self, community_id: str, author_id: int, title: str, details: str, area: str | None, now: datetime
    ) -> Idea:
        """File an idea with its author's own vote."""
        ...

    async def get(self, community_id: str, idea_id: int) -> Idea | None: ...

    async def lock(self, community_id: str, idea_id: int) -> Idea | None:
        """The idea, locked until commit: votes and status changes on one idea queue."""
        ...

    async def many(self, community_id: str, idea_ids: Sequence[int]) -> dict[int, Idea]: ...

    async def open_titles(self, community_id: str) -> dict[int, str]: ...

    async def vote_of(self, idea_id: int, member_id: int) -> datetime | None: ...

    async def add_vote(self, idea_id: int, member_id: int, now: datetime) -> bool: ...

    async def remove_vote(self, idea_id: int, member_id: int) -> bool: ...

    async def recount(self, idea_id: int) -> int:
        """Set the cached vote count from the votes; returns it."""
        ...

    async def voters(self, idea_id: int) -> list[Voter]: ...

    async def set_status(
        self,
        idea_id: int,
        old: IdeaStatus,
        new: IdeaStatus,
        now: datetime,
        *,
        reason: str | None = None,
        merged_into_id: int | None = None,
    ) -> bool:
        """Conditional move from `old`; False when another change came first."""
        ...

    async def merge_votes(self, source_id: int, target_id: int) -> None: ...

    async def with_status(
        self, community_id: str, statuses: Sequence[IdeaStatus], *, shipped_since: datetime | None = None
    ) -> list[Idea]: ...

    async def voter_badges(self, idea_ids: Sequence[int]) -> dict[int, list[set[str]]]: ...

    async def save_draft(
        self, community_id: str, member_id: int, title: str, details: str, area: str | None, now: datetime
    ) -> int: ...

    async def take_draft(self, community_id: str, draft_id: int, member_id: int) -> Draft | None: ...


class IdeaNoticeRepository(Protocol):
    async def add_change(
        self,
        idea_id: int,
        old: IdeaStatus,
        new: IdeaStatus,
        by_id: int | None,
        reason: str | None,
        now: datetime,
    ) -> int: ...

    async def queue(self, community_id: str, change_id: int, member_ids: Iterable[int], now: datetime) -> int:
        """One pending notice per member for a change, skipping members who opted out."""
        ...

    async def pending(self, community_id: str) -> list[Notice]: ...

    async def claim(self, notice_ids: Sequence[int], now: datetime) -> set[int]:
        """Mark notices sent; only the ids this transaction took."""
        ...

    async def set_opt_out(self, community_id: str, member_id: int, opt_out: bool, now: datetime) -> None: ...

    async def opted_out(self, member_id: int) -> bool: ...


class PollRepository(Protocol):
    async def create(
        self,
        community_id: str,
        *,
        question: str,
        kind: PollKind,
        eligibility: Eligibility,
        eligible_key: str | None,
        secret: bool,
        votes_per_member: int,
        channel: str,
        closes_at: datetime,
        options: Sequence[NewOption],
        created_by_id: int | None,
        now: datetime,
        seats: int | None = None,
        council_id: int | None = None,
    ) -> Poll: ...

    async def get(self, community_id: str, poll_id: int) -> Poll | None: ...

    async def hold_open(self, poll_id: int, now: datetime) -> bool:
        """True while the poll takes ballots; holds it open until commit."""
        ...

    async def replace_ballot(
        self, poll_id: int, member_id: int, points: Mapping[int, int], now: datetime
    ) -> None: ...

    async def ballot_of(self, poll_id: int, member_id: int) -> dict[int, int]: ...

    async def close(self, poll_id: int, now: datetime) -> bool:
        """open → closed once; False for a second closing."""
        ...

    async def tally(self, poll_id: int) -> tuple[dict[int, int], int]: ...

    async def voters_by_option(self, poll_id: int) -> dict[int, list[str]]: ...

    async def due(self, community_id: str, now: datetime) -> list[int]: ...

    async def open_polls(self, community_id: str) -> list[tuple[int, datetime]]: ...


class CouncilRepository(Protocol):
    async def ensure(self, community_id: str, name: str, now: datetime) -> int: ...

    async def find(self, community_id: str, name: str) -> int | None: ...

    async def add_member(self, council_id: int, member_id: int, now: datetime) -> bool: ...

    async def remove_member(self, council_id: int, member_id: int) -> bool: ...

    async def members(self, council_id: int) -> list[Person]: ...

    async def is_member(self, community_id: str, name: str, member_id: int) -> bool: ...

    async def replace_members(self, council_id: int, member_ids: Sequence[int], now: datetime) -> None: ...

    async def nominate(self, council_id: int, member_id: int, by_id: int | None, now: datetime) -> bool: ...

    async def nominees(self, council_id: int) -> list[Person]: ...

    async def clear_nominees(self, council_id: int) -> None: ...


class IdeaReportReader(Protocol):
    async def report_ideas(
        self, community_id: str, start: datetime, end: datetime, credit_voters: int
    ) -> list[ReportIdea]: ...

    async def week(
        self, community_id: str, start: datetime, end: datetime, window_start: datetime
    ) -> FeedbackWeek: ...

    async def export(self, community_id: str) -> list[tuple[Idea, str | None]]: ...


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
    gates: GateRepository
    referrals: ReferralCodeRepository
    applications: ApplicationRepository
    ideas: IdeaRepository
    idea_notices: IdeaNoticeRepository
    polls: PollRepository
    councils: CouncilRepository
    idea_report: IdeaReportReader
    cohorts: CohortRepository
    contributions: ContributionRepository
    privacy: PrivacyRepository
    series: SeriesRepository
    occurrences: OccurrenceRepository
    rsvps: RsvpRepository
    questions: QuestionRepository
    showcases: ShowcaseRepository
    job_runs: JobRunRepository
    leases: LeaseRepository
    metrics: MetricsReader

    async def __aenter__(self) -> Self: ...

    async def __aexit__(self, *exc: object) -> None: ...

    async def commit(self) -> None: ...

    async def rollback(self) -> None: ...
