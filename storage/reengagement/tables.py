"""Tables of re-engagement. Every row declares `__privacy__`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.privacy_declaration import Privacy
from storage.tables import Base, BigId, community_fk, member_fk


class MemberDriftRow(Base):
    """One time a member drifted away: since when, who is best placed to reach out, when they came back."""

    __tablename__ = "member_drift"
    __privacy__ = Privacy(
        columns={"member_id": "delete", "reach_member_id": "nullify"}, note="when the member went quiet"
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    community_id: Mapped[str] = community_fk()
    member_id: Mapped[int] = member_fk()
    since: Mapped[datetime]
    came_back_at: Mapped[datetime | None]
    reach_member_id: Mapped[int | None] = member_fk(ondelete="SET NULL", nullable=True, index=False)
    reach_via: Mapped[str] = mapped_column(String(16), default="")


class MemberNudgeRow(Base):
    """The last "what you missed" note a member got, and whether they want none."""

    __tablename__ = "member_nudge"
    __privacy__ = Privacy(columns={"member_id": "delete"}, note="re-engagement notes sent, opt-out")

    member_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("member.id", ondelete="CASCADE"), primary_key=True
    )
    community_id: Mapped[str] = community_fk()
    last_nudged_at: Mapped[datetime | None]
    opted_out: Mapped[bool] = mapped_column(Boolean, default=False)
