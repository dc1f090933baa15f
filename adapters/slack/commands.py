"""Slash commands on Slack: their names (Slack keeps some for itself) and typed options read from text.

Slack delivers a slash command as one line of text, so the typed options the registry declares are
parsed here: in order, one word each, the last text option taking the rest of the line. A registry
name with a subcommand ("mydata export") is the Slack command /mydata whose first word picks the
subcommand.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from adapters.slack.settings import SLACK_COMMAND_RE
from bot.core.refs import MemberRef
from bot.core.registry import Option, OptionType, Registry, SlashCommand

# Built-in Slack commands an app cannot register (https://slack.com/help/articles/201259356). A few
# retired ones are kept: a false positive only costs a renamed command, a miss costs the whole manifest.
RESERVED = frozenset(
    {
        "active",
        "apps",
        "archive",
        "away",
        "call",
        "close",
        "collapse",
        "dm",
        "dnd",
        "expand",
        "feed",
        "feedback",
        "invite",
        "join",
        "kick",
        "leave",
        "me",
        "msg",
        "mute",
        "open",
        "part",
        "prefs",
        "pro",
        "remind",
        "remove",
        "rename",
        "search",
        "shortcuts",
        "shrug",
        "star",
        "status",
        "topic",
        "who",
    }
)
RESERVED_SUFFIX = "-community"
MAX_COMMANDS = 50  # Slack's limit per app

_SLACK_NAME = re.compile(SLACK_COMMAND_RE)
_MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")
_BARE_USER = re.compile(r"^[UW][A-Z0-9]{5,}$")
_TOKEN = re.compile(r"[\"“]([^\"”]*)[\"”]|(\S+)")
_SLACK_LINK = re.compile(r"<([@#!]?)([^<>|]*)(?:\|([^<>]*))?>")
_TRUE = {"yes", "y", "true", "on", "1"}
_FALSE = {"no", "n", "false", "off", "0"}


class UsageError(ValueError):
    """The text after a slash command does not fit its options; the message says what to type."""


class _WrongType(UsageError):
    """The word is not of the option's type at all (so an optional option may leave it to the next)."""


@dataclass(frozen=True)
class SlackCommand:
    """One Slack slash command: a registry command, or a group of subcommands sharing a first word."""

    slack_name: str  # without the slash
    plain: SlashCommand | None = None
    subcommands: dict[str, SlashCommand] = field(default_factory=dict)

    @property
    def description(self) -> str:
        if self.plain is not None:
            return self.plain.description
        return "; ".join(f"{word}: {cmd.description}" for word, cmd in sorted(self.subcommands.items()))


class CommandNames:
    """Registry names ↔ Slack slash commands, from the registry and `[slack] command_names`."""

    def __init__(self, registry: Registry, overrides: Mapping[str, str] | None = None) -> None:
        overrides = dict(overrides or {})
        self._slack_of: dict[str, str] = {}
        groups: dict[str, dict[str, Any]] = {}
        for name, command in sorted(registry.commands.items()):
            top, _, sub = name.partition(" ")
            slack = self._slack_of.setdefault(top, default_slack_name(top, overrides))
            if not _SLACK_NAME.match(slack):
                raise ValueError(f"/{slack} is not a valid Slack command (1-31 of a-z, 0-9, - and _)")
            group = groups.setdefault(slack, {"plain": None, "subs": {}, "tops": set()})
            group["tops"].add(top)
            if len(group["tops"]) > 1:
                raise ValueError(f"/{' and /'.join(sorted(group['tops']))} would both be /{slack} on Slack")
            if sub:
                group["subs"][sub] = command
            else:
                group["plain"] = command
        if len(groups) > MAX_COMMANDS:
            raise ValueError(
                f"Slack allows {MAX_COMMANDS} slash commands per app; the registry has {len(groups)}"
            )
        self.commands: dict[str, SlackCommand] = {
            slack: SlackCommand(slack, group["plain"], group["subs"]) for slack, group in groups.items()
        }
        renamed = {top: slack for top, slack in self._slack_of.items() if top != slack}
        alternatives = "|".join(map(re.escape, sorted(renamed, key=len, reverse=True)))
        # "/join" as a word, not inside "/join-community", a path or a URL
        self._rename = re.compile(r"(?<![\w/])/(" + alternatives + r")(?![\w-])") if renamed else None
        self._renamed = renamed

    def slack_name(self, registry_name: str) -> str:
        """How members type a registry command on Slack, e.g. "/join-community" or "/mydata export"."""
        top, _, sub = registry_name.partition(" ")
        slack = self._slack_of.get(top, top)
        return f"/{slack} {sub}" if sub else f"/{slack}"

    def rewrite(self, text: str) -> str:
        """Core text names commands as the registry does ("/join CODE"); say what to type on Slack."""
        if self._rename is None:
            return text
        return self._rename.sub(lambda m: "/" + self._renamed[m.group(1)], text)

    def resolve(self, slack_command: str, text: str) -> tuple[SlashCommand, str] | None:
        """The registry command a Slack command line invokes and the text left for its options."""
        entry = self.commands.get(slack_command.removeprefix("/"))
        if entry is None:
            return None
        if entry.subcommands:
            word, _, rest = text.strip().partition(" ")
            sub = entry.subcommands.get(word.lower())
            if sub is not None:
                return sub, rest
        if entry.plain is not None:
            return entry.plain, text
        return None


def default_slack_name(name: str, overrides: Mapping[str, str]) -> str:
    """The Slack command for a registry top-level name: the override, else the name (renamed if reserved)."""
    if name in overrides:
        return overrides[name]
    return f"{name}{RESERVED_SUFFIX}" if name in RESERVED else name


def usage(slack_name: str, command: SlashCommand) -> str:
    """A one-line usage string, e.g. "/refer <member> [note]"."""
    parts = [slack_name]
    for option in command.options:
        label = option.name if not option.choices else "|".join(option.choices)
        parts.append(f"<{label}>" if option.required else f"[{label}]")
    return " ".join(parts)


def unescape(text: str) -> str:
    """Undo Slack's escaping of &, < and > in text it delivers."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def readable(text: str) -> str:
    """Slack markup in typed text made plain: <@U1|ann> → @ann, <#C1|general> → #general, links → URL."""

    def plain(match: re.Match[str]) -> str:
        sigil, target, label = match.group(1), match.group(2), match.group(3)
        if sigil in ("@", "!"):  # a user, or a special mention (<!here>, <!subteam^S1|@mods>)
            return "@" + (label or target.split("^")[0]).lstrip("@")
        if sigil == "#":
            return "#" + (label or target).lstrip("#")
        return label or target

    return unescape(_SLACK_LINK.sub(plain, text))


def parse_member(value: str) -> MemberRef | None:
    """A Slack user from `<@U123|name>` (how Slack escapes an @mention) or a bare user id."""
    match = _MENTION.match(value)
    if match:
        return MemberRef("slack", match.group(1))
    if _BARE_USER.match(value):
        return MemberRef("slack", value)
    return None


def _convert(option: Option, raw: str) -> Any:
    if option.type is OptionType.MEMBER:
        ref = parse_member(raw)
        if ref is None:
            raise _WrongType(f"<{option.name}>: mention a member with @, e.g. @ann")
        return ref
    if option.type is OptionType.INTEGER:
        try:
            number = int(raw)
        except ValueError:
            raise _WrongType(f"<{option.name}> must be a whole number, not {readable(raw)!r}") from None
        if option.min_value is not None and number < option.min_value:
            raise UsageError(f"<{option.name}> must be at least {option.min_value}")
        if option.max_value is not None and number > option.max_value:
            raise UsageError(f"<{option.name}> must be at most {option.max_value}")
        return number
    if option.type is OptionType.BOOLEAN:
        word = raw.lower()
        if word in _TRUE | _FALSE:
            return word in _TRUE
        raise _WrongType(f"<{option.name}> must be yes or no")
    value = readable(raw)
    if option.choices:
        for choice in option.choices:
            if value.lower() == choice.lower():
                return choice
        raise UsageError(f"<{option.name}> must be one of: {', '.join(option.choices)}")
    if option.max_length is not None and len(value) > option.max_length:
        raise UsageError(f"<{option.name}> can be at most {option.max_length} characters")
    return value


def parse_options(command: SlashCommand, text: str) -> dict[str, Any]:
    """Typed option values from the text after the command; UsageError says what is wrong."""
    tokens = [
        (m.group(1) if m.group(1) is not None else m.group(2), m.start()) for m in _TOKEN.finditer(text)
    ]
    values: dict[str, Any] = {}
    position = 0
    options = command.options
    for index, option in enumerate(options):
        last = index == len(options) - 1
        if position >= len(tokens):
            if option.required:
                raise UsageError(f"<{option.name}> is missing")
            continue
        raw, start = tokens[position]
        if last and option.type is OptionType.STRING and not option.choices and position < len(tokens) - 1:
            raw = text[start:].strip()  # the last text option takes the rest of the line, as typed
            position = len(tokens)
        else:
            position += 1
        try:
            values[option.name] = _convert(option, raw)
        except _WrongType:
            if option.required or last:
                raise
            position -= 1  # an optional option that does not fit: leave the word to the next one
    if position < len(tokens):
        raise UsageError(f"unexpected {readable(tokens[position][0])!r}")
    return values
