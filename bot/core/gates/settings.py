"""Settings of gates: its section of a community's configuration, validated."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field, field_validator, model_validator

from bot.core.settings_base import StrictModel

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
    founding_from_existing: int = Field(0, ge=0, le=100_000)
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
