"""Onboarding milestones are recorded once per member, a batch answering which members are new,
also when two runs mark the same members at once."""

from __future__ import annotations

import asyncio

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.clock import FixedClock
from bot.core.cohorts.ports import CohortRepository
from bot.core.refs import MemberRef
from bot.features import bindings
from storage.uow import SqlUnitOfWorkFactory


async def test_a_batch_reports_only_the_members_it_marked_first(
    engine: AsyncEngine, clock: FixedClock
) -> None:
    factory = SqlUnitOfWorkFactory(engine, bindings())
    async with factory() as uow:
        await uow.communities.ensure("c", "C", "fake", clock.now())
        ids = [
            (await uow.members.upsert_seen("c", MemberRef("fake", str(n)), clock.now())).id for n in range(4)
        ]
        await uow.commit()

    async def mark(members: list[int], milestone: str = "day3") -> set[int]:
        async with factory() as uow:
            new = await uow.repo(CohortRepository).mark_milestones(members, milestone, clock.now())
            await uow.commit()
            return new

    assert await mark([]) == set()
    assert await mark(ids[:2]) == set(ids[:2])
    assert await mark(ids) == set(ids[2:])  # the first two were marked before
    assert await mark(ids) == set()
    assert await mark(ids[1:3], "day7") == set(ids[1:3])  # another milestone is its own record
    concurrent = await asyncio.gather(*(mark(ids, "day14") for _ in range(3)))
    assert sorted(len(new) for new in concurrent) == [0, 0, 4]
    async with factory() as uow:
        assert set(await uow.repo(CohortRepository).milestones(ids[1])) == {"day3", "day7", "day14"}
