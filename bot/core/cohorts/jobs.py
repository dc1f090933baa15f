"""The cohorts' jobs: the weekly cohort window and the daily milestone nudges."""

from __future__ import annotations

from datetime import time, timedelta

from bot.core.cohorts import feature
from bot.core.cohorts.commands import CloseCohortWindow, RunMilestones
from bot.core.recurring import Daily, Recurring, Weekly

MILESTONES_AT = time(10, 0)  # daily milestone nudges go out mid-morning, community time

feature.recurring(
    Recurring(
        "cohort-window",
        CloseCohortWindow,
        lambda c: Weekly(c.cohorts.window_weekday, c.cohorts.window_time),
        timedelta(hours=6),
    )
)
feature.recurring(Recurring("milestones", RunMilestones, lambda c: Daily(MILESTONES_AT), timedelta(hours=12)))
