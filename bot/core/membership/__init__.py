"""Membership basics: members seen arriving and leaving, /help and /profile."""

from __future__ import annotations

from bot.core.feature import Assembly, Feature

feature = Feature("membership")


def register(app: Assembly) -> None:
    """Add this feature's handlers and registry entries to the app."""
    from bot.core.membership import handlers, profile  # noqa: F401  (their declarations fill `feature`)

    app.include(feature)
