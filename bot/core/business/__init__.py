"""The business connection: consent, engagement levels and CQLs, sinks, and business outcomes."""

from __future__ import annotations

from bot.core.feature import Assembly, Feature

feature = Feature("business")


def register(app: Assembly) -> None:
    """Add this feature's handlers, registry entries and jobs to the app."""
    # importing the modules runs their declarations on `feature`
    from bot.core.business import (  # noqa: F401
        automations,
        consent,
        facts,
        leads,
        nps,
        report,
        signals,
        sync,
    )

    app.include(feature)
