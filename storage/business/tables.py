"""Tables of the business connection. Every row declares `__privacy__`.

Nothing here holds message text. A member's email is kept only while they consent (it links them
to the business's CRM) and is cleared on withdrawal.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.privacy_declaration import Privacy
from storage.tables import Base, BigId, community_fk, member_fk


class BusinessKeyRow(Base):
    """Per community, the secret that turns a member into a stable pseudonymous subject for sinks."""

    __tablename__ = "business_key"
    __privacy__ = Privacy.no_member_data("a random key per community")

    community_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("community.id", ondelete="CASCADE"), primary_key=True
    )
    subject_key: Mapped[str] = mapped_column(String(64))


class ConsentRow(Base):
    """A member's consent to be linked to the business: which text version, when, until when."""

    __tablename__ = "business_consent"
    __table_args__ = (UniqueConstraint("member_id"),)
    __privacy__ = Privacy(columns={"member_id": "delete"}, note="consent to the CRM link, and its email")

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    community_id: Mapped[str] = community_fk()
    member_id: Mapped[int] = member_fk(index=False)
    version: Mapped[int]
    email: Mapped[str | None] = mapped_column(String(254))
    given_at: Mapped[datetime]
    withdrawn_at: Mapped[datetime | None]


class SignalRow(Base):
    """A signal a member gave on purpose: /interest <topic>, or the "Talk to the team" button."""

    __tablename__ = "business_signal"
    __privacy__ = Privacy(columns={"member_id": "delete"}, note="interests the member asked about")

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    community_id: Mapped[str] = community_fk()
    member_id: Mapped[int] = member_fk()
    kind: Mapped[str] = mapped_column(String(16))
    topic: Mapped[str] = mapped_column(String(40), default="")
    at: Mapped[datetime]


class SyncStateRow(Base):
    """What was last sent to the sinks for a subject, so only changes go out (and removals find it)."""

    __tablename__ = "business_sync"
    # Erasure forgets the member but keeps the pseudonymous row a moment longer: the erasure's own
    # transaction then finds it by subject, queues the removal from the sinks and deletes it.
    __privacy__ = Privacy(columns={"member_id": "nullify"}, note="the last profile sent to the CRM")

    community_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("community.id", ondelete="CASCADE"), primary_key=True
    )
    subject: Mapped[str] = mapped_column(String(32), primary_key=True)
    member_id: Mapped[int | None] = member_fk(ondelete="SET NULL", nullable=True)
    digest: Mapped[str] = mapped_column(String(64))
    synced_at: Mapped[datetime]


class SurfacedLeadRow(Base):
    """A member shown to leads as a CQL, once (the digest lists new ones)."""

    __tablename__ = "business_lead"
    __table_args__ = (UniqueConstraint("member_id"),)
    __privacy__ = Privacy(
        columns={"member_id": "delete"}, note="when the member was first surfaced as a lead"
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    community_id: Mapped[str] = community_fk()
    member_id: Mapped[int] = member_fk(index=False)
    score: Mapped[float] = mapped_column(Float)
    surfaced_at: Mapped[datetime]


class BusinessFactRow(Base):
    """A fact from the business (signed up, became a customer, churned, expanded), imported once."""

    __tablename__ = "business_fact"
    __table_args__ = (UniqueConstraint("community_id", "external_id"),)
    __privacy__ = Privacy(
        columns={"member_id": "nullify", "referrer_id": "nullify"},
        note="customer facts the business shared, linked only to consenting members",
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    community_id: Mapped[str] = community_fk()
    external_id: Mapped[str] = mapped_column(String(128))  # idempotency key of the fact
    customer: Mapped[str] = mapped_column(String(128))  # the business's own account id
    kind: Mapped[str] = mapped_column(String(16))
    occurred_at: Mapped[datetime]
    revenue: Mapped[float | None] = mapped_column(Float)
    member_id: Mapped[int | None] = member_fk(ondelete="SET NULL", nullable=True)
    referrer_id: Mapped[int | None] = member_fk(ondelete="SET NULL", nullable=True)


class NpsSurveyRow(Base):
    """One community NPS survey: when it opened and closes, and how many members were asked."""

    __tablename__ = "business_nps_survey"
    __privacy__ = Privacy.no_member_data("survey dates and the number asked")

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    community_id: Mapped[str] = community_fk()
    opened_at: Mapped[datetime]
    closes_at: Mapped[datetime]


class NpsResponseRow(Base):
    """A member asked in a survey, and their answer once given (0–10, an optional reason)."""

    __tablename__ = "business_nps_response"
    __table_args__ = (UniqueConstraint("survey_id", "member_id"),)
    __privacy__ = Privacy(columns={"member_id": "delete"}, note="NPS answers and their reasons")

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    survey_id: Mapped[int] = mapped_column(BigId, ForeignKey("business_nps_survey.id", ondelete="CASCADE"))
    member_id: Mapped[int] = member_fk()
    score: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(String(500))
    answered_at: Mapped[datetime | None]


class NpsOptOutRow(Base):
    """A member who asked not to get NPS surveys."""

    __tablename__ = "business_nps_opt_out"
    __privacy__ = Privacy(columns={"member_id": "delete"}, note="asked not to be surveyed")

    member_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("member.id", ondelete="CASCADE"), primary_key=True
    )
    at: Mapped[datetime]


class AutomationFiredRow(Base):
    """An automation that fired for a member: each rule fires at most once per member."""

    __tablename__ = "business_automation_fired"
    __table_args__ = (UniqueConstraint("community_id", "rule_key", "member_id"),)
    __privacy__ = Privacy(columns={"member_id": "delete"}, note="which thank-yous and invitations went out")

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    community_id: Mapped[str] = community_fk()
    rule_key: Mapped[str] = mapped_column(String(40))
    member_id: Mapped[int] = member_fk()
    fired_at: Mapped[datetime]
