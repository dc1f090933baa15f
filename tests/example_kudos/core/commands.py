"""Commands of kudos."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from bot.core.commands import Command, Permission
from bot.core.refs import MemberRef


@dataclass(frozen=True, kw_only=True)
class GiveKudos(Command):
    """One member thanks another."""

    giver: MemberRef
    receiver: MemberRef
    permission: ClassVar[Permission] = Permission.MEMBER


@dataclass(frozen=True, kw_only=True)
class ShowKudos(Command):
    """The members thanked most."""

    permission: ClassVar[Permission] = Permission.MEMBER
