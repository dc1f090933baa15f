"""ORM rows (SQLAlchemy 2 declarative). Message text is never stored; contributions are metadata.

Every *Row declares `__privacy__` (see storage/privacy.py). Times are aware UTC (UTCDateTime).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from storage.privacy_declaration import Privacy
from storage.types import UTCDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# Integer primary keys that autoincrement on SQLite (INTEGER) and PostgreSQL (BIGINT identity).
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime(), dict[str, Any]: JSON()}
    __privacy__: ClassVar[Privacy]
    # Every row class is declared with __tablename__, so its __table__ is a Table (DeclarativeBase types it
    # as the wider FromClause, which insert()/delete() and .name do not accept).
    __table__: ClassVar[Table]


def member_fk(ondelete: str = "CASCADE", nullable: bool = False, index: bool = True) -> Any:
    """A column referring to member.id."""
    return mapped_column(BigId, ForeignKey("member.id", ondelete=ondelete), nullable=nullable, index=index)


def community_fk() -> Any:
    return mapped_column(
        String(40), ForeignKey("community.id", ondelete="CASCADE"), nullable=False, index=True
    )


class CommunityRow(Base):
    __tablename__ = "community"
    __privacy__ = Privacy.no_member_data("the community itself and its lead-set switches")

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    platform: Mapped[str] = mapped_column(String(16))
    gate_mode: Mapped[str | None] = mapped_column(String(32))  # a lead's override of the config
    gate_switch_on: Mapped[date | None] = mapped_column(Date)
    admissions_paused: Mapped[bool] = mapped_column(Boolean, default=False)
    join_burst_since: Mapped[datetime | None]  # set while a join burst is on (one alert per burst)
    privacy_salt: Mapped[str] = mapped_column(String(64), default="")  # made at set-up (or first use)
    created_at: Mapped[datetime]


class MemberRow(Base):
    __tablename__ = "member"
    __table_args__ = (
        UniqueConstraint("community_id", "platform", "user_id"),
        # The digest's "referrers whose newcomers activated" reads one week of first contributions.
        Index("ix_member_first_contribution", "community_id", "first_contribution_at"),
    )
    __privacy__ = Privacy(
        columns={"id": "delete", "referred_by_id": "nullify"},
        note="who the member is, how and when they got in; who they referred keeps a row without the link",
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    community_id: Mapped[str] = community_fk()
    platform: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[str] = mapped_column(String(64))
    display_name: Mapped[str] = mapped_column(String(100), default="")
    status: Mapped[str] = mapped_column(String(16), index=True)
    is_bot: Mapped[bool] = mapped_column(Boolean, default=False)
    is_staff: Mapped[bool] = mapped_column(Boolean, default=False)
    first_seen_at: Mapped[datetime]
    admitted_at: Mapped[datetime | None] = mapped_column(index=True)
    left_at: Mapped[datetime | None]
    first_contribution_at: Mapped[datetime | None]  # set once by the ingest path; drives activation
    referred_by_id: Mapped[int | None] = member_fk(ondelete="SET NULL", nullable=True)
    admission_method: Mapped[str | None] = mapped_column(String(16))
    referral_confidence: Mapped[str | None] = mapped_column(String(16))
    interests: Mapped[str] = mapped_column(String(300), default="")
    reminders_opt_out: Mapped[bool] = mapped_column(Boolean, default=False)


class JobRunRow(Base):
    """One row per (job, scheduled time): a job fired twice for the same time runs once."""

    __tablename__ = "job_run"
    __privacy__ = Privacy.no_member_data("scheduler bookkeeping")

    job_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    scheduled_for: Mapped[datetime] = mapped_column(primary_key=True)
    ran_at: Mapped[datetime]


class ScheduleStampRow(Base):
    """One row whose version the database bumps (triggers, migration 0006_schedule_stamp) whenever
    something the scheduler builds its jobs from changes: a series, an occurrence, a poll. The
    scheduler rebuilds its job specs only when the version it last saw has moved."""

    __tablename__ = "schedule_stamp"
    __privacy__ = Privacy.no_member_data("scheduler bookkeeping")

    name: Mapped[str] = mapped_column(String(64), primary_key=True)  # "schedule", made by the migration
    version: Mapped[int] = mapped_column(BigInteger, default=0)


class LeaseRow(Base):
    """Named leases, e.g. the one scheduler per deployment."""

    __tablename__ = "lease"
    __privacy__ = Privacy.no_member_data("process coordination")

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(128))
    expires_at: Mapped[datetime]


class OutboxRow(Base):
    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "status", "next_attempt_at"),
        Index("ix_outbox_lane", "community_id", "lane", "status", "id"),
    )
    __privacy__ = Privacy(
        columns={},
        export=False,
        note=(
            "effects to carry out; erasure deletes those addressed to the member and rewords the rest "
            "(a lane names a member only on effects addressed to them: DMs, access changes)"
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    community_id: Mapped[str] = community_fk()
    platform: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending|done|parked
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    claimed_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    done_at: Mapped[datetime | None]
    # The order the relay keeps (bot.core.effects.lane); null: none.
    lane: Mapped[str | None] = mapped_column(String(200))
    # Whether the last failure may pass by itself (an outage): such parked items are requeued when
    # the platform answers again.
    retryable: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


class PlatformRefRow(Base):
    """Where the platform put something the core named: message keys, space keys, event keys."""

    __tablename__ = "platform_ref"
    __privacy__ = Privacy.no_member_data("platform ids of posts and spaces, no member data")

    community_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("community.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    channel_id: Mapped[str] = mapped_column(String(64))
    message_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]


class ProcessedEventRow(Base):
    """Platform event ids already handled: a replay or a retry changes nothing."""

    __tablename__ = "processed_event"
    __privacy__ = Privacy.no_member_data("keyed hashes of platform event ids (some carry a user id)")

    platform: Mapped[str] = mapped_column(String(16), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    handled_at: Mapped[datetime] = mapped_column(index=True)
