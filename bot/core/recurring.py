"""Recurring community jobs as features declare them: a schedule, a command, a grace period.

A feature says *what* runs and *when* in community terms (weekly on the digest's weekday, daily at
09:00); the scheduler (programming/) turns the schedule into instants and sends the command through
the bus with its run record, so each run happens once however often it fires.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING

from bot.core.commands import Command

if TYPE_CHECKING:  # the settings import every feature's section; features import this module
    from bot.core.settings import CommunitySettings


@dataclass(frozen=True)
class Weekly:
    """Every week on `weekday` (0 = Monday) at a wall time of the community's zone."""

    weekday: int
    at: time


@dataclass(frozen=True)
class Daily:
    """Every day at a wall time of the community's zone."""

    at: time


@dataclass(frozen=True)
class Monthly:
    """Every month on `day` (1 to 28) at a wall time of the community's zone."""

    day: int
    at: time


@dataclass(frozen=True)
class Hourly:
    """On the hour (UTC); with an hour's grace a (re)started scheduler runs it at once."""


Schedule = Weekly | Daily | Monthly | Hourly
Build = Callable[["CommunitySettings", datetime], Command]


@dataclass(frozen=True)
class Recurring:
    """A per-community job: its schedule from the community's settings, and the command of the run
    scheduled at an instant (by default the command with the community alone)."""

    name: str
    command: type[Command]
    schedule: Callable[[CommunitySettings], Schedule]
    grace: timedelta
    build: Build | None = None

    def command_for(self, community: CommunitySettings, scheduled_for: datetime) -> Command:
        """The command of the run scheduled at `scheduled_for` (its arguments follow from the instant)."""
        if self.build is not None:
            return self.build(community, scheduled_for)
        return self.command(community_id=community.id)
