"""Commands: imperative requests the bus routes to exactly one handler.

Every command names its community and declares who may send it; the bus checks that before the
handler runs, whatever the entry point (slash command, button, form, scheduler, CLI).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import ClassVar

from bot.core.refs import MemberRef


class Permission(StrEnum):
    """Who may send a command. SYSTEM commands come from the scheduler, the ingest path or the CLI."""

    ANYONE = "anyone"  # newcomers included (/join, /apply)
    MEMBER = "member"  # admitted members
    MODERATOR = "moderator"
    LEAD = "lead"
    SYSTEM = "system"


@dataclass(frozen=True, kw_only=True)
class Command:
    """Base class: subclasses are frozen, keyword-only dataclasses named VerbNoun."""

    community_id: str
    permission: ClassVar[Permission] = Permission.SYSTEM


@dataclass(frozen=True, kw_only=True)
class ShowHelp(Command):
    """List the commands the actor may use."""

    permission: ClassVar[Permission] = Permission.ANYONE


# --- gates: referral codes, applications, admissions (handlers in bot/core/handlers/gates/) -------


@dataclass(frozen=True, kw_only=True)
class IssueReferralCode(Command):
    """Give the member their live referral code, minting one within the monthly quota if needed."""

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


# --- feedback loop: ideas, roadmap, insights, member votes, councils (issue 10) -----------------


@dataclass(frozen=True, kw_only=True)
class SubmitIdea(Command):
    """The /idea form was sent: show similar open ideas first, or file it."""

    title: str
    details: str = ""
    area: str | None = None
    permission: ClassVar[Permission] = Permission.MEMBER


@dataclass(frozen=True, kw_only=True)
class FileIdeaDraft(Command):
    """ "File mine anyway": file the idea held while its author saw similar ones."""

    draft_id: int
    permission: ClassVar[Permission] = Permission.MEMBER


@dataclass(frozen=True, kw_only=True)
class VoteForSimilarIdea(Command):
    """Vote for an open idea instead of filing a near-duplicate (the draft is dropped)."""

    draft_id: int
    idea_id: int
    permission: ClassVar[Permission] = Permission.MEMBER


@dataclass(frozen=True, kw_only=True)
class ToggleIdeaVote(Command):
    """Upvote pressed: vote, or withdraw a vote cast earlier."""

    idea_id: int
    permission: ClassVar[Permission] = Permission.MEMBER


@dataclass(frozen=True, kw_only=True)
class ShowIdeaActions(Command):
    """A lead pressed Manage on an idea: the status buttons that apply, privately."""

    idea_id: int
    permission: ClassVar[Permission] = Permission.LEAD


@dataclass(frozen=True, kw_only=True)
class ChangeIdeaStatus(Command):
    """Move an idea along new → under review → planned → in progress → shipped, or decline it."""

    idea_id: int
    status: str  # an IdeaStatus value; checked by the handler so a typo gets a helpful answer
    reason: str | None = None
    permission: ClassVar[Permission] = Permission.LEAD


@dataclass(frozen=True, kw_only=True)
class MergeIdea(Command):
    """Merge a duplicate into another idea: votes are united, voters told where theirs went."""

    idea_id: int
    into_id: int
    permission: ClassVar[Permission] = Permission.LEAD


@dataclass(frozen=True, kw_only=True)
class SetIdeaNotifications(Command):
    """Turn the private status-change messages on or off."""

    enabled: bool
    permission: ClassVar[Permission] = Permission.MEMBER


@dataclass(frozen=True, kw_only=True)
class SendIdeaNotices(Command):
    """The daily batch: one private message per member for all their pending idea updates."""


@dataclass(frozen=True, kw_only=True)
class ShowRoadmap(Command):
    """Planned, in progress and recently shipped ideas, by votes."""

    permission: ClassVar[Permission] = Permission.MEMBER


@dataclass(frozen=True, kw_only=True)
class PostIdeasReport(Command):
    """The monthly insights report, posted once to the leads' channel."""

    month: str | None = None  # "YYYY-MM"; None: the month before now


@dataclass(frozen=True, kw_only=True)
class OpenPoll(Command):
    """A member vote: a question, a roadmap vote over planned ideas, or a council election."""

    question: str
    options: str = ""  # "A | B | C" for a question
    kind: str = "question"  # PollKind value
    eligibility: str = "all"  # Eligibility value
    group: str | None = None  # the badge key, or the council name, that may vote
    secret: bool = False
    votes: int | None = None  # votes per member; None: 1 (roadmap: the configured number)
    hours: int | None = None  # None: the configured default
    seats: int | None = None  # elections
    council: str | None = None  # elections: the council to fill
    permission: ClassVar[Permission] = Permission.LEAD


@dataclass(frozen=True, kw_only=True)
class CastBallot(Command):
    """A single-choice ballot (a button per option); pressing another option changes it."""

    poll_id: int
    option_id: int
    permission: ClassVar[Permission] = Permission.MEMBER


@dataclass(frozen=True, kw_only=True)
class ShowBallotForm(Command):
    """Open the form to allocate several votes."""

    poll_id: int
    permission: ClassVar[Permission] = Permission.MEMBER


@dataclass(frozen=True, kw_only=True)
class AllocateVotes(Command):
    """A ballot that spreads N votes, typed as option numbers ("1 1 3")."""

    poll_id: int
    ballot: str
    permission: ClassVar[Permission] = Permission.MEMBER


@dataclass(frozen=True, kw_only=True)
class ClosePoll(Command):
    """Close a poll whose time is up and post its results, once."""

    poll_id: int


@dataclass(frozen=True, kw_only=True)
class CloseDuePolls(Command):
    """Close every poll whose time is up (at start-up and on a timer: catches up after a restart)."""


@dataclass(frozen=True, kw_only=True)
class AddCouncilMember(Command):
    """A lead seats a member on a council."""

    member: MemberRef
    council: str | None = None
    permission: ClassVar[Permission] = Permission.LEAD


@dataclass(frozen=True, kw_only=True)
class RemoveCouncilMember(Command):
    """A lead takes a member off a council."""

    member: MemberRef
    council: str | None = None
    permission: ClassVar[Permission] = Permission.LEAD


@dataclass(frozen=True, kw_only=True)
class ShowCouncil(Command):
    """Who sits on a council and who is nominated."""

    council: str | None = None
    permission: ClassVar[Permission] = Permission.MEMBER


@dataclass(frozen=True, kw_only=True)
class NominateMember(Command):
    """Nominate a member (yourself included) for a council's next election."""

    member: MemberRef
    council: str | None = None
    permission: ClassVar[Permission] = Permission.MEMBER


# --- cohorts (bot/core/handlers/cohorts.py, milestones.py) -------------------------------------


@dataclass(frozen=True, kw_only=True)
class CloseCohortWindow(Command):
    """The weekly cohort window closed: launch what the pool allows (the scheduler sends it)."""


@dataclass(frozen=True, kw_only=True)
class RunMilestones(Command):
    """Send due onboarding milestones: day-3 nudges, day-7 checks, day-14 graduations (daily)."""


@dataclass(frozen=True, kw_only=True)
class ShowCohort(Command):
    """A member's cohort, buddy and onboarding progress."""

    member: MemberRef
    permission: ClassVar[Permission] = Permission.MEMBER


# --- contributions, badges, profiles (contributions.py, badges.py, profile.py) -----------------


@dataclass(frozen=True, kw_only=True)
class MarkHelpful(Command):
    """Someone marks another member's message as a helpful answer (a message action)."""

    marked_by: MemberRef
    channel_id: str
    message_id: str
    author: MemberRef
    author_is_staff: bool = False
    author_is_bot: bool = False
    permission: ClassVar[Permission] = Permission.MEMBER


@dataclass(frozen=True, kw_only=True)
class EvaluateBadges(Command):
    """Re-check stat-based badges for recently active members (weekly: streaks, the ladder)."""


@dataclass(frozen=True, kw_only=True)
class ShowBadges(Command):
    """The badge catalogue with the member's own progress."""

    member: MemberRef
    permission: ClassVar[Permission] = Permission.MEMBER


@dataclass(frozen=True, kw_only=True)
class ShowLeaderboard(Command):
    """Top members by helpful answers and activated referrals, this week or all time."""

    period: str = "week"  # "week" | "all"
    permission: ClassVar[Permission] = Permission.MEMBER


@dataclass(frozen=True, kw_only=True)
class ShowProfile(Command):
    """A member's profile: badges, contributions that matter, interests, cohort."""

    member: MemberRef
    permission: ClassVar[Permission] = Permission.MEMBER


@dataclass(frozen=True, kw_only=True)
class SetInterests(Command):
    """A member declares their interests (used to match buddies)."""

    member: MemberRef
    interests: str
    permission: ClassVar[Permission] = Permission.MEMBER


# --- my data (bot/core/handlers/mydata.py) ------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ExportMyData(Command):
    """Send a person everything stored about them, as JSON, by DM."""

    member: MemberRef
    permission: ClassVar[Permission] = Permission.ANYONE


@dataclass(frozen=True, kw_only=True)
class EraseMyData(Command):
    """Erase everything stored about a person (after they confirmed with the button)."""

    member: MemberRef
    permission: ClassVar[Permission] = Permission.ANYONE


# --- health metrics and the weekly digest (bot/core/handlers/digest.py) ------------------------


@dataclass(frozen=True, kw_only=True)
class ShowHealth(Command):
    """The headline metrics now, privately, for a lead."""

    permission: ClassVar[Permission] = Permission.LEAD


@dataclass(frozen=True, kw_only=True)
class PreviewDigest(Command):
    """The digest as it stands now (or of a given past week), privately, for a lead."""

    week: str | None = None  # "2026-W47"; None: the week so far
    permission: ClassVar[Permission] = Permission.LEAD


@dataclass(frozen=True, kw_only=True)
class PostWeeklyDigest(Command):
    """Post the digest of a finished week to the leads' channel, once per community and week."""

    week: str  # "2026-W47", in the community's time zone
    permission: ClassVar[Permission] = Permission.SYSTEM
