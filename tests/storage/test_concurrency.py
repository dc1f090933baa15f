"""Concurrent writers on one database: no "database is locked", nothing lost."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.clock import FixedClock
from bot.core.effects import DirectMessage
from bot.core.refs import MemberRef
from bot.features import bindings
from storage.tables import CommunityRow, MemberRow, OutboxRow
from storage.uow import SqlUnitOfWorkFactory


async def test_fifty_concurrent_writers_finish_without_lock_errors(
    engine: AsyncEngine, clock: FixedClock
) -> None:
    factory = SqlUnitOfWorkFactory(engine, bindings())
    async with factory() as uow:
        await uow.communities.ensure("c", "C", "fake", clock.now())
        await uow.commit()

    async def writer(i: int) -> None:
        async with factory() as uow:
            # read first, then write: the pattern that deadlocks deferred SQLite transactions
            ref = MemberRef("fake", str(i))
            assert await uow.members.by_ref("c", ref) is None
            member = await uow.members.upsert_seen("c", ref, clock.now())
            await uow.outbox.add(DirectMessage("c", member.ref, "hi"), platform="fake", now=clock.now())
            await asyncio.sleep(0)  # let the others interleave inside open transactions
            await uow.commit()

    await asyncio.gather(*(writer(i) for i in range(50)))
    async with engine.connect() as conn:
        assert await conn.scalar(select(func.count()).select_from(MemberRow)) == 50
        assert await conn.scalar(select(func.count()).select_from(OutboxRow)) == 50
        assert await conn.scalar(select(func.count()).select_from(CommunityRow)) == 1
