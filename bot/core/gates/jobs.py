"""The gates' job: the daily list of applications waiting too long, for moderators."""

from __future__ import annotations

from datetime import time, timedelta

from bot.core.gates import feature
from bot.core.gates.commands import PostOverdueApplications
from bot.core.recurring import Daily, Recurring

OVERDUE_AT = time(9, 0)  # the overdue list reaches moderators at 09:00, community time

feature.recurring(
    Recurring(
        "overdue-applications", PostOverdueApplications, lambda c: Daily(OVERDUE_AT), timedelta(hours=12)
    )
)
