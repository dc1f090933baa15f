"""Tables of kudos. Every row declares `__privacy__`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Mapped, mapped_column

from storage.privacy_declaration import Privacy
from storage.tables import Base, BigId, member_fk


class KudosRow(Base):
    """One thank-you: who thanked whom, and when (no message text)."""

    __tablename__ = "kudos"
    __privacy__ = Privacy(columns={"giver_id": "delete", "receiver_id": "delete"}, note="who thanked whom")

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    giver_id: Mapped[int] = member_fk()
    receiver_id: Mapped[int] = member_fk()
    given_at: Mapped[datetime]
