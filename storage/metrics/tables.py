"""The rollup of finished weeks' metrics (SQLAlchemy 2 declarative). Every row declares `__privacy__`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.privacy_declaration import Privacy
from storage.tables import Base


class MetricsWeekRow(Base):
    """Every metric of one finished week (in one time zone), kept once it is first computed, so a
    digest reads its trend and the week before instead of scanning a quarter of rollups again."""

    __tablename__ = "metrics_week"
    __privacy__ = Privacy.no_member_data("counts of a finished week; names no one")

    community_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("community.id", ondelete="CASCADE"), primary_key=True
    )
    week: Mapped[str] = mapped_column(String(8), primary_key=True)  # "2026-W46"
    timezone: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)  # storage.metrics.snapshots.VERSION when computed
    figures: Mapped[dict[str, Any]] = mapped_column(JSON)  # a WeekMetrics
    computed_at: Mapped[datetime]
