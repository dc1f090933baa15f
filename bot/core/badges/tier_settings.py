"""Settings of the advocacy tiers: what each asks over a trailing window, what it gives, the grace."""

from __future__ import annotations

from pydantic import Field, model_validator

from bot.core.badges.settings import StatName
from bot.core.settings_base import StrictModel


class TierDef(StrictModel):
    """One tier of the ladder. `min` is met over the trailing window (`active_weeks` counts the weeks
    with a contribution in it); the platform role is the adapter's mapping of `key` (Discord
    `roles.tiers`, Slack `usergroups`); `perks` are shown by /perks and in the promotion message."""

    key: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")
    name: str = Field(min_length=1, max_length=60)
    emoji: str = Field("", max_length=16)
    min: dict[StatName, int] = Field(min_length=1)
    perks: tuple[str, ...] = ()


DEFAULT_TIERS: tuple[TierDef, ...] = (
    TierDef(
        key="advocate",
        name="Advocate",
        emoji="📣",
        min={"helpful_answers": 3, "active_weeks": 4},
        perks=("Advocate role", "#beta-program channel"),
    ),
    TierDef(
        key="champion",
        name="Champion",
        emoji="🏅",
        min={"helpful_answers": 10, "activated_referrals": 1, "active_weeks": 8},
        perks=("Champion role", "#beta-program channel", "early-access role"),
    ),
    TierDef(
        key="ambassador",
        name="Ambassador",
        emoji="🌟",
        min={"helpful_answers": 25, "activated_referrals": 3, "active_weeks": 11, "showcases": 1},
        perks=("Ambassador role", "#beta-program channel", "early-access role", "a seat at roadmap reviews"),
    ),
)


class TierSettings(StrictModel):
    """The ladder, lowest first, re-evaluated weekly over the last `window_days`; a member short of their
    tier gets a private heads-up and keeps it for `grace_days` before moving down."""

    window_days: int = Field(100, ge=7, le=730)
    grace_days: int = Field(14, ge=0, le=180)
    ladder: tuple[TierDef, ...] = DEFAULT_TIERS

    @model_validator(mode="after")
    def _unique(self) -> TierSettings:
        keys = [t.key for t in self.ladder]
        if len(set(keys)) != len(keys):
            raise ValueError("each tier key must appear once in tiers.ladder")
        return self

    def get(self, key: str | None) -> TierDef | None:
        """The tier with this key, if configured."""
        return next((t for t in self.ladder if t.key == key), None)
