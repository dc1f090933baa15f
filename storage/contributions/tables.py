"""Tables of contributions (SQLAlchemy 2 declarative). Every row declares `__privacy__`."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.privacy_declaration import Privacy
from storage.tables import Base, BigId, member_fk


class ContributionRow(Base):
    """One contribution: who, what kind, where, when. Never the text."""

    __tablename__ = "contribution"
    __table_args__ = (
        UniqueConstraint("community_id", "source_id"),
        Index("ix_contribution_community_occurred", "community_id", "occurred_at"),
        # Peer-answer rate and helpers to thank read helpful answers only: a small partial index
        # instead of scanning a week of every contribution kind, covering what they read (no row
        # lookups in a table of millions).
        Index(
            "ix_contribution_helpful",
            "community_id",
            "occurred_at",
            "by_staff",
            "member_id",
            sqlite_where=text("kind = 'helpful_answer'"),
            postgresql_where=text("kind = 'helpful_answer'"),
        ),
    )
    __privacy__ = Privacy(
        columns={"member_id": "delete", "target_member_id": "nullify"}, note="contribution metadata"
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    community_id: Mapped[str] = mapped_column(String(40), ForeignKey("community.id", ondelete="CASCADE"))
    member_id: Mapped[int] = member_fk()
    kind: Mapped[str] = mapped_column(String(32))
    weight: Mapped[float] = mapped_column(Float)
    channel_id: Mapped[str | None] = mapped_column(String(64))
    target_member_id: Mapped[int | None] = member_fk(ondelete="SET NULL", nullable=True, index=False)
    by_staff: Mapped[bool] = mapped_column(Boolean, default=False)
    source_id: Mapped[str] = mapped_column(String(128))  # platform event/message id: counts once
    occurred_at: Mapped[datetime]


class MemberWeekRow(Base):
    """Per member, per ISO week (Monday, UTC), per kind: the rollup the metrics read."""

    __tablename__ = "member_week"
    __table_args__ = (Index("ix_member_week_community_week", "community_id", "week_start"),)
    __privacy__ = Privacy(columns={"member_id": "delete"}, note="weekly contribution counts")

    member_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("member.id", ondelete="CASCADE"), primary_key=True
    )
    week_start: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    community_id: Mapped[str] = mapped_column(String(40), ForeignKey("community.id", ondelete="CASCADE"))
    count: Mapped[int] = mapped_column(Integer, default=0)
    weight: Mapped[float] = mapped_column(Float, default=0.0)
