"""Membership basics: members seen arriving and leaving, /help and /profile."""

from __future__ import annotations

from bot.core.feature import Assembly, Feature

feature = Feature("membership")


def register(app: Assembly) -> None:
    """Add this feature's handlers, registry entries and jobs to the app."""
    # importing the modules runs their declarations on `feature`
    from bot.core.membership import (  # noqa: F401
        handlers,
        profile,
        referrals,
    )

    app.include(feature)
