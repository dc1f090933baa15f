"""The feedback loop: ideas, votes, statuses, the roadmap, the insights report, polls, councils."""

from __future__ import annotations

from bot.core.feature import Assembly, Feature

feature = Feature("feedback")


def register(app: Assembly) -> None:
    """Add this feature's handlers and registry entries to the app."""
    from bot.core.feedback import ballots, councils, idea_reports, idea_status, ideas, polls  # noqa: F401  (their declarations fill `feature`)

    app.include(feature)
