"""Onboarding milestones driven by the clock: the day-3 nudge only for those without a contribution,
the day-7 check, graduation at day 14 with the Cohort Graduate badge, nothing sent twice."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.fake.platform import FakeNotifier
from bot.bootstrap import App
from bot.clock import FixedClock
from bot.core.cohorts.commands import CloseCohortWindow, RunMilestones
from bot.core.effects import DirectMessage, PostMessage
from bot.core.events import MessagePosted
from bot.core.members import Member
from bot.core.replies import Reply
from bot.core.text import mentions_in
from storage.badges.tables import BadgeAwardRow
from storage.cohorts.tables import CohortRow
from tests.conftest import COMMUNITY
from tests.core.support import add_member, admit, count, give_badge


async def _cohort_of_ten(app: App) -> tuple[list[Member], Member]:
    buddy = await add_member(app, "buddy")
    await give_badge(app, buddy, "cohort_graduate")
    newcomers = [await admit(app, user) for user in range(1, 11)]
    await app.bus.handle(CloseCohortWindow(community_id=COMMUNITY))
    return newcomers, buddy


async def _post(app: App, member: Member, message_id: str) -> None:
    app.ingest.start()
    await app.ingest.submit(
        MessagePosted(
            community_id=COMMUNITY,
            member=member.ref,
            channel_id="general",
            message_id=message_id,
            at=app.clock.now(),
        )
    )
    await app.ingest.stop()


async def _run(app: App) -> str:
    reply = await app.bus.handle(RunMilestones(community_id=COMMUNITY))
    assert isinstance(reply, Reply)
    await app.relay.run_once()
    return reply.text


async def test_day_three_nudges_only_newcomers_without_a_contribution(
    app: App, clock: FixedClock, notifier: FakeNotifier
) -> None:
    newcomers, buddy = await _cohort_of_ten(app)
    for member in newcomers[:7]:
        await _post(app, member, f"hello-{member.id}")
    clock.advance(days=2, hours=23)
    assert await _run(app) == "Milestones: nothing due."
    notifier.delivered.clear()
    clock.advance(hours=1)
    assert await _run(app) == "Milestones: 3 nudged."
    nudged = {dm.member for dm in notifier.of_kind(DirectMessage) if "It's day 3" in dm.text}
    assert nudged == {m.ref for m in newcomers[7:]}
    to_buddy = [dm for dm in notifier.dms_to(buddy.ref) if "hasn't posted yet" in dm.text]
    assert {r for dm in to_buddy for r in mentions_in(dm.text)} == {m.ref for m in newcomers[7:]}
    clock.advance(days=1)
    assert await _run(app) == "Milestones: nothing due."  # nudged once


async def test_a_late_first_run_skips_the_stale_nudge(
    app: App, clock: FixedClock, notifier: FakeNotifier
) -> None:
    await _cohort_of_ten(app)
    clock.advance(days=8)
    notifier.delivered.clear()
    text = await _run(app)
    assert "nudged" not in text and "10 checked in" in text
    assert not [dm for dm in notifier.of_kind(DirectMessage) if "It's day 3" in dm.text]


async def test_day_seven_checks_in_and_day_fourteen_graduates_once(
    app: App, engine: AsyncEngine, clock: FixedClock, notifier: FakeNotifier
) -> None:
    newcomers, buddy = await _cohort_of_ten(app)
    for member in newcomers[:6]:
        await _post(app, member, f"hello-{member.id}")
    clock.advance(days=7)
    assert await _run(app) == "Milestones: 4 checked in."
    (progress,) = [
        p for p in notifier.of_kind(PostMessage) if p.channel == "cohort:1" and p.text.startswith("Day 7")
    ]
    assert "6 of 10" in progress.text
    await _post(app, newcomers[6], "late-but-in-time")
    clock.advance(days=7)
    notifier.delivered.clear()
    assert await _run(app) == "Milestones: 7 graduated."
    graduates = await count(engine, BadgeAwardRow, BadgeAwardRow.badge_key == "cohort_graduate")
    assert graduates == 1 + 7  # the buddy's own, and the seven who contributed
    announced = [
        p for p in notifier.of_kind(PostMessage) if p.channel == "recognition" and "Cohort Graduate" in p.text
    ]
    assert len(announced) == 7
    assert await count(engine, CohortRow, CohortRow.status == "graduated") == 1
    assert await _run(app) == "Milestones: nothing due."


async def test_graduation_without_contribution_when_configured(
    app: App, engine: AsyncEngine, clock: FixedClock
) -> None:
    settings = app.bus.communities[COMMUNITY]
    relaxed = settings.model_copy(
        update={"cohorts": settings.cohorts.model_copy(update={"graduation_requires_contribution": False})}
    )
    app.bus.communities = {COMMUNITY: relaxed}
    await _cohort_of_ten(app)
    clock.advance(days=14)
    assert await _run(app) == "Milestones: 10 graduated."
