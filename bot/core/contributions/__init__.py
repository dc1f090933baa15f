"""Contributions: metadata of what members do (never text), mark helpful, referral credit."""

from __future__ import annotations

from bot.core.feature import Assembly, Feature

feature = Feature("contributions")


def register(app: Assembly) -> None:
    """Add this feature's handlers and registry entries to the app."""
    from bot.core.contributions import handlers  # noqa: F401  (their declarations fill `feature`)

    app.include(feature)
