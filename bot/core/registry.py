"""The one list of what members can invoke: slash commands, buttons, forms and message actions.

Both adapters register their platform commands from this registry and route every invocation back
through it, so a command's options and the core command it builds are declared once. Every entry names
the command class it stands for and takes its permission from it (bot.core.policy decides what that
permission allows): an entry that builds one of several commands names the one whose permission gates
it, and an entry that only answers or opens a form names the command that answer or form leads to.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from bot.core.commands import Command, Permission
from bot.core.errors import InvalidInput
from bot.core.refs import Actor, MemberRef
from bot.core.replies import FormField, OpenForm, Reply


class OptionType(StrEnum):
    STRING = "string"
    INTEGER = "integer"
    BOOLEAN = "boolean"
    MEMBER = "member"  # a platform user, delivered as MemberRef


@dataclass(frozen=True)
class Option:
    """A typed argument of a slash command."""

    name: str
    description: str
    type: OptionType = OptionType.STRING
    required: bool = True
    choices: tuple[str, ...] = ()
    max_length: int | None = None
    min_value: int | None = None
    max_value: int | None = None
    autocomplete: str | None = None  # name of a registry completer
    multiline: bool = False  # line breaks kept (a list typed one per line); otherwise they become spaces


@dataclass(frozen=True)
class Invocation:
    """Who invoked what, where, with which parsed options."""

    actor: Actor
    community_id: str
    channel_id: str | None = None
    options: Mapping[str, Any] = field(default_factory=dict)


Built = Command | OpenForm | Reply


@dataclass(frozen=True)
class SlashCommand:
    """`name` may hold one space for a subcommand ("mydata export")."""

    name: str
    description: str
    build: Callable[[Invocation], Built]
    options: tuple[Option, ...] = ()
    command: type[Command] = field(kw_only=True)

    @property
    def permission(self) -> Permission:
        """Who may use it: the permission of the command it names."""
        return self.command.permission


@dataclass(frozen=True)
class Form:
    """A form (Discord modal, Slack view); `build` gets the answers and the context of OpenForm."""

    key: str
    build: Callable[[Invocation, Mapping[str, str], str], Built]
    command: type[Command] = field(kw_only=True)

    @property
    def permission(self) -> Permission:
        """Who may submit it: the permission of the command it names."""
        return self.command.permission


@dataclass(frozen=True)
class ButtonRoute:
    """Buttons whose key is `<area>:<verb>:<id>`; `build` gets the id part."""

    area: str
    verb: str
    build: Callable[[Invocation, str], Built]
    command: type[Command] = field(kw_only=True)

    @property
    def permission(self) -> Permission:
        """Who may press it: the permission of the command it names."""
        return self.command.permission


@dataclass(frozen=True)
class MessageTarget:
    """The message a message action was used on (metadata only)."""

    channel_id: str
    message_id: str
    author: MemberRef
    author_is_staff: bool = False
    author_is_bot: bool = False
    # Who asked, when the platform says: the owner of the thread or forum post the message is in, and
    # the author of the message it replies to. "Mark helpful" is theirs (and staff's) to use.
    thread_owner: MemberRef | None = None
    reply_to: MemberRef | None = None
    channel_name: str = ""  # the channel's name (a thread's parent channel), for per-channel settings


@dataclass(frozen=True)
class MessageAction:
    """A message context-menu command (Discord) / message shortcut (Slack)."""

    name: str
    key: str  # stable id, e.g. "mark_helpful" (Slack callback_id)
    build: Callable[[Invocation, MessageTarget], Built]
    command: type[Command] = field(kw_only=True)

    @property
    def permission(self) -> Permission:
        """Who may use it: the permission of the command it names."""
        return self.command.permission


class RegistryError(ValueError):
    """A duplicate or malformed registry entry (a programming error, caught by the tests)."""


@dataclass
class Registry:
    """All invocables of one app, merged from its features (bot.core.feature.Assembly)."""

    commands: dict[str, SlashCommand] = field(default_factory=dict)
    forms: dict[str, Form] = field(default_factory=dict)
    buttons: dict[tuple[str, str], ButtonRoute] = field(default_factory=dict)
    message_actions: dict[str, MessageAction] = field(default_factory=dict)

    def slash(self, command: SlashCommand) -> SlashCommand:
        if command.name in self.commands:
            raise RegistryError(f"slash command /{command.name} registered twice")
        if len(command.name.split(" ")) > 2:
            raise RegistryError(f"/{command.name}: at most one subcommand level")
        self.commands[command.name] = command
        return command

    def form(self, form: Form) -> Form:
        if form.key in self.forms:
            raise RegistryError(f"form {form.key} registered twice")
        self.forms[form.key] = form
        return form

    def button(self, route: ButtonRoute) -> ButtonRoute:
        if (route.area, route.verb) in self.buttons:
            raise RegistryError(f"button {route.area}:{route.verb} registered twice")
        self.buttons[(route.area, route.verb)] = route
        return route

    def message_action(self, action: MessageAction) -> MessageAction:
        if action.key in self.message_actions:
            raise RegistryError(f"message action {action.key} registered twice")
        self.message_actions[action.key] = action
        return action

    def merge(self, other: Registry) -> None:
        """Add another registry's entries; a name registered twice is an error."""
        for command in other.commands.values():
            self.slash(command)
        for form in other.forms.values():
            self.form(form)
        for route in other.buttons.values():
            self.button(route)
        for action in other.message_actions.values():
            self.message_action(action)

    def route_button(self, key: str) -> tuple[ButtonRoute, str]:
        """Find the route for a button key `<area>:<verb>:<id>`; KeyError when unknown."""
        area, verb, ident = parse_button_key(key)
        return self.buttons[(area, verb)], ident


def parse_button_key(key: str) -> tuple[str, str, str]:
    """Split `<area>:<verb>:<id>`; the id may itself contain colons."""
    parts = key.split(":", 2)
    if len(parts) != 3 or not all(parts[:2]):
        raise KeyError(key)
    return parts[0], parts[1], parts[2]


_STALE = "This button no longer does anything."
STALE_BUTTON = f"{_STALE} Try the command again."
"""The private answer to a stale or forged button: an unknown key, or a malformed id."""
_MAX_ID = 2**63 - 1  # the largest id a database row can have


def id_parts(ident: str, count: int, hint: str = "") -> tuple[str, ...]:
    """The `count` colon-separated parts of a button's id (or a form's context), none empty.

    A stale or forged id is a private refusal (`InvalidInput`): `STALE_BUTTON`, or with `hint`
    saying where to go instead of "Try the command again."
    """
    parts = tuple(ident.split(":"))
    if len(parts) != count or not all(parts):
        raise _stale(hint)
    return parts


def int_id(ident: str, hint: str = "") -> int:
    """A button's id (or a form's context, or one part of either) as a row id; see `id_parts`."""
    if not (ident.isascii() and ident.isdigit()) or int(ident) > _MAX_ID:
        raise _stale(hint)
    return int(ident)


def _stale(hint: str) -> InvalidInput:
    return InvalidInput(f"{_STALE} {hint}" if hint else STALE_BUTTON)


def form_fields(*fields: FormField) -> tuple[FormField, ...]:
    """Spelling aid for declaring a form's fields."""
    return tuple(fields)
