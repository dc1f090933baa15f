"""Per-community policy: the rules' knobs, validated. Loaded from TOML by bot.config.

Each feature owns its section here; every key has a default documented in config.example.toml
(a test checks that every key here appears there).
"""

from __future__ import annotations

from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator

from bot.core.badges.settings import BadgeSettings
from bot.core.badges.tier_settings import TierSettings
from bot.core.business.settings import BusinessSettings
from bot.core.cohorts.settings import CohortSettings
from bot.core.contributions.settings import ContributionSettings
from bot.core.feedback.settings import GovernanceSettings, IdeaSettings
from bot.core.gates.settings import GateSettings
from bot.core.metrics.settings import DigestSettings
from bot.core.privacy.settings import PrivacySettings
from bot.core.programming.settings import ProgrammingSettings
from bot.core.reengagement.settings import ReengagementSettings
from bot.core.settings_base import StrictModel


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
    tiers: TierSettings = TierSettings()
    digest: DigestSettings = DigestSettings()
    ideas: IdeaSettings = IdeaSettings()
    governance: GovernanceSettings = GovernanceSettings()
    programming: ProgrammingSettings = ProgrammingSettings()
    business: BusinessSettings = BusinessSettings()
    privacy: PrivacySettings = PrivacySettings()
    reengagement: ReengagementSettings = ReengagementSettings()

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
