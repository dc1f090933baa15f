"""Commands: imperative requests the bus routes to exactly one handler.

Every command names its community and declares who may send it; the bus checks that before the
handler runs, whatever the entry point (slash command, button, form, scheduler, CLI).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar


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
    reads_only: ClassVar[bool] = False
    """True when the handler only reads (it changes no row, sends no effect, emits no event): the
    bus runs it in a read transaction, which waits for no writer. Storage refuses a write there."""
