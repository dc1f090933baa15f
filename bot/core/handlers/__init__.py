"""One module per feature; importing this package registers every handler and registry entry."""

# Importing a feature module registers its handlers and registry entries.
from bot.core.handlers import (  # noqa: F401
    badges,
    cohorts,
    community,
    contributions,
    milestones,
    mydata,
    profile,
)
from bot.core.handlers.table import HANDLERS

__all__ = ["HANDLERS"]
