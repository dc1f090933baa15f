"""The badges' job: the weekly pass over last week's stats (streaks are complete on Mondays)."""

from __future__ import annotations

from datetime import time, timedelta

from bot.core.badges import feature
from bot.core.badges.commands import EvaluateBadges
from bot.core.recurring import Recurring, Weekly

BADGES_AT = Weekly(0, time(6, 0))  # Mondays 06:00: last week's streaks are complete

feature.recurring(Recurring("badges", EvaluateBadges, lambda c: BADGES_AT, timedelta(days=2)))
