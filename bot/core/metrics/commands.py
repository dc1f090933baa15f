"""Commands of metrics: requests the bus routes to exactly one handler."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from bot.core.commands import Command, Permission


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
