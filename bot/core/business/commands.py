"""Commands of the business connection."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from bot.core.commands import Command, Permission
from bot.core.refs import MemberRef


@dataclass(frozen=True, kw_only=True)
class GiveConsent(Command):
    """A member agrees (to the current consent text) to be linked to the business."""

    member: MemberRef
    email: str | None = None
    permission: ClassVar[Permission] = Permission.MEMBER


@dataclass(frozen=True, kw_only=True)
class WithdrawConsent(Command):
    """A member withdraws: nothing member-level is sent any more, and sinks are told to forget them."""

    member: MemberRef
    permission: ClassVar[Permission] = Permission.MEMBER


@dataclass(frozen=True, kw_only=True)
class ShowConsent(Command):
    """The consent text, its version, and whether the member has agreed to it."""

    member: MemberRef
    permission: ClassVar[Permission] = Permission.MEMBER


@dataclass(frozen=True, kw_only=True)
class RegisterInterest(Command):
    """A member says what they want to know more about (/interest), or asks to talk to the team."""

    member: MemberRef
    topic: str | None = None  # None: the "Talk to the team" button
    permission: ClassVar[Permission] = Permission.MEMBER


@dataclass(frozen=True, kw_only=True)
class ShowLeads(Command):
    """Leads: consenting members whose CQL score reaches the threshold, with the reasons."""

    permission: ClassVar[Permission] = Permission.LEAD


@dataclass(frozen=True, kw_only=True)
class SyncProfiles(Command):
    """The scheduler: send changed profiles of consenting members to the sinks; surface new CQLs."""

    permission: ClassVar[Permission] = Permission.SYSTEM


@dataclass(frozen=True, kw_only=True)
class PostBusinessReport(Command):
    """The scheduler: the business section of a finished week's digest, to the leads' channel."""

    week: str  # "2026-W47", in the community's time zone
    permission: ClassVar[Permission] = Permission.SYSTEM


@dataclass(frozen=True)
class InboundFact:
    """One fact from the business (a CSV row, or an item posted to the inbound endpoint).

    It may name the member by platform user id (`member`), by the SHA-256 of their lower-cased
    email (`email_sha256`), or carry the referral code the account signed up with.
    """

    external_id: str
    customer: str
    kind: str
    occurred_at: datetime
    revenue: float | None = None
    member: str | None = None
    email_sha256: str | None = None
    referral_code: str | None = None


@dataclass(frozen=True, kw_only=True)
class ImportCustomerFacts(Command):
    """Store the business's facts once each, linked to consenting members and to referrers."""

    facts: tuple[InboundFact, ...]
    permission: ClassVar[Permission] = Permission.SYSTEM


@dataclass(frozen=True, kw_only=True)
class OpenNpsSurvey(Command):
    """The scheduler: open a community NPS survey when the last one is `nps_every_days` old."""

    permission: ClassVar[Permission] = Permission.SYSTEM


@dataclass(frozen=True, kw_only=True)
class AnswerNps(Command):
    """A member's answer (0–10) to a survey they were asked in; the latest answer counts."""

    member: MemberRef
    survey_id: int
    score: int
    permission: ClassVar[Permission] = Permission.MEMBER


@dataclass(frozen=True, kw_only=True)
class ExplainNps(Command):
    """The optional reason behind an answer (from the form)."""

    member: MemberRef
    survey_id: int
    reason: str
    permission: ClassVar[Permission] = Permission.MEMBER


@dataclass(frozen=True, kw_only=True)
class OptOutOfNps(Command):
    """A member asks not to be surveyed again."""

    member: MemberRef
    permission: ClassVar[Permission] = Permission.MEMBER


@dataclass(frozen=True, kw_only=True)
class RunAutomations(Command):
    """The scheduler: fire level, CQL and count rules for members who now meet them (once each).
    With `dry_run`, only say who would get what."""

    dry_run: bool = False
    permission: ClassVar[Permission] = Permission.SYSTEM
