"""The bus: one unit of work per message, platform event ids handled once, permissions re-checked."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import ClassVar

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.fake.platform import FakeNotifier
from bot.bootstrap import App
from bot.clock import FixedClock
from bot.core import bus as bus_module
from bot.core.bus import MessageBus, Source
from bot.core.commands import Command, Permission
from bot.core.context import Context
from bot.core.effects import PostMessage
from bot.core.errors import InvalidInput
from bot.core.events import MemberJoined, MemberLeft
from bot.core.handlers import HandlerTable
from bot.core.members import MemberStatus
from bot.core.pseudonyms import keyed_hash, member_pseudonym, pseudonym
from bot.core.refs import Actor, MemberRef, Role
from bot.core.replies import Reply
from bot.features import bindings
from storage.tables import CommunityRow, MemberRow, OutboxRow, ProcessedEventRow
from storage.uow import SqlUnitOfWorkFactory
from tests.conftest import COMMUNITY


@dataclass(frozen=True, kw_only=True)
class Announce(Command):
    """A test command whose every run queues one effect (so a double run is visible)."""

    text: str
    fail: bool = False
    permission: ClassVar[Permission] = Permission.MODERATOR


def _bus(app: App, clock: FixedClock) -> MessageBus:
    table = HandlerTable()

    @table.command(Announce)
    async def announce(cmd: Announce, ctx: Context) -> Reply:
        await ctx.send(PostMessage(cmd.community_id, "announcements", cmd.text))
        if cmd.fail:
            raise InvalidInput("Give the announcement a title.")
        return Reply(text="Announced.")

    return MessageBus(app.uow_factory, clock, table, app.bus.registry, app.bus.communities)


MOD = Actor(MemberRef("fake", "m1"), COMMUNITY, frozenset({Role.MODERATOR}))


async def _outbox_count(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(OutboxRow)) or 0)


async def test_duplicate_event_id_is_handled_once(app: App, clock: FixedClock, engine: AsyncEngine) -> None:
    bus = _bus(app, clock)
    source = Source("fake", "interaction-1")
    first = await bus.handle(Announce(community_id=COMMUNITY, text="hello"), MOD, source=source)
    second = await bus.handle(Announce(community_id=COMMUNITY, text="hello"), MOD, source=source)
    assert isinstance(first, Reply) and first.text == "Announced."
    assert isinstance(second, Reply) and second.silent
    assert await _outbox_count(engine) == 1


async def test_concurrent_deliveries_of_one_event_count_once(
    app: App, clock: FixedClock, engine: AsyncEngine
) -> None:
    bus = _bus(app, clock)
    source = Source("fake", "retried-event")
    await asyncio.gather(
        *(bus.handle(Announce(community_id=COMMUNITY, text="x"), MOD, source=source) for _ in range(8))
    )
    assert await _outbox_count(engine) == 1


async def test_user_facing_error_rolls_back_and_replies_privately(
    app: App, clock: FixedClock, engine: AsyncEngine
) -> None:
    bus = _bus(app, clock)
    reply = await bus.handle(Announce(community_id=COMMUNITY, text="x", fail=True), MOD)
    assert isinstance(reply, Reply) and reply.private and "title" in reply.text
    assert await _outbox_count(engine) == 0


async def test_permission_is_checked_by_the_bus(app: App, clock: FixedClock, engine: AsyncEngine) -> None:
    bus = _bus(app, clock)
    someone = Actor(MemberRef("fake", "u1"), COMMUNITY, frozenset({Role.MEMBER}))
    reply = await bus.handle(Announce(community_id=COMMUNITY, text="x"), someone)
    assert isinstance(reply, Reply) and reply.private and "moderators" in reply.text
    assert await _outbox_count(engine) == 0
    other_community = Actor(MemberRef("fake", "m1"), "elsewhere", frozenset({Role.MODERATOR}))
    reply = await bus.handle(Announce(community_id=COMMUNITY, text="x"), other_community)
    assert isinstance(reply, Reply) and "another community" in reply.text


async def test_member_join_and_leave_are_recorded_once(
    app: App, clock: FixedClock, engine: AsyncEngine
) -> None:
    ref = MemberRef("fake", "42")
    joined = MemberJoined(community_id=COMMUNITY, member=ref, at=clock.now(), display_name="Ada")
    for _ in range(3):
        await app.bus.handle(joined, source=Source("fake", "join-42"))
    async with SqlUnitOfWorkFactory(engine, bindings())() as uow:
        member = await uow.members.by_ref(COMMUNITY, ref)
    assert member is not None and member.status is MemberStatus.PENDING and member.display_name == "Ada"
    await app.bus.handle(
        MemberLeft(community_id=COMMUNITY, member=ref, at=clock.now()), source=Source("fake", "l")
    )
    async with engine.connect() as conn:
        assert await conn.scalar(select(func.count()).select_from(MemberRow)) == 1
        assert await conn.scalar(select(MemberRow.status)) == "left"


async def test_commit_wakes_the_relay(app: App, clock: FixedClock, notifier: FakeNotifier) -> None:
    woken: list[bool] = []
    bus = _bus(app, clock)
    bus.on_commit = lambda: woken.append(True)
    await bus.handle(Announce(community_id=COMMUNITY, text="x"), MOD)
    assert woken == [True]


@dataclass(frozen=True, kw_only=True)
class WhoAmI(Command):
    """A test command whose handler reports the acting member the bus put on the context."""

    permission: ClassVar[Permission] = Permission.ANYONE


async def test_the_bus_puts_the_acting_member_on_the_context(app: App, clock: FixedClock) -> None:
    table = HandlerTable()

    @table.command(WhoAmI)
    async def who_am_i(cmd: WhoAmI, ctx: Context) -> Reply:
        return Reply(text=ctx.member.display_name if ctx.member else "nobody")

    bus = MessageBus(app.uow_factory, clock, table, app.bus.registry, app.bus.communities)
    ada = MemberRef("fake", "ada")
    async with app.uow_factory() as uow:
        await uow.members.upsert_seen(COMMUNITY, ada, clock.now(), display_name="Ada")
        await uow.commit()
    seen = await bus.handle(WhoAmI(community_id=COMMUNITY), Actor(ada, COMMUNITY))
    stranger = await bus.handle(WhoAmI(community_id=COMMUNITY), Actor(MemberRef("fake", "x"), COMMUNITY))
    system = await bus.handle(WhoAmI(community_id=COMMUNITY))
    assert [r.text for r in (seen, stranger, system) if isinstance(r, Reply)] == ["Ada", "nobody", "nobody"]


async def test_event_ids_are_stored_as_keyed_hashes_that_dedupe_across_restarts(
    app: App, clock: FixedClock, engine: AsyncEngine
) -> None:
    raw = "member_remove:9001:112233445566778899:2026-11-02T10:00:00"  # Discord's keys carry the user id
    first = await _bus(app, clock).handle(
        Announce(community_id=COMMUNITY, text="x"), MOD, source=Source("fake", raw)
    )
    restarted = _bus(app, clock)  # a new process: no cached salt, the stored one is read
    again = await restarted.handle(
        Announce(community_id=COMMUNITY, text="x"), MOD, source=Source("fake", raw)
    )
    assert isinstance(first, Reply) and not first.silent
    assert isinstance(again, Reply) and again.silent
    assert await _outbox_count(engine) == 1
    async with engine.connect() as conn:
        stored = (await conn.execute(select(ProcessedEventRow.event_id))).scalars().all()
        salt = await conn.scalar(select(CommunityRow.privacy_salt))
    assert salt and stored == [keyed_hash(salt, raw)]
    assert "112233445566778899" not in stored[0]


async def test_each_message_is_logged_at_info_with_pseudonyms_only(
    app: App, clock: FixedClock, caplog: pytest.LogCaptureFixture
) -> None:
    bus = _bus(app, clock)
    with caplog.at_level(logging.INFO, logger="townsquare.bus"):
        await bus.handle(Announce(community_id=COMMUNITY, text="x"), MOD, source=Source("fake", "ev-77"))
    (line,) = [r.getMessage() for r in caplog.records if r.name == "townsquare.bus"]
    assert line.startswith(f"handled Announce community={COMMUNITY} actor={member_pseudonym(MOD.ref)} ")
    assert f"source=fake:{pseudonym('ev-77')} outcome=ok in " in line
    assert "m1" not in line.split("actor=")[1] and "ev-77" not in line


async def test_no_pseudonym_is_made_for_a_line_that_is_not_logged(
    app: App, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    made: list[str] = []
    monkeypatch.setattr(bus_module, "pseudonym", lambda value: made.append(value) or "~x")
    monkeypatch.setattr(bus_module, "member_pseudonym", lambda ref: made.append(str(ref)) or "~x")
    logging.getLogger("townsquare.bus").setLevel(logging.WARNING)
    try:
        await _bus(app, clock).handle(
            Announce(community_id=COMMUNITY, text="x"), MOD, source=Source("fake", "e")
        )
    finally:
        logging.getLogger("townsquare.bus").setLevel(logging.NOTSET)
    assert made == []
