"""Cohort 1 gets buddies: founders, staff and adopted members stand in while no graduate exists; two
buddies each by default, matched on role/industry first; no "ask your buddy" without one."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.fake.platform import FakeNotifier, FakePlatform
from bot.bootstrap import App
from bot.clock import FixedClock
from bot.core.cohorts.buddy_rules import BuddyCandidate, Newcomer, assign_buddies, match_fields
from bot.core.cohorts.commands import CloseCohortWindow, RunMilestones
from bot.core.cohorts.milestones import ask, buddy_phrase
from bot.core.effects import PostMessage
from bot.core.replies import Reply
from bot.core.text import mention
from storage.cohorts.tables import BuddyPairRow, CohortMemberRow
from tests.conftest import COMMUNITY
from tests.core.support import add_member, admit, count, give_badge, ref


def test_role_and_industry_come_before_interests() -> None:
    newcomer = Newcomer(1, tags=frozenset({"rust"}), fields=frozenset({"role=design", "industry=fintech"}))
    rustacean = BuddyCandidate(10, tags=frozenset({"rust"}))
    designer = BuddyCandidate(11, fields=frozenset({"role=design"}))
    both = BuddyCandidate(12, fields=frozenset({"role=design", "industry=fintech"}))
    assert assign_buddies([newcomer], [rustacean, designer, both], 2) == {1: (12, 11)}
    assert match_fields(
        {"role": " Design ", "industry": "crypto"}, {"role": ("design",), "industry": ("fintech",)}
    ) == {"role=design"}


def test_buddy_wording_is_plural_aware() -> None:
    assert buddy_phrase([ref("a")]) == f"Your buddy {mention(ref('a'))} is"
    assert (
        buddy_phrase([ref("a"), ref("b")]) == f"Your buddies {mention(ref('a'))} and {mention(ref('b'))} are"
    )
    assert ask([]) == " or ask a moderator" and "buddy" not in ask([])


async def test_cohort_one_gets_buddies_from_founders_staff_and_adopted(
    app: App, engine: AsyncEngine, notifier: FakeNotifier
) -> None:
    founders = [await add_member(app, f"f{i}") for i in range(2)]
    for founder in founders:
        await give_badge(app, founder, "founding")
    staff = await add_member(app, "staff", is_staff=True)
    bystander = await add_member(app, "bystander")  # neither: never a buddy
    newcomers = [await admit(app, user) for user in range(1, 11)]
    await app.bus.handle(CloseCohortWindow(community_id=COMMUNITY))
    async with engine.connect() as conn:
        pairs = (await conn.execute(select(BuddyPairRow.newcomer_id, BuddyPairRow.buddy_id))).all()
    assert len(pairs) == 20  # 2 buddies each
    assert {b for _, b in pairs} == {founders[0].id, founders[1].id, staff.id}
    assert bystander.id not in {b for _, b in pairs}
    assert await count(engine, CohortMemberRow) == len(newcomers)  # only newcomers in the cohort
    await app.relay.run_once()
    [welcome] = [p for p in notifier.of_kind(PostMessage) if p.channel == "cohort:1"]
    assert "(buddies: " in welcome.text


async def test_a_pick_with_cohort_matches_buddies(
    app: App, platform: FakePlatform, engine: AsyncEngine
) -> None:
    plain = [await add_member(app, f"f{i}") for i in range(3)]
    designer = await add_member(app, "designer")
    for founder in [*plain, designer]:
        await give_badge(app, founder, "founding")
    reply = await platform.slash(platform.actor("designer"), "cohort", role="Design")
    assert isinstance(reply, Reply) and "Saved: role design" in reply.text
    wrong = await platform.slash(platform.actor("designer"), "cohort", industry="alchemy")
    assert isinstance(wrong, Reply) and "Pick a industry among: software" in wrong.text
    first = await admit(app, 1)
    await platform.slash(platform.actor("1"), "cohort", role="design")
    for user in range(2, 11):
        await admit(app, user)
    await app.bus.handle(CloseCohortWindow(community_id=COMMUNITY))
    async with engine.connect() as conn:
        mine = set(
            (
                await conn.scalars(select(BuddyPairRow.buddy_id).where(BuddyPairRow.newcomer_id == first.id))
            ).all()
        )
    assert designer.id in mine


async def test_without_a_buddy_nobody_is_told_to_ask_one(
    app: App, notifier: FakeNotifier, clock: FixedClock
) -> None:
    newcomers = [await admit(app, user) for user in range(1, 11)]
    await app.bus.handle(CloseCohortWindow(community_id=COMMUNITY))
    clock.advance(days=7, hours=1)
    await app.bus.handle(RunMilestones(community_id=COMMUNITY))
    await app.relay.run_once()
    texts = [dm.text for dm in notifier.dms_to(newcomers[0].ref)]
    assert texts and not any("buddy" in t for t in texts)
    assert any("ask a moderator" in t for t in texts)
