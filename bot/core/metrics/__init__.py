"""Health metrics and the weekly digest for community leads."""

from __future__ import annotations

from bot.core.feature import Assembly, Feature

feature = Feature("metrics")


def register(app: Assembly) -> None:
    """Add this feature's handlers, registry entries and jobs to the app."""
    # importing the modules runs their declarations on `feature`
    from bot.core.metrics import (  # noqa: F401
        handlers,
        jobs,
    )

    app.include(feature)
