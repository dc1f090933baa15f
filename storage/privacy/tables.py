"""Tables of privacy (SQLAlchemy 2 declarative). Every row declares `__privacy__`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.privacy_declaration import Privacy
from storage.tables import Base, BigId, community_fk


class AnonymousMarkRow(Base):
    """What anti-abuse keeps after an erasure: a salted hash of the platform id, never the id."""

    __tablename__ = "anonymous_mark"
    __table_args__ = (UniqueConstraint("community_id", "subject_hash", "reason"),)
    __privacy__ = Privacy.no_member_data("salted hash only; keeps a rejected applicant's cooldown")

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    community_id: Mapped[str] = community_fk()
    subject_hash: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(32))
    until: Mapped[datetime]  # every mark ends: it outlives the erasure only as long as its measure
    created_at: Mapped[datetime]
