"""Contributions recorded by handlers (helpful answers, AMA questions, showcases, events attended).

High-volume facts (messages, reactions) take the batched ingest path (bot/ingest.py) instead; both
end in the same repository method, idempotent by source id.
"""

from __future__ import annotations

from datetime import datetime

from bot.core.context import Context
from bot.core.contributions import feature
from bot.core.contributions.events import ContributionMade, ContributionsRecorded
from bot.core.contributions.ports import ContributionRepository
from bot.core.contributions.rules import ContributionFact, ContributionKind, ReferralCredit
from bot.core.refs import MemberRef
from bot.core.settings import CommunitySettings


def referral_credit(community: CommunitySettings) -> ReferralCredit:
    """How referrers are credited when their newcomer contributes, from the community's settings."""
    settings = community.contributions
    return ReferralCredit(
        days=settings.referral_activation_days,
        weight=settings.weight(ContributionKind.REFERRAL_ACTIVATED),
        retention_days=settings.referral_retention_days,
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
