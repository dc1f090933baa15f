"""Domain events of contributions: other features react to these on the bus."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.core.events import Event


@dataclass(frozen=True, kw_only=True)
class ContributionsRecorded(Event):
    """New contributions were recorded (by the ingest path or a handler); `member_ids` are the members
    whose badge-visible stats moved (see RecordedContributions.rechecks). Badges subscribe."""

    member_ids: tuple[int, ...]
    first_contributors: tuple[int, ...] = ()
    at: datetime
