"""SQLite's write turn: commands in arrival order, ahead of bulk writers, which still get theirs."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from storage.db import create_engine
from storage.uow import SqlUnitOfWorkFactory, WriteTurn


async def _queue(turn: WriteTurn, order: list[str], name: str, *, bulk: bool = False) -> asyncio.Task[None]:
    async def writer() -> None:
        await turn.take(bulk=bulk)
        order.append(name)
        await asyncio.sleep(0)
        turn.give_back()

    task = asyncio.create_task(writer())
    await asyncio.sleep(0)  # queued before the next one
    return task


async def test_commands_waiting_go_before_a_bulk_writer_that_queued_earlier() -> None:
    turn, order = WriteTurn(), []
    await turn.take()  # a transaction under way
    tasks = [
        await _queue(turn, order, "batch", bulk=True),
        await _queue(turn, order, "refer"),
        await _queue(turn, order, "export"),
    ]
    turn.give_back()
    await asyncio.gather(*tasks)
    assert order == ["refer", "export", "batch"]


async def test_a_bulk_writer_that_waited_long_enough_goes_next(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(WriteTurn, "BULK_PATIENCE", 0.05)
    turn, order = WriteTurn(), []
    await turn.take()
    batch = await _queue(turn, order, "batch", bulk=True)
    await asyncio.sleep(0.06)
    command = await _queue(turn, order, "command")
    turn.give_back()
    await asyncio.gather(batch, command)
    assert order == ["batch", "command"]


async def test_a_writer_cancelled_while_waiting_does_not_keep_the_turn() -> None:
    turn, order = WriteTurn(), []
    await turn.take()
    gone = await _queue(turn, order, "gone")
    batch = await _queue(turn, order, "batch", bulk=True)
    gone.cancel()
    turn.give_back()
    async with asyncio.timeout(5):
        await batch
    assert order == ["batch"]
    with pytest.raises(asyncio.CancelledError):
        await gone
    await turn.take()  # free again
    turn.give_back()


async def test_a_writer_cancelled_just_after_being_given_the_turn_passes_it_on() -> None:
    turn, order = WriteTurn(), []
    await turn.take()
    first = await _queue(turn, order, "first")
    second = await _queue(turn, order, "second")
    turn.give_back()  # the turn is first's, but it has not run yet
    first.cancel()
    async with asyncio.timeout(5):
        await second
    assert order == ["second"]


async def test_the_bulk_writer_hears_that_a_command_had_to_wait(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'turn.db'}")
    try:
        factory = SqlUnitOfWorkFactory(engine, {})
        bulk = factory.bulk()
        async with factory():
            pass  # a command that found the lock free did not wait
        assert not bulk.commands_waited()
        async with bulk():  # a batch under way
            command = asyncio.create_task(factory().__aenter__())
            await asyncio.sleep(0.01)
            assert not command.done()  # queued behind the batch
            assert bulk.commands_waited()
        uow = await command
        await uow.__aexit__(None, None, None)
        assert bulk.commands_waited(within=1.0)
        assert not bulk.commands_waited(within=0.0)  # it was a moment ago, not now
    finally:
        await engine.dispose()
