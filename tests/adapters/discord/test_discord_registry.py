"""Every entry of the global registry exists on Discord: each slash command and subcommand with its
options in the commands synced to the guild, each message action as a context-menu command, each
button route as a key the persistent button recognises, each form as a modal that comes back."""

from __future__ import annotations

import re
from typing import Any

import pytest

from adapters.discord.commands import CHAT_INPUT, MESSAGE_COMMAND, OPTION_TYPES, SUB_COMMAND
from adapters.discord.components import (
    INPUTS_MAX,
    KEY_TEMPLATE,
    build_modal,
    form_custom_id,
    parse_form_custom_id,
)
from adapters.discord.render import CUSTOM_ID_MAX
from bot.core.commands import Permission
from bot.core.replies import OpenForm
from bot.features import assemble
from tests.adapters.discord.conftest import Harness
from tests.adapters.registry_walk import LONG_CONTEXT, button_keys, opened_forms

REGISTRY = assemble().registry  # every feature's entries, as `townsquare run` has them

Json = dict[str, Any]


@pytest.fixture
async def synced(harness: Harness) -> dict[tuple[int, str], Json]:
    """The guild's commands after a client with the global registry started: by (type, name)."""
    async with harness.running(harness.client(registry=REGISTRY)):
        pass
    commands = harness.fake.guild_commands[int(harness.square.guild["id"])]
    return {(c["type"], c["name"]): c for c in commands}


def _shown(permission: Permission) -> bool:
    return permission is not Permission.SYSTEM


async def test_every_slash_command_and_subcommand_is_synced_with_its_options(
    synced: dict[tuple[int, str], Json],
) -> None:
    for name, command in sorted(REGISTRY.commands.items()):
        if not _shown(command.permission):
            continue  # the scheduler's commands are not shown to anyone
        top, _, sub = name.partition(" ")
        payload = synced.get((CHAT_INPUT, top))
        assert payload is not None, f"/{top} is not registered on Discord"
        options = payload["options"]
        if sub:
            found = [o for o in options if o["type"] == SUB_COMMAND and o["name"] == sub]
            assert found, f"/{name}: no subcommand {sub!r} under /{top}"
            options = found[0]["options"]
        wanted = {(o.name, OPTION_TYPES[o.type], o.required) for o in command.options}
        got = {(o["name"], o["type"], o.get("required", False)) for o in options}
        assert got == wanted, f"/{name}: options differ"
        if command.permission in (Permission.MODERATOR, Permission.LEAD) and not sub:
            assert payload["default_member_permissions"] is not None, f"/{name} is shown to everyone"


async def test_every_message_action_is_a_context_menu_command(
    synced: dict[tuple[int, str], Json],
) -> None:

    actions = [a for a in REGISTRY.message_actions.values() if _shown(a.permission)]
    assert {(MESSAGE_COMMAND, a.name) for a in actions} <= set(synced)
    assert len([key for key in synced if key[0] == MESSAGE_COMMAND]) <= 5  # Discord's limit


def test_every_button_route_fits_a_persistent_button() -> None:
    for key in button_keys():
        assert len(key) <= CUSTOM_ID_MAX, key
        assert re.fullmatch(KEY_TEMPLATE, key), f"{key} would not reach its route after a restart"


def test_every_form_comes_back_from_a_modal() -> None:
    for key in sorted(REGISTRY.forms):
        form = OpenForm(form_key=key, title="t", fields=(), context=LONG_CONTEXT)
        assert parse_form_custom_id(form_custom_id(form)) == (key, LONG_CONTEXT)


def test_forms_opened_by_commands_and_buttons_render_every_field() -> None:
    opened = list(opened_forms())
    assert {form.form_key for _, form in opened} >= {"idea", "idea_decline"}
    for where, form in opened:
        assert form.form_key in REGISTRY.forms, f"{where} opens an unregistered form"
        assert len(form.fields) <= INPUTS_MAX, f"{where}: Discord modals hold {INPUTS_MAX} inputs"
        modal = build_modal(form).to_dict()
        inputs = [label["component"]["custom_id"] for label in modal["components"]]
        assert inputs == [f.name for f in form.fields], where
