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

# Discord shows at most 45 characters as a form label, so questions are short; Slack takes more.
QUESTION_MAX_LENGTH = 45
DEFAULT_QUESTIONS = (
    "What are you working on right now?",
    "What do you hope to learn or share here?",
)


class GateSettings(StrictModel):
    """Who gets in, and how."""

    mode: GateMode = "referral"
    switch_to_application_on: date | None = None
    code_ttl_days: int = Field(7, ge=1, le=365)
    code_max_uses: int = Field(5, ge=1, le=1000)
    codes_per_month: int = Field(10, ge=1, le=1000)
    failed_redemptions_per_hour: int = Field(5, ge=1, le=5)
    questions: tuple[str, str] = DEFAULT_QUESTIONS
    answer_min_length: int = Field(10, ge=0, le=1000)
    answer_max_length: int = Field(500, ge=20, le=1000)
    reapply_cooldown_days: int = Field(30, ge=0, le=3650)
    application_sla_hours: int = Field(48, ge=1, le=24 * 60)
    founding_member_limit: int = Field(100, ge=0, le=100_000)
    burst_joins: int = Field(10, ge=2, le=10_000)
    burst_window_seconds: int = Field(60, ge=1, le=86_400)

    @field_validator("questions")
    @classmethod
    def _short_questions(cls, value: tuple[str, str]) -> tuple[str, str]:
        for question in value:
            if not question.strip():
                raise ValueError("each question needs some text")
            if len(question) > QUESTION_MAX_LENGTH:
                raise ValueError(
                    f"keep each question to {QUESTION_MAX_LENGTH} characters (Discord's form label limit); "
                    f"{question!r} has {len(question)}"
                )
        return value

    @model_validator(mode="after")
    def _answer_bounds(self) -> GateSettings:
        if self.answer_min_length >= self.answer_max_length:
            raise ValueError(
                f"answer_min_length ({self.answer_min_length}) must be below "
                f"answer_max_length ({self.answer_max_length})"
            )
        return self


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


class IdeaSettings(StrictModel):
    """The feedback loop: ideas, statuses, the roadmap, the insights report and member votes."""

    channel: str = Field("ideas", min_length=1, max_length=64)  # logical channel of idea posts
    announce_channel: str = Field("ideas", min_length=1, max_length=64)  # where shipping is announced
    report_channel: str = Field("digest", min_length=1, max_length=64)  # the leads' channel
    areas: tuple[str, ...] = ()  # allowed area tags; empty: any short tag
    similar_max: int = Field(3, ge=0, le=3)  # similar open ideas shown before filing; 0: never
    similar_cutoff: int = Field(70, ge=1, le=100)  # title similarity (0-100) that counts as similar
    credit_voters: int = Field(10, ge=0, le=50)  # voters credited by name when an idea ships
    roadmap_shipped_days: int = Field(30, ge=1, le=365)  # "recently shipped" on /roadmap
    weight_by_tier: bool = False  # order the roadmap by votes weighted by the voter's advocacy tier
    tier_weights: dict[str, float] = Field(
        default_factory=lambda: {"advocate": 1.5, "champion": 2.0, "ambassador": 3.0}
    )
    notice_time: dt.time = dt.time(17, 0)  # daily batch of status-change DMs, community time
    report_day: int = Field(1, ge=1, le=28)  # day of the month the last month's report is posted
    poll_channel: str = Field("announcements", min_length=1, max_length=64)
    poll_hours: int = Field(72, ge=1, le=24 * 60)  # default time a poll stays open
    roadmap_poll_votes: int = Field(3, ge=1, le=10)  # votes each member allocates in a roadmap vote
    council: str = Field("council", pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")  # the default council

    @field_validator("areas")
    @classmethod
    def _short_areas(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        cleaned = tuple(area.strip().lower() for area in value)
        if any(not area or len(area) > 30 for area in cleaned):
            raise ValueError("each area is 1 to 30 characters, e.g. ['editor', 'billing']")
        if len(set(cleaned)) != len(cleaned):
            raise ValueError("areas must not repeat")
        return cleaned

    @field_validator("tier_weights")
    @classmethod
    def _positive_weights(cls, value: dict[str, float]) -> dict[str, float]:
        bad = sorted(key for key, weight in value.items() if not 0 < weight <= 100)
        if bad:
            raise ValueError(f"tier weights are between 0 (excluded) and 100; fix: {', '.join(bad)}")
        return value


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
    ideas: IdeaSettings = IdeaSettings()

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
