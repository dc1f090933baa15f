"""Settings of feedback: its section of a community's configuration, validated."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field, field_validator

from bot.core.settings_base import StrictModel


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


class GovernanceSettings(StrictModel):
    """Elections and roadmap votes on a calendar, and the default ballot of every vote."""

    ballot: Literal["secret", "open"] = "secret"  # default of /poll and of elections; open names voters
    elections: bool = False  # true: the scheduler elects the council every `every_months`
    every_months: Literal[1, 2, 3, 4, 6, 12] = 3  # periods start in January and every N months after
    council_seats: int = Field(7, ge=5, le=10)
    nomination_days: int = Field(7, ge=1, le=30)  # nominations stay open this long from the period's start
    voting_days: int = Field(7, ge=1, le=30)  # then the ballot stays open this long
    quorum: float = Field(0.1, ge=0, le=1)  # share of eligible members who must vote for a result to count
    term_months: int = Field(3, ge=1, le=24)  # an elected seat's term, from the result
    roadmap_vote: bool = False  # true: every period, a vote ranks the top ideas and moves the winners
    roadmap_voters: Literal["council", "all"] = "council"
    roadmap_ideas: int = Field(5, ge=2, le=10)  # the most-voted open ideas on the ballot
    roadmap_moves: int = Field(3, ge=1, le=10)  # the best-ranked ideas move one step on the roadmap
    board: str = Field("advisory-board", pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")  # the appointed body
    board_seats: int = Field(15, ge=10, le=15)  # the advisory board's size limit (leads appoint)
    board_term_months: int = Field(12, ge=1, le=36)  # an appointed seat's term
    minutes_channel: str = Field("announcements", min_length=1, max_length=64)  # public: /minutes
