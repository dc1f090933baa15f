"""Tables of gates (SQLAlchemy 2 declarative). Every row declares `__privacy__`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    ForeignKey,
    Index,
    Integer,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.privacy_declaration import Privacy
from storage.tables import Base, BigId, community_fk, member_fk


class ReferralCodeRow(Base):
    __tablename__ = "referral_code"
    __privacy__ = Privacy(columns={"owner_id": "delete"}, note="the member's personal codes")

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    community_id: Mapped[str] = community_fk()
    owner_id: Mapped[int] = member_fk()
    code: Mapped[str] = mapped_column(String(64), unique=True)
    invite_code: Mapped[str | None] = mapped_column(String(64), index=True)  # platform invite minted for it
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    max_uses: Mapped[int] = mapped_column(Integer)
    uses: Mapped[int] = mapped_column(Integer, default=0)
    revoked_at: Mapped[datetime | None]


class RedemptionAttemptRow(Base):
    """Failed code redemptions, for the per-person attempt limit."""

    __tablename__ = "redemption_attempt"
    __privacy__ = Privacy(
        columns={"member_id": "delete"}, export=False, note="anti-abuse counter, 1 h window"
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    community_id: Mapped[str] = community_fk()
    member_id: Mapped[int] = member_fk()
    attempted_at: Mapped[datetime] = mapped_column(index=True)


class ApplicationRow(Base):
    __tablename__ = "application"
    # The digest reads a week's decisions (counts and times to decision).
    __table_args__ = (Index("ix_application_decided", "community_id", "decided_at"),)
    __privacy__ = Privacy(
        columns={"member_id": "delete", "decided_by_id": "nullify"},
        note="the member's answers and the decision; a moderator's erasure keeps the decision",
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    community_id: Mapped[str] = community_fk()
    member_id: Mapped[int] = member_fk()
    answers: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), index=True)
    submitted_at: Mapped[datetime] = mapped_column(index=True)
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = member_fk(ondelete="SET NULL", nullable=True)
    reason: Mapped[str | None] = mapped_column(String(500))


class JoinEventRow(Base):
    """When people joined, for the join-burst guard; kept only as long as its window."""

    __tablename__ = "join_event"
    __table_args__ = (Index("ix_join_event_community_joined", "community_id", "joined_at"),)
    __privacy__ = Privacy.no_member_data("join timestamps only, no member; pruned after the burst window")

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    community_id: Mapped[str] = mapped_column(String(40), ForeignKey("community.id", ondelete="CASCADE"))
    joined_at: Mapped[datetime]
