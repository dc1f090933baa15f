"""Cohorts through the bus and the fake platform: launch at 20 and at the window, the maximum wait,
buddies spread and never repeated, the private space and its welcome, /cohort."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.fake.platform import FakeNotifier, FakePlatform
from bot.bootstrap import App
from bot.clock import FixedClock
from bot.core.cohorts.commands import CloseCohortWindow
from bot.core.cohorts.handlers import window_after
from bot.core.cohorts.ports import CohortRepository
from bot.core.effects import DirectMessage, OpenPrivateSpace, PostMessage
from bot.core.events import MemberLeft
from bot.core.members import MemberStatus
from bot.core.replies import Reply
from bot.core.text import mention, mentions_in
from storage.cohorts.tables import BuddyPairRow, CohortMemberRow, CohortPoolRow, CohortRow
from storage.tables import MemberRow
from tests.conftest import COMMUNITY
from tests.core.support import add_member, admit, count, give_badge, ref


async def _cohorts(engine: AsyncEngine) -> list[tuple[int, str, int]]:
    async with engine.connect() as conn:
        cohorts = (await conn.execute(select(CohortRow.id, CohortRow.name).order_by(CohortRow.id))).all()
    return [
        (cohort_id, name, await count(engine, CohortMemberRow, CohortMemberRow.cohort_id == cohort_id))
        for cohort_id, name in cohorts
    ]


async def _close_window(app: App) -> Reply:
    reply = await app.bus.handle(CloseCohortWindow(community_id=COMMUNITY))
    assert isinstance(reply, Reply)
    return reply


async def test_the_twentieth_admission_launches_a_cohort(
    app: App, engine: AsyncEngine, notifier: FakeNotifier
) -> None:
    for user in range(1, 20):
        await admit(app, user)
    assert await _cohorts(engine) == []
    assert await count(engine, CohortPoolRow) == 19
    await admit(app, 20)
    assert await _cohorts(engine) == [(1, "Cohort 1", 20)]
    assert await count(engine, CohortPoolRow) == 0

    await app.relay.run_once()
    (space,) = notifier.of_kind(OpenPrivateSpace)
    assert space.space_key == "cohort:1" and set(space.members) == {ref(u) for u in range(1, 21)}
    (welcome,) = [p for p in notifier.of_kind(PostMessage) if p.channel == "cohort:1"]
    assert set(mentions_in(welcome.text)) == {ref(u) for u in range(1, 21)}
    assert "Day 3" in welcome.text and "Day 14" in welcome.text
    assert notifier.delivered.index(space) < notifier.delivered.index(welcome)


async def test_the_window_launches_ten_or_more(app: App, engine: AsyncEngine, clock: FixedClock) -> None:
    for user in range(1, 13):
        await admit(app, user)
    clock.set(window_after(app.bus.communities[COMMUNITY], clock.now()))
    reply = await _close_window(app)
    assert await _cohorts(engine) == [(1, "Cohort 1", 12)]
    assert "Launched Cohort 1; 0 still waiting" in reply.text


async def test_fewer_than_ten_wait_until_someone_waited_too_long(
    app: App, engine: AsyncEngine, clock: FixedClock
) -> None:
    start = clock.now()
    for user in range(1, 9):
        await admit(app, user, at=start)
    community = app.bus.communities[COMMUNITY]
    first = window_after(community, start)  # Monday 16:00, the same day
    clock.set(first)
    await _close_window(app)
    clock.set(window_after(community, first))  # 7 days later: nobody has waited 14 days
    await _close_window(app)
    clock.set(window_after(community, clock.now()))  # 14 days + 6 h: exactly "more than 14 days"
    assert clock.now() - start > timedelta(days=14)
    assert await _cohorts(engine) == []
    await admit(app, 9)  # a newer one joins the small cohort too
    reply = await _close_window(app)
    assert await _cohorts(engine) == [(1, "Cohort 1", 9)]
    assert "0 still waiting" in reply.text


async def test_a_large_pool_splits_into_balanced_cohorts(app: App, engine: AsyncEngine) -> None:
    # More than max_size only waits when max_size was lowered; put them in the pool directly.
    members = [await add_member(app, user) for user in range(1, 34)]
    async with app.uow_factory() as uow:
        for member in members:
            await uow.repo(CohortRepository).join_pool(COMMUNITY, member.id, app.clock.now())
        await uow.commit()
    await _close_window(app)
    assert [size for _, _, size in await _cohorts(engine)] == [17, 16]
    assert await count(engine, CohortPoolRow) == 0


async def test_buddies_are_spread_over_graduates_and_matched_on_interests(
    app: App, engine: AsyncEngine, notifier: FakeNotifier
) -> None:
    graduates = [await add_member(app, f"g{i}") for i in range(3)]
    for graduate in graduates:
        await give_badge(app, graduate, "cohort_graduate")
    pythonista = await add_member(app, "py", interests="python, data")
    await give_badge(app, pythonista, "champion")
    outsider = await add_member(app, "nobody")  # no buddy badge: never a buddy
    for user in range(1, 12):
        await admit(app, user, interests="python" if user == 1 else "")
    await _close_window(app)
    async with engine.connect() as conn:
        pairs = (await conn.execute(select(BuddyPairRow.newcomer_id, BuddyPairRow.buddy_id))).all()
    loads = sorted(sum(1 for _, b in pairs if b == buddy.id) for buddy in [*graduates, pythonista])
    assert len(pairs) == 22 and loads == [5, 5, 6, 6]  # 2 buddies each by default
    assert outsider.id not in {b for _, b in pairs}
    first_newcomer = min(n for n, _ in pairs)
    assert pythonista.id in {b for n, b in pairs if n == first_newcomer}  # newcomer 1 declared "python"
    await app.relay.run_once()
    assert len(notifier.dms_to(pythonista.ref)) == 1  # one DM per buddy, naming their newcomers


async def test_founding_members_stand_in_until_someone_graduates(app: App, engine: AsyncEngine) -> None:
    founder = await add_member(app, "f")
    await give_badge(app, founder, "founding")
    for user in range(1, 11):
        await admit(app, user)
    await _close_window(app)
    assert await count(engine, BuddyPairRow, BuddyPairRow.buddy_id == founder.id) == 10


async def test_a_returning_member_gets_a_buddy_they_have_not_had(
    app: App, engine: AsyncEngine, clock: FixedClock
) -> None:
    a, b, c = await add_member(app, "a"), await add_member(app, "b"), await add_member(app, "c")
    for buddy in (a, b, c):
        await give_badge(app, buddy, "cohort_graduate")
    newcomers = [await admit(app, user) for user in range(1, 11)]
    await _close_window(app)
    async with engine.connect() as conn:
        first = set(
            (
                await conn.scalars(
                    select(BuddyPairRow.buddy_id).where(BuddyPairRow.newcomer_id == newcomers[0].id)
                )
            ).all()
        )
    # Cohort 1 ends; newcomer 1 leaves and comes back; a's and b's loads are even again.
    async with app.uow_factory() as uow:
        await uow.repo(CohortRepository).set_status(1, "graduated")
        await uow.commit()
    await app.bus.handle(MemberLeft(community_id=COMMUNITY, member=newcomers[0].ref, at=clock.now()))
    clock.advance(days=30)
    await admit(app, 1)
    for user in range(11, 20):
        await admit(app, user)
    await _close_window(app)
    async with engine.connect() as conn:
        second = set(
            (
                await conn.scalars(
                    select(BuddyPairRow.buddy_id).where(
                        BuddyPairRow.newcomer_id == newcomers[0].id, BuddyPairRow.cohort_id == 2
                    )
                )
            ).all()
        )
    assert len(first) == len(second) == 2
    assert ({a.id, b.id, c.id} - first) <= second  # the one not had before comes first


async def test_leaving_removes_a_newcomer_from_the_pool(
    app: App, engine: AsyncEngine, clock: FixedClock
) -> None:
    member = await admit(app, 1)
    await app.bus.handle(MemberLeft(community_id=COMMUNITY, member=member.ref, at=clock.now()))
    assert await count(engine, CohortPoolRow) == 0


async def test_a_newcomer_back_within_their_cohort_keeps_it_and_does_not_wait_again(
    app: App, engine: AsyncEngine, clock: FixedClock
) -> None:
    newcomers = [await admit(app, user) for user in range(1, 11)]
    await _close_window(app)
    assert await _cohorts(engine) == [(1, "Cohort 1", 10)]
    await app.bus.handle(MemberLeft(community_id=COMMUNITY, member=newcomers[0].ref, at=clock.now()))
    clock.advance(days=3)
    await admit(app, 1)  # back while Cohort 1 is active
    assert await count(engine, CohortPoolRow) == 0
    async with app.uow_factory() as uow:
        await uow.repo(CohortRepository).set_status(1, "graduated")
        await uow.commit()
    await app.bus.handle(MemberLeft(community_id=COMMUNITY, member=newcomers[0].ref, at=clock.now()))
    await admit(app, 1)  # back after it ended: onboards again
    assert await count(engine, CohortPoolRow, CohortPoolRow.member_id == newcomers[0].id) == 1


async def test_a_founder_who_comes_back_does_not_wait_for_a_cohort(app: App, engine: AsyncEngine) -> None:
    founder = await add_member(app, "f")
    await give_badge(app, founder, "founding")
    await admit(app, "f")  # admitted again later (not founding this time): still a founder
    await admit(app, "n")
    assert await count(engine, CohortPoolRow) == 1
    assert await count(engine, CohortPoolRow, CohortPoolRow.member_id == founder.id) == 0


async def test_the_pool_drops_whoever_is_no_longer_admitted(app: App, engine: AsyncEngine) -> None:
    members = [await admit(app, user) for user in range(1, 12)]
    async with engine.begin() as conn:  # gone without the pool hearing of it (a removal by a lead)
        await conn.execute(
            update(MemberRow).where(MemberRow.id == members[0].id).values(status=MemberStatus.REMOVED.value)
        )
    reply = await _close_window(app)
    assert await _cohorts(engine) == [(1, "Cohort 1", 10)]
    assert await count(engine, CohortMemberRow, CohortMemberRow.member_id == members[0].id) == 0
    assert await count(engine, CohortPoolRow) == 0
    assert "0 still waiting" in reply.text


async def test_cohort_command_shows_cohort_buddy_and_progress(
    app: App, platform: FakePlatform, clock: FixedClock
) -> None:
    buddy = await add_member(app, "b")
    await give_badge(app, buddy, "cohort_graduate")
    waiting = await admit(app, 1)
    reply = await platform.slash(platform.actor(1), "cohort")
    assert (
        isinstance(reply, Reply)
        and "waiting for the next cohort" in reply.text
        and "Mon 02 Nov 2026 16:00 UTC" in reply.text
    )
    for user in range(2, 11):
        await admit(app, user)
    await _close_window(app)
    clock.advance(days=2)
    reply = await platform.slash(platform.actor(1), "cohort")
    assert isinstance(reply, Reply)
    assert "Cohort 1" in reply.text and "day 2 of 14" in reply.text
    assert f"Your buddy: {mention(buddy.ref)}" in reply.text
    assert "First contribution: not yet" in reply.text
    reply = await platform.slash(platform.actor("b"), "cohort")
    assert isinstance(reply, Reply) and "You are a buddy in Cohort 1" in reply.text
    assert mention(waiting.ref) in reply.text
    outsider = await platform.slash(platform.actor("stranger"), "cohort")
    assert isinstance(outsider, Reply) and "for members" in outsider.text
    assert not [d for d in platform.notifier.of_kind(DirectMessage) if d.member == ref("stranger")]


async def test_concurrent_admissions_launch_each_newcomer_once(app: App, engine: AsyncEngine) -> None:
    for user in range(1, 19):
        await admit(app, user)
    await asyncio.gather(*(admit(app, user) for user in range(19, 25)))
    assert await _cohorts(engine) == [(1, "Cohort 1", 20)]
    assert await count(engine, CohortPoolRow) == 4
    assert await count(engine, CohortMemberRow) == 20
