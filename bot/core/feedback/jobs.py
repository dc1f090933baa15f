"""The feedback loop's jobs: daily idea notices, the monthly insights report, closing due polls."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from bot.core.feedback import feature
from bot.core.feedback.commands import CloseDuePolls, PostIdeasReport, SendIdeaNotices
from bot.core.feedback.report_rules import previous_month
from bot.core.recurring import Daily, Monthly, Recurring
from bot.core.settings import CommunitySettings

SWEEP_AT = time(0, 30)  # the daily catch-up of polls whose own closing job was missed
REPORT_AT = time(9, 0)  # the monthly ideas report reaches leads at 09:00, community time


def ideas_report_command(community: CommunitySettings, scheduled_for: datetime) -> PostIdeasReport:
    """The insights report of the month before the scheduled instant, in the community's zone."""
    return PostIdeasReport(community_id=community.id, month=previous_month(scheduled_for, community.zone))


feature.recurring(
    Recurring("idea-notices", SendIdeaNotices, lambda c: Daily(c.ideas.notice_time), timedelta(hours=12))
)
feature.recurring(
    Recurring(
        "ideas-report",
        PostIdeasReport,
        lambda c: Monthly(c.ideas.report_day, REPORT_AT),
        timedelta(days=3),
        ideas_report_command,
    )
)
# Each open poll has its own closing job with a week's grace; this sweep only catches a poll whose
# job was missed for longer than that (a bot down for over a week), so once a day is enough.
feature.recurring(Recurring("close-due-polls", CloseDuePolls, lambda c: Daily(SWEEP_AT), timedelta(days=1)))
