"""Rendering core text for Discord, and the real registry's fit with Discord's command rules."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from adapters.discord.commands import command_payloads, needs_sync, normalise
from adapters.discord.components import form_answers, parse_form_custom_id
from adapters.discord.render import allowed_mentions, message, render_text
from bot.core.refs import MemberRef
from bot.core.text import mention, user_text
from bot.features import assemble

REGISTRY = assemble().registry  # every feature's entries, as `townsquare run` has them

LIVE = re.compile(r"@(everyone|here)|<@&\d+>|<@!?(\d+)>", re.IGNORECASE)
# Text users type, biased towards what Discord reads as mentions.
typed = st.lists(
    st.sampled_from(
        [
            "@everyone",
            "@here",
            "@Everyone",
            "<@&123456789012345678>",
            "<@!42>",
            "<@42>",
            "<@",
            "&",
            "@",
            "<",
            ">",
            "!",
            "1",
            "⟦@discord:7⟧",
            "⟦",
            "⟧",
            " ",
            "text",
            "\u200b",
        ]
    )
    | st.text(max_size=5),
    max_size=30,
).map("".join)
ids = st.integers(min_value=1, max_value=2**63 - 1).map(str)


@given(
    parts=st.lists(
        st.one_of(typed.map(user_text), ids.map(lambda i: mention(MemberRef("discord", i)))), max_size=8
    )
)
def test_only_mention_tokens_become_live_mentions(parts: list[str]) -> None:
    text = " ".join(parts)
    rendered, users = render_text(text)
    intended = {m.user_id for m in (MemberRef("discord", i) for i in re.findall(r"⟦@discord:(\d+)⟧", text))}
    live = LIVE.findall(rendered)
    assert all(not mass for mass, _ in live), rendered  # no @everyone/@here
    assert not re.search(r"<@&\d+>", rendered)  # no role mention
    assert {user for _, user in live} <= intended
    assert {str(u) for u in users} == intended


@given(text=typed)
def test_outgoing_messages_allow_only_intended_pings(text: str) -> None:
    who = MemberRef("discord", "99")
    out = message(f"{mention(who)} said: {user_text(text)}")
    payload = out.allowed_mentions.to_dict()
    assert payload["parse"] == [] and "roles" not in payload and not payload.get("replied_user")
    assert payload["users"] == [99]
    assert message("x", title="embed").allowed_mentions.to_dict() == {"parse": [], "users": []}


def test_other_platforms_mentions_are_plain_text() -> None:
    rendered, users = render_text(f"hi {mention(MemberRef('slack', 'U123'))}")
    assert (rendered, users) == ("hi U123", ())
    assert allowed_mentions([]).to_dict() == {"parse": [], "users": []}


def test_long_text_is_cut_to_discord_limits() -> None:
    assert len(message("x" * 5000).content or "") == 2000
    embed = message("y" * 5000, title="t" * 300).embed
    assert embed is not None and len(embed.description or "") == 4096 and len(embed.title or "") == 256


def test_form_ids_and_answers() -> None:
    assert parse_form_custom_id("form:application:") == ("application", "")
    assert parse_form_custom_id("form:application_reject:17") == ("application_reject", "17")
    assert parse_form_custom_id("thing:approve:1") is None
    rows = {
        "components": [
            {"type": 1, "components": [{"type": 4, "custom_id": "a", "value": "1"}]},
            {"type": 18, "component": {"type": 4, "custom_id": "b", "value": None}},
        ]
    }
    assert form_answers(rows) == {"a": "1", "b": ""}


NAME = re.compile(r"^[-_\w]{1,32}$")


def test_the_registry_fits_discord() -> None:
    """Whatever features register: valid names, at most 25 options, required ones first, descriptions
    and choices within limits, no name both a command and a group, within the 100-command limit."""
    payloads = command_payloads(REGISTRY)  # raises on a command that is also a group
    chat = [p for p in payloads if p["type"] == 1]
    assert len(chat) <= 100 and len([p for p in payloads if p["type"] == 3]) <= 5

    def check(options: list[dict[str, object]]) -> None:
        assert len(options) <= 25
        required = [bool(o.get("required")) for o in options if o["type"] != 1]
        assert required == sorted(required, reverse=True), "required options come first"
        for option in options:
            assert NAME.match(str(option["name"])) and str(option["name"]).lower() == option["name"]
            assert 1 <= len(str(option["description"])) <= 100
            assert len(option.get("choices") or []) <= 25  # type: ignore[arg-type]
            if option["type"] == 1:
                check(option.get("options") or [])  # type: ignore[arg-type]

    for payload in chat:
        assert NAME.match(payload["name"]) and payload["name"].lower() == payload["name"], payload["name"]
        assert 1 <= len(payload["description"]) <= 100
        check(payload.get("options", []))
    for action in REGISTRY.message_actions.values():
        assert 1 <= len(action.name) <= 32
    assert "Mark helpful" in {p["name"] for p in payloads if p["type"] == 3} or "mark_helpful" not in {
        a.key for a in REGISTRY.message_actions.values()
    }


def test_discord_defaults_do_not_count_as_changes() -> None:
    ours = command_payloads(REGISTRY)
    # Discord echoes ids, versions and omits false/empty values; that is not a change
    theirs = [
        {
            **{k: v for k, v in normalise(p).items() if v not in (None, [], False)},
            "id": "1",
            "version": "2",
            "application_id": "3",
            "guild_id": "4",
            "nsfw": False,
            "contexts": None,
        }
        for p in ours
    ]
    assert not needs_sync(ours, theirs)
    assert needs_sync(ours, theirs[1:]) == bool(ours)
