"""The global registry as both adapters see it: every slash command (subcommands included), button
route, form and message action, and the forms its builders open, so a test can check each one renders
on Discord and on Slack whatever features register."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from bot.core.errors import UserFacingError
from bot.core.refs import Actor, MemberRef, Role
from bot.core.registry import Invocation, OptionType, SlashCommand
from bot.core.replies import OpenForm
from bot.features import assemble

REGISTRY = assemble().registry  # every feature's entries, as `townsquare run` has them


SAMPLE_IDS = ("1", "1:1")  # button ids: one number, or two (a draft and an idea, a poll and an option)
LONG_CONTEXT = "123456789012:123456789012"  # a form context as long as two large ids


def sample_options(command: SlashCommand) -> dict[str, Any]:
    """A plausible value for every option of a command (the first choice where there are choices)."""
    values: dict[str, Any] = {}
    for option in command.options:
        if option.type is OptionType.INTEGER:
            values[option.name] = option.min_value or 1
        elif option.type is OptionType.BOOLEAN:
            values[option.name] = True
        elif option.type is OptionType.MEMBER:
            values[option.name] = MemberRef("fake", "2")
        else:
            values[option.name] = option.choices[0] if option.choices else "sample"
    return values


def _invocation(options: dict[str, Any] | None = None) -> Invocation:
    actor = Actor(MemberRef("fake", "1"), "town", roles=frozenset(Role), display_name="lead")
    return Invocation(actor, "town", "C1", options or {})


def opened_forms() -> Iterator[tuple[str, OpenForm]]:
    """(what opens it, the form) for every form a slash command or a button opens by itself."""
    for name, command in sorted(REGISTRY.commands.items()):
        try:
            built = command.build(_invocation(sample_options(command)))
        except UserFacingError:
            continue
        if isinstance(built, OpenForm):
            yield f"/{name}", built
    for (area, verb), route in sorted(REGISTRY.buttons.items()):
        for ident in SAMPLE_IDS:
            try:
                built = route.build(_invocation(), ident)
            except UserFacingError:
                continue
            if isinstance(built, OpenForm):
                yield f"{area}:{verb}:{ident}", built
                break


def button_keys() -> list[str]:
    """A realistic key for every button route (two large ids, as the longest keys have)."""
    return [f"{area}:{verb}:{LONG_CONTEXT}" for area, verb in sorted(REGISTRY.buttons)]
