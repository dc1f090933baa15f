"""Badges: the catalogue's rules, awards and their announcements, /badges and the leaderboard."""

from __future__ import annotations

from bot.core.feature import Assembly, Feature

feature = Feature("badges")


def register(app: Assembly) -> None:
    """Add this feature's handlers, registry entries and jobs to the app."""
    # importing the modules runs their declarations on `feature`
    from bot.core.badges import (  # noqa: F401
        handlers,
        jobs,
        tiers,
    )

    app.include(feature)
