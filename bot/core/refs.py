"""Platform-neutral references to people and places, and the acting person."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Role(StrEnum):
    """What a person may do in a community; adapters map platform roles/users onto these."""

    MEMBER = "member"
    MODERATOR = "moderator"
    LEAD = "lead"


@dataclass(frozen=True, order=True)
class MemberRef:
    """A person on one platform, e.g. MemberRef("discord", "1234")."""

    platform: str
    user_id: str

    def __str__(self) -> str:
        return f"{self.platform}:{self.user_id}"


@dataclass(frozen=True)
class Actor:
    """Whoever triggered a command: the member, the community, their roles as the platform sees them."""

    ref: MemberRef
    community_id: str
    roles: frozenset[Role] = field(default_factory=frozenset)
    display_name: str = ""
    is_bot: bool = False

    @property
    def is_moderator(self) -> bool:
        """True when the platform grants the configured moderator role or user id."""
        return Role.MODERATOR in self.roles

    @property
    def is_lead(self) -> bool:
        """True when the platform grants the configured lead role or user id."""
        return Role.LEAD in self.roles

    @property
    def is_staff(self) -> bool:
        """Moderators and leads count as staff (for the peer-answer rate, for instance)."""
        return self.is_moderator or self.is_lead
