"""The feedback loop: ideas, votes, statuses, the roadmap, the insights report, polls, councils."""

from __future__ import annotations

from bot.core.feature import Assembly, Feature

feature = Feature("feedback")


def register(app: Assembly) -> None:
    """Add this feature's handlers, registry entries and jobs to the app."""
    # importing the modules runs their declarations on `feature`
    from bot.core.feedback import (  # noqa: F401
        ballots,
        bodies,
        councils,
        governance,
        idea_reports,
        idea_status,
        ideas,
        jobs,
        polls,
    )

    app.include(feature)
