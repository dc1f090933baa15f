"""Who may mark an answer helpful, where, how often, and when two members marking each other is a
pattern for moderators rather than help (Discourse's "Solved": only the asker, or staff, accepts)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from bot.core.refs import MemberRef

NOT_THE_ASKER = (
    "Only the person who asked (the owner of the thread or post, or the author of the message this "
    "answers) or staff can mark an answer helpful. Thank them with a reaction instead."
)


@dataclass(frozen=True)
class PairMarks:
    """Helpful marks between two members within the window: each way, and whether already flagged."""

    given: int  # marks by the marker of the author's messages
    received: int  # marks by the author of the marker's messages
    flagged: bool = False


def is_help_channel(channel_id: str, channel_name: str, channels: Collection[str]) -> bool:
    """True when marks count in this channel: it is listed by name (with or without "#") or id, or
    the list is empty (everywhere)."""
    if not channels:
        return True
    names = {c.removeprefix("#").lower() for c in channels}
    return channel_id.lower() in names or (bool(channel_name) and channel_name.lower() in names)


def channel_refusal(channels: Collection[str]) -> str:
    """What a member is told when they mark outside the help channels."""
    listed = ", ".join(f"#{c.removeprefix('#')}" for c in channels)
    return f"Helpful marks count in {listed} only. Thank them with a reaction here instead."


def may_mark(
    marker: MemberRef, *, staff: bool, thread_owner: MemberRef | None, reply_to: MemberRef | None
) -> bool:
    """Staff may mark any answer; anyone else only an answer to their own question."""
    return staff or marker in {thread_owner, reply_to} - {None}


def cap_refusal(cap: int) -> str:
    """What a member who reached the daily cap is told."""
    marks = "mark" if cap == 1 else "marks"
    return f"You've used today's {cap} helpful {marks}. Thank them with a reaction, and mark again tomorrow."


def mutual(pair: PairMarks, threshold: int) -> bool:
    """Counting the mark about to be made, have the two marked each other `threshold` times each?"""
    return pair.given + 1 >= threshold and pair.received >= threshold
