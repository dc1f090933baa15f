"""Core text and replies → Slack messages (Block Kit) and modals.

Core text is plain text with mention tokens. Everything is escaped first (&, <, >), and only then are
the tokens turned into `<@U…>`: whatever a member typed, it cannot become `<!channel>`, `<!here>`,
`<!everyone>`, a user-group ping or a mention. mrkdwn objects are sent `verbatim`, so Slack does not
auto-link `@here` or channel names in them either.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from adapters.slack.commands import CommandNames
from bot.core.refs import MemberRef
from bot.core.replies import Action, ActionStyle, Field, FormField, OpenForm, Reply
from bot.core.text import MENTION_RE, moment, plain_times, render_mentions, render_times

FORM_CALLBACK = "townsquare_form"
ANSWER_ACTION = "answer"
SECTION_LIMIT = 3000  # characters of mrkdwn per section
FIELD_LIMIT = 2000
FALLBACK_LIMIT = 3000
MAX_BLOCKS = 50
LINK_LABEL = "Go to the post"
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
_BROADCAST = re.compile(r"@(here|channel|everyone|group)\b", re.IGNORECASE)
_STYLES = {ActionStyle.PRIMARY: "primary", ActionStyle.SUCCESS: "primary", ActionStyle.DANGER: "danger"}

Json = dict[str, Any]
# Never let Slack turn words into mentions or links on its own: mentions come only from tokens.
NO_PARSE: Json = {"link_names": False, "parse": "none"}


def escape(text: str) -> str:
    """Slack's control characters as entities: nothing typed can open a `<…>` sequence. A plain
    "@here", "@channel" or "@everyone" also gets an invisible word joiner, in case a surface still
    parses them (legacy link_names, response_url messages)."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _BROADCAST.sub(lambda m: "@\u2060" + m.group(1), escaped)


def slack_mention(ref: MemberRef) -> str:
    """`<@U123>` for a Slack user; anything else (another platform, a malformed id) stays plain."""
    if ref.platform == "slack" and _USER_ID.match(ref.user_id):
        return f"<@{ref.user_id}>"
    return "a member"


def date_token(when: datetime, zone: ZoneInfo) -> str:
    """A time each reader sees in their own zone; clients that cannot show it read the community's
    time with its zone named."""
    fallback = escape(moment(when, zone)).replace("|", "/")
    return f"<!date^{int(when.timestamp())}^{{date_short_pretty}} {{time}}|{fallback}>"


def mrkdwn(text: str, names: CommandNames | None = None) -> str:
    """Core text as Slack mrkdwn: command names as typed on Slack, escaped, then mentions and times
    rendered (their tokens survive escaping: they hold no &, < or >)."""
    if names is not None:
        text = names.rewrite(text)
    return render_times(render_mentions(escape(text), slack_mention), date_token)


def plain(text: str, names: CommandNames | None = None, limit: int | None = None) -> str:
    """Core text for a plain_text object: escaped too (Slack decodes the entities there as well);
    mentions cannot render in plain_text, so a token reads "a member"."""
    if names is not None:
        text = names.rewrite(text)
    text = plain_times(MENTION_RE.sub("a member", text))
    return _fit(text, limit, escape) if limit else escape(text)


def _fit(text: str, limit: int, render: Callable[[str], str]) -> str:
    """`render(text)` within `limit` characters: the longest prefix that fits, plus "…". The text is
    cut before rendering, so an entity or a mention is never cut in half."""
    out = render(text)
    if len(out) <= limit:
        return out
    low, high = 0, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if len(render(_whole_tokens(text[:middle]) + "…")) <= limit:
            low = middle
        else:
            high = middle - 1
    return render(_whole_tokens(text[:low]) + "…")


def _whole_tokens(prefix: str) -> str:
    """A prefix without a mention token cut in half at its end."""
    opened = prefix.rfind("\u27e6")
    return prefix[:opened] if opened > prefix.rfind("\u27e7") else prefix


def _chunks(text: str, names: CommandNames | None) -> list[str]:
    """Rendered mrkdwn pieces of at most SECTION_LIMIT characters, split between lines where possible."""
    pieces: list[str] = []
    current = ""
    for line in text.split("\n"):
        candidate = f"{current}\n{line}" if current else line
        if len(mrkdwn(candidate, names)) <= SECTION_LIMIT:
            current = candidate
            continue
        if current:
            pieces.append(mrkdwn(current, names))
        while len(mrkdwn(line, names)) > SECTION_LIMIT:
            piece = line[: SECTION_LIMIT // 5]  # escaping grows a character to at most 5 ("&amp;")
            piece = _whole_tokens(piece) or piece
            pieces.append(mrkdwn(piece, names))
            line = line[len(piece) :]
        current = line
    if current:
        pieces.append(mrkdwn(current, names))
    return pieces


def _section(text: str) -> Json:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text, "verbatim": True}}


def _field(item: Field, names: CommandNames | None) -> Json:
    name = _fit(item.name, 200, lambda t: mrkdwn(t, names))
    value = _fit(item.value, FIELD_LIMIT - len(name) - 3, lambda t: mrkdwn(t, names))
    return {"type": "mrkdwn", "text": f"*{name}*\n{value}", "verbatim": True}


def button(action: Action, names: CommandNames | None = None) -> Json:
    """A Block Kit button whose action_id and value are the registry key."""
    element: Json = {
        "type": "button",
        "text": {"type": "plain_text", "text": plain(action.label, names, 75) or "…", "emoji": True},
        "action_id": action.key[:255],
        "value": action.key[:2000],
    }
    style = _STYLES.get(action.style)
    if style:
        element["style"] = style
    return element


def blocks_for(
    text: str,
    *,
    title: str | None = None,
    fields: Sequence[Field] = (),
    actions: Sequence[Action] = (),
    names: CommandNames | None = None,
    link: str | None = None,
) -> list[Json]:
    """The Block Kit blocks of a message: title, text, fields, a link to an earlier post, buttons."""
    blocks: list[Json] = []
    if title:
        if MENTION_RE.search(title):
            blocks.append(_section(f"*{mrkdwn(title, names)}*"))
        else:
            blocks.append(
                {"type": "header", "text": {"type": "plain_text", "text": plain(title, names, 150)}}
            )
    blocks.extend(_section(piece) for piece in _chunks(text, names) if piece.strip())
    for start in range(0, len(fields), 10):
        blocks.append({"type": "section", "fields": [_field(f, names) for f in fields[start : start + 10]]})
    if link:
        blocks.append(link_block(link))
    rows = [
        {"type": "actions", "elements": [button(a, names) for a in actions[start : start + 25]]}
        for start in range(0, len(actions), 25)
    ][:MAX_BLOCKS]
    return blocks[: MAX_BLOCKS - len(rows)] + rows  # buttons are what a moderator needs: keep them


def link_block(url: str) -> Json:
    """A line linking to an earlier post (a Slack permalink: the one `<…>` sequence not from a token)."""
    safe = url.replace("|", "%7C").replace(">", "%3E").replace("<", "%3C")
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": f"<{safe}|{LINK_LABEL}>"}]}


def fallback_text(text: str, title: str | None = None, names: CommandNames | None = None) -> str:
    """The notification text that goes with the blocks (escaped like them)."""
    whole = f"{title}\n{text}" if title and text else (title or text)
    return _fit(whole, FALLBACK_LIMIT, lambda t: mrkdwn(t, names)) or " "


def message(
    text: str,
    *,
    title: str | None = None,
    fields: Sequence[Field] = (),
    actions: Sequence[Action] = (),
    names: CommandNames | None = None,
    link: str | None = None,
) -> Json:
    """`text` + `blocks` for chat.postMessage, chat.update, chat.postEphemeral and response_url."""
    return {
        "text": fallback_text(text, title, names),
        "blocks": blocks_for(text, title=title, fields=fields, actions=actions, names=names, link=link),
    }


def reply_message(reply: Reply, names: CommandNames | None = None) -> Json:
    """A core Reply as a Slack message."""
    return message(reply.text, title=reply.title, fields=reply.fields, actions=reply.actions, names=names)


# --- modals ----------------------------------------------------------------------------------------


def _input(item: FormField, names: CommandNames | None) -> Json:
    element: Json = {
        "type": "plain_text_input",
        "action_id": ANSWER_ACTION,
        "multiline": item.multiline,
        "max_length": max(1, min(item.max_length, 3000)),
    }
    if item.min_length > 0:
        element["min_length"] = min(item.min_length, element["max_length"])
    if item.placeholder:
        element["placeholder"] = {"type": "plain_text", "text": plain(item.placeholder, names, 150)}
    return {
        "type": "input",
        "block_id": item.name,
        "optional": not item.required,
        "label": {"type": "plain_text", "text": plain(item.label, names, 2000) or item.name},
        "element": element,
    }


def form_view(form: OpenForm, channel_id: str | None, names: CommandNames | None = None) -> Json:
    """An OpenForm as a modal; private_metadata carries the form key, its context and the channel."""
    metadata = {"form": form.form_key, "context": form.context, "channel": channel_id or ""}
    return {
        "type": "modal",
        "callback_id": FORM_CALLBACK,
        "title": {"type": "plain_text", "text": plain(form.title, names, 24) or "Townsquare"},
        "submit": {"type": "plain_text", "text": "Send"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "private_metadata": json.dumps(metadata, separators=(",", ":")),
        "blocks": [_input(item, names) for item in form.fields][:100],
    }


def form_metadata(view: Mapping[str, Any]) -> tuple[str, str, str | None]:
    """(form key, context, channel id) from a submitted modal; empty key when it is not ours."""
    try:
        data = json.loads(view.get("private_metadata") or "{}")
    except json.JSONDecodeError:
        return "", "", None
    if not isinstance(data, dict):
        return "", "", None
    return str(data.get("form", "")), str(data.get("context", "")), (str(data.get("channel") or "") or None)


def form_answers(view: Mapping[str, Any]) -> dict[str, str]:
    """Answers by FormField.name from a submitted modal's state."""
    values = (view.get("state") or {}).get("values") or {}
    answers: dict[str, str] = {}
    for block_id, inputs in values.items():
        value = (inputs.get(ANSWER_ACTION) or {}).get("value")
        answers[str(block_id)] = value if isinstance(value, str) else ""
    return answers
