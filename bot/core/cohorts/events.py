"""Domain events of cohorts: other features react to these on the bus."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.core.events import Event
from bot.core.refs import MemberRef


@dataclass(frozen=True, kw_only=True)
class CohortLaunched(Event):
    """A cohort was formed from the pool and its private space requested."""

    cohort_id: int
    member_ids: tuple[int, ...]
    at: datetime


@dataclass(frozen=True, kw_only=True)
class MemberGraduated(Event):
    """A newcomer completed their cohort's onboarding (badges award the cohort-graduate badges)."""

    cohort_id: int
    cohort_name: str
    member_id: int
    member: MemberRef
    at: datetime
