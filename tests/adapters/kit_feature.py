"""The stand-in feature both adapter kits include: what Discord and Slack drive the same way.

Each kit adds its own feature for what genuinely differs (the survey's questions and what its
submission does, slow work, welcome handling); this one holds the commands and entries they share:
a command named by entries that only answer, the survey form's submission, and the "Mark helpful"
message action.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from bot.core.commands import Command, Permission
from bot.core.context import Context
from bot.core.feature import Feature
from bot.core.refs import MemberRef
from bot.core.registry import Form, Invocation, MessageAction, MessageTarget
from bot.core.replies import Reply
from bot.core.text import mention


@dataclass(frozen=True, kw_only=True)
class Answer(Command):
    """Named by entries that only answer: every registry entry takes its permission from a command."""

    permission: ClassVar[Permission] = Permission.ANYONE


@dataclass(frozen=True, kw_only=True)
class SubmitSurvey(Command):
    """The survey form's answers, by field key in key order, and the context the form carried."""

    answers: tuple[tuple[str, str], ...]
    context: str
    permission: ClassVar[Permission] = Permission.ANYONE


@dataclass(frozen=True, kw_only=True)
class MarkHelpful(Command):
    channel_id: str
    message_id: str
    author: MemberRef
    author_is_staff: bool
    thread_owner: MemberRef | None = None
    reply_to: MemberRef | None = None
    channel_name: str = ""
    permission: ClassVar[Permission] = Permission.ANYONE


def kit_feature(seen: list[Any]) -> Feature:
    """The shared stand-ins; the commands their handlers receive are appended to `seen`."""
    feature = Feature("adapter-kit")

    feature.form(
        Form(
            "survey",
            lambda inv, answers, context: SubmitSurvey(
                community_id=inv.community_id, answers=tuple(sorted(answers.items())), context=context
            ),
            command=SubmitSurvey,
        )
    )

    def mark(inv: Invocation, target: MessageTarget) -> Command | Reply:
        if target.author_is_bot:
            return Reply(text="Bots cannot be marked.")
        return MarkHelpful(
            community_id=inv.community_id,
            channel_id=target.channel_id,
            message_id=target.message_id,
            author=target.author,
            author_is_staff=target.author_is_staff,
            thread_owner=target.thread_owner,
            reply_to=target.reply_to,
            channel_name=target.channel_name,
        )

    feature.message_action(MessageAction("Mark helpful", "mark_helpful", mark, command=MarkHelpful))

    @feature.command(MarkHelpful)
    async def mark_helpful(cmd: MarkHelpful, ctx: Context) -> Reply:
        seen.append(cmd)
        return Reply(text=f"Marked {mention(cmd.author)}'s answer as helpful.")

    return feature
