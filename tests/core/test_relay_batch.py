"""The relay's batches: relays running at once claim no effect twice and keep each lane's order; an
effect behind one another relay holds is given back unsent with the claim mark it had; an effect
whose resend would not be absorbed is recorded before the next send."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.fake.platform import FakeNotifier
from bot.bootstrap import App, build_app
from bot.clock import FixedClock
from bot.config import Settings
from bot.core.effects import DirectMessage, Effect, GrantMemberAccess, PostMessage, lane
from bot.core.ports import Attempt, OutboxItem, PlatformRef
from bot.core.refs import MemberRef
from bot.relay import OutboxRelay
from storage.delivery import SqlOutboxRepository
from storage.tables import OutboxRow
from tests.conftest import COMMUNITY
from tests.core.relay_kit import SimPlatform


@dataclass
class SlowSim(SimPlatform):
    tries: list[Attempt] = field(default_factory=list)

    async def deliver(
        self, effect: Effect, refs: Mapping[str, PlatformRef], attempt: Attempt | None = None
    ) -> Mapping[str, PlatformRef]:
        await asyncio.sleep(0.001)  # the relays interleave while one waits for the platform
        assert attempt is not None
        self.tries.append(attempt)
        return await super().deliver(effect, refs, attempt)


async def _queue(app: App, effects: Sequence[Effect]) -> None:
    async with app.uow_factory() as uow:
        for effect in effects:
            await uow.outbox.add(effect, platform="fake", now=app.clock.now())
        await uow.commit()


async def _rows(engine: AsyncEngine) -> list[tuple[int, str, datetime | None]]:
    async with engine.connect() as conn:
        query = select(OutboxRow.id, OutboxRow.status, OutboxRow.claimed_until).order_by(OutboxRow.id)
        return [(row.id, row.status, row.claimed_until) for row in await conn.execute(query)]


@pytest.fixture
async def sim_app(settings: Settings, clock: FixedClock, engine: AsyncEngine) -> tuple[App, SlowSim]:
    sim = SlowSim(absorbs=True)
    app = build_app(settings, clock, {"fake": sim}, engine=engine)
    await app.ensure_communities()
    return app, sim


async def test_three_relays_at_once_deliver_each_effect_once_in_lane_order(
    sim_app: tuple[App, SlowSim], engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, sim = sim_app
    real_due = SqlOutboxRepository.due

    async def slow_due(self: SqlOutboxRepository, *args: Any, **kwargs: Any) -> list[OutboxItem]:
        items = await real_due(self, *args, **kwargs)
        await asyncio.sleep(0.002)  # on PostgreSQL another relay claims some of these meanwhile
        return items

    monkeypatch.setattr(SqlOutboxRepository, "due", slow_due)
    channels = ("welcome", "digest", "id:C1")
    effects: list[Effect] = [PostMessage(COMMUNITY, channels[i % 3], f"post {i}") for i in range(150)]
    effects += [DirectMessage(COMMUNITY, MemberRef("fake", str(i % 2)), f"dm {i}") for i in range(30)]
    await _queue(app, effects)
    # Batches of different sizes: one relay takes the head of a lane, another the rest of it.
    relays = [OutboxRelay(app.uow_factory, app.clock, {"fake": sim}, batch_size=n) for n in (3, 5, 8)]

    async def drain(relay: OutboxRelay) -> None:
        for _ in range(200):
            await relay.run_once()
            if all(status == "done" for _, status, _ in await _rows(engine)):
                return
            await asyncio.sleep(0)

    await asyncio.gather(*(drain(relay) for relay in relays))
    assert {status for _, status, _ in await _rows(engine)} == {"done"}
    assert sim.duplicates() == 0  # no effect was claimed by two relays
    expected: dict[str, list[str]] = {}
    for effect in effects:
        assert isinstance(effect, PostMessage | DirectMessage)
        expected.setdefault(lane(effect) or "", []).append(effect.text)
    assert dict(sim.landed) == expected


async def test_an_effect_behind_one_another_relay_holds_is_given_back_with_its_claim_mark(
    sim_app: tuple[App, SlowSim], engine: AsyncEngine, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, sim = sim_app
    first, second = PostMessage(COMMUNITY, "welcome", "first"), PostMessage(COMMUNITY, "welcome", "second")
    await _queue(app, [first, second, PostMessage(COMMUNITY, "digest", "elsewhere")])
    crashed = clock.now() - timedelta(minutes=5)  # "second" was claimed before, by a relay that died
    async with app.uow_factory() as uow:
        await uow.session.execute(update(OutboxRow).where(OutboxRow.id == 2).values(claimed_until=crashed))
        await uow.commit()
    real = SqlOutboxRepository.claim

    async def taken_meanwhile(
        self: SqlOutboxRepository, ids: Sequence[int], now: datetime, until: datetime
    ) -> set[int]:
        return await real(self, [i for i in ids if i != 1], now, until)  # another relay got "first"

    async def two_statements(self: SqlOutboxRepository, *args: Any, **kwargs: Any) -> None:
        return None  # the read, then the claim, so that another relay can take an item in between

    monkeypatch.setattr(SqlOutboxRepository, "claim", taken_meanwhile)
    monkeypatch.setattr(SqlOutboxRepository, "claim_due", two_statements)
    relay = OutboxRelay(app.uow_factory, clock, {"fake": sim})
    await relay.run_once()
    assert dict(sim.landed) == {"channel:digest": ["elsewhere"]}  # "second" waits behind "first"
    rows = await _rows(engine)
    assert [(i, status) for i, status, _ in rows] == [(1, "pending"), (2, "pending"), (3, "done")]
    assert rows[1][2] is not None and rows[1][2].replace(tzinfo=None) == crashed.replace(tzinfo=None)

    monkeypatch.setattr(SqlOutboxRepository, "claim", real)
    clock.advance(seconds=1)
    await relay.run_once()
    assert sim.landed["channel:welcome"] == ["first", "second"]
    # Given back as it was, "second" still says an earlier attempt may have got through.
    assert [(a.key, a.resumed) for a in sim.tries] == [
        ("outbox:3", False),
        ("outbox:1", False),
        ("outbox:2", True),
    ]


class Recording(SimPlatform):
    """Absorbs resends of role grants only; at each send, notes which items were already done."""

    def __init__(self, engine: AsyncEngine) -> None:
        super().__init__()
        self.engine = engine
        self.done_before: list[set[int]] = []

    def absorbs_resend(self, effect: Effect) -> bool:
        return isinstance(effect, GrantMemberAccess)

    async def deliver(
        self, effect: Effect, refs: Mapping[str, PlatformRef], attempt: Attempt | None = None
    ) -> Mapping[str, PlatformRef]:
        self.done_before.append({i for i, status, _ in await _rows(self.engine) if status == "done"})
        return await super().deliver(effect, refs, attempt)


async def test_an_effect_a_resend_would_repeat_is_recorded_before_the_next_send(
    app: App, clock: FixedClock, engine: AsyncEngine
) -> None:
    platform = Recording(engine)
    member = MemberRef("fake", "5")
    await _queue(
        app,
        [
            GrantMemberAccess(COMMUNITY, member),  # 1: absorbed (a grant repeats harmlessly)
            DirectMessage(COMMUNITY, MemberRef("fake", "6"), "hello"),  # 2: not absorbed here
            GrantMemberAccess(COMMUNITY, MemberRef("fake", "7")),  # 3
            PostMessage(COMMUNITY, "welcome", "hi"),  # 4: not absorbed here
        ],
    )
    relay = OutboxRelay(app.uow_factory, clock, {"fake": platform})
    await relay.run_once()
    # Item 1 waits for a batch write, but item 2's record takes it along before item 3 goes out;
    # item 3 is recorded with item 4, right after 4's send.
    assert platform.done_before == [set(), set(), {1, 2}, {1, 2}]
    assert {status for _, status, _ in await _rows(engine)} == {"done"}


async def test_a_batch_is_read_and_claimed_in_one_statement_where_the_database_can(
    app: App, clock: FixedClock, engine: AsyncEngine, notifier: FakeNotifier
) -> None:
    """One statement reads and claims the batch. An item that carries an earlier relay's expired
    claim is read with its mark, so its attempt says it may have got through before (on SQLite a
    second statement claims it: an UPDATE … RETURNING gives the rows as written)."""
    sqlite = engine.dialect.name == "sqlite"
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, sql: str, *_: Any) -> None:
        if "outbox" in sql:
            statements.append(sql)

    event.listen(engine.sync_engine, "before_cursor_execute", seen)
    try:
        await _queue(
            app,
            [PostMessage(COMMUNITY, "welcome", "hi"), DirectMessage(COMMUNITY, MemberRef("fake", "6"), "dm")],
        )
        statements.clear()
        await app.relay.run_once()
        assert len(statements) == 2  # the read and claim, the done marks
        assert [(a.key, a.resumed) for a in notifier.attempts if a] == [
            ("outbox:1", False),
            ("outbox:2", False),
        ]

        await _queue(
            app,
            [
                PostMessage(COMMUNITY, "welcome", "again"),
                GrantMemberAccess(COMMUNITY, MemberRef("fake", "7")),
            ],
        )
        async with app.uow_factory() as uow:  # item 3 was claimed by a relay that died
            await uow.session.execute(
                update(OutboxRow)
                .where(OutboxRow.id == 3)
                .values(claimed_until=clock.now() - timedelta(minutes=5))
            )
            await uow.commit()
        statements.clear()
        await app.relay.run_once()
        assert len(statements) == (3 if sqlite else 2)  # SQLite reads the mark, then claims item 3
        assert [(a.key, a.resumed) for a in notifier.attempts[2:] if a] == [
            ("outbox:3", True),
            ("outbox:4", False),
        ]
        assert {status for _, status, _ in await _rows(engine)} == {"done"}
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", seen)
