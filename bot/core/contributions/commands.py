"""Commands of contributions: requests the bus routes to exactly one handler."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from bot.core.commands import Command, Permission
from bot.core.refs import MemberRef


@dataclass(frozen=True, kw_only=True)
class MarkHelpful(Command):
    """Someone marks another member's message as a helpful answer (a message action)."""

    marked_by: MemberRef
    channel_id: str
    message_id: str
    author: MemberRef
    author_is_staff: bool = False
    author_is_bot: bool = False
    marker_is_staff: bool = False
    thread_owner: MemberRef | None = None  # who asked: the thread's or post's owner ...
    reply_to: MemberRef | None = None  # ... or the author of the message the answer replies to
    channel_name: str = ""
    permission: ClassVar[Permission] = Permission.MEMBER


@dataclass(frozen=True, kw_only=True)
class CreditReferrals(Command):
    """Daily: credit referrers for newcomers still members at day 14 who contributed in time."""
