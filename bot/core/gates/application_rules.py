"""Applications: two short questions, a moderator's decision, a cooldown after a rejection."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class ApplicationStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


@dataclass(frozen=True)
class Answer:
    """One question as it was asked, and what the applicant answered."""

    question: str
    answer: str


@dataclass(frozen=True)
class Application:
    """An application as the core sees it (storage maps it to and from ApplicationRow)."""

    id: int
    community_id: str
    member_id: int
    answers: tuple[Answer, ...]
    status: ApplicationStatus
    submitted_at: datetime
    decided_at: datetime | None = None
    decided_by_id: int | None = None
    reason: str | None = None


def answer_problem(answers: Sequence[str], min_length: int, max_length: int) -> str | None:
    """What is wrong with the answers, in words for the applicant, or None when they are fine."""
    for number, answer in enumerate(answers, start=1):
        size = len(answer.strip())
        if size < min_length:
            return f"Answer {number} needs at least {min_length} characters (it has {size})."
        if size > max_length:
            return f"Answer {number} can have at most {max_length} characters (it has {size})."
    return None


def reapply_at(rejected_at: datetime, cooldown_days: int) -> datetime:
    """When someone rejected at `rejected_at` may apply again."""
    return rejected_at + timedelta(days=cooldown_days)


def is_overdue(application: Application, sla_hours: int, now: datetime) -> bool:
    """Pending for longer than the moderators' service level."""
    return application.status is ApplicationStatus.PENDING and now - application.submitted_at > timedelta(
        hours=sla_hours
    )
