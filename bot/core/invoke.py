"""Routing an invocation from any platform through the registry to the bus.

Adapters call these four functions and render whatever comes back: a Reply, or a form to open. An
entry is offered to the actor by the policy (bot.core.policy); admission is not known here, so the bus
decides it when the built command arrives.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import replace

from bot.core.bus import Bus
from bot.core.commands import Command
from bot.core.errors import UserFacingError
from bot.core.hygiene import clean_answers, clean_options, one_line
from bot.core.policy import allowed
from bot.core.refs import Actor
from bot.core.registry import STALE_BUTTON, Built, Invocation, MessageTarget
from bot.core.replies import OpenForm, Reply
from bot.core.text import user_text

log = logging.getLogger("townsquare.invoke")


async def _run(
    bus: Bus, built_fn: Callable[..., Built], invocation: Invocation, *args: object
) -> Reply | OpenForm:
    try:
        built = built_fn(invocation, *args)
    except UserFacingError as exc:
        return Reply(text=exc.message, private=True)
    return await _finish(bus, built, invocation.actor)


async def _finish(bus: Bus, built: Built, actor: Actor) -> Reply | OpenForm:
    if isinstance(built, Reply | OpenForm):
        return built
    result = await bus.handle(built, actor)
    if isinstance(result, Command):
        raise TypeError("a handler returned a command")
    return result


async def invoke_slash(bus: Bus, name: str, invocation: Invocation) -> Reply | OpenForm:
    """Run a slash command by name ("mydata export" for a subcommand)."""
    command = bus.registry.commands.get(name)
    if command is None:
        return Reply(text=f"/{user_text(one_line(name), 40)} is not a Townsquare command. Try /help.")
    if not allowed(command.permission, invocation.actor, admitted=None):
        return Reply(text=f"/{name} is for {command.permission.value}s only.")
    try:
        options = clean_options(command, invocation.options)
    except UserFacingError as exc:
        return Reply(text=exc.message, private=True)
    return await _run(bus, command.build, replace(invocation, options=options))


async def invoke_button(bus: Bus, key: str, invocation: Invocation) -> Reply | OpenForm:
    """Run the route of a pressed button `<area>:<verb>:<id>`."""
    try:
        route, ident = bus.registry.route_button(key)
    except KeyError:
        log.info("stale or unknown button %r", key[:100])
        return Reply(text=STALE_BUTTON)
    if not allowed(route.permission, invocation.actor, admitted=None):
        return Reply(text=f"Only {route.permission.value}s can use this button.")
    return await _run(bus, route.build, invocation, ident)


async def invoke_form(
    bus: Bus,
    form_key: str,
    invocation: Invocation,
    answers: Mapping[str, str],
    context: str = "",
) -> Reply | OpenForm:
    """Turn a submitted form into its command."""
    form = bus.registry.forms.get(form_key)
    if form is None:
        return Reply(text="This form has expired. Start again with the command.")
    if not allowed(form.permission, invocation.actor, admitted=None):
        return Reply(text=f"Only {form.permission.value}s can send this form.")
    try:
        cleaned = clean_answers(answers)
    except UserFacingError as exc:
        return Reply(text=exc.message, private=True)
    return await _run(bus, form.build, invocation, cleaned, context)


async def invoke_message_action(
    bus: Bus, key: str, invocation: Invocation, target: MessageTarget
) -> Reply | OpenForm:
    """Run a message action ("Mark helpful") on a target message."""
    action = bus.registry.message_actions.get(key)
    if action is None:
        return Reply(text="That action is not available.")
    if not allowed(action.permission, invocation.actor, admitted=None):
        return Reply(text=f"Only {action.permission.value}s can do that.")
    return await _run(bus, action.build, invocation, target)
