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


@dataclass(frozen=True, kw_only=True)
class ShowHelp(Command):
    """List the commands the actor may use."""

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
