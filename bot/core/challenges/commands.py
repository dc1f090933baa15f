"""Commands of challenges."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from bot.core.commands import Command, Permission
from bot.core.refs import MemberRef


@dataclass(frozen=True, kw_only=True)
class CreateChallenge(Command):
    """A lead starts a challenge that runs for `days` days."""

    title: str
    days: int
    permission: ClassVar[Permission] = Permission.LEAD


@dataclass(frozen=True, kw_only=True)
class JoinChallenge(Command):
    """A member takes part (the Join button, or /challenge join)."""

    challenge_id: int
    permission: ClassVar[Permission] = Permission.MEMBER


@dataclass(frozen=True, kw_only=True)
class SubmitChallenge(Command):
    """A participant says they have done it (what they made stays on the platform, not here)."""

    challenge_id: int
    permission: ClassVar[Permission] = Permission.MEMBER


@dataclass(frozen=True, kw_only=True)
class CompleteChallenge(Command):
    """A moderator confirms a submission: the member completed the challenge and earns its badge."""

    challenge_id: int
    member: MemberRef
    permission: ClassVar[Permission] = Permission.MODERATOR
