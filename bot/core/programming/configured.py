"""A configured series as the planning pass writes it, and whether a stored one is as configured."""

from __future__ import annotations

from datetime import date

from bot.core.programming.rules import NewSeries, Series, SeriesKind
from bot.core.programming.settings import SeriesConfig
from bot.core.refs import MemberRef


def as_configured(
    series: Series, item: SeriesConfig, recurrence: str, timezone: str, host: MemberRef | None
) -> bool:
    """Whether the stored series has every field the configuration sets, `recurrence` in its stored
    form (the anchor and status are the database's: set when the series was made, and by leads)."""
    return (
        series.kind is SeriesKind(item.kind)
        and series.title == item.title
        and series.recurrence == recurrence
        and series.timezone == timezone
        and series.duration_minutes == item.duration_minutes
        and series.channel == item.channel
        and series.host == host
        and (host is not None or series.host_id is None)
        and series.capacity == item.capacity
        and series.location == item.location
    )


def configured_series(
    community_id: str, item: SeriesConfig, recurrence: str, timezone: str, anchor: date, host_id: int | None
) -> NewSeries:
    """The series `item` defines, `recurrence` in its stored form."""
    return NewSeries(
        community_id=community_id,
        key=item.key,
        kind=SeriesKind(item.kind),
        title=item.title,
        recurrence=recurrence,
        timezone=timezone,
        duration_minutes=item.duration_minutes,
        channel=item.channel,
        anchor=anchor,
        host_id=host_id,
        capacity=item.capacity,
        location=item.location,
    )
