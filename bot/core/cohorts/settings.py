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
    buddies_per_newcomer: int = Field(1, ge=1, le=3)
    buddy_badges: tuple[str, ...] = ("cohort_graduate", "champion", "ambassador")
    graduation_requires_contribution: bool = True

    @model_validator(mode="after")
    def _sizes_can_balance(self) -> CohortSettings:
        if not sizes_feasible(self.min_size, self.max_size):
            raise ValueError(
                f"max_size must be at least 2 × min_size − 1 (here {2 * self.min_size - 1}) so that any "
                f"number of waiting newcomers splits into cohorts of {self.min_size}–{self.max_size}"
            )
        return self
