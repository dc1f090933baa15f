"""Settings of re-engagement: when a member counts as drifting, and the optional nudge."""

from __future__ import annotations

from pydantic import Field, model_validator

from bot.core.settings_base import StrictModel


class ReengagementSettings(StrictModel):
    """A member active in at least `active_weeks` of the `lookback_weeks` before the last `silent_weeks`,
    and silent in those, is drifting. `nudge` sends them one gentle DM of what they missed, at most once
    every `nudge_every_days`; a member can turn it off from the DM."""

    active_weeks: int = Field(4, ge=1, le=52)
    lookback_weeks: int = Field(8, ge=1, le=52)
    silent_weeks: int = Field(3, ge=1, le=26)
    nudge: bool = True
    nudge_every_days: int = Field(90, ge=7, le=730)

    @model_validator(mode="after")
    def _fits(self) -> ReengagementSettings:
        if self.active_weeks > self.lookback_weeks:
            raise ValueError("active_weeks cannot exceed lookback_weeks")
        return self
