"""The input-hygiene function: what it drops, what it keeps, and the errors it gives at the registry."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.fake.platform import FakePlatform
from bot.bootstrap import App
from bot.core.commands import Command
from bot.core.errors import InvalidInput
from bot.core.hygiene import clean, clean_answers, clean_options, one_line
from bot.core.refs import Role
from bot.core.registry import Option, OptionType, SlashCommand
from bot.core.replies import OpenForm, Reply
from tests.core.ideas_kit import admit


@pytest.mark.parametrize(
    ("typed", "multiline", "stored"),
    [
        ("Dark mode", False, "Dark mode"),
        ("\x1b[31mred\x1b[0m", False, "[31mred[0m"),  # ESC gone: no terminal escape survives
        ("ring\x07 the bell", False, "ring the bell"),
        ("two\rlines", False, "two lines"),
        ("two\r\nlines", True, "two\nlines"),
        ("\u202eevil\u202c", False, "evil"),  # bidi override
        ("\u200b\u200b\u200b", False, ""),  # a title made only of zero-width spaces is empty
        ("\u3164\u3164\u3164", False, ""),  # Hangul fillers look empty too
        ("nul\x00here", False, "nulhere"),
        ("lone \ud800 surrogate", False, "lone surrogate"),
        ("\u27e6@discord:1\u27e7", False, "@discord:1"),  # a forged mention token loses its brackets
        ("  lots   of\tspace  ", False, "lots of space"),
        ("a\n\n\n\nb", True, "a\n\nb"),
        ("def f():\n    return 1  \n", True, "def f():\n    return 1"),  # indentation kept
        ("dev \U0001f469\u200d\U0001f4bb", False, "dev \U0001f469\u200d\U0001f4bb"),  # ZWJ emoji kept
        ("\u200dx\u200d", False, "x"),  # a ZWJ joining nothing goes
        ("e\u0301", False, "\u00e9"),  # NFC
    ],
)
def test_clean(typed: str, multiline: bool, stored: str) -> None:
    assert clean(typed, multiline=multiline) == stored


@given(st.text(st.characters(exclude_categories=())))
def test_nothing_invisible_or_encodable_survives(typed: str) -> None:
    text = one_line(typed)
    text.encode("utf-8")  # no lone surrogate: every database can store it
    for char in text:
        assert unicodedata.category(char) not in ("Cc", "Cs"), repr(char)
        assert unicodedata.category(char) != "Cf" or char == "\u200d", repr(char)
    assert text == text.strip() and "\n" not in text
    assert one_line(text) == text  # cleaning is idempotent


class _Any(Command):
    pass


COMMAND = SlashCommand(
    "demo",
    "a command",
    lambda inv: Reply(text="ok"),
    options=(
        Option("title", "Its title", max_length=10),
        Option("note", "A note", required=False),
        Option("kind", "ama or showcase", choices=("ama", "showcase"), required=False),
        Option("count", "How many", type=OptionType.INTEGER, min_value=1, max_value=52, required=False),
        Option("id", "An id", type=OptionType.INTEGER, required=False),
        Option("choices", "One per line", required=False, multiline=True),
    ),
    command=_Any,
)


def test_options_are_cleaned_and_bounded_with_errors_naming_the_option() -> None:
    assert clean_options(COMMAND, {"title": " a\x00b ", "kind": "AMA", "count": 3}) == {
        "title": "ab",
        "kind": "ama",
        "count": 3,
    }
    assert clean_options(COMMAND, {"title": "   "}) == {"title": ""}  # blank: the command says why
    assert clean_options(COMMAND, {"title": "ok", "kind": "\u200b"}) == {"title": "ok"}  # no choice made
    assert clean_options(COMMAND, {"title": "a\nb", "choices": "Red\r\nGreen\x1b"}) == {
        "title": "a b",
        "choices": "Red\nGreen",
    }
    cases = {
        "title": ("\u200b\u200b\u200b", "/demo title: only invisible or control characters"),
        "kind": ("<@&1> party", "/demo kind: one of ama, showcase"),
        "count": (99999999999999999999999, "/demo count: a whole number from 1 to 52"),
        "id": (2**64, "/demo id: a whole number from"),
    }
    for name, (value, message) in cases.items():
        with pytest.raises(InvalidInput) as caught:
            clean_options(COMMAND, {"title": "ok", name: value})
        assert caught.value.message.startswith(message)
        assert "<@&1>" not in caught.value.message  # nothing typed comes back
    with pytest.raises(InvalidInput, match="at most 10 characters"):
        clean_options(COMMAND, {"title": "x" * 11})
    with pytest.raises(InvalidInput, match="4000"):
        clean_options(COMMAND, {"title": "ok", "note": "x" * 4001})
    assert clean_answers({"details": "one\r\ntwo\x1b"}) == {"details": "one\ntwo"}


async def test_an_idea_titled_with_zero_width_characters_is_refused(app: App, platform: FakePlatform) -> None:
    actor = await admit(app, platform, "1", "ada", Role.LEAD)
    form = await platform.slash(actor, "idea")
    assert isinstance(form, OpenForm)
    reply = await platform.submit(actor, form, {"title": "\u200b\u200c\u200d\u2060", "area": ""})
    assert isinstance(reply, Reply) and reply.private
    assert reply.text == "Give the idea a title of 3 to 100 characters."
    reply = await platform.submit(actor, form, {"title": "Dark\x1b\x07 \u202emode\r", "area": "UI\u200b"})
    assert isinstance(reply, Reply) and reply.text.startswith("Filed as #1 Dark mode,"), reply
