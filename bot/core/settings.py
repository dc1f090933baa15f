"""Per-community policy: the rules' knobs, validated. Loaded from TOML by bot.config.

Each feature owns its section here; every key has a default documented in config.example.toml
(a test checks that every key here appears there).
"""

from __future__ import annotations

import datetime as dt
from datetime import date, time
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


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
    healthy_active_ratio: tuple[float, float] = (0.10, 0.20)
    healthy_first_contribution_rate: float = Field(0.30, ge=0, le=1)
    stalled_after_days: int = Field(7, ge=1, le=90)
    stalled_window_days: int = Field(28, ge=2, le=365)
    list_limit: int = Field(10, ge=1, le=50)

    @field_validator("healthy_active_ratio")
    @classmethod
    def _range(cls, value: tuple[float, float]) -> tuple[float, float]:
        low, high = value
        if not 0 <= low < high <= 1:
            raise ValueError("two shares [low, high] with 0 <= low < high <= 1, e.g. [0.10, 0.20]")
        return value

    @model_validator(mode="after")
    def _stalled_window(self) -> DigestSettings:
        if self.stalled_window_days <= self.stalled_after_days:
            raise ValueError(
                "stalled_window_days must be longer than stalled_after_days "
                f"({self.stalled_window_days} <= {self.stalled_after_days})"
            )
        return self


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
