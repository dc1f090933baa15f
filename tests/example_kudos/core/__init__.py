"""Kudos: `/kudos @member` thanks someone; `/kudos` alone shows who has been thanked most."""

from __future__ import annotations

from bot.core.feature import Assembly, Feature

feature = Feature("kudos")


def register(app: Assembly) -> None:
    """Add this feature's handlers and registry entries to the app."""
    from bot.core.kudos import handlers  # noqa: F401  (their declarations fill `feature`)

    app.include(feature)
