"""Health metrics and the weekly digest for community leads."""

from __future__ import annotations

from bot.core.feature import Assembly, Feature

feature = Feature("metrics")


def register(app: Assembly) -> None:
    """Add this feature's handlers and registry entries to the app."""
    from bot.core.metrics import handlers  # noqa: F401  (their declarations fill `feature`)

    app.include(feature)
