"""The programme's calendar maths, re-exported from the core.

The maths is pure (stdlib only) and the core's handlers need it too (to validate a skip, to
materialise occurrences), so it lives in bot.core.model: recurrence.py (the slot and overrides),
calendar.py (wall time -> instant, occurrences, reminders) and recurrence_text.py (parse and
describe). This module keeps the `programming.calendar` import path for the scheduler layer.
"""

from __future__ import annotations

from bot.core.programming.calendar import (
    DEFAULT_ANNOUNCEMENT_LEAD,
    announcement_time,
    apply_overrides,
    is_occurrence_date,
    next_occurrence,
    occurrences,
    reminder_times,
    resolve_wall_time,
    scheduled_dates,
)
from bot.core.programming.recurrence import (
    DEFAULT_ANCHOR,
    MAX_INTERVAL_WEEKS,
    WEEKDAY_NAMES,
    Frequency,
    Override,
    Recurrence,
)
from bot.core.programming.recurrence_text import RecurrenceFormatError, describe, parse_recurrence

__all__ = [
    "DEFAULT_ANCHOR",
    "DEFAULT_ANNOUNCEMENT_LEAD",
    "MAX_INTERVAL_WEEKS",
    "WEEKDAY_NAMES",
    "Frequency",
    "Override",
    "Recurrence",
    "RecurrenceFormatError",
    "announcement_time",
    "apply_overrides",
    "describe",
    "is_occurrence_date",
    "next_occurrence",
    "occurrences",
    "parse_recurrence",
    "reminder_times",
    "resolve_wall_time",
    "scheduled_dates",
]
