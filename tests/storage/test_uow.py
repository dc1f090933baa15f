"""The unit of work: what is not committed is undone on leaving (also when leaving by an error), the
connection goes back to the pool and the write turn is handed on either way."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.uow import SqlUnitOfWorkFactory


class Boom(Exception):
    pass


async def _version(factory: SqlUnitOfWorkFactory) -> int:
    async with factory.read_only()() as uow:
        return int((await uow.session.execute(text("SELECT version FROM schedule_stamp"))).scalar_one())


async def test_leaving_by_an_error_undoes_the_transaction_and_frees_its_connection_and_turn(
    engine: AsyncEngine,
) -> None:
    factory = SqlUnitOfWorkFactory(engine, {})
    with pytest.raises(Boom):
        async with factory() as uow:
            await uow.session.execute(text("UPDATE schedule_stamp SET version = 7"))
            raise Boom
    assert engine.sync_engine.pool.checkedout() == 0
    assert await _version(factory) == 0
    async with factory() as uow:  # the write turn was handed back: this one does not wait forever
        await uow.session.execute(text("UPDATE schedule_stamp SET version = 8"))
        await uow.commit()
    assert await _version(factory) == 8
    assert engine.sync_engine.pool.checkedout() == 0


async def test_a_read_only_unit_of_work_ends_its_read_transaction_on_leaving(engine: AsyncEngine) -> None:
    factory = SqlUnitOfWorkFactory(engine, {})
    async with factory.read_only()() as uow:
        await uow.session.execute(text("SELECT version FROM schedule_stamp"))
    assert engine.sync_engine.pool.checkedout() == 0
    async with factory() as uow:  # a writer is not held up by a reader's transaction left open
        await uow.session.execute(text("UPDATE schedule_stamp SET version = 3"))
        await uow.commit()
    assert await _version(factory) == 3
