"""Settings of metrics: its section of a community's configuration, validated."""

from __future__ import annotations

import datetime as dt

from pydantic import Field, field_validator, model_validator

from bot.core.settings_base import StrictModel


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
