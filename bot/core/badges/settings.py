"""Settings of badges: its section of a community's configuration, validated."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from bot.core.badges.rules import RuleKind
from bot.core.settings_base import StrictModel

StatName = Literal[
    "contributions",
    "helpful_answers",
    "activated_referrals",
    "showcases",
    "ama_questions",
    "events_attended",
    "active_weeks",
]


class BadgeRule(StrictModel):
    """How a badge is earned: a built-in rule kind, with N (`count`) or the ladder's criteria."""

    kind: RuleKind
    count: int = Field(1, ge=1, le=100_000)
    requires: tuple[str, ...] = ()  # ladder: badges that must be held first
    min: dict[StatName, int] = Field(default_factory=dict)  # ladder: every stat must reach its minimum

    @model_validator(mode="after")
    def _ladder_has_criteria(self) -> BadgeRule:
        if self.kind is RuleKind.LADDER and not (self.min or self.requires):
            raise ValueError("a ladder rule needs `min` criteria (and usually `requires`)")
        if self.kind is not RuleKind.LADDER and (self.min or self.requires):
            raise ValueError("`min` and `requires` only apply to kind = 'ladder'")
        return self


class BadgeDef(StrictModel):
    """One badge of the catalogue."""

    key: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")
    name: str = Field(min_length=1, max_length=60)
    description: str = Field("", max_length=200)
    emoji: str = Field("", max_length=16)
    rule: BadgeRule


def _badge(key: str, name: str, description: str, emoji: str, kind: RuleKind, **rule: object) -> BadgeDef:
    return BadgeDef(
        key=key, name=name, description=description, emoji=emoji, rule=BadgeRule(kind=kind, **rule)
    )


DEFAULT_CATALOGUE: tuple[BadgeDef, ...] = (
    _badge("founding", "Founding Member", "Among the community's first members", "🏛️", RuleKind.FOUNDING),
    _badge(
        "first_contribution",
        "First Contribution",
        "Made a first contribution",
        "🌱",
        RuleKind.FIRST_CONTRIBUTION,
    ),
    _badge("helpful", "Helpful", "5 answers marked helpful", "✅", RuleKind.HELPFUL_ANSWERS, count=5),
    _badge(
        "referrer",
        "Referrer",
        "3 referred newcomers who contributed within 14 days",
        "🤝",
        RuleKind.ACTIVATED_REFERRALS,
        count=3,
    ),
    _badge("ama_host", "AMA Host", "Hosted an AMA", "🎤", RuleKind.AMA_HOST),
    _badge(
        "showcase_presenter",
        "Showcase Presenter",
        "Presented at a showcase",
        "🎨",
        RuleKind.SHOWCASE_PRESENTER,
    ),
    _badge(
        "cohort_graduate",
        "Cohort Graduate",
        "Completed the first 14 days with a cohort",
        "🎓",
        RuleKind.COHORT_GRADUATE,
    ),
    _badge(
        "shaped_the_product",
        "Shaped the product",
        "Suggested an idea that shipped",
        "💡",
        RuleKind.IDEA_SHIPPED,
    ),
    _badge("streak", "Regular", "Active 4 weeks in a row", "🔥", RuleKind.ACTIVE_WEEKS, count=4),
    _badge("challenger", "Challenger", "Completed a community challenge", "🎯", RuleKind.CHALLENGE),
    _badge(
        "advocate",
        "Advocate",
        "Helps others, week after week",
        "📣",
        RuleKind.LADDER,
        min={"helpful_answers": 3, "active_weeks": 4},
    ),
    _badge(
        "champion",
        "Champion",
        "Helps, brings people in who stay, shows up",
        "🏅",
        RuleKind.LADDER,
        requires=("advocate",),
        min={"helpful_answers": 15, "activated_referrals": 2, "active_weeks": 8},
    ),
    _badge(
        "ambassador",
        "Ambassador",
        "Represents the community and grows it",
        "🌟",
        RuleKind.LADDER,
        requires=("champion",),
        min={"helpful_answers": 40, "activated_referrals": 5, "active_weeks": 12, "showcases": 1},
    ),
)


class BadgeSettings(StrictModel):
    """The badge catalogue (set `catalogue` to replace the built-in one) and where awards are announced."""

    catalogue: tuple[BadgeDef, ...] = DEFAULT_CATALOGUE
    recognition_channel: str = Field("recognition", min_length=1, max_length=64)

    @model_validator(mode="after")
    def _consistent(self) -> BadgeSettings:
        seen: set[str] = set()
        for badge in self.catalogue:
            if badge.key in seen:
                raise ValueError(f"badge key {badge.key!r} appears twice in the catalogue")
            for needed in badge.rule.requires:
                if needed not in seen:
                    raise ValueError(
                        f"badge {badge.key!r} requires {needed!r}, which must come earlier in the catalogue"
                    )
            seen.add(badge.key)
        return self

    def get(self, key: str) -> BadgeDef | None:
        """The catalogue entry for a key, if there is one."""
        return next((b for b in self.catalogue if b.key == key), None)

    def of_kind(self, kind: RuleKind) -> tuple[BadgeDef, ...]:
        """Catalogue entries with this rule kind."""
        return tuple(b for b in self.catalogue if b.rule.kind is kind)
