"""Commands of gates: requests the bus routes to exactly one handler."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import ClassVar

from bot.core.commands import Command, Permission
from bot.core.refs import MemberRef


@dataclass(frozen=True, kw_only=True)
class IssueReferralCode(Command):
    """Give the member their live referral code, minting one within the monthly quota if needed; with
    `for_member` (someone who already has a platform account), a new single-use code for that person."""

    for_member: MemberRef | None = None
    permission: ClassVar[Permission] = Permission.MEMBER


@dataclass(frozen=True, kw_only=True)
class RevokeReferralCodes(Command):
    """Revoke the member's live codes (or just `code`)."""

    code: str | None = None
    permission: ClassVar[Permission] = Permission.MEMBER


@dataclass(frozen=True, kw_only=True)
class RedeemReferral(Command):
    """A newcomer joins with a member's code."""

    code: str
    permission: ClassVar[Permission] = Permission.ANYONE


@dataclass(frozen=True, kw_only=True)
class AttachInvite(Command):
    """The Discord adapter minted a platform invite for a referral code; joins through it credit the code."""

    code: str
    invite_code: str


@dataclass(frozen=True, kw_only=True)
class StartApplication(Command):
    """A newcomer asks for the application form."""

    permission: ClassVar[Permission] = Permission.ANYONE


@dataclass(frozen=True, kw_only=True)
class SubmitApplication(Command):
    """A newcomer's answers to the community's questions, in order."""

    answers: tuple[str, ...]
    permission: ClassVar[Permission] = Permission.ANYONE


@dataclass(frozen=True, kw_only=True)
class ApproveApplication(Command):
    application_id: int
    permission: ClassVar[Permission] = Permission.MODERATOR


@dataclass(frozen=True, kw_only=True)
class OpenRejection(Command):
    """A moderator pressed Reject: the reason form, unless the application is decided already."""

    application_id: int
    permission: ClassVar[Permission] = Permission.MODERATOR


@dataclass(frozen=True, kw_only=True)
class RejectApplication(Command):
    application_id: int
    reason: str = ""
    permission: ClassVar[Permission] = Permission.MODERATOR


@dataclass(frozen=True, kw_only=True)
class ListOverdueApplications(Command):
    """Pending applications older than the service level, for leads."""

    permission: ClassVar[Permission] = Permission.LEAD


@dataclass(frozen=True, kw_only=True)
class PostOverdueApplications(Command):
    """The daily job: post the overdue list to the leads' channel (nothing when none are overdue)."""


@dataclass(frozen=True, kw_only=True)
class SetGateMode(Command):
    """A lead overrides the configured gate mode (None: back to the config) and its switch date."""

    mode: str | None
    switch_on: date | None = None
    permission: ClassVar[Permission] = Permission.LEAD


@dataclass(frozen=True, kw_only=True)
class ShowGate(Command):
    """The gate in force, where it comes from, and whether admissions are paused."""

    permission: ClassVar[Permission] = Permission.MODERATOR


@dataclass(frozen=True, kw_only=True)
class PauseAdmissions(Command):
    """Stop admitting anyone (a join burst, a raid). Moderators may pull this brake; leads release it."""

    permission: ClassVar[Permission] = Permission.MODERATOR


@dataclass(frozen=True, kw_only=True)
class ResumeAdmissions(Command):
    permission: ClassVar[Permission] = Permission.LEAD


@dataclass(frozen=True, kw_only=True)
class AddFoundingMember(Command):
    """A lead grants the permanent Founding Member badge by hand, with a reason."""

    member: MemberRef
    reason: str
    permission: ClassVar[Permission] = Permission.LEAD


@dataclass(frozen=True)
class ExistingMember:
    """A person the platform says is already in the community (holds the member role, or sits in a
    member channel): `joined_at` is when they joined the server or workspace, if the platform knows."""

    ref: MemberRef
    display_name: str = ""
    joined_at: datetime | None = None
    is_bot: bool = False


@dataclass(frozen=True, kw_only=True)
class AdoptMembers(Command):
    """Make people who are already in the community members, by method `adopted` (one page at a time:
    adapters send the platform's member list in batches). Idempotent."""

    members: tuple[ExistingMember, ...]
    dry_run: bool = False  # count who would be adopted, change nothing


@dataclass(frozen=True, kw_only=True)
class CompleteAdoption(Command):
    """The whole member list has been adopted: the earliest [gate] founding_from_existing adopted
    members by join date get the Founding Member badge."""


@dataclass(frozen=True, kw_only=True)
class AdmitMember(Command):
    """/admit @user: a lead admits one person who is already in the community."""

    member: MemberRef
    display_name: str = ""
    permission: ClassVar[Permission] = Permission.LEAD
