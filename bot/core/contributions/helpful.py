"""The "Mark helpful" message action: the asker (or staff) accepts an answer, in a help channel, a few
times a day at most; two members marking each other again and again are flagged to moderators and
their marks of each other stop counting towards badges."""

from __future__ import annotations

from datetime import timedelta

from bot.core.context import Context
from bot.core.contributions import feature
from bot.core.contributions.commands import MarkHelpful
from bot.core.contributions.handlers import make_fact, record_contribution
from bot.core.contributions.helpful_rules import (
    NOT_THE_ASKER,
    cap_refusal,
    channel_refusal,
    is_help_channel,
    may_mark,
    mutual,
)
from bot.core.contributions.ports import HelpfulMarks
from bot.core.contributions.rules import ContributionKind
from bot.core.effects import DirectMessage, PostMessage
from bot.core.errors import InvalidInput
from bot.core.registry import Invocation, MessageAction, MessageTarget
from bot.core.replies import Reply
from bot.core.text import mention

BOT_MESSAGE = "Bot messages can't be marked helpful. Mark the member's answer instead."


@feature.command(MarkHelpful)
async def mark_helpful(command: MarkHelpful, ctx: Context) -> Reply:
    """Credit the author of an answer once per message: never oneself, only the asker or staff, only in
    the help channels, within the daily cap; a mutual-marking pair is flagged instead of credited."""
    settings = ctx.community.contributions
    if command.author_is_bot:
        raise InvalidInput(BOT_MESSAGE)
    if command.author == command.marked_by:
        raise InvalidInput("You can't mark your own message as helpful. Ask the person you helped to do it.")
    if not is_help_channel(command.channel_id, command.channel_name, settings.helpful_channels):
        raise InvalidInput(channel_refusal(settings.helpful_channels))
    staff = command.marker_is_staff or (ctx.actor is not None and ctx.actor.is_staff)
    if not may_mark(
        command.marked_by, staff=staff, thread_owner=command.thread_owner, reply_to=command.reply_to
    ):
        raise InvalidInput(NOT_THE_ASKER)
    now = ctx.now()
    marker = await ctx.uow.members.upsert_seen(command.community_id, command.marked_by, now)
    author = await ctx.uow.members.upsert_seen(command.community_id, command.author, now)
    if author.is_bot:
        raise InvalidInput(BOT_MESSAGE)
    marks = ctx.uow.repo(HelpfulMarks)
    source = f"helpful:{command.channel_id}:{command.message_id}"
    since = now - timedelta(days=settings.mutual_window_days)
    given_today, pair = await marks.tally(
        command.community_id, marker.id, author.id, given_since=now - timedelta(days=1), pair_since=since
    )
    if given_today >= settings.helpful_daily_cap:
        raise InvalidInput(cap_refusal(settings.helpful_daily_cap))
    flag = not pair.flagged and mutual(pair, settings.mutual_marks)
    if flag:
        await marks.flag_pair(command.community_id, marker.id, author.id, since)
    kind = ContributionKind.HELPFUL_FLAGGED if flag or pair.flagged else ContributionKind.HELPFUL_ANSWER
    fact = make_fact(
        ctx,
        kind,
        command.author,
        source,
        channel_id=command.channel_id,
        target=command.marked_by,
        by_staff=command.author_is_staff or author.is_staff,
    )
    if not await record_contribution(ctx, fact):
        return Reply(text="That message is already marked helpful. Thanks for saying so!")
    if flag:
        await _tell_moderators(ctx, command, pair.given + 1 + pair.received, marker.id, author.id)
    if kind is ContributionKind.HELPFUL_FLAGGED:
        return Reply(
            text=f"Noted. Marks between you and {mention(command.author)} no longer count towards badges: "
            "you have marked each other's answers often lately, and a moderator will have a look."
        )
    await ctx.send(
        DirectMessage(
            command.community_id,
            command.author,
            f"{mention(command.marked_by)} marked one of your messages as a helpful answer. "
            "Thank you for helping!",
        ),
        dedupe_key=f"{source}:{command.community_id}",
    )
    return Reply(text=f"Marked as helpful: {mention(command.author)} gets the credit.")


async def _tell_moderators(ctx: Context, command: MarkHelpful, total: int, a_id: int, b_id: int) -> None:
    settings = ctx.community.contributions
    low, high = sorted((a_id, b_id))
    await ctx.send(
        PostMessage(
            command.community_id,
            settings.moderator_channel,
            title="Helpful marks: a pair marking each other",
            text=(
                f"{mention(command.marked_by)} and {mention(command.author)} have marked each other's "
                f"answers {total} times in the last {settings.mutual_window_days} days. Their marks of "
                "each other no longer count towards badges or the leaderboard; marks from others still do."
            ),
        ),
        dedupe_key=f"helpful-pair:{command.community_id}:{low}:{high}",
    )


def _mark_helpful(inv: Invocation, target: MessageTarget) -> MarkHelpful:
    return MarkHelpful(
        community_id=inv.community_id,
        marked_by=inv.actor.ref,
        channel_id=target.channel_id,
        message_id=target.message_id,
        author=target.author,
        author_is_staff=target.author_is_staff,
        author_is_bot=target.author_is_bot,
        marker_is_staff=inv.actor.is_staff,
        thread_owner=target.thread_owner,
        reply_to=target.reply_to,
        channel_name=target.channel_name,
    )


feature.message_action(
    MessageAction(name="Mark helpful", key="mark_helpful", build=_mark_helpful, command=MarkHelpful)
)
