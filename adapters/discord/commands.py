"""Registry → Discord application commands: payloads, sync only on change, and invocation parsing.

discord.py's CommandTree wants one decorated callback per command; the registry is data, so the
adapter builds the command payloads itself (the same JSON the tree would send), syncs them per guild
only when they differ from what Discord has, and routes every invocation back through the registry.
Moderator and lead commands get `default_member_permissions`, which hides them from everyone else by
default (server admins can re-grant them per role); the core re-checks the permission on every use.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import discord

from bot.core.commands import Permission
from bot.core.refs import MemberRef
from bot.core.registry import Option, OptionType, Registry, SlashCommand

log = logging.getLogger("townsquare.discord.commands")

CHAT_INPUT, USER_COMMAND, MESSAGE_COMMAND = 1, 2, 3
SUB_COMMAND = 1
OPTION_TYPES = {
    OptionType.STRING: discord.AppCommandOptionType.string.value,
    OptionType.INTEGER: discord.AppCommandOptionType.integer.value,
    OptionType.BOOLEAN: discord.AppCommandOptionType.boolean.value,
    OptionType.MEMBER: discord.AppCommandOptionType.user.value,
}
CHOICES_MAX = 25  # more choices than this are offered through autocomplete
DESCRIPTION_MAX = 100
# Who sees a command by default. Moderators usually hold "Manage Messages", leads "Manage Server".
DEFAULT_PERMISSIONS: dict[Permission, discord.Permissions] = {
    Permission.MODERATOR: discord.Permissions(manage_messages=True),
    Permission.LEAD: discord.Permissions(manage_guild=True),
}
_RANK = {Permission.ANYONE: 0, Permission.MEMBER: 0, Permission.MODERATOR: 1, Permission.LEAD: 2}


def _description(text: str) -> str:
    text = text.strip() or "-"
    return text if len(text) <= DESCRIPTION_MAX else text[: DESCRIPTION_MAX - 1] + "…"


def _choice_value(option: Option, choice: str) -> str | int:
    return int(choice) if option.type is OptionType.INTEGER else choice


def option_payload(option: Option) -> dict[str, Any]:
    """One typed option; static choices beyond Discord's 25 are offered by autocomplete instead."""
    payload: dict[str, Any] = {
        "type": OPTION_TYPES[option.type],
        "name": option.name,
        "description": _description(option.description),
        "required": option.required,
    }
    if option.choices and len(option.choices) <= CHOICES_MAX:
        payload["choices"] = [{"name": c, "value": _choice_value(option, c)} for c in option.choices]
    elif option.choices:
        payload["autocomplete"] = True
    if option.max_length is not None and option.type is OptionType.STRING:
        payload["max_length"] = option.max_length
    if option.min_value is not None:
        payload["min_value"] = option.min_value
    if option.max_value is not None:
        payload["max_value"] = option.max_value
    return payload


def _options(options: Sequence[Option]) -> list[dict[str, Any]]:
    # Discord requires required options first
    ordered = [o for o in options if o.required] + [o for o in options if not o.required]
    return [option_payload(o) for o in ordered]


def _permissions(permissions: Sequence[Permission]) -> str | None:
    """The least restrictive permission of a command (or of a group's subcommands) decides visibility."""
    rank = min(_RANK[p] for p in permissions)
    need = {1: Permission.MODERATOR, 2: Permission.LEAD}.get(rank)
    return None if need is None else str(DEFAULT_PERMISSIONS[need].value)


def command_payloads(registry: Registry) -> list[dict[str, Any]]:
    """The guild command list for the registry: chat commands (subcommands grouped under their first
    word) and message context-menu commands. SYSTEM commands are not shown to anyone."""
    groups: dict[str, list[SlashCommand]] = {}
    for command in registry.commands.values():
        if command.permission is Permission.SYSTEM:
            continue
        groups.setdefault(command.name.split(" ")[0], []).append(command)
    payloads: list[dict[str, Any]] = []
    for top in sorted(groups):
        members = groups[top]
        plain = [c for c in members if " " not in c.name]
        subs = [c for c in members if " " in c.name]
        if plain and subs:
            raise ValueError(f"/{top} is both a command and a group of subcommands; Discord allows one")
        payload: dict[str, Any] = {"type": CHAT_INPUT, "name": top}
        if plain:
            payload["description"] = _description(plain[0].description)
            payload["options"] = _options(plain[0].options)
        else:
            payload["description"] = _description(f"{top}: " + ", ".join(c.name.split(" ")[1] for c in subs))
            payload["options"] = [
                {
                    "type": SUB_COMMAND,
                    "name": sub.name.split(" ")[1],
                    "description": _description(sub.description),
                    "options": _options(sub.options),
                }
                for sub in sorted(subs, key=lambda c: c.name)
            ]
        payload["default_member_permissions"] = _permissions([c.permission for c in members])
        payloads.append(payload)
    for action in sorted(registry.message_actions.values(), key=lambda a: a.name):
        if action.permission is Permission.SYSTEM:
            continue
        payloads.append(
            {
                "type": MESSAGE_COMMAND,
                "name": action.name,
                "default_member_permissions": _permissions([action.permission]),
            }
        )
    return payloads


# --- comparing with what Discord has, so an unchanged registry is not synced again ------------------

_OPTION_DEFAULTS: dict[str, Any] = {
    "required": False,
    "choices": None,
    "autocomplete": False,
    "max_length": None,
    "min_value": None,
    "max_value": None,
    "options": None,
}


def _normal_option(option: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "type": option["type"],
        "name": option["name"],
        "description": option["description"],
    }
    for key, default in _OPTION_DEFAULTS.items():
        value = option.get(key, default)
        if key == "options":
            value = [_normal_option(o) for o in value or []] or None
        elif key == "choices":
            value = [{"name": c["name"], "value": c["value"]} for c in value or []] or None
        out[key] = default if value is None else value
    return out


def normalise(command: Mapping[str, Any]) -> dict[str, Any]:
    """The parts of a command payload the adapter sets, with Discord's defaults filled in."""
    kind = int(command.get("type", CHAT_INPUT))
    permissions = command.get("default_member_permissions")
    return {
        "type": kind,
        "name": command["name"],
        "description": command.get("description", "") if kind == CHAT_INPUT else "",
        "options": [_normal_option(o) for o in command.get("options") or []],
        "default_member_permissions": None if permissions in (None, "") else str(permissions),
    }


def _key(command: Mapping[str, Any]) -> tuple[int, str]:
    return int(command.get("type", CHAT_INPUT)), str(command["name"])


def needs_sync(wanted: Sequence[Mapping[str, Any]], current: Sequence[Mapping[str, Any]]) -> bool:
    """True when the guild's commands differ from the registry's (added, removed or changed)."""
    mine = {_key(c): normalise(c) for c in wanted}
    theirs = {_key(c): normalise(c) for c in current}
    return mine != theirs


async def sync_guild_commands(
    http: discord.http.HTTPClient, application_id: int, guild_id: int, payloads: list[dict[str, Any]]
) -> bool:
    """Overwrite the guild's commands when they differ; True when they were written."""
    current = await http.get_guild_commands(application_id, guild_id)
    if not needs_sync(payloads, current):
        log.info("guild %s: %d application commands already up to date", guild_id, len(payloads))
        return False
    await http.bulk_upsert_guild_commands(application_id, guild_id, payloads)
    log.info("guild %s: synced %d application commands", guild_id, len(payloads))
    return True


# --- reading an invocation ---------------------------------------------------------------------------


def invoked_name(data: Mapping[str, Any]) -> tuple[str, list[Mapping[str, Any]]]:
    """The registry name ("gate mode" for a subcommand) and the raw options it was given."""
    name = str(data.get("name", ""))
    options = list(data.get("options") or [])
    if options and options[0].get("type") == SUB_COMMAND:
        return f"{name} {options[0]['name']}", list(options[0].get("options") or [])
    return name, options


def option_values(command: SlashCommand | None, raw: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Typed values by option name: strings, ints, bools, and MemberRef for members."""
    declared = {o.name: o for o in command.options} if command else {}
    values: dict[str, Any] = {}
    for item in raw:
        name, value = str(item["name"]), item.get("value")
        kind = declared[name].type if name in declared else None
        if kind is OptionType.MEMBER or item.get("type") == OPTION_TYPES[OptionType.MEMBER]:
            values[name] = MemberRef("discord", str(value))
        elif kind is OptionType.INTEGER:
            values[name] = int(item["value"])
        elif kind is OptionType.BOOLEAN:
            values[name] = bool(value)
        else:
            values[name] = value
    return values


def focused_option(raw: Sequence[Mapping[str, Any]]) -> tuple[str, str] | None:
    """The option being typed in an autocomplete request, and what was typed so far."""
    for item in raw:
        if item.get("focused"):
            return str(item["name"]), str(item.get("value") or "")
    return None


def complete(option: Option, typed: str, limit: int = CHOICES_MAX) -> list[str]:
    """Static choices matching what was typed: prefix matches first, then substring matches."""
    needle = typed.strip().lower()
    starts = [c for c in option.choices if c.lower().startswith(needle)]
    contains = [c for c in option.choices if needle in c.lower() and c not in starts]
    return (starts + contains)[:limit]
