"""A member's own data: export and erasure (/mydata)."""

from __future__ import annotations

from bot.core.feature import Assembly, Feature

feature = Feature("privacy")


def register(app: Assembly) -> None:
    """Add this feature's handlers, registry entries and jobs to the app."""
    # importing the modules runs their declarations on `feature`
    from bot.core.privacy import (  # noqa: F401
        handlers,
        retention,
    )

    app.include(feature)
