"""Contributions recorded by handlers (helpful answers, AMA questions, showcases, events attended) and
the "Mark helpful" message action.

High-volume facts (messages, reactions) take the batched ingest path (bot/ingest.py) instead; both
end in the same repository method, idempotent by source id.
"""

from __future__ import annotations

from datetime import datetime

from bot.core.context import Context
from bot.core.contributions import feature
from bot.core.contributions.commands import MarkHelpful
from bot.core.contributions.events import ContributionMade, ContributionsRecorded
from bot.core.contributions.ports import ContributionRepository
from bot.core.contributions.rules import ContributionFact, ContributionKind, ReferralCredit
from bot.core.effects import DirectMessage
from bot.core.errors import InvalidInput
from bot.core.refs import MemberRef
from bot.core.registry import Invocation, MessageAction, MessageTarget
from bot.core.replies import Reply
from bot.core.settings import CommunitySettings
from bot.core.text import mention


def referral_credit(community: CommunitySettings) -> ReferralCredit:
    """How referrers are credited when their newcomer contributes, from the community's settings."""
    settings = community.contributions
    return ReferralCredit(
        days=settings.referral_activation_days, weight=settings.weight(ContributionKind.REFERRAL_ACTIVATED)
    )


def make_fact(
    ctx: Context,
    kind: ContributionKind,
    member: MemberRef,
    source_id: str,
    *,
    at: datetime | None = None,
    channel_id: str | None = None,
    target: MemberRef | None = None,
    by_staff: bool = False,
) -> ContributionFact:
    """A contribution of `kind` by `member`, weighted by the community's settings. `source_id` must be
    stable for the thing contributed ("showcase:12", "ama-question:7") so it counts once."""
    return ContributionFact(
        community_id=ctx.community.id,
        member=member,
        kind=kind,
        weight=ctx.community.contributions.weight(kind),
        source_id=source_id,
        at=at or ctx.now(),
        channel_id=channel_id,
        target=target,
        by_staff=by_staff,
    )


async def record_contribution(ctx: Context, fact: ContributionFact) -> bool:
    """Record one contribution in this transaction; False when its source id was recorded before."""
    result = await ctx.uow.repo(ContributionRepository).record([fact], referral_credit(ctx.community))
    if not result.inserted:
        return False
    ctx.emit(
        ContributionsRecorded(
            community_id=ctx.community.id,
            member_ids=result.rechecks,
            first_contributors=result.first_contributors,
            at=ctx.now(),
        )
    )
    return True


@feature.event(ContributionMade)
async def record_made(event: ContributionMade, ctx: Context) -> None:
    """Another feature saw a contribution: record it once, on the shared path."""
    await record_contribution(ctx, make_fact(ctx, event.kind, event.member, event.source_id, at=event.at))


@feature.command(MarkHelpful)
async def mark_helpful(command: MarkHelpful, ctx: Context) -> Reply:
    """Credit the author of a message with a helpful answer, once per message, never oneself."""
    if command.author_is_bot:
        raise InvalidInput("Bot messages can't be marked helpful. Mark the member's answer instead.")
    if command.author == command.marked_by:
        raise InvalidInput("You can't mark your own message as helpful. Ask the person you helped to do it.")
    author = await ctx.uow.members.upsert_seen(command.community_id, command.author, ctx.now())
    if author.is_bot:
        raise InvalidInput("Bot messages can't be marked helpful. Mark the member's answer instead.")
    source = f"helpful:{command.channel_id}:{command.message_id}"
    fact = make_fact(
        ctx,
        ContributionKind.HELPFUL_ANSWER,
        command.author,
        source,
        channel_id=command.channel_id,
        target=command.marked_by,
        by_staff=command.author_is_staff or author.is_staff,
    )
    if not await record_contribution(ctx, fact):
        return Reply(text="That message is already marked helpful. Thanks for saying so!")
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


def _mark_helpful(inv: Invocation, target: MessageTarget) -> MarkHelpful:
    return MarkHelpful(
        community_id=inv.community_id,
        marked_by=inv.actor.ref,
        channel_id=target.channel_id,
        message_id=target.message_id,
        author=target.author,
        author_is_staff=target.author_is_staff,
        author_is_bot=target.author_is_bot,
    )


feature.message_action(
    MessageAction(name="Mark helpful", key="mark_helpful", build=_mark_helpful, command=MarkHelpful)
)
