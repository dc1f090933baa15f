"""Commands of badges: requests the bus routes to exactly one handler."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from bot.core.commands import Command, Permission
from bot.core.refs import MemberRef


@dataclass(frozen=True, kw_only=True)
class EvaluateBadges(Command):
    """Re-check stat-based badges for recently active members (weekly: streaks, the ladder)."""


@dataclass(frozen=True, kw_only=True)
class ShowBadges(Command):
    """The badge catalogue with the member's own progress."""

    member: MemberRef
    permission: ClassVar[Permission] = Permission.MEMBER
    reads_only: ClassVar[bool] = True


@dataclass(frozen=True, kw_only=True)
class ShowLeaderboard(Command):
    """Top members by helpful answers and activated referrals, this week or all time."""

    period: str = "week"  # "week" | "all"
    permission: ClassVar[Permission] = Permission.MEMBER


@dataclass(frozen=True, kw_only=True)
class EvaluateTiers(Command):
    """Weekly: re-check every advocacy tier over the trailing window (promote, warn, demote)."""


@dataclass(frozen=True, kw_only=True)
class ShowPerks(Command):
    """The points-to-benefits table of the tiers, and where the member stands."""

    member: MemberRef
    permission: ClassVar[Permission] = Permission.MEMBER
