"""Onboarding cohorts: newcomers grouped 10–20 at a time, buddies, first-14-days milestones."""

from __future__ import annotations

from bot.core.feature import Assembly, Feature

feature = Feature("cohorts")


def register(app: Assembly) -> None:
    """Add this feature's handlers, registry entries and jobs to the app."""
    # importing the modules runs their declarations on `feature`
    from bot.core.cohorts import (  # noqa: F401
        handlers,
        jobs,
        milestones,
    )

    app.include(feature)
