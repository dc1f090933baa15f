"""Badges: the catalogue's rules, awards and their announcements, /badges and the leaderboard."""

from __future__ import annotations

from bot.core.feature import Assembly, Feature

feature = Feature("badges")


def register(app: Assembly) -> None:
    """Add this feature's handlers and registry entries to the app."""
    from bot.core.badges import handlers  # noqa: F401  (their declarations fill `feature`)

    app.include(feature)
