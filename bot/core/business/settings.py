"""Settings of the business connection: consent, levels, CQL signals, support deflection."""

from __future__ import annotations

from pydantic import Field, field_validator

from bot.core.business.automation_settings import SEED_AUTOMATIONS, Automation
from bot.core.settings_base import StrictModel

CONSENT_TEXT = (
    "Link your community activity to {name}'s team: your engagement level, a lead score from the "
    "kinds of things you do here (never what you write), your referrals and when you were last active "
    "are shared with the team's customer systems, so they can help you better. Withdraw at any time "
    "with /consent withdraw: the link is removed everywhere it was sent."
)


class SignalChannel(StrictModel):
    """A channel whose activity signals buying intent (#pricing, #integrations, #enterprise)."""

    channel: str = Field(min_length=1, max_length=64)  # the platform channel id
    label: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")  # shown as #label in reasons
    weight: float = Field(3.0, gt=0, le=100)


class BusinessSettings(StrictModel):
    """How the community connects to the business. Nothing member-level leaves without consent."""

    consent_version: int = Field(1, ge=1)
    consent_text: str = Field(CONSENT_TEXT, min_length=20, max_length=1500)
    sync: bool = False  # send consenting members' profiles to the [webhook] / [hubspot] sinks
    window_days: int = Field(90, ge=7, le=730)
    contributor_contributions: int = Field(10, ge=1, le=10_000)
    advocate_helpful_answers: int = Field(3, ge=1, le=1000)
    advocate_referrals: int = Field(2, ge=1, le=1000)
    signal_channels: tuple[SignalChannel, ...] = ()
    signal_kinds: dict[str, float] = Field(default_factory=lambda: {"event_attended": 1.0})
    signal_cap: int = Field(5, ge=1, le=100)
    interest_topics: tuple[str, ...] = (
        "pricing",
        "integrations",
        "enterprise",
        "implementation",
        "comparison",
    )
    interest_weight: float = Field(5.0, gt=0, le=100)
    talk_to_team_weight: float = Field(10.0, gt=0, le=100)
    cql_threshold: float = Field(10.0, gt=0, le=10_000)
    minutes_per_question: float = Field(20.0, ge=0, le=600)  # staff time one peer answer saves
    hourly_cost: float = Field(50.0, ge=0, le=10_000)
    currency: str = Field("USD", pattern=r"^[A-Z]{3}$")
    nps_every_days: int = Field(90, ge=0, le=730)  # 0: no community NPS survey
    nps_open_days: int = Field(7, ge=1, le=60)
    nps_sample: int = Field(200, ge=1, le=100_000)  # members asked per survey, drawn at random
    nps_min_tenure_days: int = Field(14, ge=0, le=365)  # members this new are not asked yet
    nps_min_members: int = Field(20, ge=1, le=100_000)  # no survey before this many can be asked
    automations: tuple[Automation, ...] = SEED_AUTOMATIONS

    @field_validator("automations")
    @classmethod
    def _unique_keys(cls, value: tuple[Automation, ...]) -> tuple[Automation, ...]:
        keys = [a.key for a in value]
        repeated = sorted({k for k in keys if keys.count(k) > 1})
        if repeated:
            raise ValueError(f"automation keys must be unique; repeated: {', '.join(repeated)}")
        return value

    @field_validator("interest_topics")
    @classmethod
    def _topics(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        bad = [t for t in value if not (1 <= len(t) <= 40 and t.replace("-", "").isalnum() and t.islower())]
        if bad or not value:
            raise ValueError(f"topics are short lower-case words (letters, digits, '-'); not {bad or value}")
        return value

    @field_validator("signal_kinds")
    @classmethod
    def _kinds(cls, value: dict[str, float]) -> dict[str, float]:
        for kind, weight in value.items():
            if not kind.replace("_", "").isalpha() or not 0 < weight <= 100:
                raise ValueError(f"signal_kinds maps a contribution kind to a weight in (0, 100]: {kind!r}")
        return value
