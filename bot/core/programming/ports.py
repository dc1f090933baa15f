"""Ports of programming: what its handlers need from storage, as Protocols."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime
from typing import Protocol

from bot.core.members import Member
from bot.core.programming.rules import (
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

    async def with_series(self, occurrence_id: int) -> tuple[Series, Occurrence] | None:
        """The occurrence and its series (with the host), read in one go; None if it does not exist."""
        ...

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

    async def for_feed(
        self, community_id: str, ending_after: datetime, limit: int
    ) -> list[tuple[Series, Occurrence]]:
        """Occurrences of the community's series in any status (cancelled ones too) ending after
        `ending_after`, soonest first: the calendar feed's input."""
        ...

    async def to_schedule(
        self, community_ids: Collection[str], ending_after: datetime
    ) -> list[tuple[Series, Occurrence]]:
        """Happening occurrences (of any series) that end after `ending_after`: the scheduler's input."""
        ...


class RsvpRepository(Protocol):
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

    async def hold(self, occurrence_id: int) -> None:
        """Serialise RSVPs to this occurrence until the transaction ends (places are counted)."""
        ...

    async def waiting(self, occurrence_id: int) -> list[Member]:
        """Admitted members on the waitlist, in the order they asked to go."""
        ...

    async def promote(self, occurrence_id: int, member_id: int, now: datetime) -> bool:
        """Turn a waiting member's answer into going; False when they were not waiting."""
        ...


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
