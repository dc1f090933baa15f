"""Slash command names on Slack and typed options read from the text."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.slack.commands import CommandNames, UsageError, parse_options, readable, usage
from bot.core.refs import MemberRef
from bot.core.registry import Option, OptionType, Registry, SlashCommand
from bot.core.replies import Reply
from tests.adapters.kit_feature import Answer


def command(*options: Option, name: str = "x") -> SlashCommand:
    return SlashCommand(name, "test", build=lambda inv: Reply(), options=options, command=Answer)


MEMBER = Option("who", "someone", OptionType.MEMBER)
COUNT = Option("count", "how many", OptionType.INTEGER, required=False, min_value=1, max_value=10)
NOTE = Option("note", "free text", required=False)
CODE = Option("code", "a code")
MODE = Option("mode", "gate mode", choices=("referral", "application"))
FLAG = Option("confirm", "yes or no", OptionType.BOOLEAN)


@pytest.mark.parametrize(
    ("options", "text", "expected"),
    [
        ((CODE,), "ABCDE-FGHJK", {"code": "ABCDE-FGHJK"}),
        ((CODE,), "  ABCDE-FGHJK  ", {"code": "ABCDE-FGHJK"}),
        ((CODE,), "ABCDE FGHJK", {"code": "ABCDE FGHJK"}),  # the last text option takes the rest
        (
            (MEMBER, NOTE),
            "<@U0ANN0001|ann> thanks a lot",
            {"who": MemberRef("slack", "U0ANN0001"), "note": "thanks a lot"},
        ),
        ((MEMBER, NOTE), "<@U0ANN0001>", {"who": MemberRef("slack", "U0ANN0001")}),
        (
            (MEMBER, COUNT, NOTE),
            "U0ANN0001 3 great",
            {"who": MemberRef("slack", "U0ANN0001"), "count": 3, "note": "great"},
        ),
        (
            (MEMBER, COUNT, NOTE),
            "<@U0ANN0001> great answer",
            {"who": MemberRef("slack", "U0ANN0001"), "note": "great answer"},
        ),
        ((NOTE,), '"quoted words"', {"note": "quoted words"}),
        ((NOTE,), "“smart quotes”", {"note": "smart quotes"}),
        (
            (NOTE,),
            "a &lt;b&gt; &amp; <#C0GEN|general> <https://x.example|site>",
            {"note": "a <b> & #general site"},
        ),
        ((MODE,), "Application", {"mode": "application"}),
        ((FLAG,), "yes", {"confirm": True}),
        ((FLAG,), "OFF", {"confirm": False}),
        ((), "", {}),
    ],
)
def test_options_are_parsed(options: tuple[Option, ...], text: str, expected: dict[str, Any]) -> None:
    assert parse_options(command(*options), text) == expected


@pytest.mark.parametrize(
    ("options", "text", "message"),
    [
        ((CODE,), "", "<code> is missing"),
        ((FLAG,), "yes no", "unexpected 'no'"),
        ((MEMBER,), "@ann", "mention a member with @"),
        ((MEMBER, COUNT), "<@U0ANN0001> 11", "at most 10"),
        ((MEMBER, COUNT), "<@U0ANN0001> 0", "at least 1"),
        ((MEMBER, COUNT), "<@U0ANN0001> lots", "whole number"),
        ((MODE,), "open", "one of: referral, application"),
        ((FLAG,), "maybe", "yes or no"),
        ((Option("short", "s", max_length=3),), "abcd", "at most 3 characters"),
    ],
)
def test_bad_input_says_what_is_wrong(options: tuple[Option, ...], text: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse_options(command(*options), text)


def test_usage_lists_options_in_order() -> None:
    assert usage("/kudos", command(MEMBER, COUNT, NOTE)) == "/kudos <who> [count] [note]"
    assert usage("/gate", command(MODE)) == "/gate <referral|application>"


def test_readable_turns_slack_markup_into_plain_text() -> None:
    assert readable("<@U1|ann> <@U2> <#C1|gen> <#C2> <!here> <!subteam^S1|@mods> <mailto:a@b.c|mail>") == (
        "@ann @U2 #gen #C2 @here @mods mail"
    )


def _registry(*names: str) -> Registry:
    registry = Registry()
    for name in names:
        registry.slash(command(name=name))
    return registry


def test_reserved_names_are_renamed_and_overrides_win() -> None:
    names = CommandNames(_registry("join", "apply", "status", "mydata export", "mydata erase"))
    assert sorted(names.commands) == ["apply", "join-community", "mydata", "status-community"]
    assert names.slack_name("join") == "/join-community"
    assert names.slack_name("mydata export") == "/mydata export"
    assert sorted(names.commands["mydata"].subcommands) == ["erase", "export"]

    renamed = CommandNames(_registry("join", "apply"), {"join": "enter", "apply": "ask"})
    assert sorted(renamed.commands) == ["ask", "enter"]
    assert renamed.rewrite("Use /join CODE or /apply.") == "Use /enter CODE or /ask."


def test_resolving_a_command_line() -> None:
    names = CommandNames(_registry("mydata", "mydata export", "help"))
    assert names.resolve("/help", "x")[0].name == "help"  # type: ignore[index]
    assert names.resolve("/mydata", "export now") == (names.commands["mydata"].subcommands["export"], "now")
    assert names.resolve("/mydata", "something")[0].name == "mydata"  # type: ignore[index]
    assert names.resolve("/nope", "") is None


def test_clashing_or_invalid_names_are_refused() -> None:
    with pytest.raises(ValueError, match="would both be /enter"):
        CommandNames(_registry("join", "enter"), {"join": "enter"})
    with pytest.raises(ValueError, match="not a valid Slack command"):
        CommandNames(_registry("Bad Name"))
    with pytest.raises(ValueError, match="50 slash commands"):
        CommandNames(_registry(*(f"c{i}" for i in range(51))))
