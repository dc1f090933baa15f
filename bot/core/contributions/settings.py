"""Settings of contributions: its section of a community's configuration, validated."""

from __future__ import annotations

from pydantic import Field, field_validator

from bot.core.contributions.rules import DEFAULT_WEIGHTS, ContributionKind
from bot.core.settings_base import StrictModel


class ContributionSettings(StrictModel):
    """What counts as a contribution and how much."""

    excluded_channels: tuple[str, ...] = ()
    weights: dict[str, float] = Field(default_factory=dict)
    referral_activation_days: int = Field(14, ge=1, le=365)
    # Credit a referrer only for newcomers still members this many days after admission (0: at once).
    referral_retention_days: int = Field(14, ge=0, le=365)
    # "Mark helpful": channels (names or platform ids; a thread counts as its parent channel) where
    # marks count, empty = everywhere; at most `helpful_daily_cap` marks per marker per day; two
    # members who marked each other at least `mutual_marks` times each within `mutual_window_days`
    # are flagged to moderators (in `moderator_channel`) and their marks of each other stop counting.
    helpful_channels: tuple[str, ...] = ("help",)
    helpful_daily_cap: int = Field(5, ge=1, le=100)
    mutual_marks: int = Field(2, ge=1, le=100)
    mutual_window_days: int = Field(30, ge=1, le=365)
    moderator_channel: str = Field("applications", min_length=1, max_length=64)

    @field_validator("weights")
    @classmethod
    def _known_kinds(cls, value: dict[str, float]) -> dict[str, float]:
        kinds = sorted(k.value for k in ContributionKind)
        for kind, weight in value.items():
            if kind not in kinds:
                raise ValueError(f"unknown contribution kind {kind!r}; the kinds are {', '.join(kinds)}")
            if not 0 <= weight <= 1000:
                raise ValueError(f"weight of {kind!r} must be between 0 and 1000, not {weight}")
        return value

    def weight(self, kind: ContributionKind) -> float:
        """The weight of a kind of contribution (configured, else the default)."""
        return float(self.weights.get(kind.value, DEFAULT_WEIGHTS[kind]))
