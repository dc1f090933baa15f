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
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from storage.privacy import Privacy
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


def member_fk(ondelete: str = "CASCADE", nullable: bool = False, index: bool = True) -> Any:
    """A column referring to member.id."""
    return mapped_column(BigId, ForeignKey("member.id", ondelete=ondelete), nullable=nullable, index=index)


def community_fk() -> Any:
    return mapped_column(
        String(40), ForeignKey("community.id", ondelete="CASCADE"), nullable=False, index=True
    )


# --- communities and members -------------------------------------------------------------------


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
    privacy_salt: Mapped[str] = mapped_column(String(64), default="")  # set on first erasure
    created_at: Mapped[datetime]


class MemberRow(Base):
    __tablename__ = "member"
    __table_args__ = (UniqueConstraint("community_id", "platform", "user_id"),)
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


# --- gates -------------------------------------------------------------------------------------


class ReferralCodeRow(Base):
    __tablename__ = "referral_code"
    __privacy__ = Privacy(columns={"owner_id": "delete"}, note="the member's personal codes")

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    community_id: Mapped[str] = community_fk()
    owner_id: Mapped[int] = member_fk()
    code: Mapped[str] = mapped_column(String(64), unique=True)
    invite_code: Mapped[str | None] = mapped_column(String(64), index=True)  # platform invite minted for it
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    max_uses: Mapped[int] = mapped_column(Integer)
    uses: Mapped[int] = mapped_column(Integer, default=0)
    revoked_at: Mapped[datetime | None]


class RedemptionAttemptRow(Base):
    """Failed code redemptions, for the per-person attempt limit."""

    __tablename__ = "redemption_attempt"
    __privacy__ = Privacy(
        columns={"member_id": "delete"}, export=False, note="anti-abuse counter, 1 h window"
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    community_id: Mapped[str] = community_fk()
    member_id: Mapped[int] = member_fk()
    attempted_at: Mapped[datetime] = mapped_column(index=True)


class ApplicationRow(Base):
    __tablename__ = "application"
    __privacy__ = Privacy(
        columns={"member_id": "delete", "decided_by_id": "nullify"},
        note="the member's answers and the decision; a moderator's erasure keeps the decision",
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    community_id: Mapped[str] = community_fk()
    member_id: Mapped[int] = member_fk()
    answers: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), index=True)
    submitted_at: Mapped[datetime] = mapped_column(index=True)
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = member_fk(ondelete="SET NULL", nullable=True)
    reason: Mapped[str | None] = mapped_column(String(500))


class JoinEventRow(Base):
    """When people joined, for the join-burst guard; kept only as long as its window."""

    __tablename__ = "join_event"
    __table_args__ = (Index("ix_join_event_community_joined", "community_id", "joined_at"),)
    __privacy__ = Privacy.no_member_data("join timestamps only, no member; pruned after the burst window")

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    community_id: Mapped[str] = mapped_column(String(40), ForeignKey("community.id", ondelete="CASCADE"))
    joined_at: Mapped[datetime]


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


# --- cohorts -----------------------------------------------------------------------------------


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


# --- programming -------------------------------------------------------------------------------


class SeriesRow(Base):
    __tablename__ = "series"
    __table_args__ = (UniqueConstraint("community_id", "key"),)  # NULL keys (lead-made) never collide
    __privacy__ = Privacy(columns={"host_id": "nullify"}, note="a series a member hosts keeps running")

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    community_id: Mapped[str] = community_fk()
    key: Mapped[str | None] = mapped_column(String(64))  # set for series defined in config
    kind: Mapped[str] = mapped_column(String(16))  # "ama" | "showcase"
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
    answer: Mapped[str] = mapped_column(String(8))  # going|maybe|no
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


class JobRunRow(Base):
    """One row per (job, scheduled time): a job fired twice for the same time runs once."""

    __tablename__ = "job_run"
    __privacy__ = Privacy.no_member_data("scheduler bookkeeping")

    job_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    scheduled_for: Mapped[datetime] = mapped_column(primary_key=True)
    ran_at: Mapped[datetime]


class LeaseRow(Base):
    """Named leases, e.g. the one scheduler per deployment."""

    __tablename__ = "lease"
    __privacy__ = Privacy.no_member_data("process coordination")

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(128))
    expires_at: Mapped[datetime]


# --- badges and contributions ------------------------------------------------------------------


class BadgeAwardRow(Base):
    __tablename__ = "badge_award"
    __table_args__ = (UniqueConstraint("member_id", "badge_key"),)
    __privacy__ = Privacy(columns={"member_id": "delete"}, note="badges the member earned")

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    community_id: Mapped[str] = community_fk()
    member_id: Mapped[int] = member_fk()
    badge_key: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(200), default="")
    awarded_at: Mapped[datetime] = mapped_column(index=True)


class ContributionRow(Base):
    """One contribution: who, what kind, where, when. Never the text."""

    __tablename__ = "contribution"
    __table_args__ = (
        UniqueConstraint("community_id", "source_id"),
        Index("ix_contribution_community_occurred", "community_id", "occurred_at"),
        # Peer-answer rate and helpers to thank read helpful answers only: a small partial index
        # instead of scanning a week of every contribution kind.
        Index(
            "ix_contribution_helpful",
            "community_id",
            "occurred_at",
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


# --- feedback loop: ideas, votes, statuses, notices, polls, councils ----------------------------


class IdeaRow(Base):
    """An idea filed with /idea. Its text was posted publicly in the ideas channel on purpose."""

    __tablename__ = "idea"
    __table_args__ = (Index("ix_idea_community_status", "community_id", "status"),)
    __privacy__ = Privacy(
        columns={"author_id": "nullify"},
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
    __privacy__ = Privacy(columns={"created_by_id": "nullify"}, note="a lead's poll outlives the lead")

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


# --- delivery and idempotency ------------------------------------------------------------------


class OutboxRow(Base):
    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)
    __privacy__ = Privacy(
        columns={},
        export=False,
        note="effects to carry out; erasure deletes those that name the member (payload search)",
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
    __privacy__ = Privacy.no_member_data("opaque platform event ids")

    platform: Mapped[str] = mapped_column(String(16), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    handled_at: Mapped[datetime] = mapped_column(index=True)
