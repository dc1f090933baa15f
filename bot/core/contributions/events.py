"""Domain events of contributions: other features react to these on the bus."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.core.contributions.rules import ContributionKind
from bot.core.events import Event
from bot.core.refs import MemberRef


@dataclass(frozen=True, kw_only=True)
class ContributionsRecorded(Event):
    """New contributions were recorded (by the ingest path or a handler); `member_ids` are the members
    whose badge-visible stats moved (see RecordedContributions.rechecks). Badges subscribe."""

    member_ids: tuple[int, ...]
    first_contributors: tuple[int, ...] = ()
    at: datetime


@dataclass(frozen=True, kw_only=True)
class ContributionMade(Event):
    """Another feature saw a member contribute (an idea filed, an AMA question, an event attended).
    Contributions records it once per `source_id`, weighted by the community's settings, and emits
    ContributionsRecorded when it is new."""

    member: MemberRef
    kind: ContributionKind
    source_id: str
    at: datetime
