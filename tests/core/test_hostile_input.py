"""Arbitrary Unicode (NUL, lone surrogates, controls, bidi overrides, zero-width characters, forged
mention tokens) thrown at every slash command and every form through the registry, on SQLite and on
PostgreSQL when configured: each answer is a success or a private UserFacingError reply, no table stores
a control character, and no reply or outbox payload carries a mention the input forged."""

from __future__ import annotations

import asyncio
import os
import unicodedata
from collections.abc import Iterator
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import JSON, String, Text, select

from adapters.discord.render import render_text
from adapters.fake.platform import FakeNotifier, FakePlatform
from adapters.slack.render import mrkdwn
from bot.bootstrap import build_app
from bot.clock import FixedClock
from bot.core.gates.applications import ANSWER_FIELDS
from bot.core.invoke import invoke_form, invoke_slash
from bot.core.refs import Actor, MemberRef, Role
from bot.core.registry import Invocation, OptionType, SlashCommand
from bot.core.replies import OpenForm, Reply
from bot.core.text import mentions_in
from storage.db import create_engine
from storage.tables import Base
from tests.adapters.registry_walk import REGISTRY
from tests.conftest import COMMUNITY, START, make_settings
from tests.core.ideas_kit import admit

EXAMPLES = int(os.environ.get("TOWNSQUARE_HOSTILE_EXAMPLES", "400"))  # more for a longer hunt
FORGED = "666"  # the id every forged token names; no actor has it
FRAGMENTS = (
    "\x00", "\ud800", "\udfff", "\x1b[31m", "\x07", "\r", "\r\n", "\x85", "\u2028", "\u202e", "\u2066",
    "\u200b", "\u200d", "\ufeff", "\u3164", "\u2800", "<@&123>", "<@123>", "<!everyone>", "<!here>",
    "<!channel>", "@everyone", "@here", f"\u27e6@fake:{FORGED}\u27e7", f"\u27e6@discord:{FORGED}\u27e7",
    f"\u27e6@slack:U{FORGED}ABC\u27e7", "=1+1", "1", "2026-W47", "2026-12-24", "weekly Monday 18:00", " ",
)  # fmt: skip
ANY_CHAR = st.characters(exclude_categories=())  # surrogates included
HOSTILE = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(ANY_CHAR, max_size=8)), max_size=6).map(
    "".join
)
ANSWER_NAMES = ("title", "details", "area", "reason", "ballot", *ANSWER_FIELDS)
MEMBERS = ("1", "2", "3", "999")  # a lead, an admitted member, a newcomer, someone never seen


def _option_value(option: Any) -> st.SearchStrategy[Any]:
    if option.type is OptionType.INTEGER:
        low = option.min_value if option.min_value is not None else -(2**70)
        high = option.max_value if option.max_value is not None else 2**70
        return st.integers(low, high)
    if option.type is OptionType.BOOLEAN:
        return st.booleans()
    if option.type is OptionType.MEMBER:
        return st.sampled_from(MEMBERS).map(lambda user: MemberRef("fake", user))
    return st.one_of(st.sampled_from(option.choices), HOSTILE) if option.choices else HOSTILE


@st.composite
def _slash(draw: st.DrawFn) -> tuple[SlashCommand, dict[str, Any]]:
    command = draw(st.sampled_from(sorted(REGISTRY.commands.values(), key=lambda c: c.name)))
    values = {}
    for option in command.options:
        if option.required or draw(st.booleans()):
            values[option.name] = draw(_option_value(option))
    return command, values


# Mostly the lead, for whom every command is open.
ACTOR = st.tuples(st.sampled_from(("1", "1", "1", "2", "3")), HOSTILE)
INVOCATION = st.one_of(
    st.tuples(st.just("slash"), ACTOR, _slash()),
    st.tuples(
        st.just("form"),
        ACTOR,
        st.tuples(
            st.sampled_from(sorted(REGISTRY.forms)),
            st.sampled_from(("", "1", "2", "1:1")),
            st.dictionaries(st.sampled_from(ANSWER_NAMES), HOSTILE),
        ),
    ),
)


def _texts(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _texts(key)
            yield from _texts(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _texts(item)


def _bad_characters(text: str) -> list[str]:
    return [
        f"U+{ord(c):04X}"
        for c in text
        if c != "\n" and c != "\u200d" and unicodedata.category(c) in ("Cc", "Cf", "Cs")
    ]


def _check_no_forged_mention(text: str, where: str) -> None:
    assert all(ref.user_id in MEMBERS for ref in mentions_in(text)), (where, text)
    discord = render_text(text)[0]
    assert "<@&" not in discord and FORGED not in str(render_text(text)[1]), (where, discord)
    for word in ("@everyone", "@here"):
        assert word not in discord.lower(), (where, discord)
    slack = mrkdwn(text)
    assert "<!" not in slack and f"<@U{FORGED}" not in slack, (where, slack)


def _reply_texts(reply: Reply | OpenForm) -> Iterator[str]:
    if isinstance(reply, OpenForm):
        yield reply.title
        for field in reply.fields:
            yield from (field.label, field.placeholder)
        return
    yield reply.text
    yield reply.title or ""
    for field in reply.fields:
        yield from (field.name, field.value)
    for action in reply.actions:
        yield action.label


async def _scan(url: str) -> None:
    """Every text and JSON column of every table: no control, format or surrogate character."""
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            for table in Base.metadata.sorted_tables:
                columns = [c for c in table.columns if isinstance(c.type, String | Text | JSON)]
                if not columns:
                    continue
                for row in (await conn.execute(select(*columns))).all():
                    for column, value in zip(columns, row, strict=True):
                        for text in _texts(value):
                            assert not _bad_characters(text), (table.name, column.name, text)
                            if isinstance(column.type, JSON):
                                _check_no_forged_mention(text, f"{table.name}.{column.name}")
    finally:
        await engine.dispose()


def test_hostile_unicode_through_every_command_and_form(db_url: str) -> None:
    config = make_settings(
        db_url,
        gate={"mode": "referral_or_application", "answer_min_length": 0},
        ideas={"channel": "ideas"},
    )
    runner = asyncio.Runner()
    try:
        app = build_app(config, FixedClock(START), {"fake": FakeNotifier()})
        platform = FakePlatform(app.bus, COMMUNITY)
        runner.run(app.ensure_communities())
        runner.run(admit(app, platform, "1", "lead", *Role))
        runner.run(admit(app, platform, "2", "member"))
        seen = {"slash": 0, "form": 0, "refused": 0}

        @settings(
            max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None
        )
        @given(INVOCATION)
        def throw(case: tuple[str, tuple[str, str], Any]) -> None:
            kind, (user, name), what = case
            roles = frozenset(Role) if user == "1" else frozenset()
            actor = Actor(MemberRef("fake", user), COMMUNITY, roles=roles, display_name=name)
            if kind == "slash":
                command, values = what
                invocation = Invocation(actor, COMMUNITY, "C1", values)
                reply = runner.run(invoke_slash(app.bus, command.name, invocation))
            else:
                key, context, answers = what
                invocation = Invocation(actor, COMMUNITY, "C1", {})
                reply = runner.run(invoke_form(app.bus, key, invocation, answers, context))
            seen[kind] += 1
            assert isinstance(reply, Reply | OpenForm)  # a crash would have raised through invoke
            if isinstance(reply, Reply) and reply.private and "Something went wrong" in reply.text:
                raise AssertionError(reply.text)
            for text in _reply_texts(reply):
                assert not _bad_characters(text), (case, text)
                _check_no_forged_mention(text, f"reply to {case!r}")

        throw()
        runner.run(_scan(db_url))
        assert seen["slash"] > 50 and seen["form"] > 20, seen
    finally:
        runner.run(app.engine.dispose())
        runner.close()


def test_the_checks_catch_what_they_look_for() -> None:
    """The checks above can fail: a forged token, a live role and a control character are caught."""
    for text in (f"hi \u27e6@discord:{FORGED}\u27e7", f"\u27e6@slack:U{FORGED}ABC\u27e7"):
        try:
            _check_no_forged_mention(text, "test")
        except AssertionError:
            continue
        raise AssertionError(f"a forged mention passed: {text!r}")
    assert _bad_characters("a\x1bb") == ["U+001B"] and _bad_characters("\u202e") == ["U+202E"]
    assert _bad_characters("line\nbreak \U0001f469\u200d\U0001f4bb") == []
