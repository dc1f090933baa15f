"""Contributions: metadata of what members do (never text), mark helpful, referral credit."""

from __future__ import annotations

from bot.core.feature import Assembly, Feature

feature = Feature("contributions")


def register(app: Assembly) -> None:
    """Add this feature's handlers, registry entries and jobs to the app."""
    # importing the modules runs their declarations on `feature`
    from bot.core.contributions import (  # noqa: F401
        handlers,
        helpful,
        referrals,
    )

    app.include(feature)
