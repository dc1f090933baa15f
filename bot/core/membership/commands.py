"""Commands of membership: requests the bus routes to exactly one handler."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from bot.core.commands import Command, Permission
from bot.core.refs import MemberRef


@dataclass(frozen=True, kw_only=True)
class ShowHelp(Command):
    """List the commands the actor may use."""

    permission: ClassVar[Permission] = Permission.ANYONE


@dataclass(frozen=True, kw_only=True)
class ShowProfile(Command):
    """A member's profile: badges, contributions that matter, interests, cohort."""

    member: MemberRef
    permission: ClassVar[Permission] = Permission.MEMBER
    reads_only: ClassVar[bool] = True


@dataclass(frozen=True, kw_only=True)
class SetInterests(Command):
    """A member declares their interests (used to match buddies)."""

    member: MemberRef
    interests: str
    permission: ClassVar[Permission] = Permission.MEMBER


@dataclass(frozen=True, kw_only=True)
class ShowReferralTree(Command):
    """For leads: who referred a member, and everyone referred from them, level by level."""

    member: MemberRef
    permission: ClassVar[Permission] = Permission.LEAD
