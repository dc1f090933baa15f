"""Commands are not kept waiting by bulk work: a command that only reads runs beside a writer, and
badges follow an ingest batch in short transactions."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import ClassVar

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.bootstrap import RECHECK_PART, RECHECK_WHOLE, App, recheck_in_parts
from bot.clock import FixedClock
from bot.core.bus import MessageBus
from bot.core.commands import Command, Permission
from bot.core.context import Context
from bot.core.contributions.events import ContributionsRecorded
from bot.core.effects import PostMessage
from bot.core.events import MessagePosted
from bot.core.handlers import HandlerTable
from bot.core.refs import Actor, MemberRef
from bot.core.replies import Reply
from storage.badges.tables import BadgeAwardRow
from storage.db import ReadOnlyViolation
from storage.tables import OutboxRow
from tests.conftest import COMMUNITY
from tests.core.support import add_member, count, ref


@dataclass(frozen=True, kw_only=True)
class CountMembers(Command):
    """A command that only reads (or, with `write`, wrongly tries to queue an effect)."""

    write: bool = False
    permission: ClassVar[Permission] = Permission.ANYONE
    reads_only: ClassVar[bool] = True


def _bus(app: App, clock: FixedClock) -> MessageBus:
    table = HandlerTable()

    @table.command(CountMembers)
    async def count_members(cmd: CountMembers, ctx: Context) -> Reply:
        if cmd.write:
            await ctx.send(PostMessage(cmd.community_id, "general", "hello"))
        found = await ctx.uow.members.by_ref(COMMUNITY, MemberRef("fake", "ada"))
        return Reply(text="ada is here" if found else "no ada")

    return MessageBus(
        app.uow_factory,
        clock,
        table,
        app.bus.registry,
        app.bus.communities,
        read_factory=app.uow_factory.read_only(),
    )


ACTOR = Actor(MemberRef("fake", "bob"), COMMUNITY)


async def test_a_command_that_only_reads_answers_while_a_writer_holds_the_database(
    app: App, clock: FixedClock
) -> None:
    bus = _bus(app, clock)
    async with app.uow_factory() as writer:  # like an ingest batch under way, holding SQLite's lock
        await writer.members.upsert_seen(COMMUNITY, MemberRef("fake", "ada"), clock.now())
        async with asyncio.timeout(10):  # it would wait for the writer's turn forever
            reply = await bus.handle(CountMembers(community_id=COMMUNITY), ACTOR)
        assert isinstance(reply, Reply) and reply.text == "no ada"  # the last commit, not the writer's
        await writer.commit()
    after = await bus.handle(CountMembers(community_id=COMMUNITY), ACTOR)
    assert isinstance(after, Reply) and after.text == "ada is here"


async def test_a_command_declared_read_only_cannot_write(
    app: App, clock: FixedClock, engine: AsyncEngine
) -> None:
    with pytest.raises(ReadOnlyViolation):
        await _bus(app, clock).handle(CountMembers(community_id=COMMUNITY, write=True), ACTOR)
    async with engine.connect() as conn:
        assert await conn.scalar(select(func.count()).select_from(OutboxRow)) == 0


class RecordingBus:
    def __init__(self) -> None:
        self.handled: list[ContributionsRecorded] = []

    async def handle(self, message: ContributionsRecorded) -> Reply:
        self.handled.append(message)
        return Reply.nothing()


async def test_badges_follow_a_large_batch_in_parts_covering_every_member_once() -> None:
    at = datetime(2026, 11, 2, tzinfo=UTC)
    ids = tuple(range(1, RECHECK_WHOLE + 4))
    firsts = (2, RECHECK_PART + 2, 999)
    change = ContributionsRecorded(community_id=COMMUNITY, member_ids=ids, first_contributors=firsts, at=at)
    bus = RecordingBus()
    await recheck_in_parts(bus, change)  # type: ignore[arg-type]
    assert len(bus.handled) == -(-len(ids) // RECHECK_PART)
    assert all(len(part.member_ids) <= RECHECK_PART for part in bus.handled)
    assert tuple(m for part in bus.handled for m in part.member_ids) == ids
    assert sorted(m for part in bus.handled for m in part.first_contributors) == sorted(firsts)
    for part in bus.handled:
        assert set(part.first_contributors) - {999} <= set(part.member_ids)
    small = RecordingBus()
    few = replace(change, member_ids=ids[:RECHECK_WHOLE])
    await recheck_in_parts(small, few)  # type: ignore[arg-type]
    assert small.handled == [few]  # a usual batch: one transaction


async def test_every_member_of_a_large_batch_gets_the_first_contribution_badge(
    app: App, engine: AsyncEngine, clock: FixedClock
) -> None:
    newcomers = RECHECK_WHOLE + RECHECK_PART + 1  # badges follow the batch in parts
    for i in range(newcomers):
        await add_member(app, f"n{i}")
    app.ingest.start()
    try:
        for i in range(newcomers):
            await app.ingest.submit(
                MessagePosted(
                    community_id=COMMUNITY,
                    member=ref(f"n{i}"),
                    channel_id="general",
                    message_id=f"m{i}",
                    at=clock.now(),
                )
            )
        await app.ingest.drain()
    finally:
        await app.ingest.stop()
    first = BadgeAwardRow.badge_key == "first_contribution"
    assert await count(engine, BadgeAwardRow, first) == newcomers
