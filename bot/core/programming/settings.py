"""Settings of programming: its section of a community's configuration, validated."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field, field_validator, model_validator

from bot.core.programming.recurrence import load_zone
from bot.core.programming.recurrence_text import RecurrenceFormatError, parse_recurrence
from bot.core.settings_base import CHANNEL_PATTERN, StrictModel


class SeriesConfig(StrictModel):
    """A recurring event defined in the configuration, synced into the database by `key` at start."""

    key: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")
    kind: Literal["ama", "showcase", "office_hours", "meetup", "council_meeting"]
    title: str = Field(min_length=1, max_length=200)
    recurrence: str = Field(min_length=1, max_length=200)
    duration_minutes: int = Field(60, ge=5, le=24 * 60)
    channel: str = Field("announcements", pattern=CHANNEL_PATTERN)
    timezone: str | None = None  # None: the community's
    host: str | None = Field(None, min_length=1, max_length=64)  # the host's platform user id
    capacity: int | None = Field(None, ge=1, le=10_000)  # places per occurrence; unset: no limit
    location: str | None = Field(None, min_length=1, max_length=200)  # required for meetups

    @model_validator(mode="after")
    def _meetups_have_a_place(self) -> SeriesConfig:
        if self.kind == "meetup" and self.location is None:
            raise ValueError(f"series {self.key!r} is a meetup: give its location (venue or address)")
        return self

    @field_validator("recurrence")
    @classmethod
    def _understood(cls, value: str) -> str:
        try:
            parse_recurrence(value, "UTC")  # the zone is checked on its own
        except RecurrenceFormatError as exc:
            raise ValueError(str(exc)) from None
        return value

    @field_validator("timezone")
    @classmethod
    def _iana(cls, value: str | None) -> str | None:
        if value is not None:
            load_zone(value)
        return value


class ProgrammingSettings(StrictModel):
    """Recurring AMAs and showcases: announcements, reminders, submissions."""

    announcement_lead_days: int = Field(7, ge=1, le=60)
    reminder_offsets_minutes: tuple[int, ...] = Field((24 * 60, 60), max_length=5)
    lineup_lead_minutes: int = Field(60, ge=0, le=7 * 24 * 60)
    showcase_review: bool = False
    review_channel: str = Field("applications", pattern=CHANNEL_PATTERN)
    questions_per_member: int = Field(3, ge=1, le=50)
    submissions_per_member: int = Field(1, ge=1, le=10)
    series: tuple[SeriesConfig, ...] = ()
    # The public address of this community's iCalendar feed (served under [calendar] at
    # /calendar/<community id>.ics), linked from every announcement; unset: no link.
    calendar_url: str | None = Field(None, pattern=r"^https?://[^\s<>|]+$", max_length=300)

    @field_validator("reminder_offsets_minutes")
    @classmethod
    def _offsets(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if any(not 1 <= minutes <= 14 * 24 * 60 for minutes in value):
            raise ValueError("each reminder offset is 1 to 20160 minutes (14 days) before the start")
        if len(set(value)) != len(value):
            raise ValueError("reminder offsets must be different from each other")
        return tuple(sorted(value, reverse=True))

    @field_validator("series")
    @classmethod
    def _unique_keys(cls, value: tuple[SeriesConfig, ...]) -> tuple[SeriesConfig, ...]:
        keys = [series.key for series in value]
        repeated = sorted({key for key in keys if keys.count(key) > 1})
        if repeated:
            raise ValueError(f"series keys must be unique; repeated: {', '.join(repeated)}")
        return value

    @property
    def announcement_lead(self) -> dt.timedelta:
        """How long before an occurrence it is announced."""
        return dt.timedelta(days=self.announcement_lead_days)

    @property
    def reminder_offsets(self) -> tuple[dt.timedelta, ...]:
        """Reminder leads, longest first."""
        return tuple(dt.timedelta(minutes=m) for m in self.reminder_offsets_minutes)

    @property
    def lineup_lead(self) -> dt.timedelta:
        """How long before a showcase its line-up is posted."""
        return dt.timedelta(minutes=self.lineup_lead_minutes)
