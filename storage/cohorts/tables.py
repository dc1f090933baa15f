"""Tables of cohorts (SQLAlchemy 2 declarative). Every row declares `__privacy__`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.privacy_declaration import Privacy
from storage.tables import Base, BigId, community_fk, member_fk


class CohortRow(Base):
    __tablename__ = "cohort"
    __table_args__ = (UniqueConstraint("community_id", "number"),)
    __privacy__ = Privacy.no_member_data("cohort metadata; membership is in cohort_member")

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    community_id: Mapped[str] = community_fk()
    number: Mapped[int] = mapped_column(Integer)  # 1, 2, 3… per community
    name: Mapped[str] = mapped_column(String(100))
    launched_at: Mapped[datetime] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(String(16), default="active")


class CohortPoolRow(Base):
    """Admitted newcomers waiting for the next cohort."""

    __tablename__ = "cohort_pool"
    __privacy__ = Privacy(columns={"member_id": "delete"}, note="waiting for a cohort since")

    member_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("member.id", ondelete="CASCADE"), primary_key=True
    )
    community_id: Mapped[str] = community_fk()
    waiting_since: Mapped[datetime]


class CohortMemberRow(Base):
    __tablename__ = "cohort_member"
    __privacy__ = Privacy(columns={"member_id": "delete"}, note="which cohort the member onboarded with")

    cohort_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("cohort.id", ondelete="CASCADE"), primary_key=True
    )
    member_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("member.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    graduated_at: Mapped[datetime | None]


class BuddyPairRow(Base):
    __tablename__ = "buddy_pair"
    __table_args__ = (UniqueConstraint("cohort_id", "newcomer_id", "buddy_id"),)
    __privacy__ = Privacy(columns={"newcomer_id": "delete", "buddy_id": "delete"}, note="buddy matches")

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    cohort_id: Mapped[int] = mapped_column(BigId, ForeignKey("cohort.id", ondelete="CASCADE"), index=True)
    newcomer_id: Mapped[int] = member_fk()
    buddy_id: Mapped[int] = member_fk()
    created_at: Mapped[datetime]


class MilestoneRow(Base):
    """A milestone message sent (or check done) once per member."""

    __tablename__ = "milestone"
    __privacy__ = Privacy(columns={"member_id": "delete"}, note="which onboarding nudges were sent")

    member_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("member.id", ondelete="CASCADE"), primary_key=True
    )
    milestone: Mapped[str] = mapped_column(String(32), primary_key=True)
    done_at: Mapped[datetime]


class MemberMatchRow(Base):
    """A member's pick for a buddy-matching field (role, industry), from the community's choices."""

    __tablename__ = "member_match"
    __privacy__ = Privacy(columns={"member_id": "delete"}, note="role and industry picked for buddy matching")

    member_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("member.id", ondelete="CASCADE"), primary_key=True
    )
    field: Mapped[str] = mapped_column(String(16), primary_key=True)
    value: Mapped[str] = mapped_column(String(64))
