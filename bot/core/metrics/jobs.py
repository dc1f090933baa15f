"""The weekly digest job: the digest of the last complete week, at [digest] weekday and time."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.core.metrics import feature
from bot.core.metrics.commands import PostWeeklyDigest
from bot.core.recurring import Recurring, Weekly
from bot.core.settings import CommunitySettings
from bot.core.weeks import IsoWeek


def digest_command(community: CommunitySettings, scheduled_for: datetime) -> PostWeeklyDigest:
    """The digest of the last week that had ended, in the community's zone, by the scheduled instant."""
    week = IsoWeek.last_complete(scheduled_for, community.zone)
    return PostWeeklyDigest(community_id=community.id, week=str(week))


feature.recurring(
    Recurring(
        "digest",
        PostWeeklyDigest,
        lambda c: Weekly(c.digest.weekday, c.digest.time),
        timedelta(hours=6),
        digest_command,
    )
)
