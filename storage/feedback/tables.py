"""Tables of feedback (SQLAlchemy 2 declarative). Every row declares `__privacy__`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.privacy_declaration import Privacy
from storage.tables import Base, BigId, community_fk, member_fk


class IdeaRow(Base):
    """An idea filed with /idea. Its text was posted publicly in the ideas channel on purpose."""

    __tablename__ = "idea"
    __table_args__ = (Index("ix_idea_community_status", "community_id", "status"),)
    __privacy__ = Privacy(
        columns={"author_id": "nullify"},
        authored=("author_id",),
        note="ideas the member filed; erasure keeps the idea for its voters without its author",
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    community_id: Mapped[str] = community_fk()
    author_id: Mapped[int | None] = member_fk(ondelete="SET NULL", nullable=True)
    title: Mapped[str] = mapped_column(String(200))
    details: Mapped[str] = mapped_column(String(2000), default="")
    area: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(16))
    status_reason: Mapped[str | None] = mapped_column(String(500))
    merged_into_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("idea.id", ondelete="SET NULL"))
    votes: Mapped[int] = mapped_column(Integer, default=0)  # cached COUNT(*) of idea_vote, set per vote
    created_at: Mapped[datetime] = mapped_column(index=True)
    status_changed_at: Mapped[datetime]
    shipped_at: Mapped[datetime | None]


class IdeaVoteRow(Base):
    """One vote per member per idea (the primary key settles concurrent presses)."""

    __tablename__ = "idea_vote"
    __privacy__ = Privacy(columns={"member_id": "delete"}, note="ideas the member voted for")

    idea_id: Mapped[int] = mapped_column(BigId, ForeignKey("idea.id", ondelete="CASCADE"), primary_key=True)
    member_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("member.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    voted_at: Mapped[datetime] = mapped_column(index=True)


class IdeaStatusChangeRow(Base):
    __tablename__ = "idea_status_change"
    __privacy__ = Privacy(
        columns={"by_id": "nullify"}, note="status history; a lead's erasure keeps the change"
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    idea_id: Mapped[int] = mapped_column(BigId, ForeignKey("idea.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    by_id: Mapped[int | None] = member_fk(ondelete="SET NULL", nullable=True, index=False)
    reason: Mapped[str | None] = mapped_column(String(500))
    at: Mapped[datetime] = mapped_column(index=True)


class IdeaNoticeRow(Base):
    """A status change still to be told to one member; sent in a daily batch, once."""

    __tablename__ = "idea_notice"
    __table_args__ = (
        UniqueConstraint("member_id", "change_id"),
        Index("ix_idea_notice_pending", "community_id", "sent_at"),
    )
    __privacy__ = Privacy(columns={"member_id": "delete"}, export=False, note="delivery bookkeeping")

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    community_id: Mapped[str] = mapped_column(String(40), ForeignKey("community.id", ondelete="CASCADE"))
    member_id: Mapped[int] = member_fk(index=False)
    change_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("idea_status_change.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]


class IdeaOptOutRow(Base):
    """Members who turned status-change messages off (/ideas notifications off)."""

    __tablename__ = "idea_opt_out"
    __privacy__ = Privacy(columns={"member_id": "delete"}, note="the member's notification choice")

    member_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("member.id", ondelete="CASCADE"), primary_key=True
    )
    community_id: Mapped[str] = community_fk()
    since: Mapped[datetime]


class IdeaDraftRow(Base):
    """An idea held while its author looks at similar ones; filed or dropped within a day."""

    __tablename__ = "idea_draft"
    __privacy__ = Privacy(columns={"member_id": "delete"}, note="an idea the member has not filed yet")

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    community_id: Mapped[str] = community_fk()
    member_id: Mapped[int] = member_fk()
    title: Mapped[str] = mapped_column(String(200))
    details: Mapped[str] = mapped_column(String(2000), default="")
    area: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(index=True)


class CouncilRow(Base):
    __tablename__ = "council"
    __table_args__ = (UniqueConstraint("community_id", "name"),)
    __privacy__ = Privacy.no_member_data("a named group; its members are in council_member")

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    community_id: Mapped[str] = community_fk()
    name: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime]


class CouncilMemberRow(Base):
    __tablename__ = "council_member"
    __privacy__ = Privacy(columns={"member_id": "delete"}, note="councils the member sits on")

    council_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("council.id", ondelete="CASCADE"), primary_key=True
    )
    member_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("member.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    added_at: Mapped[datetime]
    term_ends_at: Mapped[datetime | None]  # elected seats: when the term ends; None: until removed


class CouncilNomineeRow(Base):
    """Nominees for a council's next election (/nominate); the election poll consumes them."""

    __tablename__ = "council_nominee"
    __privacy__ = Privacy(
        columns={"member_id": "delete", "nominated_by_id": "nullify"},
        note="nominations of the member; a nominator's erasure keeps the nomination",
    )

    council_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("council.id", ondelete="CASCADE"), primary_key=True
    )
    member_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("member.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    nominated_by_id: Mapped[int | None] = member_fk(ondelete="SET NULL", nullable=True, index=False)
    nominated_at: Mapped[datetime]


class PollRow(Base):
    __tablename__ = "poll"
    __table_args__ = (Index("ix_poll_due", "status", "closes_at"),)
    __privacy__ = Privacy(
        columns={"created_by_id": "nullify"},
        authored=("created_by_id",),
        note="a lead's poll outlives the lead",
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    community_id: Mapped[str] = community_fk()
    question: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(16))  # question|roadmap|election
    eligibility: Mapped[str] = mapped_column(String(16))  # all|badge|council
    eligible_key: Mapped[str | None] = mapped_column(String(64))  # badge key or council name
    secret: Mapped[bool] = mapped_column(Boolean, default=False)
    votes_per_member: Mapped[int] = mapped_column(Integer, default=1)
    seats: Mapped[int | None] = mapped_column(Integer)
    council_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("council.id", ondelete="SET NULL"))
    channel: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_by_id: Mapped[int | None] = member_fk(ondelete="SET NULL", nullable=True, index=False)
    created_at: Mapped[datetime]
    closes_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    last_ballot_at: Mapped[datetime | None]
    ballots_cast: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # secret polls


class PollOptionRow(Base):
    __tablename__ = "poll_option"
    __table_args__ = (UniqueConstraint("poll_id", "position"),)
    __privacy__ = Privacy(
        columns={"member_id": "delete"}, note="a nominee's name on an election ballot is theirs"
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    poll_id: Mapped[int] = mapped_column(BigId, ForeignKey("poll.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(120))
    idea_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("idea.id", ondelete="SET NULL"))
    member_id: Mapped[int | None] = member_fk(ondelete="CASCADE", nullable=True, index=False)


class BallotRow(Base):
    """A member's ballot: one row per option they gave votes to; replaced whole until the poll closes."""

    __tablename__ = "ballot"
    __privacy__ = Privacy(
        columns={"member_id": "delete"},
        note="the member's own ballots; nobody's export shows another member's choice",
    )

    poll_id: Mapped[int] = mapped_column(BigId, ForeignKey("poll.id", ondelete="CASCADE"), primary_key=True)
    member_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("member.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    option_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("poll_option.id", ondelete="CASCADE"), primary_key=True
    )
    points: Mapped[int] = mapped_column(Integer)
    cast_at: Mapped[datetime]


# --- governance: secret ballots without a voter → choice link; the calendar's rounds ----------


class PollVoterRow(Base):
    """That a member has voted in a secret poll, and nothing about how: the choice is only ever added
    to the anonymous totals in poll_tally, so no table links a voter to a choice."""

    __tablename__ = "poll_voter"
    __privacy__ = Privacy(
        columns={"member_id": "delete"}, note="secret polls the member voted in (never their choice)"
    )

    poll_id: Mapped[int] = mapped_column(BigId, ForeignKey("poll.id", ondelete="CASCADE"), primary_key=True)
    member_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("member.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    voted_at: Mapped[datetime]


class PollTallyRow(Base):
    """A secret poll's running total per option: counts only, no voter, no time, no ballot order."""

    __tablename__ = "poll_tally"
    __privacy__ = Privacy.no_member_data("anonymous vote totals of secret polls")

    poll_id: Mapped[int] = mapped_column(BigId, ForeignKey("poll.id", ondelete="CASCADE"), primary_key=True)
    option_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("poll_option.id", ondelete="CASCADE"), primary_key=True
    )
    points: Mapped[int] = mapped_column(Integer, default=0)


class MinutesRow(Base):
    """That a body published minutes (the text itself is posted publicly, never stored)."""

    __tablename__ = "minutes"
    __privacy__ = Privacy(
        columns={"posted_by_id": "nullify"}, note="minutes the member posted stay published"
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    council_id: Mapped[int] = mapped_column(BigId, ForeignKey("council.id", ondelete="CASCADE"), index=True)
    posted_by_id: Mapped[int | None] = member_fk(ondelete="SET NULL", nullable=True, index=False)
    posted_at: Mapped[datetime]


class GovernanceRoundRow(Base):
    """One election or roadmap vote the calendar started for a period ("2027-Q1"), started once."""

    __tablename__ = "governance_round"
    __table_args__ = (UniqueConstraint("community_id", "kind", "period"),)
    __privacy__ = Privacy.no_member_data("when a community's elections and roadmap votes ran")

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    community_id: Mapped[str] = community_fk()
    kind: Mapped[str] = mapped_column(String(16))  # election | roadmap
    period: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))  # nominating | voting | done | failed
    council_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("council.id", ondelete="SET NULL"))
    poll_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("poll.id", ondelete="SET NULL"), index=True)
    nominations_close_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
