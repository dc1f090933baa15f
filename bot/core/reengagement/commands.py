"""Commands of re-engagement."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from bot.core.commands import Command, Permission


@dataclass(frozen=True, kw_only=True)
class CheckDrifting(Command):
    """Weekly: find members drifting away, note who came back, send the optional nudges."""


@dataclass(frozen=True, kw_only=True)
class StopNudges(Command):
    """A member asks for no more "what you missed" notes (the button on the note)."""

    permission: ClassVar[Permission] = Permission.MEMBER
