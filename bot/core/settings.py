"""Per-community policy: the rules' knobs, validated. Loaded from TOML by bot.config.

Each feature owns its section here; every key has a default documented in config.example.toml
(a test checks that every key here appears there).
"""

from __future__ import annotations

import datetime as dt
from datetime import date, time
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bot.core.model.recurrence import load_zone
from bot.core.model.recurrence_text import RecurrenceFormatError, parse_recurrence


class StrictModel(BaseModel):
    """Unknown keys are errors, values are immutable once loaded."""

    model_config = ConfigDict(extra="forbid", frozen=True)


GateMode = Literal["referral", "application", "referral_or_application", "open"]

DEFAULT_QUESTIONS = (
    "What are you working on, and what brings you to this community?",
    "What would you like to learn here, or help others with?",
)


class GateSettings(StrictModel):
    """Who gets in, and how."""

    mode: GateMode = "referral"
    switch_to_application_on: date | None = None
    code_ttl_days: int = Field(7, ge=1, le=365)
    code_max_uses: int = Field(5, ge=1, le=1000)
    codes_per_month: int = Field(10, ge=1, le=1000)
    failed_redemptions_per_hour: int = Field(5, ge=1, le=100)
    questions: tuple[str, str] = DEFAULT_QUESTIONS
    answer_min_length: int = Field(10, ge=0, le=1000)
    answer_max_length: int = Field(500, ge=20, le=4000)
    reapply_cooldown_days: int = Field(30, ge=0, le=3650)
    application_sla_hours: int = Field(48, ge=1, le=24 * 60)
    founding_member_limit: int = Field(100, ge=0, le=100_000)
    burst_joins: int = Field(10, ge=2, le=10_000)
    burst_window_seconds: int = Field(60, ge=1, le=86_400)


class CohortSettings(StrictModel):
    """Onboarding cohorts of 10–20 with buddies."""

    min_size: int = Field(10, ge=1, le=100)
    max_size: int = Field(20, ge=1, le=200)
    window_weekday: int = Field(0, ge=0, le=6)  # 0 = Monday
    window_time: time = time(16, 0)
    max_wait_days: int = Field(14, ge=1, le=365)
    buddies_per_newcomer: int = Field(1, ge=1, le=3)


class ContributionSettings(StrictModel):
    """What counts as a contribution and how much."""

    excluded_channels: tuple[str, ...] = ()
    weights: dict[str, float] = Field(default_factory=dict)


class DigestSettings(StrictModel):
    """The weekly digest for leads."""

    weekday: int = Field(0, ge=0, le=6)  # 0 = Monday
    time: dt.time = dt.time(9, 0)


CHANNEL_PATTERN = r"^(id:[A-Za-z0-9_-]{1,60}|[a-z][a-z0-9_-]{0,39})$"


class SeriesConfig(StrictModel):
    """A recurring event defined in the configuration, synced into the database by `key` at start."""

    key: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")
    kind: Literal["ama", "showcase"]
    title: str = Field(min_length=1, max_length=200)
    recurrence: str = Field(min_length=1, max_length=200)
    duration_minutes: int = Field(60, ge=5, le=24 * 60)
    channel: str = Field("announcements", pattern=CHANNEL_PATTERN)
    timezone: str | None = None  # None: the community's
    host: str | None = Field(None, min_length=1, max_length=64)  # the host's platform user id

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


class CommunitySettings(StrictModel):
    """One community: its identity, its platform and its policies."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")
    name: str = Field(min_length=1, max_length=100)
    platform: Literal["discord", "slack", "fake"]
    timezone: str = "UTC"
    gate: GateSettings = GateSettings()
    cohorts: CohortSettings = CohortSettings()
    contributions: ContributionSettings = ContributionSettings()
    digest: DigestSettings = DigestSettings()
    programming: ProgrammingSettings = ProgrammingSettings()

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"an IANA time zone name such as 'Europe/Berlin', not {value!r}") from exc
        return value

    @property
    def zone(self) -> ZoneInfo:
        """The community's time zone, for schedules and display."""
        return ZoneInfo(self.timezone)
