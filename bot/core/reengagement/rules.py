"""Re-engagement (pure): the weeks that define drifting, and the note a drifting member gets."""

from __future__ import annotations

from datetime import date, timedelta

from bot.core.reengagement.ports import Missed


def windows(current_week: date, lookback_weeks: int, silent_weeks: int) -> tuple[date, date]:
    """(first week of the lookback, first silent week): the silent weeks end with last week."""
    silent_from = current_week - timedelta(weeks=silent_weeks)
    return silent_from - timedelta(weeks=lookback_weeks), silent_from


def _n(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def nudge_text(community: str, missed: Missed, weeks: int) -> str:
    """A gentle note of what the member missed, with no pressure."""
    parts = [
        _n(missed.joined, "newcomer joined", "newcomers joined"),
        _n(missed.helpful_answers, "question was answered", "questions were answered"),
    ]
    return (
        f"We haven't seen you in {community} for {weeks} weeks, and that's fine. In case you're curious: "
        f"{' and '.join(parts)} since. Drop by whenever you like; a hello is enough."
    )
