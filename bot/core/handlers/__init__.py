"""One module per feature; importing this package registers every handler and registry entry."""

# Imported for their side effect: each module registers its handlers and registry entries.
from bot.core.handlers import (  # noqa: F401
    badges,
    ballots,
    cohorts,
    community,
    contributions,
    councils,
    digest,
    gates,
    idea_reports,
    idea_status,
    ideas,
    milestones,
    mydata,
    polls,
    profile,
    programming,
)
from bot.core.handlers.table import HANDLERS

__all__ = ["HANDLERS"]
