"""The programme: recurring series (AMAs, showcases), their occurrences and what is due when.

Plain dataclasses and pure rules. A series is stored as wall time + IANA zone + recurrence text;
every occurrence's UTC instant is computed from those on its own local date (bot.core.programming.calendar
decides the DST policy), and every job the scheduler runs for an occurrence is computed here from
that instant, in elapsed time.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from urllib.parse import urlsplit

from bot.core.errors import InvalidInput
from bot.core.programming.calendar import next_occurrence, scheduled_dates
from bot.core.programming.recurrence import Recurrence
from bot.core.programming.recurrence_text import parse_recurrence
from bot.core.refs import MemberRef


class SeriesKind(StrEnum):
    AMA = "ama"
    SHOWCASE = "showcase"
    OFFICE_HOURS = "office_hours"  # drop-in time with the team
    MEETUP = "meetup"  # in person: its series has a location
    COUNCIL_MEETING = "council_meeting"  # a governing body's (monthly) meeting


class SeriesStatus(StrEnum):
    ACTIVE = "active"
    CANCELLED = "cancelled"


class OccurrenceStatus(StrEnum):
    SCHEDULED = "scheduled"
    MOVED = "moved"  # happens, at a time a lead chose
    SKIPPED = "skipped"
    CANCELLED = "cancelled"  # its series was cancelled, or its date left the rule
    DONE = "done"


HAPPENING = frozenset({OccurrenceStatus.SCHEDULED, OccurrenceStatus.MOVED})


class RsvpAnswer(StrEnum):
    GOING = "going"
    MAYBE = "maybe"
    NO = "no"
    WAITING = "waiting"  # asked to go when the occurrence was full: promoted in order when a place opens


ANSWERS = (RsvpAnswer.GOING, RsvpAnswer.MAYBE, RsvpAnswer.NO)  # what a member can press
MAX_CAPACITY = 10_000


class SubmissionStatus(StrEnum):
    PENDING = "pending"  # waiting for a lead (only when showcase review is on)
    ACCEPTED = "accepted"
    REJECTED = "rejected"


KIND_LABELS = {
    SeriesKind.AMA: "AMA",
    SeriesKind.SHOWCASE: "Showcase",
    SeriesKind.OFFICE_HOURS: "Office hours",
    SeriesKind.MEETUP: "Meetup",
    SeriesKind.COUNCIL_MEETING: "Council meeting",
}
MAX_LOCATION_LENGTH = 200

# Attendance is known from the "I'm here" button, pressed from a little before the start until a
# little after the end; an RSVP is an intention, not attendance.
CHECK_IN_OPENS = timedelta(minutes=15)
CHECK_IN_CLOSES = timedelta(minutes=30)

MIN_GRACE = timedelta(hours=1)
END_GRACE = timedelta(days=7)  # ending settles badges and status: worth doing late rather than never

MAX_LINK_LENGTH = 500
MAX_TITLE_LENGTH = 200
MAX_DESCRIPTION_LENGTH = 1000
MIN_QUESTION_LENGTH = 5
MAX_QUESTION_LENGTH = 500


@dataclass(frozen=True, kw_only=True)
class NewSeries:
    """What a lead (or the configuration) asks for; `recurrence` is already canonical text."""

    community_id: str
    kind: SeriesKind
    title: str
    recurrence: str
    timezone: str
    duration_minutes: int
    channel: str
    anchor: date
    host_id: int | None = None
    key: str | None = None  # set for series defined in the configuration
    capacity: int | None = None  # places per occurrence; None: no limit
    location: str | None = None  # where it takes place (required for meetups)


@dataclass
class Series:
    """A recurring event as stored."""

    id: int
    community_id: str
    kind: SeriesKind
    title: str
    recurrence: str
    timezone: str
    duration_minutes: int
    channel: str
    status: SeriesStatus
    created_at: datetime
    anchor: date | None = None
    host_id: int | None = None
    host: MemberRef | None = None
    key: str | None = None
    capacity: int | None = None  # places per occurrence; None: no limit
    location: str | None = None  # where it takes place (meetups)

    @property
    def rule(self) -> Recurrence:
        """The parsed recurrence (the stored text is canonical, so this cannot fail for stored rows)."""
        return parse_recurrence(self.recurrence, self.timezone)

    @property
    def duration(self) -> timedelta:
        """How long each occurrence lasts."""
        return timedelta(minutes=self.duration_minutes)

    @property
    def label(self) -> str:
        """ "AMA" or "Showcase"."""
        return KIND_LABELS[self.kind]


@dataclass
class Occurrence:
    """One dated instance of a series. `local_date` is the series date it belongs to, even if moved."""

    id: int
    series_id: int
    local_date: date
    starts_at: datetime
    ends_at: datetime
    status: OccurrenceStatus
    announced_at: datetime | None = None

    @property
    def happening(self) -> bool:
        """Scheduled or moved: it will take place."""
        return self.status in HAPPENING

    def check_in_open(self, now: datetime) -> bool:
        """Whether "I'm here" counts now."""
        return self.starts_at - CHECK_IN_OPENS <= now <= self.ends_at + CHECK_IN_CLOSES


@dataclass(frozen=True)
class Slot:
    """Where the rule puts an occurrence: its series date and its UTC start and end."""

    local_date: date
    starts_at: datetime
    ends_at: datetime


def slots(series: Series, start: datetime, end: datetime) -> list[Slot]:
    """Every occurrence the series' rule puts in `[start, end)`."""
    return [
        Slot(local_date, instant, instant + series.duration)
        for local_date, instant in scheduled_dates(series.rule, start, end, series.anchor)
    ]


def next_slot(series: Series, after: datetime) -> Slot:
    """The first occurrence the rule puts strictly after `after`."""
    instant = next_occurrence(series.rule, after, series.anchor)
    found = slots(series, instant, instant + timedelta(seconds=1))
    return found[0]


@dataclass
class RsvpCounts:
    going: int = 0
    maybe: int = 0
    no: int = 0
    waiting: int = 0


def places_left(capacity: int | None, counts: RsvpCounts) -> int | None:
    """Free places of an occurrence (never below 0); None when it has no limit."""
    return None if capacity is None else max(capacity - counts.going, 0)


def validate_location(kind: SeriesKind, value: str | None) -> str | None:
    """A meetup names where it takes place; other kinds may. InvalidInput says what to fix."""
    cleaned = (value or "").strip() or None
    if cleaned is not None and len(cleaned) > MAX_LOCATION_LENGTH:
        raise InvalidInput(f"Keep the location to {MAX_LOCATION_LENGTH} characters (an address or a venue).")
    if kind is SeriesKind.MEETUP and cleaned is None:
        raise InvalidInput('A meetup needs a location: the venue or address, e.g. "Café Central, Main St 1".')
    return cleaned


def validate_capacity(value: int | None) -> int | None:
    """A capacity from 1 to MAX_CAPACITY, or None (no limit); InvalidInput otherwise."""
    if value is not None and not 1 <= value <= MAX_CAPACITY:
        raise InvalidInput(
            f"The capacity is the number of places, from 1 to {MAX_CAPACITY} (leave it out for no limit)."
        )
    return value


@dataclass
class Question:
    """An AMA question queued for an occurrence."""

    id: int
    occurrence_id: int
    asker_id: int
    asker: MemberRef
    text: str
    votes: int
    created_at: datetime
    answered_at: datetime | None = None


@dataclass
class Submission:
    """A showcase entry."""

    id: int
    occurrence_id: int
    presenter_id: int
    presenter: MemberRef
    title: str
    link: str
    description: str
    status: SubmissionStatus
    created_at: datetime


def order_questions(questions: Iterable[Question]) -> list[Question]:
    """Most votes first; ties in the order they were asked."""
    return sorted(questions, key=lambda q: (-q.votes, q.created_at, q.id))


def validate_link(raw: str) -> str:
    """An absolute http(s) link of reasonable length, or InvalidInput saying what to fix."""
    link = raw.strip()
    if not link:
        raise InvalidInput("Add a link to what you built (https://…).")
    if len(link) > MAX_LINK_LENGTH:
        raise InvalidInput(
            f"That link is too long (at most {MAX_LINK_LENGTH} characters). Try a shorter one."
        )
    if any(ch.isspace() for ch in link) or any(ord(ch) < 32 for ch in link):
        raise InvalidInput("A link cannot contain spaces. Paste it exactly as your browser shows it.")
    try:
        parts = urlsplit(link)
        port = parts.port  # raises ValueError for a port that is not a number
    except ValueError:
        raise InvalidInput(
            "That does not look like a web link. Use one like https://example.com/demo."
        ) from None
    if parts.scheme.lower() not in ("http", "https"):
        raise InvalidInput(
            "Only http:// and https:// links can be showcased. Use a web link to your project."
        )
    host = parts.hostname or ""
    if not host or "." not in host.strip(".") or parts.username or parts.password or port == 0:
        raise InvalidInput("That link has no proper web address. Use one like https://example.com/demo.")
    return link


@dataclass(frozen=True)
class JobPlan:
    """One thing to do for an occurrence at an instant; runs late at most `grace` after it."""

    name: str  # announce | remind:<minutes> | lineup | start | end
    at: datetime
    grace: timedelta
    offset_minutes: int | None = None


def plan_jobs(
    kind: SeriesKind,
    occurrence: Occurrence,
    *,
    announcement_lead: timedelta,
    reminder_offsets: Sequence[timedelta],
    lineup_lead: timedelta,
) -> list[JobPlan]:
    """What the scheduler does for a happening occurrence, and when (true elapsed time before it)."""
    starts, ends = occurrence.starts_at, occurrence.ends_at
    # The announcement is worth making any time before the start (e.g. for a series created 3 days
    # ahead of its first occurrence), so its grace reaches the start.
    jobs = [JobPlan("announce", starts - announcement_lead, max(announcement_lead, MIN_GRACE))]
    for offset in reminder_offsets:
        minutes = int(offset.total_seconds() // 60)
        # A late reminder is still useful well before the start: a quarter of its lead, at least 1 h.
        jobs.append(JobPlan(f"remind:{minutes}", starts - offset, max(MIN_GRACE, offset / 4), minutes))
    if kind is SeriesKind.SHOWCASE and lineup_lead > timedelta(0):
        jobs.append(JobPlan("lineup", starts - lineup_lead, max(MIN_GRACE, lineup_lead)))
    jobs.append(JobPlan("start", starts, max(MIN_GRACE, ends - starts)))
    jobs.append(JobPlan("end", ends, END_GRACE))
    return jobs
