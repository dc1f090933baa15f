"""What the core answers to the person who acted: platform-neutral, rendered by each adapter."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ActionStyle(StrEnum):
    PRIMARY = "primary"
    SECONDARY = "secondary"
    SUCCESS = "success"
    DANGER = "danger"


@dataclass(frozen=True)
class Action:
    """A button. `key` follows `<area>:<verb>:<id>` and routes back through the registry."""

    label: str
    key: str
    style: ActionStyle = ActionStyle.SECONDARY


@dataclass(frozen=True)
class Field:
    """A labelled value (rendered as an embed field on Discord, a section field on Slack)."""

    name: str
    value: str
    inline: bool = True


@dataclass(frozen=True)
class Reply:
    """The answer to an invocation. Private replies are seen only by the actor."""

    text: str = ""
    private: bool = True
    actions: tuple[Action, ...] = ()
    title: str | None = None
    fields: tuple[Field, ...] = ()
    update_original: bool = False  # a button press may replace the message it was pressed on
    silent: bool = False  # nothing to say (a replayed event): adapters only acknowledge
    counts: tuple[tuple[str, int], ...] = ()  # figures for a program caller (CLI, adoption); never shown

    def count(self, name: str) -> int:
        """A figure of `counts` by name (0 when absent)."""
        return dict(self.counts).get(name, 0)

    @staticmethod
    def nothing() -> Reply:
        """Acknowledge without saying anything."""
        return Reply(silent=True)


@dataclass(frozen=True)
class FormField:
    """One question of a form (a Discord modal, a Slack view)."""

    name: str
    label: str
    max_length: int = 500
    min_length: int = 0
    required: bool = True
    multiline: bool = True
    placeholder: str = ""


@dataclass(frozen=True)
class OpenForm:
    """Instead of a reply: ask the actor to fill in a form; its submission builds the command."""

    form_key: str  # registry form name
    title: str
    fields: tuple[FormField, ...]
    context: str = ""  # opaque id carried to the submission (e.g. the application id)
