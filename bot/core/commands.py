"""Commands: imperative requests the bus routes to exactly one handler.

Every command names its community and declares who may send it; the bus checks that before the
handler runs, whatever the entry point (slash command, button, form, scheduler, CLI).
"""

from __future__ import annotations

from dataclasses import dataclass
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
