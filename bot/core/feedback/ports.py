"""Ports of feedback: what its handlers need from storage, as Protocols."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Protocol

from bot.core.feedback.governance_rules import Round, RoundKind, RoundStatus
from bot.core.feedback.idea_rules import Draft, Idea, IdeaStatus, Notice, Voter
from bot.core.feedback.poll_rules import Eligibility, NewOption, Person, Poll, PollKind
from bot.core.feedback.report_rules import FeedbackWeek, ReportIdea


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

    async def record_secret(
        self, poll_id: int, member_id: int, points: Mapping[int, int], now: datetime
    ) -> bool:
        """A secret ballot, stored without a link from the voter to the choice; False when the member
        had voted already (nothing is counted then)."""
        ...

    async def has_voted(self, poll_id: int, member_id: int) -> bool: ...

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

    async def add_member(
        self, council_id: int, member_id: int, now: datetime, term_ends_at: datetime | None = None
    ) -> bool: ...

    async def add_minutes(self, council_id: int, by_id: int | None, now: datetime) -> None:
        """Record that the body published minutes (their text is posted, never stored)."""
        ...

    async def remove_member(self, council_id: int, member_id: int) -> bool: ...

    async def members(self, council_id: int) -> list[Person]: ...

    async def is_member(self, community_id: str, name: str, member_id: int) -> bool: ...

    async def replace_members(
        self, council_id: int, member_ids: Sequence[int], now: datetime, term_ends_at: datetime | None = None
    ) -> None: ...

    async def term_end(self, council_id: int) -> datetime | None:
        """When the current elected term ends (None: no elected term)."""
        ...

    async def nominate(self, council_id: int, member_id: int, by_id: int | None, now: datetime) -> bool: ...

    async def nominees(self, council_id: int) -> list[Person]: ...

    async def clear_nominees(self, council_id: int) -> None: ...


class GovernanceRepository(Protocol):
    async def get(self, community_id: str, kind: RoundKind, period: str) -> Round | None: ...

    async def start(
        self,
        community_id: str,
        kind: RoundKind,
        period: str,
        status: RoundStatus,
        now: datetime,
        *,
        council_id: int | None = None,
        poll_id: int | None = None,
        nominations_close_at: datetime | None = None,
    ) -> Round | None:
        """Record the period's round once; None when it was already started."""
        ...

    async def advance(
        self, round_id: int, status: RoundStatus, *, only_from: RoundStatus, poll_id: int | None = None
    ) -> bool:
        """Move a round on when it is still at `only_from` (settled in SQL); False otherwise."""
        ...

    async def by_poll(self, poll_id: int) -> Round | None: ...


class IdeaReportReader(Protocol):
    async def report_ideas(
        self, community_id: str, start: datetime, end: datetime, credit_voters: int
    ) -> list[ReportIdea]: ...

    async def week(
        self, community_id: str, start: datetime, end: datetime, window_start: datetime
    ) -> FeedbackWeek: ...

    async def export(self, community_id: str) -> list[tuple[Idea, str | None]]: ...
