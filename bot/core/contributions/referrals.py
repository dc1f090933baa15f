"""Referral credit for newcomers who stay: a referrer is credited once the newcomer they referred has
contributed in time and is still a member `referral_retention_days` after admission (daily job)."""

from __future__ import annotations

from datetime import time, timedelta

from bot.core.context import Context
from bot.core.contributions import feature
from bot.core.contributions.commands import CreditReferrals
from bot.core.contributions.handlers import make_fact, record_contribution
from bot.core.contributions.ports import ReferralCredits
from bot.core.contributions.rules import ContributionKind
from bot.core.recurring import Daily, Recurring
from bot.core.replies import Reply

CATCH_UP = timedelta(days=30)  # a job that did not run for a while still credits the month before


@feature.command(CreditReferrals)
async def credit_referrals(command: CreditReferrals, ctx: Context) -> Reply:
    """Credit referrers for newcomers at day `referral_retention_days` (once each: the source id)."""
    settings = ctx.community.contributions
    if not settings.referral_retention_days:
        return Reply(text="Referrers are credited at their newcomer's first contribution.")
    until = ctx.now() - timedelta(days=settings.referral_retention_days)
    retained = await ctx.uow.repo(ReferralCredits).retained(
        command.community_id, until - CATCH_UP, until, settings.referral_activation_days
    )
    credited = 0
    for r in retained:
        fact = make_fact(
            ctx,
            ContributionKind.REFERRAL_ACTIVATED,
            r.referrer,
            f"referral:{r.newcomer_id}",
            target=r.newcomer,
        )
        credited += await record_contribution(ctx, fact)
    return Reply(text=f"{credited} referrers credited for newcomers who stayed.")


feature.recurring(
    Recurring("referral-credit", CreditReferrals, lambda c: Daily(time(5, 0)), timedelta(hours=12))
)
