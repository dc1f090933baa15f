"""The relay under faults: a long platform outage, parked effects and what waits on them, a failed
mark-done write, order per channel, and a database outage in the log."""

from __future__ import annotations

import asyncio
import logging

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.bootstrap import App, build_app
from bot.clock import FixedClock
from bot.config import Settings
from bot.core.effects import DirectMessage, EditMessage, Effect, PostMessage
from bot.core.refs import MemberRef
from bot.relay import OutboxRelay, RetryPolicy
from bot.relay_requeue import requeue_with_dependants
from storage.delivery import SqlOutboxRepository
from storage.tables import OutboxRow
from tests.conftest import COMMUNITY
from tests.core.relay_kit import SimPlatform


@pytest.fixture
async def sim_app(settings: Settings, clock: FixedClock, engine: AsyncEngine) -> tuple[App, SimPlatform]:
    sim = SimPlatform()
    app = build_app(settings, clock, {"fake": sim}, engine=engine)
    await app.ensure_communities()
    return app, sim


async def _queue(app: App, *effects: Effect) -> None:
    async with app.uow_factory() as uow:
        for effect in effects:
            await uow.outbox.add(effect, platform="fake", now=app.clock.now())
        await uow.commit()


async def _statuses(engine: AsyncEngine) -> list[str]:
    async with engine.connect() as conn:
        return list((await conn.execute(select(OutboxRow.status).order_by(OutboxRow.id))).scalars())


def _burst(n: int) -> list[Effect]:
    channels = ("welcome", "announcements", "digest")
    effects: list[Effect] = [PostMessage(COMMUNITY, channels[i % 3], f"post {i}") for i in range(n)]
    effects += [DirectMessage(COMMUNITY, MemberRef("fake", "7"), f"dm {i}") for i in range(n // 3)]
    return effects


def _expected(effects: list[Effect]) -> dict[str, list[str]]:
    from bot.core.effects import lane

    lanes: dict[str, list[str]] = {}
    for effect in effects:
        assert isinstance(effect, PostMessage | DirectMessage)
        lanes.setdefault(lane(effect) or "", []).append(effect.text)
    return lanes


async def test_a_ten_minute_outage_pauses_delivery_and_ends_with_every_effect_once_in_order(
    sim_app: tuple[App, SimPlatform], clock: FixedClock, engine: AsyncEngine
) -> None:
    app, sim = sim_app
    effects = _burst(30)
    await _queue(app, *effects)
    sim.down = True
    for _ in range(120):  # ten minutes of a platform answering 5xx, the relay polled every 5 s
        await app.relay.run_once()
        clock.advance(seconds=5)
    # Paused, not spent: a few failures open the circuit, then one probe at a time (at most a minute
    # apart). Without the breaker each of the 40 effects is tried up to 8 times and parked.
    assert sim.calls <= 3 + 20
    assert "parked" not in await _statuses(engine)
    sim.down = False
    for _ in range(20):
        await app.relay.run_once()
        clock.advance(seconds=5)
    assert set(await _statuses(engine)) == {"done"}
    assert dict(sim.landed) == _expected(effects)  # each once, in order per channel and person
    assert sim.duplicates() == 0


async def test_what_an_outage_parked_is_requeued_when_the_platform_answers_with_what_waits_on_it(
    settings: Settings, clock: FixedClock, engine: AsyncEngine
) -> None:
    sim = SimPlatform()
    settings = settings.model_copy(
        update={"outbox": settings.outbox.model_copy(update={"max_attempts": 1, "outage_after": 2})}
    )
    app = build_app(settings, clock, {"fake": sim}, engine=engine)
    await app.ensure_communities()
    post = PostMessage(COMMUNITY, "welcome", "Application #1", message_key="application:1")
    edit = EditMessage(COMMUNITY, "application:1", "Application #1 — approved")
    other = PostMessage(COMMUNITY, "announcements", "Meetup")
    await _queue(app, post, edit, other)
    sim.down = True
    await app.relay.run_once()  # one try each is all they have: all parked, the circuit opens
    statuses = await _statuses(engine)
    assert statuses[:3] == ["parked", "parked", "parked"]
    assert statuses[3:] == ["pending"]  # the leads' alert (one, however many were parked)
    sim.down = False
    for _ in range(3):
        clock.advance(seconds=5)
        await app.relay.run_once()
    assert set(await _statuses(engine)) == {"done"}
    assert sim.messages == {"m0": "Application #1 — approved"}  # the edit followed its post
    assert sim.landed["channel:announcements"] == ["Meetup"]
    [alert] = sim.landed["channel:applications"]
    assert "townsquare outbox" in alert


async def test_an_edit_follows_its_post_when_a_lead_requeues_the_post(
    app: App, clock: FixedClock, engine: AsyncEngine
) -> None:
    sim = SimPlatform()
    relay = OutboxRelay(app.uow_factory, clock, {"fake": sim}, RetryPolicy(2, 1, 10, alert_channel=None))
    post = PostMessage(COMMUNITY, "nowhere", "Application #2", message_key="application:2")
    edit = EditMessage(COMMUNITY, "application:2", "Application #2 — declined")
    await _queue(app, post, edit)
    # The post is refused for good (a channel that does not exist): parked at once; its edit waits
    # for it until it is parked too.
    async with app.uow_factory() as uow:
        [post_item, _] = await uow.outbox.due(["fake"], clock.now(), 10)
        await uow.outbox.mark_failed(post_item.id, "no channel", None, retryable=False)
        await uow.commit()
    for _ in range(3):
        await relay.run_once()
        clock.advance(seconds=30)
    assert await _statuses(engine) == ["parked", "parked"]
    async with app.uow_factory() as uow:  # what `townsquare outbox --retry ID` does
        assert await requeue_with_dependants(uow, [post_item.id], clock.now()) == 2
        await uow.commit()
    await relay.run_once()
    assert await _statuses(engine) == ["done", "done"]
    assert list(sim.messages.values()) == ["Application #2 — declined"]


async def test_a_failed_post_is_not_overtaken_by_a_later_one_to_its_channel(
    app: App, clock: FixedClock
) -> None:
    sim = SimPlatform()
    relay = OutboxRelay(app.uow_factory, clock, {"fake": sim}, RetryPolicy(outage_after=100))
    await _queue(app, PostMessage(COMMUNITY, "welcome", "first"))
    sim.down = True
    await relay.run_once()  # "first" fails and waits 2 s
    sim.down = False
    await _queue(app, PostMessage(COMMUNITY, "welcome", "second"), PostMessage(COMMUNITY, "digest", "other"))
    await relay.run_once()
    assert dict(sim.landed) == {"channel:digest": ["other"]}  # "second" waits behind "first"
    clock.advance(seconds=2)
    await relay.run_once()
    assert sim.landed["channel:welcome"] == ["first", "second"]


async def test_a_failed_mark_done_write_is_retried_and_the_effect_sent_once(
    app: App, clock: FixedClock, engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    sim = SimPlatform()
    policy = RetryPolicy(record_retry_seconds=(0, 0))
    relay = OutboxRelay(app.uow_factory, clock, {"fake": sim}, policy)
    real = SqlOutboxRepository.mark_done
    failures = {"left": 2}

    async def flaky(self: SqlOutboxRepository, item_id: int, now: object) -> None:
        if failures["left"]:
            failures["left"] -= 1
            raise OperationalError("UPDATE outbox", {}, Exception("database is locked"))
        await real(self, item_id, now)  # type: ignore[arg-type]

    monkeypatch.setattr(SqlOutboxRepository, "mark_done", flaky)
    await _queue(app, PostMessage(COMMUNITY, "welcome", "hello"))
    await relay.run_once()
    assert await _statuses(engine) == ["done"]
    assert sim.sends == ["outbox:1"]


async def test_a_send_the_database_cannot_record_is_recorded_later_never_sent_again(
    app: App, clock: FixedClock, engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    sim = SimPlatform()
    relay = OutboxRelay(app.uow_factory, clock, {"fake": sim}, RetryPolicy(record_retry_seconds=(0,)))
    real = SqlOutboxRepository.mark_done
    database = {"up": False}

    async def away(self: SqlOutboxRepository, item_id: int, now: object) -> None:
        if not database["up"]:
            raise OperationalError("UPDATE outbox", {}, Exception("server closed the connection"))
        await real(self, item_id, now)  # type: ignore[arg-type]

    monkeypatch.setattr(SqlOutboxRepository, "mark_done", away)
    await _queue(app, PostMessage(COMMUNITY, "welcome", "first"), PostMessage(COMMUNITY, "welcome", "second"))
    with pytest.raises(ConnectionError):  # run_forever logs it once and backs off
        await relay.run_once()
    assert sim.sends == ["outbox:1"]  # sent, not recorded: nothing more goes out meanwhile
    clock.advance(minutes=5)  # the claim runs out; the relay still knows it sent it
    with pytest.raises(ConnectionError):
        await relay.run_once()
    assert sim.sends == ["outbox:1"]
    database["up"] = True
    await relay.run_once()
    assert sim.sends == ["outbox:1", "outbox:2"]
    assert await _statuses(engine) == ["done", "done"]


async def test_a_database_outage_is_two_log_lines_and_a_summary_not_a_traceback_per_pass(
    app: App, clock: FixedClock, caplog: pytest.LogCaptureFixture
) -> None:
    relay = app.relay
    real_factory = relay.uow_factory
    database = {"up": False, "passes": 0}

    def factory() -> object:
        database["passes"] += 1
        if not database["up"]:
            raise OperationalError("SELECT", {}, ConnectionRefusedError("connection refused"))
        return real_factory()

    relay.uow_factory = factory  # type: ignore[assignment]
    began = clock.now()
    caplog.set_level(logging.DEBUG, logger="townsquare.outbox")
    task = asyncio.create_task(relay.run_forever(poll_seconds=0.001, max_backoff_seconds=0.002))
    try:
        while database["passes"] < 100:
            await asyncio.sleep(0.01)
            clock.advance(seconds=60)  # the summary is due every five minutes of the clock
        database["up"] = True
        seen = database["passes"]
        for _ in range(1000):
            if database["passes"] >= seen + 5:
                break
            await asyncio.sleep(0.01)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    records = [r for r in caplog.records if r.name == "townsquare.outbox"]
    assert not any(r.exc_info for r in records)
    warnings = [r.getMessage() for r in records if r.levelno >= logging.WARNING]
    assert len(warnings) == 2
    assert "unreachable" in warnings[0] and "answers again" in warnings[1]
    summaries = [r.getMessage() for r in records if "database errors" in r.getMessage()]
    minutes = (clock.now() - began).total_seconds() / 60
    assert 1 <= len(summaries) <= minutes / 5 + 1
    assert len(records) <= len(summaries) + 2
