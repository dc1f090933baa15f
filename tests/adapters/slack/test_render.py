"""Rendering core text for Slack: nothing a member typed can ping anyone."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.slack.commands import CommandNames, readable
from adapters.slack.render import (
    FORM_CALLBACK,
    SECTION_LIMIT,
    blocks_for,
    escape,
    form_answers,
    form_metadata,
    form_view,
    mrkdwn,
    reply_message,
)
from bot.core.refs import MemberRef
from bot.core.registry import Registry, SlashCommand
from bot.core.replies import Action, Field, FormField, OpenForm, Reply
from bot.core.text import mention, user_text
from tests.adapters.kit_feature import Answer
from tests.adapters.slack.harness import all_text

ALICE = MemberRef("slack", "U0ALICE01")
ATTACKS = [
    "<!channel>",
    "<!here>",
    "<!everyone>",
    "<!subteam^S0MODS|@mods>",
    "<@U0BOB0001>",
    "<#C0GENERAL>",
    "<https://evil.example|click>",
    "&lt;!here&gt;",
    "@here",
    "@channel",
    "@EVERYONE",
    "\u27e6@slack:U0BOB0001\u27e7",
    "<",
    ">",
    "&",
    "!",
    "@",
    "`",
    "*",
]
typed = st.lists(st.one_of(st.text(max_size=20), st.sampled_from(ATTACKS)), max_size=12).map("".join)
_USER_MENTION = re.compile(r"<@([A-Z0-9]+)>")
_BROADCAST = re.compile(r"@(here|channel|everyone|group)\b", re.IGNORECASE)


def assert_safe(rendered: str) -> None:
    assert "<!" not in rendered and "<#" not in rendered
    assert set(_USER_MENTION.findall(rendered)) <= {ALICE.user_id}
    assert "<" not in _USER_MENTION.sub("", rendered)  # no other Slack markup opens anywhere
    assert not _BROADCAST.search(rendered)


@settings(deadline=None)  # shared CI machines: no per-example time limit
@given(typed)
def test_typed_text_never_becomes_a_special_mention(value: str) -> None:
    core = f"{mention(ALICE)} wrote: {user_text(value)}"
    assert_safe(mrkdwn(core))
    assert _USER_MENTION.findall(mrkdwn(core)) == [ALICE.user_id]


@settings(deadline=None)
@given(typed)
def test_slack_escaped_command_text_stays_safe(value: str) -> None:
    """What Slack delivers after a slash command (escaped) → readable → core → Slack again."""
    delivered = escape(value)
    assert_safe(mrkdwn(f"{mention(ALICE)}: {user_text(readable(delivered))}"))
    assert_safe(mrkdwn(user_text(readable(value))))


@settings(deadline=None)
@given(typed, typed)
def test_whole_messages_stay_safe(text: str, other: str) -> None:
    reply = Reply(
        text=f"{mention(ALICE)} {user_text(text)}",
        title=user_text(other) or None,
        fields=(Field(user_text(other), user_text(text)),),
        actions=(Action(user_text(other) or "ok", "app:approve:1"),),
    )
    for piece in all_text(reply_message(reply)):
        if piece in ("app:approve:1",):
            continue
        assert_safe(piece)


def test_escaping_comes_before_mentions() -> None:
    assert mrkdwn(f"a & b <c> {mention(ALICE)}") == "a &amp; b &lt;c&gt; <@U0ALICE01>"
    assert mrkdwn("@here and @Channel") == "@\u2060here and @\u2060Channel"
    assert mrkdwn(mention(MemberRef("discord", "123"))) == "a member"
    assert mrkdwn(mention(MemberRef("slack", "not-an-id"))) == "a member"


def test_long_text_is_split_into_sections_within_slacks_limit() -> None:
    text = "\n".join(["word " * 100] * 30) + "\n" + "&" * 5000
    blocks = blocks_for(text)
    sections = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    assert len(sections) > 3 and all(len(s) <= SECTION_LIMIT for s in sections)
    assert all(b["text"]["verbatim"] is True for b in blocks if b["type"] == "section")
    assert "".join(sections).count("&amp;") == 5000


def test_blocks_stay_within_fifty_and_keep_the_buttons() -> None:
    many = tuple(Field(f"f{i}", "v") for i in range(600))
    blocks = blocks_for("x", fields=many, actions=(Action("Approve", "app:approve:1"),))
    assert len(blocks) == 50 and blocks[-1]["type"] == "actions"


def test_a_title_with_a_mention_is_bold_mrkdwn_not_a_header() -> None:
    plain_title = blocks_for("body", title="Weekly digest")[0]
    mention_title = blocks_for("body", title=f"Welcome {mention(ALICE)}")[0]
    assert plain_title == {"type": "header", "text": {"type": "plain_text", "text": "Weekly digest"}}
    assert mention_title["text"]["text"] == "*Welcome <@U0ALICE01>*"


def test_forms_round_trip_through_a_modal() -> None:
    form = OpenForm(
        form_key="apply",
        title="Apply to the Example Community today",
        fields=(
            FormField("why", "Why?", min_length=10, max_length=9000, placeholder="Tell us"),
            FormField("extra", "Anything else?", required=False, multiline=False),
        ),
        context="application:7",
    )
    view = form_view(form, "C0LOBBY")
    assert view["callback_id"] == FORM_CALLBACK
    assert len(view["title"]["text"]) <= 24
    why, extra = view["blocks"]
    assert why["element"]["max_length"] == 3000 and why["element"]["min_length"] == 10
    assert extra["optional"] is True and extra["element"]["multiline"] is False
    assert form_metadata(view) == ("apply", "application:7", "C0LOBBY")

    view["state"] = {
        "values": {"why": {"answer": {"value": "Because"}}, "extra": {"answer": {"value": None}}}
    }
    assert form_answers(view) == {"why": "Because", "extra": ""}
    assert form_metadata({"private_metadata": "not json"}) == ("", "", None)


def test_renamed_commands_are_named_as_typed_on_slack() -> None:
    registry = Registry()
    registry.slash(SlashCommand("join", "Join", build=lambda inv: Reply(), command=Answer))
    names = CommandNames(registry)
    assert mrkdwn("Use /join CODE, or /joiner, or /join-community", names) == (
        "Use /join-community CODE, or /joiner, or /join-community"
    )
    assert mrkdwn("see https://x.example/join", names) == "see https://x.example/join"


def test_limits_never_cut_an_entity_or_a_mention_in_half() -> None:
    [header] = blocks_for("x", title="&" * 400)[:1]
    assert len(header["text"]["text"]) <= 150 and header["text"]["text"].endswith("&amp;…")
    [fields] = [b for b in blocks_for("x", fields=(Field("n", f"{mention(ALICE)} " * 300),)) if "fields" in b]
    value = fields["fields"][0]["text"]
    assert len(value) <= 2000 and value.endswith("<@U0ALICE01> …")
