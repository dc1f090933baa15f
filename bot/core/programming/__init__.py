"""The programme: recurring AMAs and showcases (series, occurrences, RSVPs, questions, entries).

The scheduler (programming/) sends the SYSTEM commands in `commands.py`; everything else comes
from members and leads."""

from __future__ import annotations

from bot.core.feature import Assembly, Feature

feature = Feature("programming")


def register(app: Assembly) -> None:
    """Add this feature's handlers, registry entries and jobs to the app."""
    # importing the modules runs their declarations on `feature`
    from bot.core.programming import (  # noqa: F401
        ama,
        rsvp,
        scheduled,
        series,
        showcase,
    )

    app.include(feature)
