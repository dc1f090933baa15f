"""The human form of a recurrence: parse "monthly on the first Tuesday 18:00" and describe it back.

``parse_recurrence(describe(r), r.timezone) == r`` for every valid recurrence.
"""

from __future__ import annotations

import datetime as dt
import re

from bot.core.programming.recurrence import (
    MAX_INTERVAL_WEEKS,
    ORDINAL_NAMES,
    WEEKDAY_NAMES,
    Frequency,
    Recurrence,
    load_zone,
)

__all__ = ["RecurrenceFormatError", "describe", "parse_recurrence"]


class RecurrenceFormatError(ValueError):
    """A recurrence string could not be understood; the message says what is expected."""

    FORMAT_HELP = (
        "expected '<weekly | every N weeks> on <weekday> [at] HH:MM', "
        "'monthly on the <first|second|third|fourth|last> <weekday> [at] HH:MM' or "
        "'monthly on day <1-28> [at] HH:MM', for example 'weekly on Thursday 17:00', "
        "'every 2 weeks on Monday 09:30', 'monthly on the last Friday 16:00' or "
        "'monthly on day 15 at 12:00'"
    )

    def __init__(self, text: str, reason: str) -> None:
        super().__init__(f"cannot understand recurrence {text!r}: {reason}; {self.FORMAT_HELP}")
        self.text = text
        self.reason = reason


class _Reject(Exception):
    """Internal: a parse failure, with the reason; becomes RecurrenceFormatError."""


_WEEKDAY_WORDS: dict[str, int] = {}
for _index, _name in enumerate(WEEKDAY_NAMES):
    for _word in (_name.lower(), _name.lower() + "s", _name[:3].lower()):
        _WEEKDAY_WORDS[_word] = _index
_WEEKDAY_WORDS.update({"tues": 1, "weds": 2, "thur": 3, "thurs": 3})

_ORDINAL_WORDS = {
    "first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4, "last": -1,
}  # fmt: skip

_NUMBER = re.compile(r"[0-9]{1,6}")
_DAY_NUMBER = re.compile(r"([0-9]{1,2})(st|nd|rd|th)?")
_TIME = re.compile(r"([0-9]{1,2})(?::([0-9]{2}))?(?::([0-9]{2}))?\s*(am|pm|a\.m\.|p\.m\.)?")


class _Tokens:
    def __init__(self, words: list[str]) -> None:
        self.words = words
        self.pos = 0

    def peek(self) -> str | None:
        return self.words[self.pos] if self.pos < len(self.words) else None

    def take(self) -> str | None:
        word = self.peek()
        self.pos += word is not None
        return word

    def accept(self, *options: str) -> bool:
        if self.peek() in options:
            self.pos += 1
            return True
        return False

    def rest(self) -> list[str]:
        words, self.pos = self.words[self.pos :], len(self.words)
        return words


def _weekday(word: str | None) -> int:
    if word is None:
        raise _Reject("it is missing the weekday")
    if word in _WEEKDAY_WORDS:
        return _WEEKDAY_WORDS[word]
    if word[:1].isdigit():
        raise _Reject(f"expected a weekday before {word!r}")
    raise _Reject(f"{word!r} is not a weekday (use Monday..Sunday or Mon..Sun)")


def _frequency(tokens: _Tokens) -> tuple[Frequency, int, int | None]:
    """Parse the leading frequency words: (freq, interval, weekday if it was given here)."""
    word = tokens.take()
    if word == "weekly":
        return "weekly", 1, None
    if word == "monthly":
        return "monthly", 1, None
    if word == "fortnightly":
        return "weekly", 2, None
    if word == "biweekly":
        raise _Reject("'biweekly' is ambiguous (twice a week or every two weeks?); say 'every 2 weeks'")
    if word != "every":
        raise _Reject(f"it should start with 'weekly', 'every N weeks' or 'monthly', not {word!r}")
    word = tokens.take()
    if word == "week":
        return "weekly", 1, None
    if word == "month":
        return "monthly", 1, None
    if word == "other":
        if tokens.accept("week"):
            return "weekly", 2, None
        return "weekly", 2, _weekday(tokens.take())
    if word is not None and _NUMBER.fullmatch(word):
        unit = tokens.take()
        if unit in ("week", "weeks"):
            if not 1 <= int(word) <= MAX_INTERVAL_WEEKS:
                raise _Reject(f"'every {word} weeks' needs a number of weeks from 1 to {MAX_INTERVAL_WEEKS}")
            return "weekly", int(word), None
        if unit in ("month", "months"):
            raise _Reject("only every month is supported for monthly series, not every N months")
        raise _Reject(f"expected 'weeks' after 'every {word}'")
    if word in _WEEKDAY_WORDS:
        return "weekly", 1, _WEEKDAY_WORDS[word]
    if word is None:
        raise _Reject("expected 'week', 'N weeks' or a weekday after 'every'")
    raise _Reject(f"expected 'week', 'N weeks' or a weekday after 'every', not {word!r}")


def _day_of_month(day: int) -> int:
    if not 1 <= day <= 28:
        raise _Reject(
            f"day {day} does not exist in every month; use a day from 1 to 28, or 'the last <weekday>'"
        )
    return day


def _monthly_slot(tokens: _Tokens) -> tuple[int | None, int | None, int | None]:
    """Parse 'first Tuesday' / 'last Friday' / 'day 15' / '15th': (weekday, nth, day)."""
    word = tokens.take()
    if word is None:
        raise _Reject("it is missing which day of the month")
    # "1st".."4th" followed by a weekday is "the 1st Tuesday"; on their own they are a day of the month.
    before_weekday = tokens.peek() in _WEEKDAY_WORDS
    if word in ("fifth", "5th") and before_weekday:
        raise _Reject("not every month has a fifth weekday; use 'last' instead")
    if word in _ORDINAL_WORDS and (before_weekday or not word[0].isdigit()):
        return _weekday(tokens.take()), _ORDINAL_WORDS[word], None
    if word == "day":
        number = tokens.take()
        match = _DAY_NUMBER.fullmatch(number or "")
        if not match:
            raise _Reject(f"expected a day number (1-28) after 'day', not {number!r}")
        return None, None, _day_of_month(int(match.group(1)))
    match = _DAY_NUMBER.fullmatch(word)
    if match and match.group(2):
        return None, None, _day_of_month(int(match.group(1)))
    if word in _WEEKDAY_WORDS:
        name = WEEKDAY_NAMES[_WEEKDAY_WORDS[word]]
        raise _Reject(f"which {name} of the month? say e.g. 'the first {name}' or 'the last {name}'")
    raise _Reject(f"expected 'the first <weekday>', 'the last <weekday>' or 'day <1-28>', not {word!r}")


def _match_time(text: str) -> re.Match[str] | None:
    """Match "17:00", "17:00:30", "5pm", "5:30 pm"; a bare "17" is rejected as too ambiguous."""
    match = _TIME.fullmatch(text)
    return match if match and (match.group(2) or match.group(4)) else None


def _time_of_day(words: list[str]) -> dt.time:
    if not words:
        raise _Reject("it is missing the time of day (24-hour HH:MM, e.g. 17:00)")
    text = " ".join(words)
    if text == "noon":
        return dt.time(12, 0)
    if text == "midnight":
        return dt.time(0, 0)
    match = _match_time(text)
    if not match:
        for used in (2, 1):  # a valid time followed by something else, e.g. "17:00 UTC"
            if len(words) > used and _match_time(" ".join(words[:used])):
                extra = " ".join(words[used:])
                raise _Reject(f"unexpected {extra!r} after the time (the time zone is configured separately)")
        raise _Reject(f"{text!r} is not a time of day (use 24-hour HH:MM, e.g. 17:00)")
    hour, minute, second = int(match.group(1)), int(match.group(2) or 0), int(match.group(3) or 0)
    meridiem = match.group(4)
    if meridiem:
        if not 1 <= hour <= 12:
            raise _Reject(f"{text!r} is not a time of day (with am/pm the hour is 1..12)")
        hour = hour % 12 + (12 if meridiem.startswith("p") else 0)
    if hour > 23 or minute > 59 or second > 59:
        raise _Reject(f"{text!r} is not a time of day (use 24-hour HH:MM between 00:00 and 23:59)")
    return dt.time(hour, minute, second)


def parse_recurrence(text: str, timezone: str) -> Recurrence:
    """Parse a human recurrence string such as "monthly on the first Tuesday 18:00".

    Case-insensitive; "on", "the", "at" and a trailing "of the month" are optional; weekdays may be
    abbreviated or plural; times may be 24-hour "17:00" or "5pm". ``timezone`` is an IANA zone name.
    Raises RecurrenceFormatError (a ValueError) saying what format is expected.
    """
    if not isinstance(text, str):
        raise TypeError(f"recurrence text must be a string, got {type(text).__name__}")
    load_zone(timezone)  # a bad zone is reported as such, not as a format problem
    tokens = _Tokens(text.replace(",", " ").lower().split())
    try:
        if tokens.peek() is None:
            raise _Reject("it is empty")
        freq, interval, weekday = _frequency(tokens)
        tokens.accept("on")
        tokens.accept("the")
        nth = day = None
        if freq == "weekly":
            if weekday is None:
                weekday = _weekday(tokens.take())
        else:
            weekday, nth, day = _monthly_slot(tokens)
            if tokens.accept("of"):
                tokens.accept("the", "each", "every")
                if not tokens.accept("month"):
                    raise _Reject("expected 'of the month'")
        tokens.accept("at")
        wall = _time_of_day(tokens.rest())
        try:
            return Recurrence(
                freq=freq, weekday=weekday, interval=interval, nth=nth, day=day, time=wall, timezone=timezone
            )
        except ValueError as exc:
            raise _Reject(str(exc)) from exc
    except _Reject as exc:
        raise RecurrenceFormatError(text, str(exc)) from None


def _format_time(wall: dt.time) -> str:
    return wall.strftime("%H:%M:%S" if wall.second else "%H:%M")


def describe(recurrence: Recurrence) -> str:
    """Canonical human form, e.g. "monthly on the first Tuesday at 18:00".

    ``parse_recurrence(describe(r), r.timezone) == r`` for every valid recurrence. The zone is not
    included: it is stored and passed separately.
    """
    at = _format_time(recurrence.time)
    if recurrence.freq == "weekly":
        assert recurrence.weekday is not None
        every = "weekly" if recurrence.interval == 1 else f"every {recurrence.interval} weeks"
        return f"{every} on {WEEKDAY_NAMES[recurrence.weekday]} at {at}"
    if recurrence.day is not None:
        return f"monthly on day {recurrence.day} at {at}"
    assert recurrence.weekday is not None and recurrence.nth is not None
    return f"monthly on the {ORDINAL_NAMES[recurrence.nth]} {WEEKDAY_NAMES[recurrence.weekday]} at {at}"
