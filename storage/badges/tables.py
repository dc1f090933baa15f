"""Tables of badges (SQLAlchemy 2 declarative). Every row declares `__privacy__`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    ForeignKey,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.privacy_declaration import Privacy
from storage.tables import Base, BigId, community_fk, member_fk


class BadgeAwardRow(Base):
    __tablename__ = "badge_award"
    __table_args__ = (UniqueConstraint("member_id", "badge_key"),)
    __privacy__ = Privacy(columns={"member_id": "delete"}, note="badges the member earned")

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    community_id: Mapped[str] = community_fk()
    member_id: Mapped[int] = member_fk()
    badge_key: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(200), default="")
    awarded_at: Mapped[datetime] = mapped_column(index=True)


class MemberTierRow(Base):
    """A member's current advocacy tier, re-evaluated weekly over a trailing window."""

    __tablename__ = "member_tier"
    __privacy__ = Privacy(columns={"member_id": "delete"}, note="the member's current advocacy tier")

    member_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("member.id", ondelete="CASCADE"), primary_key=True
    )
    community_id: Mapped[str] = community_fk()
    tier_key: Mapped[str] = mapped_column(String(40))
    since: Mapped[datetime]
    at_risk_since: Mapped[datetime | None]
