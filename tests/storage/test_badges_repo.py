"""Badge awards happen once per member and badge, also under concurrent attempts."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.clock import FixedClock
from bot.core.badges.ports import BadgeRepository
from bot.core.contributions.ports import ContributionRepository
from bot.core.contributions.rules import ContributionFact, ContributionKind, week_start
from bot.core.members import MemberStatus
from bot.core.refs import MemberRef
from bot.features import bindings
from storage.uow import SqlUnitOfWorkFactory


async def test_award_is_recorded_once(engine: AsyncEngine, clock: FixedClock) -> None:
    factory = SqlUnitOfWorkFactory(engine, bindings())
    async with factory() as uow:
        await uow.communities.ensure("c", "C", "fake", clock.now())
        member = await uow.members.upsert_seen("c", MemberRef("fake", "1"), clock.now())
        await uow.commit()

    async def award() -> bool:
        async with factory() as uow:
            won = await uow.repo(BadgeRepository).award(
                "c", member.id, "founding", "among the first 100", clock.now()
            )
            await uow.commit()
            return won

    results = await asyncio.gather(*(award() for _ in range(5)))
    assert sorted(results) == [False, False, False, False, True]
    async with factory() as uow:
        assert await uow.repo(BadgeRepository).keys_of(member.id) == {"founding"}


async def test_candidates_read_what_stats_and_held_read_for_admitted_members_only(
    engine: AsyncEngine, clock: FixedClock
) -> None:
    """The one-statement read of a badge recheck agrees with ContributionRepository.stats and
    BadgeRepository.held, names each member by their platform ref, and leaves out members not admitted
    (pending, left) and of another community."""
    factory = SqlUnitOfWorkFactory(engine, bindings())
    now = clock.now()
    async with factory() as uow:
        for community in ("c", "d"):
            await uow.communities.ensure(community, community.upper(), "fake", now)
        members = [await uow.members.upsert_seen("c", MemberRef("fake", str(i)), now) for i in range(4)]
        other = await uow.members.upsert_seen("d", MemberRef("fake", "9"), now)
        for member in (*members[:3], other):
            await uow.members.save(replace(member, status=MemberStatus.ADMITTED, admitted_at=now))
        await uow.members.save(replace(members[2], status=MemberStatus.LEFT, admitted_at=now, left_at=now))
        facts = [
            ContributionFact(
                "c" if member is not other else "d",
                member.ref,
                kind,
                1.0,
                f"{member.id}:{n}:{kind.value}",
                now - timedelta(weeks=n),
            )
            for member in (*members, other)
            for n in range(member.id % 3 + 1)
            for kind in (ContributionKind.MESSAGE, ContributionKind.HELPFUL_ANSWER)
        ]
        for community in ("c", "d"):
            await uow.repo(ContributionRepository).record([f for f in facts if f.community_id == community])
        await uow.repo(BadgeRepository).award("c", members[0].id, "helper", "", now)
        await uow.repo(BadgeRepository).award("c", members[0].id, "founding", "", now)
        await uow.repo(BadgeRepository).award("c", members[3].id, "founding", "", now)
        await uow.commit()
    ids = [m.id for m in (*members, other)]
    week = week_start(now)
    async with factory() as uow:
        candidates = await uow.repo(BadgeRepository).candidates("c", ids, week)
        stats = await uow.repo(ContributionRepository).stats("c", ids, week)
        held = await uow.repo(BadgeRepository).held(ids)
    candidates.sort(key=lambda c: c.member_id)
    assert [(c.member_id, c.member) for c in candidates] == [(m.id, m.ref) for m in members[:2]]
    for candidate in candidates:
        assert candidate.stats == stats[candidate.member_id]
        assert candidate.held == held.get(candidate.member_id, set())
    assert candidates[0].held == {"helper", "founding"}
    assert {c.stats.helpful_answers for c in candidates} == {m.id % 3 + 1 for m in members[:2]}
    assert all(c.stats.active_weeks == c.stats.helpful_answers for c in candidates)


async def test_a_member_admitted_earlier_in_the_transaction_is_a_candidate(
    engine: AsyncEngine, clock: FixedClock
) -> None:
    """Admission and the contribution that earns a badge can share a transaction (the member's row
    changed through the ORM, not flushed yet): the recheck sees the member as admitted."""
    factory = SqlUnitOfWorkFactory(engine, bindings())
    now = clock.now()
    async with factory() as uow:
        await uow.communities.ensure("c", "C", "fake", now)
        member = await uow.members.upsert_seen("c", MemberRef("fake", "1"), now)
        await uow.commit()
    async with factory() as uow:
        await uow.members.save(replace(member, status=MemberStatus.ADMITTED, admitted_at=now))
        candidates = await uow.repo(BadgeRepository).candidates("c", [member.id], week_start(now))
    assert [c.member_id for c in candidates] == [member.id]
