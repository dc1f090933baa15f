"""Commands of privacy: requests the bus routes to exactly one handler."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from bot.core.commands import Command, Permission
from bot.core.refs import MemberRef


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
