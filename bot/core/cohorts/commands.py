"""Commands of cohorts: requests the bus routes to exactly one handler."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from bot.core.commands import Command, Permission
from bot.core.refs import MemberRef


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


@dataclass(frozen=True, kw_only=True)
class SetBuddyMatch(Command):
    """A member picks their role and/or industry from the community's choices (buddies match on them)."""

    member: MemberRef
    role: str | None = None
    industry: str | None = None
    permission: ClassVar[Permission] = Permission.MEMBER
