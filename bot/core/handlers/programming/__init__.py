"""The programme: recurring AMAs and showcases (series, occurrences, RSVPs, questions, entries).

Importing the package registers its handlers and registry entries. The scheduler (programming/)
sends the SYSTEM commands in `commands.py`; everything else comes from members and leads.
"""

from bot.core.handlers.programming import ama, rsvp, scheduled, series, showcase  # noqa: F401
