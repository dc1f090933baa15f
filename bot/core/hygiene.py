"""Input hygiene: every text a person typed is cleaned once, where it enters the core.

Slash-command options and form answers pass through `clean_options` / `clean_answers` (bot.core.invoke)
before a builder sees them, so no command stores or posts a control character (ESC, BEL, NUL, CR in
a one-line field), a format character (zero-width spaces, the bidi overrides such as U+202E), a lone
surrogate (which no database can encode) or a forged mention token. Fields with stricter rules (an
idea's title, a poll option) apply `one_line` and their own minimum length on top, so a title made
only of invisible characters is empty and fails it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from bot.core.errors import InvalidInput

if TYPE_CHECKING:
    from bot.core.registry import Option, SlashCommand

TEXT_MAX = 4000  # the longest text any option or answer may carry (Discord's modal limit)
_DROPPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs"})  # controls, format characters, surrogates
# Letters that render as nothing (Hangul fillers, the blank braille pattern), and the brackets of the
# core's mention tokens (bot.core.text): dropped like format characters.
_INVISIBLE = frozenset("\u115f\u1160\u3164\uffa0\u2800\u27e6\u27e7")
_LINE_BREAKS = frozenset("\n\r\v\f\x85\u2028\u2029")
_ZWJ = "\u200d"  # kept between two visible characters: it joins emoji sequences such as 👩‍💻
_INT_MAX = 2**63 - 1  # the largest number a database column holds
_BLANK_LINES = re.compile(r"\n{3,}")
_SPACES = re.compile(r"[^\S\n]+")


def _kept(char: str) -> bool:
    return unicodedata.category(char) not in _DROPPED_CATEGORIES and char not in _INVISIBLE


def clean(value: str, *, multiline: bool = True) -> str:
    """`value` without control, format or invisible characters, surrogates or mention-token brackets,
    trimmed. With `multiline`, line breaks are kept (as "\\n", at most one blank line in a row);
    without, they become spaces and runs of spaces collapse to one."""
    text = value.replace("\r\n", "\n")
    out: list[str] = []
    for index, char in enumerate(text):
        if char in _LINE_BREAKS:
            out.append("\n" if multiline else " ")
        elif char == "\t":
            out.append(" ")
        elif char == _ZWJ:
            before, after = text[index - 1 : index], text[index + 1 : index + 2]
            if before and after and _kept(before) and _kept(after) and not (before + after).isspace():
                out.append(char)
        elif _kept(char):
            out.append(char)
    joined = unicodedata.normalize("NFC", "".join(out))
    if not multiline:
        return _SPACES.sub(" ", joined).strip()
    lines = [line.rstrip() for line in joined.split("\n")]  # indentation stays (a code snippet)
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def one_line(value: str) -> str:
    """`clean` for a one-line field (a title, an area, a poll option): line breaks become spaces."""
    return clean(value, multiline=False)


def bounded(value: str, limit: int, what: str) -> str:
    """`value` when it is at most `limit` characters; otherwise a private error naming `what`."""
    if len(value) > limit:
        raise InvalidInput(f"Keep {what} to {limit} characters.")
    return value


def clean_options(command: SlashCommand, values: Mapping[str, Any]) -> dict[str, Any]:
    """A slash command's option values with every text cleaned (`one_line` unless the option is
    `multiline`) and bounded by the option's
    `max_length` (`TEXT_MAX` when it has none).

    A required text option made only of invisible or control characters is a private error naming the
    option (a blank one is left to the command, which says what it needs); nothing typed is echoed."""
    declared = {option.name: option for option in command.options}
    cleaned: dict[str, Any] = {}
    for name, value in values.items():
        option = declared.get(name)
        if option is not None and isinstance(value, int) and not isinstance(value, bool):
            value = _in_range(command, option, value)
        elif isinstance(value, str):
            typed, value = value, clean(value, multiline=option is not None and option.multiline)
            where = f"/{command.name} {name}"
            if option is not None and option.max_length is not None and len(value) > option.max_length:
                raise InvalidInput(f"{where}: at most {option.max_length} characters ({option.description}).")
            value = bounded(value, TEXT_MAX, where)
            if not value and option is not None and option.required and typed.strip():
                raise InvalidInput(f"{where}: only invisible or control characters; type some text.")
            if option is not None and option.choices:
                if not value and not option.required:
                    continue  # no choice made: as if the option was left out
                value = _choice(where, option, value)
        cleaned[name] = value
    return cleaned


def _in_range(command: SlashCommand, option: Option, value: int) -> int:
    low = option.min_value if option.min_value is not None else -_INT_MAX
    high = option.max_value if option.max_value is not None else _INT_MAX
    if not low <= value <= high:
        raise InvalidInput(f"/{command.name} {option.name}: a whole number from {low} to {high}.")
    return value


def _choice(where: str, option: Option, value: str) -> str:
    """The declared choice typed (in any case); Slack sends whatever was typed."""
    for choice in option.choices:
        if choice.casefold() == value.casefold():
            return choice
    raise InvalidInput(f"{where}: one of {', '.join(option.choices)} ({option.description}).")


def clean_answers(answers: Mapping[str, str]) -> dict[str, str]:
    """A form's answers, each cleaned (line breaks kept) and bounded by `TEXT_MAX`."""
    return {
        str(name): bounded(clean(value if isinstance(value, str) else ""), TEXT_MAX, "each answer")
        for name, value in answers.items()
    }
