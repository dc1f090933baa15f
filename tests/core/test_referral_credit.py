"""Referral credit only for newcomers still members at day 14 who contributed within 14 days."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.bootstrap import App
from bot.clock import FixedClock
from bot.core.contributions.commands import CreditReferrals
from bot.core.contributions.ports import ContributionRepository, ReferralCredits
from bot.core.contributions.rules import ContributionFact, ContributionKind
from bot.core.events import MemberLeft
from bot.core.members import Member
from storage.contributions.tables import ContributionRow
from tests.conftest import COMMUNITY
from tests.core.support import add_member, count


async def _post(app: App, member: Member, source: str) -> None:
    async with app.uow_factory() as uow:
        fact = ContributionFact(COMMUNITY, member.ref, ContributionKind.MESSAGE, 1.0, source, app.clock.now())
        await uow.repo(ContributionRepository).record([fact])
        await uow.commit()


async def test_only_newcomers_still_members_at_day_14_credit_their_referrer(
    app: App, engine: AsyncEngine, clock: FixedClock
) -> None:
    referrer = await add_member(app, "r")
    stays, leaves, late = [await add_member(app, n, referred_by_id=referrer.id) for n in ("x1", "x3", "x4")]
    clock.advance(days=1)
    for newcomer in (stays, leaves):
        await _post(app, newcomer, f"m:{newcomer.id}")
    clock.advance(days=1)
    await app.bus.handle(MemberLeft(community_id=COMMUNITY, member=leaves.ref, at=clock.now()))  # day 2
    clock.advance(days=14)
    await _post(app, late, "m:late")  # day 16: too late for the credit
    credited = ContributionRow.kind == "referral_activated"
    assert await count(engine, ContributionRow, credited) == 0  # nothing at the first contribution
    window = (clock.now() - timedelta(days=30), clock.now() - timedelta(days=14), 14)
    async with app.uow_factory() as uow:
        due = await uow.repo(ReferralCredits).retained(COMMUNITY, *window)
    assert [r.newcomer_id for r in due] == [stays.id]
    await app.bus.handle(CreditReferrals(community_id=COMMUNITY))
    async with app.uow_factory() as uow:  # the credited newcomer is not looked at again
        assert await uow.repo(ReferralCredits).retained(COMMUNITY, *window) == []
    await app.bus.handle(CreditReferrals(community_id=COMMUNITY))  # a rerun credits nothing twice
    assert await count(engine, ContributionRow, credited) == 1
    assert await count(engine, ContributionRow, credited, ContributionRow.target_member_id == stays.id) == 1
