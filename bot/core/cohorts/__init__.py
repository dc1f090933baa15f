"""Onboarding cohorts: newcomers grouped 10–20 at a time, buddies, first-14-days milestones."""

from __future__ import annotations

from bot.core.feature import Assembly, Feature

feature = Feature("cohorts")


def register(app: Assembly) -> None:
    """Add this feature's handlers and registry entries to the app."""
    from bot.core.cohorts import handlers, milestones  # noqa: F401  (their declarations fill `feature`)

    app.include(feature)
