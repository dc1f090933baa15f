"""Badge awards happen once per member and badge, also under concurrent attempts."""

from __future__ import annotations

import asyncio

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.clock import FixedClock
from bot.core.badges.ports import BadgeRepository
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
