"""The rollup of finished weeks' metrics (SQLAlchemy 2 declarative). Every row declares `__privacy__`."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.privacy_declaration import Privacy
from storage.tables import Base, BigId


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


class MemberActivityRow(Base):
    """Per member and rollup week (Monday, UTC): the kinds of contribution they made that week and in
    the 4 weeks ending with it, as bit masks (storage/metrics/activity.py). Kept by the contribution
    write path beside `member_week`, so "active in the last 28 days" is one row per member to count,
    not a scan and regrouping of four weeks of per-kind rollups."""

    __tablename__ = "member_activity"
    __table_args__ = (
        # The activity metrics read one week's rows of a community, covered (no row lookups).
        Index("ix_member_activity_week", "community_id", "week_start", "member_id", "window_kinds"),
    )
    __privacy__ = Privacy(columns={"member_id": "delete"}, note="which kinds of contribution, per week")

    member_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("member.id", ondelete="CASCADE"), primary_key=True
    )
    week_start: Mapped[date] = mapped_column(Date, primary_key=True)
    community_id: Mapped[str] = mapped_column(String(40), ForeignKey("community.id", ondelete="CASCADE"))
    week_kinds: Mapped[int] = mapped_column(Integer, default=0)  # kinds with a contribution this week
    window_kinds: Mapped[int] = mapped_column(Integer, default=0)  # … in this week and the 3 before
