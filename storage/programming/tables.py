"""Tables of programming (SQLAlchemy 2 declarative). Every row declares `__privacy__`."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.privacy_declaration import Privacy
from storage.tables import Base, BigId, community_fk, member_fk


class SeriesRow(Base):
    __tablename__ = "series"
    __table_args__ = (UniqueConstraint("community_id", "key"),)  # NULL keys (lead-made) never collide
    __privacy__ = Privacy(
        columns={"host_id": "nullify"}, authored=("host_id",), note="a series a member hosts keeps running"
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    community_id: Mapped[str] = community_fk()
    key: Mapped[str | None] = mapped_column(String(64))  # set for series defined in config
    kind: Mapped[str] = mapped_column(String(16))  # ama|showcase|office_hours|meetup|council_meeting
    title: Mapped[str] = mapped_column(String(200))
    host_id: Mapped[int | None] = member_fk(ondelete="SET NULL", nullable=True)
    recurrence: Mapped[str] = mapped_column(
        String(200)
    )  # canonical human form, e.g. "weekly on Thursday 17:00"
    timezone: Mapped[str] = mapped_column(String(64))
    anchor: Mapped[date | None] = mapped_column(Date)
    duration_minutes: Mapped[int] = mapped_column(Integer, default=60)
    channel: Mapped[str] = mapped_column(String(64), default="announcements")
    status: Mapped[str] = mapped_column(String(16), default="active")
    created_at: Mapped[datetime]
    capacity: Mapped[int | None] = mapped_column(Integer)  # places per occurrence; NULL: no limit
    location: Mapped[str | None] = mapped_column(String(200))  # where it takes place (meetups)


class OccurrenceRow(Base):
    __tablename__ = "occurrence"
    __table_args__ = (UniqueConstraint("series_id", "local_date"),)
    __privacy__ = Privacy.no_member_data("when an occurrence happens")

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    series_id: Mapped[int] = mapped_column(BigId, ForeignKey("series.id", ondelete="CASCADE"), index=True)
    local_date: Mapped[date] = mapped_column(Date)  # the series date it belongs to, before any move
    starts_at: Mapped[datetime] = mapped_column(index=True)
    ends_at: Mapped[datetime]
    # scheduled|moved (both happen) | skipped|cancelled (do not) | done
    status: Mapped[str] = mapped_column(String(16), default="scheduled")
    announced_at: Mapped[datetime | None]  # set once: the announcement post exists from then on


class RsvpRow(Base):
    __tablename__ = "rsvp"
    __privacy__ = Privacy(columns={"member_id": "delete"}, note="the member's RSVPs")

    occurrence_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("occurrence.id", ondelete="CASCADE"), primary_key=True
    )
    member_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("member.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    answer: Mapped[str] = mapped_column(String(8))  # going|maybe|no|waiting (a full event's waitlist)
    attended: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime]


class AmaQuestionRow(Base):
    __tablename__ = "ama_question"
    __privacy__ = Privacy(columns={"asker_id": "delete"}, note="questions the member asked (their text)")

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    occurrence_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("occurrence.id", ondelete="CASCADE"), index=True
    )
    asker_id: Mapped[int] = member_fk()
    text: Mapped[str] = mapped_column(String(1000))
    votes: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    answered_at: Mapped[datetime | None]


class QuestionVoteRow(Base):
    __tablename__ = "question_vote"
    __privacy__ = Privacy(columns={"member_id": "delete"}, note="questions the member upvoted")

    question_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("ama_question.id", ondelete="CASCADE"), primary_key=True
    )
    member_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("member.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    voted_at: Mapped[datetime]


class ShowcaseSubmissionRow(Base):
    __tablename__ = "showcase_submission"
    __privacy__ = Privacy(columns={"presenter_id": "delete"}, note="what the member submitted to showcases")

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    occurrence_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("occurrence.id", ondelete="CASCADE"), index=True
    )
    presenter_id: Mapped[int] = member_fk()
    title: Mapped[str] = mapped_column(String(200))
    link: Mapped[str] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(String(1000), default="")
    status: Mapped[str] = mapped_column(String(16), default="pending")
    created_at: Mapped[datetime]
