"""Tables of challenges. Every row declares `__privacy__`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.privacy_declaration import Privacy
from storage.tables import Base, BigId, community_fk


class ChallengeRow(Base):
    __tablename__ = "challenge"
    __privacy__ = Privacy.no_member_data("a community challenge: its title and dates")

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    community_id: Mapped[str] = community_fk()
    title: Mapped[str] = mapped_column(String(100))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]


class ChallengeEntryRow(Base):
    """A member in a challenge: when they joined, submitted, and a moderator confirmed completion."""

    __tablename__ = "challenge_entry"
    __privacy__ = Privacy(columns={"member_id": "delete"}, note="challenges the member took part in")

    challenge_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("challenge.id", ondelete="CASCADE"), primary_key=True
    )
    member_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("member.id", ondelete="CASCADE"), primary_key=True
    )
    joined_at: Mapped[datetime]
    submitted_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
