"""The outbox's and the refs' IN lists: written out as bind parameters of their own up to
FIXED_IN_MAX values, one expanding parameter past it; the same rows either way."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.clock import FixedClock
from bot.core.effects import DirectMessage
from bot.core.ports import PlatformRef
from bot.core.refs import MemberRef
from bot.features import bindings
from storage.repository_base import FIXED_IN_MAX, fixed_in_params
from storage.tables import OutboxRow
from storage.uow import SqlUnitOfWorkFactory

SIZES = (1, 2, FIXED_IN_MAX, FIXED_IN_MAX + 1, FIXED_IN_MAX + 5)


def test_the_parameters_are_written_out_up_to_the_bound_and_expand_past_it() -> None:
    assert fixed_in_params("id", [7, 8], expanding="ids") == {"in_id_0": 7, "in_id_1": 8}
    many = list(range(FIXED_IN_MAX + 1))
    assert fixed_in_params("id", many, expanding="ids") == {"ids": many}
    assert len(fixed_in_params("platform", many)) == FIXED_IN_MAX + 1  # no bound without `expanding`


@pytest.mark.parametrize("count", SIZES)
async def test_mark_done_marks_exactly_the_given_items(
    engine: AsyncEngine, clock: FixedClock, count: int
) -> None:
    factory = SqlUnitOfWorkFactory(engine, bindings())
    now = clock.now()
    async with factory() as uow:
        await uow.communities.ensure("c1", "c1", "fake", now)
        for n in range(count * 2):
            await uow.outbox.add(
                DirectMessage("c1", MemberRef("fake", str(n)), "hi"), platform="fake", now=now
            )
        await uow.commit()
    async with factory() as uow:
        ids = list((await uow.session.execute(select(OutboxRow.id).order_by(OutboxRow.id))).scalars())
        await uow.outbox.mark_done(ids[::2], now)
        await uow.commit()
    async with factory() as uow:
        rows = await uow.session.execute(select(OutboxRow.id, OutboxRow.status, OutboxRow.attempts))
        state = {row.id: (row.status, row.attempts) for row in rows}
    assert state == {i: ("done", 1) if n % 2 == 0 else ("pending", 0) for n, i in enumerate(ids)}


@pytest.mark.parametrize("count", SIZES)
async def test_get_many_finds_exactly_the_asked_keys(
    engine: AsyncEngine, clock: FixedClock, count: int
) -> None:
    factory = SqlUnitOfWorkFactory(engine, bindings())
    now = clock.now()
    keys = [f"post:{n}" for n in range(count * 2)]
    async with factory() as uow:
        for community in ("c1", "c2"):
            await uow.communities.ensure(community, community, "fake", now)
        made = [("c1", key, PlatformRef("ch", f"m{n}")) for n, key in enumerate(keys)]
        await uow.refs.put_many([*made, ("c2", keys[0], PlatformRef("other", "x"))], now)
        await uow.commit()
    async with factory() as uow:
        asked = [*keys[::2][: count - 1], "post:missing"]  # `count` keys, one of them unknown
        found = await uow.refs.get_many("c1", asked)
    assert found == {key: PlatformRef("ch", f"m{n}") for n, key in enumerate(keys) if key in asked}
