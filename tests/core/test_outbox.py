"""The transactional outbox: effects commit with state, survive a crash, retry, park, keep order."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.fake.platform import FakeNotifier
from bot.bootstrap import App, build_app
from bot.clock import FixedClock
from bot.config import Settings
from bot.core.effects import DirectMessage, EditMessage, PostMessage
from bot.core.refs import MemberRef
from bot.relay import OutboxRelay, RetryPolicy
from storage.db import create_engine
from storage.tables import OutboxRow
from storage.uow import SqlUnitOfWorkFactory
from tests.conftest import COMMUNITY


async def _queue(
    factory: SqlUnitOfWorkFactory, clock: FixedClock, *effects: object, key: str | None = None
) -> None:
    async with factory() as uow:
        for effect in effects:
            await uow.outbox.add(effect, platform="fake", now=clock.now(), dedupe_key=key)  # type: ignore[arg-type]
        await uow.commit()


async def test_effect_survives_a_crash_before_delivery(
    settings: Settings, clock: FixedClock, db_url: str
) -> None:
    # First process: the state change and its effect commit, then the process dies before the relay runs.
    first = build_app(settings, clock, {"fake": FakeNotifier()})
    await first.ensure_communities()
    await _queue(first.uow_factory, clock, DirectMessage(COMMUNITY, MemberRef("fake", "1"), "welcome"))
    await first.engine.dispose()

    # Second process: delivery happens at start.
    notifier = FakeNotifier()
    second = build_app(settings, clock, {"fake": notifier}, engine=create_engine(db_url))
    try:
        assert await second.relay.run_once() == 1
        assert [e.text for e in notifier.of_kind(DirectMessage)] == ["welcome"]
        assert await second.relay.run_once() == 0  # delivered once, not again
    finally:
        await second.engine.dispose()


async def test_failures_are_retried_with_backoff_then_parked(
    app: App, clock: FixedClock, notifier: FakeNotifier, engine: AsyncEngine
) -> None:
    # No circuit breaking and no alert here: this is the backoff and parking of one effect alone.
    policy = RetryPolicy(3, 10, 60, alert_channel=None, outage_after=100)
    relay = OutboxRelay(app.uow_factory, clock, {"fake": notifier}, policy)
    await _queue(app.uow_factory, clock, PostMessage(COMMUNITY, "welcome", "hello"))
    notifier.fail_next(5)
    assert await relay.run_once() == 1
    assert await relay.run_once() == 0  # not due yet: backoff
    clock.advance(seconds=10)
    assert await relay.run_once() == 1  # second attempt fails
    clock.advance(seconds=19)
    assert await relay.run_once() == 0
    clock.advance(seconds=1)
    assert await relay.run_once() == 1  # third attempt fails: parked
    clock.advance(hours=1)
    assert await relay.run_once() == 0
    async with app.uow_factory() as uow:
        parked = await uow.outbox.parked()
        assert [p.attempts for p in parked] == [3]
        assert "fake platform failure" in (parked[0].last_error or "")
        assert await uow.outbox.requeue_parked([parked[0].id], clock.now()) == 1
        await uow.commit()
    notifier.fail_next(0)
    assert await relay.run_once() == 1
    assert [e.text for e in notifier.of_kind(PostMessage)] == ["hello"]


async def test_permanent_failure_parks_at_once(app: App, clock: FixedClock, notifier: FakeNotifier) -> None:
    await _queue(app.uow_factory, clock, PostMessage(COMMUNITY, "welcome", "hello"))
    notifier.fail_next(1, permanent=True)
    await app.relay.run_once()
    async with app.uow_factory() as uow:
        assert len(await uow.outbox.parked(COMMUNITY)) == 1


async def test_edit_waits_for_its_post_and_uses_its_platform_ref(
    app: App, clock: FixedClock, notifier: FakeNotifier
) -> None:
    post = PostMessage(COMMUNITY, "applications", "Application #1", message_key="application:1")
    edit = EditMessage(COMMUNITY, "application:1", "Application #1 — approved")
    notifier.fail_next(1)  # the post fails once, so the edit must wait for it
    await _queue(app.uow_factory, clock, post, edit)
    await app.relay.run_once()
    assert notifier.delivered == []
    clock.advance(minutes=5)
    await app.relay.run_once()
    assert notifier.delivered == [post, edit]
    message_id = next(iter(notifier.messages))
    assert notifier.messages[message_id] == "Application #1 — approved"


async def test_dedupe_key_queues_an_effect_once(app: App, clock: FixedClock, engine: AsyncEngine) -> None:
    digest = PostMessage(COMMUNITY, "digest", "Week 47")
    await _queue(app.uow_factory, clock, digest, key="digest:test:2026-W47")
    await _queue(app.uow_factory, clock, digest, key="digest:test:2026-W47")
    async with engine.connect() as conn:
        assert len((await conn.execute(select(OutboxRow.id))).all()) == 1
