"""The programme's commands. Lead commands manage series; SYSTEM commands are what the scheduler
sends (each with the instant it was scheduled for, which keys its dedupe)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import ClassVar

from bot.core.commands import Command, Permission
from bot.core.programming.rules import RsvpAnswer, SeriesKind
from bot.core.refs import MemberRef

# --- leads -------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class CreateSeries(Command):
    """Start a recurring event: an AMA, showcase, office hours, meetup or council meeting."""

    kind: SeriesKind
    title: str
    recurrence: str
    duration_minutes: int = 60
    channel: str = "announcements"
    timezone: str | None = None  # None: the community's
    host: MemberRef | None = None
    capacity: int | None = None  # places per occurrence; None: no limit
    location: str | None = None  # where it takes place (required for meetups)
    permission: ClassVar[Permission] = Permission.LEAD


@dataclass(frozen=True, kw_only=True)
class ListSeries(Command):
    """Every series with its next occurrence."""

    permission: ClassVar[Permission] = Permission.LEAD


@dataclass(frozen=True, kw_only=True)
class CancelSeries(Command):
    """Stop a series; its future occurrences are called off."""

    series_id: int
    permission: ClassVar[Permission] = Permission.LEAD


@dataclass(frozen=True, kw_only=True)
class SkipOccurrence(Command):
    """Leave out one occurrence, named by its series date."""

    series_id: int
    local_date: date
    permission: ClassVar[Permission] = Permission.LEAD


@dataclass(frozen=True, kw_only=True)
class MoveOccurrence(Command):
    """Hold one occurrence at another local time (in the series' zone)."""

    series_id: int
    local_date: date
    to: datetime  # naive wall time in the series' zone
    permission: ClassVar[Permission] = Permission.LEAD


# --- members -----------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ListEvents(Command):
    """What is coming, with RSVP buttons."""

    permission: ClassVar[Permission] = Permission.MEMBER


@dataclass(frozen=True, kw_only=True)
class AnswerRsvp(Command):
    """Going, maybe or can't for one occurrence."""

    occurrence_id: int
    answer: RsvpAnswer
    permission: ClassVar[Permission] = Permission.MEMBER


@dataclass(frozen=True, kw_only=True)
class RecordAttendance(Command):
    """Say "I'm here" during an occurrence: how attendance is known."""

    occurrence_id: int
    permission: ClassVar[Permission] = Permission.MEMBER


@dataclass(frozen=True, kw_only=True)
class SetReminderPreference(Command):
    """Turn event reminder DMs on or off for oneself."""

    enabled: bool
    permission: ClassVar[Permission] = Permission.MEMBER


@dataclass(frozen=True, kw_only=True)
class AskQuestion(Command):
    """Queue a question for the next AMA."""

    text: str
    permission: ClassVar[Permission] = Permission.MEMBER


@dataclass(frozen=True, kw_only=True)
class UpvoteQuestion(Command):
    """One vote per member per question."""

    question_id: int
    permission: ClassVar[Permission] = Permission.MEMBER


@dataclass(frozen=True, kw_only=True)
class MarkQuestionAnswered(Command):
    """The host (or a lead) ticks a question off during the AMA."""

    question_id: int
    permission: ClassVar[Permission] = Permission.MEMBER  # host or lead: checked by the handler


@dataclass(frozen=True, kw_only=True)
class SubmitShowcase(Command):
    """Enter something one built for the next showcase."""

    title: str
    link: str
    description: str = ""
    permission: ClassVar[Permission] = Permission.MEMBER


@dataclass(frozen=True, kw_only=True)
class ReviewSubmission(Command):
    """Accept or reject a showcase entry (when review is on)."""

    submission_id: int
    accept: bool
    permission: ClassVar[Permission] = Permission.LEAD


# --- the scheduler -----------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class PlanProgramme(Command):
    """Sync configured series by key and materialise the occurrences the scheduler will need."""


@dataclass(frozen=True, kw_only=True)
class AnnounceOccurrence(Command):
    """Post the announcement with RSVP buttons (and the native scheduled event)."""

    occurrence_id: int
    scheduled_for: datetime


@dataclass(frozen=True, kw_only=True)
class RemindOccurrence(Command):
    """Remind the channel and, by DM, those going who did not opt out."""

    occurrence_id: int
    offset_minutes: int
    scheduled_for: datetime


@dataclass(frozen=True, kw_only=True)
class PostShowcaseLineup(Command):
    """Post a showcase's line-up before it starts."""

    occurrence_id: int
    scheduled_for: datetime


@dataclass(frozen=True, kw_only=True)
class StartOccurrence(Command):
    """It begins: AMA questions by votes, or the showcase line-up, and the "I'm here" button."""

    occurrence_id: int
    scheduled_for: datetime


@dataclass(frozen=True, kw_only=True)
class EndOccurrence(Command):
    """It is over: mark it done and award the host's or presenters' badges."""

    occurrence_id: int
    scheduled_for: datetime
