"""The programme: recurring AMAs and showcases (series, occurrences, RSVPs, questions, entries).

The scheduler (programming/) sends the SYSTEM commands in `commands.py`; everything else comes
from members and leads."""

from __future__ import annotations

from bot.core.feature import Assembly, Feature

feature = Feature("programming")


def register(app: Assembly) -> None:
    """Add this feature's handlers and registry entries to the app."""
    from bot.core.programming import ama, rsvp, scheduled, series, showcase  # noqa: F401  (their declarations fill `feature`)

    app.include(feature)
