"""Core text, replies and posts rendered as Discord messages: content or an embed, buttons, and the
allowed mentions that ping exactly the members the core mentioned (never @everyone, @here or a role).
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import discord

from adapters.discord.components import RouteButton
from bot.core.effects import DirectMessage, EditMessage, PostMessage
from bot.core.refs import MemberRef
from bot.core.replies import Action, ActionStyle, Field, Reply
from bot.core.text import MENTION_RE, plain_times, render_times

# Discord's limits (https://discord.com/developers/docs/resources/message).
CONTENT_MAX = 2000
TITLE_MAX = 256
DESCRIPTION_MAX = 4096
FIELD_NAME_MAX = 256
FIELD_VALUE_MAX = 1024
FIELDS_MAX = 25
BUTTONS_MAX = 25
LABEL_MAX = 80
CUSTOM_ID_MAX = 100
THREAD_NAME_MAX = 100
LINK_LABEL = "Go to the post"

ZWSP = "\u200b"
# Anything Discord could read as a mass, role or user mention: "@everyone", "@here", "<@&1>", "<@!1>", "<@1>".
_PINGABLE = re.compile(r"@(?=everyone|here|[!&]?\d)", re.IGNORECASE)
_STYLES = {
    ActionStyle.PRIMARY: discord.ButtonStyle.primary,
    ActionStyle.SECONDARY: discord.ButtonStyle.secondary,
    ActionStyle.SUCCESS: discord.ButtonStyle.success,
    ActionStyle.DANGER: discord.ButtonStyle.danger,
}
EMBED_COLOUR = discord.Colour(0x2F7D6D)


def neutralise(text: str) -> str:
    """Text that cannot ping: a zero-width space after every '@' that would start a mention."""
    return _PINGABLE.sub("@" + ZWSP, text)


def timestamp(when: datetime, zone: ZoneInfo) -> str:
    """A time each reader sees in their own zone: full date and time, then "in 3 days"."""
    unix = int(when.timestamp())
    return f"<t:{unix}:F> (<t:{unix}:R>)"


def render_text(text: str) -> tuple[str, tuple[int, ...]]:
    """Core text → Discord markup and the user ids it mentions.

    Mention tokens become `<@id>`, time tokens timestamps; everything else is neutralised, so a live
    mention can only come from a token. (A token for another platform's member is shown as plain text.)
    """
    text = render_times(text, timestamp)  # a timestamp holds no '@': neutralising leaves it whole
    parts: list[str] = []
    users: dict[int, None] = {}
    position = 0
    for match in MENTION_RE.finditer(text):
        parts.append(neutralise(text[position : match.start()]))
        ref = MemberRef(match.group(1), match.group(2))
        if ref.platform == "discord" and ref.user_id.isascii() and ref.user_id.isdigit():
            parts.append(f"<@{ref.user_id}>")
            users[int(ref.user_id)] = None
        else:
            parts.append(neutralise(ref.user_id))
        position = match.end()
    parts.append(neutralise(text[position:]))
    return "".join(parts), tuple(users)


def clip(text: str, limit: int) -> str:
    """Shorten to Discord's limit, marking the cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def allowed_mentions(users: Sequence[int]) -> discord.AllowedMentions:
    """Ping exactly these users: never everyone/here, never roles, never the replied-to author."""
    return discord.AllowedMentions(
        everyone=False, roles=False, replied_user=False, users=[discord.Object(u) for u in users]
    )


def button_view(actions: Sequence[Action], link: str | None = None) -> discord.ui.View | None:
    """Buttons that keep working after a restart: each routes by its key through one dynamic item. A
    `link` (to an earlier post) becomes a link button, which opens the post and reaches no one."""
    if not actions and not link:
        return None
    view = discord.ui.View(timeout=None)
    for action in actions[: BUTTONS_MAX - (1 if link else 0)]:
        if len(action.key) > CUSTOM_ID_MAX:
            raise ValueError(f"button key longer than Discord allows ({CUSTOM_ID_MAX}): {action.key[:40]}…")
        view.add_item(
            RouteButton(action.key, clip(plain_times(action.label), LABEL_MAX), _STYLES[action.style])
        )
    if link:
        view.add_item(discord.ui.Button(style=discord.ButtonStyle.link, url=link, label=LINK_LABEL))
    return view


@dataclass
class Outgoing:
    """One Discord message, ready for send/edit/interaction response."""

    content: str | None = None
    embed: discord.Embed | None = None
    view: discord.ui.View | None = None
    file: discord.File | None = None
    mentions: tuple[int, ...] = ()

    @property
    def allowed_mentions(self) -> discord.AllowedMentions:
        return allowed_mentions(self.mentions)

    def send_kwargs(self) -> dict[str, Any]:
        """For `Messageable.send`, `followup.send` and `response.send_message`."""
        kwargs: dict[str, Any] = {"content": self.content, "allowed_mentions": self.allowed_mentions}
        if self.embed is not None:
            kwargs["embed"] = self.embed
        if self.view is not None:
            kwargs["view"] = self.view
        if self.file is not None:
            kwargs["file"] = self.file
        return kwargs

    def edit_kwargs(self) -> dict[str, Any]:
        """For edits: replaces text, embed and buttons (no buttons removes them)."""
        return {
            "content": self.content,
            "embed": self.embed,
            "view": self.view,
            "allowed_mentions": self.allowed_mentions,
        }


def _embed(title: str | None, text: str, fields: Sequence[Field]) -> tuple[discord.Embed, tuple[int, ...]]:
    description, users = render_text(text)
    embed = discord.Embed(
        title=clip(render_text(plain_times(title))[0], TITLE_MAX) if title else None,
        description=clip(description, DESCRIPTION_MAX) if description else None,
        colour=EMBED_COLOUR,
    )
    for item in fields[:FIELDS_MAX]:
        embed.add_field(
            name=clip(render_text(plain_times(item.name))[0], FIELD_NAME_MAX) or ZWSP,
            value=clip(render_text(item.value)[0], FIELD_VALUE_MAX) or ZWSP,
            inline=item.inline,
        )
    return embed, users


def message(
    text: str,
    *,
    title: str | None = None,
    fields: Sequence[Field] = (),
    actions: Sequence[Action] = (),
    image_png: bytes | None = None,
    image_name: str | None = None,
    link: str | None = None,
) -> Outgoing:
    """Plain text (mentions ping) or, with a title, fields or an image, an embed (embeds never ping).

    A titled message without fields or image that mentions members goes out as text under a bold
    title instead, when it fits: the mentions are the point of it (the credit when an idea ships).
    """
    view = button_view(actions, link)
    if not fields and image_png is None:
        content, users = render_text(text)
        if title is None:
            return Outgoing(content=clip(content, CONTENT_MAX) or ZWSP, view=view, mentions=users)
        headed = f"**{render_text(title)[0]}**\n{content}"
        if users and len(headed) <= CONTENT_MAX:
            return Outgoing(content=headed, view=view, mentions=users)
    embed, _ = _embed(title, text, fields)
    file = None
    if image_png is not None:
        name = safe_filename(image_name or "chart.png", ".png")
        file = discord.File(io.BytesIO(image_png), filename=name)
        embed.set_image(url=f"attachment://{name}")
    return Outgoing(content=None, embed=embed, view=view, file=file)


def safe_filename(name: str, suffix: str) -> str:
    """A file name Discord shows and links safely: letters, digits, '.', '_' and '-', ending in `suffix`."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]", "_", name)[:64].lstrip(".") or "file"
    return cleaned if cleaned.lower().endswith(suffix) else cleaned + suffix


def thread_name(effect: PostMessage) -> str:
    """The name of a forum post: the post's title, else its first line (names never ping)."""
    first = plain_times((effect.title or effect.text).strip().split("\n", 1)[0])
    return clip(MENTION_RE.sub("a member", first).strip(), THREAD_NAME_MAX) or "Townsquare"


def from_reply(reply: Reply) -> Outgoing:
    """An interaction answer."""
    return message(reply.text, title=reply.title, fields=reply.fields, actions=reply.actions)


def from_post(effect: PostMessage, link: str | None = None) -> Outgoing:
    """A channel post; `link` is the URL of the earlier post it refers to, when known."""
    return message(
        effect.text,
        title=effect.title,
        fields=effect.fields,
        actions=effect.actions,
        image_png=effect.image_png,
        image_name=effect.image_name,
        link=link,
    )


def from_edit(effect: EditMessage) -> Outgoing:
    return message(effect.text, title=effect.title, fields=effect.fields, actions=effect.actions)


def from_dm(effect: DirectMessage) -> Outgoing:
    """A direct message, with its file (a /mydata export) attached."""
    out = message(effect.text, title=effect.title, actions=effect.actions)
    if effect.attachment is not None:
        name = safe_filename(effect.attachment_name or "townsquare.json", _suffix(effect.attachment_name))
        out.file = discord.File(io.BytesIO(effect.attachment), filename=name)
    return out


def _suffix(name: str | None) -> str:
    match = re.search(r"\.[A-Za-z0-9]{1,8}$", name or "")
    return match.group(0).lower() if match else ".json"
