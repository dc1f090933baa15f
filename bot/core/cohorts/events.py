"""Domain events of cohorts: other features react to these on the bus."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.core.events import Event


@dataclass(frozen=True, kw_only=True)
class CohortLaunched(Event):
    """A cohort was formed from the pool and its private space requested."""

    cohort_id: int
    member_ids: tuple[int, ...]
    at: datetime
