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

from bot.core.model.badges import RuleKind
from bot.core.model.cohorts import sizes_feasible
from bot.core.model.contributions import DEFAULT_WEIGHTS, ContributionKind
from bot.core.model.recurrence import load_zone
from bot.core.model.recurrence_text import RecurrenceFormatError, parse_recurrence


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


class ContributionSettings(StrictModel):
    """What counts as a contribution and how much."""

    excluded_channels: tuple[str, ...] = ()
    weights: dict[str, float] = Field(default_factory=dict)
    referral_activation_days: int = Field(14, ge=1, le=365)

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


CHANNEL_PATTERN = r"^(id:[A-Za-z0-9_-]{1,60}|[a-z][a-z0-9_-]{0,39})$"


class SeriesConfig(StrictModel):
    """A recurring event defined in the configuration, synced into the database by `key` at start."""

    key: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")
    kind: Literal["ama", "showcase"]
    title: str = Field(min_length=1, max_length=200)
    recurrence: str = Field(min_length=1, max_length=200)
    duration_minutes: int = Field(60, ge=5, le=24 * 60)
    channel: str = Field("announcements", pattern=CHANNEL_PATTERN)
    timezone: str | None = None  # None: the community's
    host: str | None = Field(None, min_length=1, max_length=64)  # the host's platform user id

    @field_validator("recurrence")
    @classmethod
    def _understood(cls, value: str) -> str:
        try:
            parse_recurrence(value, "UTC")  # the zone is checked on its own
        except RecurrenceFormatError as exc:
            raise ValueError(str(exc)) from None
        return value

    @field_validator("timezone")
    @classmethod
    def _iana(cls, value: str | None) -> str | None:
        if value is not None:
            load_zone(value)
        return value


class ProgrammingSettings(StrictModel):
    """Recurring AMAs and showcases: announcements, reminders, submissions."""

    announcement_lead_days: int = Field(7, ge=1, le=60)
    reminder_offsets_minutes: tuple[int, ...] = Field((24 * 60, 60), max_length=5)
    lineup_lead_minutes: int = Field(60, ge=0, le=7 * 24 * 60)
    showcase_review: bool = False
    review_channel: str = Field("applications", pattern=CHANNEL_PATTERN)
    questions_per_member: int = Field(3, ge=1, le=50)
    submissions_per_member: int = Field(1, ge=1, le=10)
    series: tuple[SeriesConfig, ...] = ()

    @field_validator("reminder_offsets_minutes")
    @classmethod
    def _offsets(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if any(not 1 <= minutes <= 14 * 24 * 60 for minutes in value):
            raise ValueError("each reminder offset is 1 to 20160 minutes (14 days) before the start")
        if len(set(value)) != len(value):
            raise ValueError("reminder offsets must be different from each other")
        return tuple(sorted(value, reverse=True))

    @field_validator("series")
    @classmethod
    def _unique_keys(cls, value: tuple[SeriesConfig, ...]) -> tuple[SeriesConfig, ...]:
        keys = [series.key for series in value]
        repeated = sorted({key for key in keys if keys.count(key) > 1})
        if repeated:
            raise ValueError(f"series keys must be unique; repeated: {', '.join(repeated)}")
        return value

    @property
    def announcement_lead(self) -> dt.timedelta:
        """How long before an occurrence it is announced."""
        return dt.timedelta(days=self.announcement_lead_days)

    @property
    def reminder_offsets(self) -> tuple[dt.timedelta, ...]:
        """Reminder leads, longest first."""
        return tuple(dt.timedelta(minutes=m) for m in self.reminder_offsets_minutes)

    @property
    def lineup_lead(self) -> dt.timedelta:
        """How long before a showcase its line-up is posted."""
        return dt.timedelta(minutes=self.lineup_lead_minutes)


class CommunitySettings(StrictModel):
    """One community: its identity, its platform and its policies."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")
    name: str = Field(min_length=1, max_length=100)
    platform: Literal["discord", "slack", "fake"]
    timezone: str = "UTC"
    gate: GateSettings = GateSettings()
    cohorts: CohortSettings = CohortSettings()
    contributions: ContributionSettings = ContributionSettings()
    badges: BadgeSettings = BadgeSettings()
    digest: DigestSettings = DigestSettings()
    ideas: IdeaSettings = IdeaSettings()
    programming: ProgrammingSettings = ProgrammingSettings()

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"an IANA time zone name such as 'Europe/Berlin', not {value!r}") from exc
        return value

    @model_validator(mode="after")
    def _buddy_badges_exist(self) -> CommunitySettings:
        keys = {b.key for b in self.badges.catalogue}
        unknown = [k for k in self.cohorts.buddy_badges if k not in keys]
        if unknown:
            raise ValueError(f"cohorts.buddy_badges names badges not in the catalogue: {', '.join(unknown)}")
        return self

    @property
    def zone(self) -> ZoneInfo:
        """The community's time zone, for schedules and display."""
        return ZoneInfo(self.timezone)
