"""A member's own data: export and erasure (/mydata)."""

from __future__ import annotations

from bot.core.feature import Assembly, Feature

feature = Feature("privacy")


def register(app: Assembly) -> None:
    """Add this feature's handlers and registry entries to the app."""
    from bot.core.privacy import handlers  # noqa: F401  (their declarations fill `feature`)

    app.include(feature)
