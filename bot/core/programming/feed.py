"""The calendar feed's content: one entry per occurrence, with a UID that never changes, so a
calendar app updates a moved occurrence and strikes a cancelled one instead of adding a new one.
Pure: the iCalendar text itself is written outside the core (bot/calendar_feed.py)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from bot.core.programming import render
from bot.core.programming.rules import Occurrence, OccurrenceStatus, Series, SeriesStatus

CALLED_OFF = frozenset({OccurrenceStatus.SKIPPED, OccurrenceStatus.CANCELLED})
# Each revision a calendar app must take over the copy it has gets a higher SEQUENCE (RFC 5545
# 3.8.7.4): planned (0), then moved by a lead (1), then called off (2).
_SEQUENCE = {OccurrenceStatus.SCHEDULED: 0, OccurrenceStatus.DONE: 0, OccurrenceStatus.MOVED: 1}


@dataclass(frozen=True)
class FeedEntry:
    """One occurrence as a calendar event."""

    uid: str
    summary: str
    description: str
    starts_at: datetime
    ends_at: datetime
    cancelled: bool
    sequence: int
    location: str | None = None


def uid(community_id: str, occurrence_id: int) -> str:
    """The occurrence's calendar identity: the same in every version of the feed."""
    return f"occurrence-{occurrence_id}@{community_id}.townsquare"


def entry(series: Series, occurrence: Occurrence) -> FeedEntry:
    """The calendar event of one occurrence (a cancelled series cancels its occurrences not yet held)."""
    cancelled = occurrence.status in CALLED_OFF or (
        series.status is SeriesStatus.CANCELLED and occurrence.status is not OccurrenceStatus.DONE
    )
    description = f"{series.label}, {series.duration_minutes} minutes."
    if series.host is not None:
        description += " With a host from the community."
    return FeedEntry(
        uid=uid(series.community_id, occurrence.id),
        summary=render.name(series),  # typed text made safe: no tokens
        description=description,
        starts_at=occurrence.starts_at,
        ends_at=occurrence.ends_at,
        cancelled=cancelled,
        sequence=2 if cancelled else _SEQUENCE.get(occurrence.status, 0),
        location=series.location,
    )


def entries(pairs: Iterable[tuple[Series, Occurrence]]) -> list[FeedEntry]:
    """Every occurrence's calendar event, in the order given."""
    return [entry(series, occurrence) for series, occurrence in pairs]
