"""Outbound text: mention tokens, neutralising what users typed, and dates and times as shown.

Core text is plain text. The only markup is a mention token made by `mention()`; adapters turn
tokens into real platform mentions and escape everything else (so `@everyone`, `<!here>` or a
role mention typed by a user never pings). Text a user typed goes through `user_text()`, which
removes anything that could forge a token. Dates and times shown to members go through `day()`
and `moment()`, one format each, in the community's time zone. A time members should read in their
own zone goes through `local_time()`: a token carrying the instant and the community's zone, which
Discord renders as a timestamp (`<t:UNIX:F>`), Slack as a date token (`<!date^UNIX^…|fallback>`), and
anything else as `moment()` (`plain_times()`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.core.hygiene import clean
from bot.core.refs import MemberRef

_OPEN, _CLOSE = "\u27e6", "\u27e7"  # ⟦ ⟧: not typeable by accident, stripped from user input
MENTION_RE = re.compile(_OPEN + r"@([a-z]+):([^\u27e6\u27e7\s]+)" + _CLOSE)
TIME_RE = re.compile(_OPEN + r"t:(-?\d+):([A-Za-z0-9_+\-/]+)" + _CLOSE)


def mention(ref: MemberRef) -> str:
    """A token the adapter renders as a mention of exactly this member."""
    return f"{_OPEN}@{ref.platform}:{ref.user_id}{_CLOSE}"


def mentions_in(text: str) -> tuple[MemberRef, ...]:
    """The members a text mentions, in order, without repeats."""
    seen: dict[MemberRef, None] = {}
    for platform, user_id in MENTION_RE.findall(text):
        seen[MemberRef(platform, user_id)] = None
    return tuple(seen)


def user_text(value: str, limit: int | None = None) -> str:
    """Text a user typed, made safe to embed in core text: no forged mention tokens and nothing
    `hygiene.clean` removes (also from rows stored before it was applied), trimmed."""
    cleaned = clean(value)
    if limit is not None and len(cleaned) > limit:
        cleaned = cleaned[: limit - 1] + "…"
    return cleaned


def render_mentions(text: str, render: Callable[[MemberRef], str]) -> str:
    """Replace every mention token with what the platform uses (`<@123>` on Discord and Slack)."""
    return MENTION_RE.sub(lambda m: render(MemberRef(m.group(1), m.group(2))), text)


def day(when: datetime, zone: ZoneInfo) -> str:
    """A date as members read it, in their zone: "07 Dec 2026"."""
    return f"{when.astimezone(zone):%d %b %Y}"


def moment(when: datetime, zone: ZoneInfo) -> str:
    """A date and time as members read it, with the zone named: "Mon 07 Dec 2026 16:00 Europe/Berlin"."""
    return f"{when.astimezone(zone):%a %d %b %Y %H:%M} {zone.key}"


def local_time(when: datetime, zone: ZoneInfo) -> str:
    """A token each member sees in their own time zone; its plain form is `moment(when, zone)`."""
    return f"{_OPEN}t:{int(when.timestamp())}:{zone.key}{_CLOSE}"


def render_times(text: str, render: Callable[[datetime, ZoneInfo], str]) -> str:
    """Replace every time token with what the platform shows (the instant is aware UTC)."""

    def _one(match: re.Match[str]) -> str:
        try:
            zone = ZoneInfo(match.group(2))
        except (ValueError, ZoneInfoNotFoundError):  # a zone this host lacks: show UTC, do not fail
            zone = ZoneInfo("UTC")
        return render(datetime.fromtimestamp(int(match.group(1)), tz=UTC), zone)

    return TIME_RE.sub(_one, text)


def plain_times(text: str) -> str:
    """Time tokens as plain text in the community's zone ("Mon 07 Dec 2026 16:00 Europe/Berlin")."""
    return render_times(text, moment)
