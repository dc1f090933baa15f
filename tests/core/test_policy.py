"""The one permission policy: the rule itself, registry entries that take their permission from their
command, and /help offering what the policy allows."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from bot.bootstrap import App
from bot.core.commands import Command, Permission
from bot.core.errors import UserFacingError
from bot.core.membership.commands import ShowHelp
from bot.core.policy import LEADS_ONLY, MEMBERS_ONLY, MODERATORS_ONLY, SYSTEM_ONLY, allowed, refusal
from bot.core.refs import Actor, MemberRef, Role
from bot.core.registry import Built, Invocation, MessageTarget, OptionType, SlashCommand
from bot.core.replies import OpenForm, Reply
from bot.features import assemble
from tests.adapters.registry_walk import SAMPLE_IDS, sample_options
from tests.conftest import COMMUNITY
from tests.core.support import add_member, ref

SYSTEM = None
NEWCOMER = Actor(MemberRef("fake", "1"), COMMUNITY)
MOD = Actor(MemberRef("fake", "2"), COMMUNITY, frozenset({Role.MODERATOR}))
LEAD = Actor(MemberRef("fake", "3"), COMMUNITY, frozenset({Role.LEAD}))

P = Permission
CASES: list[tuple[Permission, Actor | None, bool | None, str | None]] = [
    # permission, actor (None: Townsquare itself), admitted (None: not known yet), refusal
    (P.SYSTEM, SYSTEM, None, None),
    (P.SYSTEM, NEWCOMER, True, SYSTEM_ONLY),
    (P.SYSTEM, LEAD, True, SYSTEM_ONLY),
    (P.SYSTEM, MOD, None, SYSTEM_ONLY),
    (P.ANYONE, SYSTEM, None, None),
    (P.ANYONE, NEWCOMER, False, None),
    (P.ANYONE, NEWCOMER, None, None),
    (P.MEMBER, SYSTEM, None, None),  # the system acts on a member's behalf
    (P.MEMBER, NEWCOMER, False, MEMBERS_ONLY),
    (P.MEMBER, NEWCOMER, True, None),
    (P.MEMBER, NEWCOMER, None, None),  # offered: the bus decides admission
    (P.MEMBER, LEAD, False, MEMBERS_ONLY),  # a role is no membership
    (P.MODERATOR, SYSTEM, None, None),
    (P.MODERATOR, NEWCOMER, True, MODERATORS_ONLY),
    (P.MODERATOR, MOD, False, None),  # staff need no member row
    (P.MODERATOR, LEAD, True, MODERATORS_ONLY),  # leads are not moderators unless given the role
    (P.LEAD, SYSTEM, None, None),
    (P.LEAD, MOD, True, LEADS_ONLY),
    (P.LEAD, NEWCOMER, None, LEADS_ONLY),
    (P.LEAD, LEAD, False, None),
]


@pytest.mark.parametrize(("permission", "actor", "admitted", "expected"), CASES)
def test_policy(
    permission: Permission, actor: Actor | None, admitted: bool | None, expected: str | None
) -> None:
    assert refusal(permission, actor, admitted=admitted) == expected
    assert allowed(permission, actor, admitted=admitted) is (expected is None)


def test_every_permission_and_actor_kind_is_covered() -> None:
    assert {case[0] for case in CASES} == set(Permission)
    for permission in Permission:
        assert {case[1] for case in CASES if case[0] is permission} >= {SYSTEM, NEWCOMER}


# --- registry entries take their permission from their command -----------------------------------

REGISTRY = assemble().registry
HANDLED = assemble().handlers.commands


def _entries() -> Iterator[tuple[str, Any]]:
    for name, slash in REGISTRY.commands.items():
        yield f"/{name}", slash
    for (area, verb), route in REGISTRY.buttons.items():
        yield f"button {area}:{verb}", route
    for key, form in REGISTRY.forms.items():
        yield f"form {key}", form
    for key, action in REGISTRY.message_actions.items():
        yield f"message action {key}", action


ENTRIES = dict(_entries())


@pytest.mark.parametrize("where", sorted(ENTRIES))
def test_entry_permission_is_its_commands(where: str) -> None:
    entry = ENTRIES[where]
    assert issubclass(entry.command, Command)
    assert entry.permission is entry.command.permission
    assert entry.command in HANDLED, f"{where} names {entry.command.__name__}, which nothing handles"


def _lead() -> Actor:
    return Actor(MemberRef("fake", "1"), "town", roles=frozenset(Role), display_name="lead")


DATES = {"date": "2027-01-05", "to": "2027-01-12 18:00", "switch_on": "2027-05-01"}


def _option_sets(command: SlashCommand) -> list[dict[str, Any]]:
    """Sample options: all of them, the required ones only, and all but the member options."""
    every = sample_options(command) | {k: v for k, v in DATES.items() if k in sample_options(command)}
    required = {o.name for o in command.options if o.required}
    members = {o.name for o in command.options if o.type is OptionType.MEMBER}
    return [
        every,
        {k: v for k, v in every.items() if k in required},
        {k: v for k, v in every.items() if k not in members},
    ]


def _built(where: str) -> Iterator[Built]:
    """What an entry builds for sample input."""
    entry = ENTRIES[where]
    calls: list[tuple[Any, ...]] = []
    if where.startswith("/"):
        for options in _option_sets(entry):
            calls.append((Invocation(_lead(), "town", "C1", options),))
    elif where.startswith("button"):
        calls = [(Invocation(_lead(), "town", "C1"), ident) for ident in (*SAMPLE_IDS, "1")]
    elif where.startswith("form"):
        calls = [(Invocation(_lead(), "town", "C1"), {"reason": "sample"}, ident) for ident in SAMPLE_IDS]
    else:
        target = MessageTarget("C1", "m1", MemberRef("fake", "2"))
        calls = [(Invocation(_lead(), "town", "C1"), target)]
    for args in calls:
        try:
            yield entry.build(*args)
        except (UserFacingError, KeyError, ValueError):
            continue


@pytest.mark.parametrize("where", sorted(ENTRIES))
def test_what_an_entry_builds_needs_the_entrys_permission(where: str) -> None:
    """A builder that returns several command classes must name one they all share the permission of;
    a form it opens leads to a command with that permission too."""
    entry = ENTRIES[where]
    for built in _built(where):
        if isinstance(built, Command):
            assert type(built).permission is entry.permission, (
                f"{where} builds {type(built).__name__} ({type(built).permission}) "
                f"but is gated by {entry.command.__name__} ({entry.permission})"
            )
        elif isinstance(built, OpenForm):
            form = REGISTRY.forms[built.form_key]
            assert form.permission is entry.permission, f"{where} opens {built.form_key} for someone else"
        else:
            assert isinstance(built, Reply)


# --- /help offers what the policy allows ---------------------------------------------------------


def _listed(reply: object) -> set[str]:
    assert isinstance(reply, Reply)
    return {line.split(" — ")[0].removeprefix("/") for line in reply.text.splitlines()}


async def test_help_lists_what_the_actor_may_use(app: App) -> None:
    commands = app.bus.registry.commands
    by_permission = {p: {n for n, c in commands.items() if c.permission is p} for p in Permission}
    help_ = ShowHelp(community_id=COMMUNITY)

    newcomer = _listed(await app.bus.handle(help_, Actor(ref(10), COMMUNITY)))
    assert newcomer == by_permission[Permission.ANYONE]

    await add_member(app, 11)
    member = _listed(await app.bus.handle(help_, Actor(ref(11), COMMUNITY)))
    assert member == by_permission[Permission.ANYONE] | by_permission[Permission.MEMBER]

    await add_member(app, 12)
    lead = _listed(await app.bus.handle(help_, Actor(ref(12), COMMUNITY, frozenset({Role.LEAD}))))
    assert lead == member | by_permission[Permission.LEAD]

    everything = _listed(await app.bus.handle(help_))
    assert everything == set(commands)
