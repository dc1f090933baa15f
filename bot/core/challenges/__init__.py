"""Community challenges: time-boxed ("write a how-to this month") challenges members join, submit to
and complete (a moderator confirms), with a badge; listed in the digest."""

from __future__ import annotations

from bot.core.feature import Assembly, Feature

feature = Feature("challenges")


def register(app: Assembly) -> None:
    """Add this feature's handlers and registry entries to the app."""
    from bot.core.challenges import handlers  # noqa: F401

    app.include(feature)
