"""Domain events of gates: other features react to these on the bus."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.core.events import Event
from bot.core.refs import MemberRef


@dataclass(frozen=True, kw_only=True)
class MemberAdmitted(Event):
    """A person became a member (gates emit it; cohorts, badges and metrics subscribe)."""

    member_id: int
    member: MemberRef
    method: str  # AdmissionMethod value
    at: datetime
    referrer_id: int | None = None
    founding: bool = False  # among the community's first members: a founder, not a newcomer to onboard
