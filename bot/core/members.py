"""Members: one person on one platform in one community."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.core.refs import MemberRef


class MemberStatus(StrEnum):
    PENDING = "pending"  # seen on the platform, not (yet) admitted
    ADMITTED = "admitted"
    LEFT = "left"
    REMOVED = "removed"


class AdmissionMethod(StrEnum):
    CODE = "code"
    INVITE = "invite"
    APPLICATION = "application"
    OPEN = "open"
    LEAD = "lead"  # added by a lead
    ADOPTED = "adopted"  # already in the community when Townsquare arrived (not growth, not a newcomer)


@dataclass
class Member:
    """A member row as the core sees it; storage maps it to and from MemberRow."""

    id: int
    community_id: str
    ref: MemberRef
    status: MemberStatus
    first_seen_at: datetime
    display_name: str = ""
    is_bot: bool = False
    is_staff: bool = False
    admitted_at: datetime | None = None
    left_at: datetime | None = None
    first_contribution_at: datetime | None = None
    referred_by_id: int | None = None
    admission_method: AdmissionMethod | None = None
    referral_confidence: str | None = None
    interests: str = ""
    reminders_opt_out: bool = False

    @property
    def is_admitted(self) -> bool:
        """True while the member is in: admitted and not gone."""
        return self.status is MemberStatus.ADMITTED
