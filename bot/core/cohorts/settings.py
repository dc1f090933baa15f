"""Settings of cohorts: its section of a community's configuration, validated."""

from __future__ import annotations

from datetime import time

from pydantic import Field, model_validator

from bot.core.cohorts.rules import sizes_feasible
from bot.core.settings_base import StrictModel


class CohortSettings(StrictModel):
    """Onboarding cohorts of 10–20 with buddies."""

    min_size: int = Field(10, ge=1, le=100)
    max_size: int = Field(20, ge=1, le=200)
    window_weekday: int = Field(0, ge=0, le=6)  # 0 = Monday
    window_time: time = time(16, 0)
    max_wait_days: int = Field(14, ge=1, le=365)
    buddies_per_newcomer: int = Field(2, ge=1, le=3)
    # Buddies are matched first on these picks (an application question with the same key, or /cohort),
    # then on interests.
    roles: tuple[str, ...] = ("engineering", "design", "product", "data", "marketing", "community", "founder")
    industries: tuple[str, ...] = ("software", "fintech", "health", "education", "media", "public sector")
    buddy_badges: tuple[str, ...] = ("cohort_graduate", "champion", "ambassador")
    graduation_requires_contribution: bool = True

    def match_choices(self) -> dict[str, tuple[str, ...]]:
        """The fields buddies are matched on, with their choices."""
        return {"role": self.roles, "industry": self.industries}

    @model_validator(mode="after")
    def _sizes_can_balance(self) -> CohortSettings:
        if not sizes_feasible(self.min_size, self.max_size):
            raise ValueError(
                f"max_size must be at least 2 × min_size − 1 (here {2 * self.min_size - 1}) so that any "
                f"number of waiting newcomers splits into cohorts of {self.min_size}–{self.max_size}"
            )
        return self
