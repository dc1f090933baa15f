"""Buttons and forms on Discord.

Every button Townsquare posts is a `RouteButton`: one `discord.ui.DynamicItem` whose template matches
any `<area>:<verb>:<id>` key. discord.py keeps no per-message state for it, and a client that starts
later recognises a button posted by an earlier one, so buttons keep working across restarts. The press
is routed through the core registry, which decides who may press it.

Forms are modals whose custom id carries the form key and its context; the submission is read from
the raw interaction, so a form opened before a restart can still be submitted after it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import discord

from bot.core.replies import OpenForm

KEY_TEMPLATE = r"(?P<key>[^:\s]{1,40}:[^:\s]{1,40}:[^\s]{0,90})"
FORM_PREFIX = "form"
MODAL_TITLE_MAX = 45
LABEL_TEXT_MAX = 45
LABEL_DESCRIPTION_MAX = 100
PLACEHOLDER_MAX = 100
INPUTS_MAX = 5
INPUT_LENGTH_MAX = 4000


class RouteButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=KEY_TEMPLATE):
    """A button whose custom id is a registry key; presses go to the client's interaction router."""

    def __init__(self, key: str, label: str = "", style: discord.ButtonStyle = discord.ButtonStyle.secondary):
        super().__init__(discord.ui.Button(label=label or None, style=style, custom_id=key))
        self.key = key

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> RouteButton:
        label = getattr(item, "label", None) or ""
        style = getattr(item, "style", discord.ButtonStyle.secondary)
        return cls(match["key"], label, style)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        router = getattr(interaction.client, "router", None)
        if router is not None:
            await router.on_button(interaction, self.key)


def form_custom_id(form: OpenForm) -> str:
    """`form:<key>:<context>`, at most 100 characters (Discord's limit)."""
    custom_id = f"{FORM_PREFIX}:{form.form_key}:{form.context}"
    if len(custom_id) > 100:
        raise ValueError(f"form {form.form_key!r}: key and context exceed Discord's 100-character custom id")
    return custom_id


def parse_form_custom_id(custom_id: str) -> tuple[str, str] | None:
    """(form key, context) from a modal's custom id; None when it is not a Townsquare form."""
    prefix, _, rest = custom_id.partition(":")
    if prefix != FORM_PREFIX or not rest:
        return None
    key, _, context = rest.partition(":")
    return (key, context) if key else None


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def build_modal(form: OpenForm) -> discord.ui.Modal:
    """A modal with one labelled text input per form field. A question longer than a label allows is
    shown whole in the label's description."""
    modal = discord.ui.Modal(title=_clip(form.title, MODAL_TITLE_MAX), custom_id=form_custom_id(form))
    for spec in form.fields[:INPUTS_MAX]:
        max_length = min(spec.max_length, INPUT_LENGTH_MAX)
        text_input: discord.ui.TextInput[Any] = discord.ui.TextInput(
            custom_id=spec.name,
            style=discord.TextStyle.paragraph if spec.multiline else discord.TextStyle.short,
            required=spec.required,
            min_length=min(spec.min_length, max_length) or None,
            max_length=max_length,
            placeholder=_clip(spec.placeholder, PLACEHOLDER_MAX) or None,
        )
        long_label = len(spec.label) > LABEL_TEXT_MAX
        modal.add_item(
            discord.ui.Label(
                text=_clip(spec.label, LABEL_TEXT_MAX),
                description=_clip(spec.label, LABEL_DESCRIPTION_MAX) if long_label else None,
                component=text_input,
            )
        )
    return modal


def form_answers(data: Mapping[str, Any]) -> dict[str, str]:
    """Text input values of a modal submission by custom id (labels and legacy action rows alike)."""
    answers: dict[str, str] = {}

    def visit(component: Mapping[str, Any]) -> None:
        if component.get("type") == discord.ComponentType.text_input.value:
            answers[str(component.get("custom_id", ""))] = str(component.get("value") or "")
        for child in component.get("components", ()) or ():
            visit(child)
        if isinstance(component.get("component"), Mapping):
            visit(component["component"])

    for top in data.get("components", ()) or ():
        visit(top)
    return answers
