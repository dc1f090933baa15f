"""Re-engagement: members who drift away are noticed, named in the digest with who is best placed to
reach out, and (optionally, at most once a quarter, opt-out) sent a gentle note of what they missed."""

from __future__ import annotations

from bot.core.feature import Assembly, Feature

feature = Feature("reengagement")


def register(app: Assembly) -> None:
    """Add this feature's handlers, registry entries and jobs to the app."""
    from bot.core.reengagement import handlers  # noqa: F401

    app.include(feature)
