"""The contribution ingest path: counted once, batched, backpressure instead of loss, rollups,
activation and referral credit, bots and excluded channels left out."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.fake.platform import FakeNotifier
from bot.bootstrap import App
from bot.clock import FixedClock
from bot.config import Settings
from bot.core.effects import PostMessage
from bot.core.events import MessagePosted, ReactionAdded
from bot.core.text import mentions_in
from bot.ingest import ContributionIngestor
from storage.contributions.tables import ContributionRow, MemberWeekRow
from storage.tables import MemberRow
from tests.conftest import COMMUNITY, make_settings
from tests.core.support import add_member, count, ref


@pytest.fixture
def settings(db_url: str) -> Settings:
    return make_settings(
        db_url,
        contributions={
            "excluded_channels": ["bot-spam"],
            "weights": {"thread_reply": 2.0},
            "referral_retention_days": 0,  # credit at the first contribution
        },
    )


@pytest.fixture
async def ingest(app: App) -> AsyncIterator[ContributionIngestor]:
    app.ingest.start()
    yield app.ingest
    await app.ingest.stop()


def message(user: int | str, message_id: str, at: datetime, **kwargs: object) -> MessagePosted:
    return MessagePosted(
        community_id=COMMUNITY, member=ref(user), channel_id="general", message_id=message_id, at=at, **kwargs
    )


async def _weeks(engine: AsyncEngine) -> list[tuple[str, str, int, float]]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(MemberRow.user_id, MemberWeekRow.kind, MemberWeekRow.count, MemberWeekRow.weight)
            .join(MemberRow, MemberRow.id == MemberWeekRow.member_id)
            .order_by(MemberRow.user_id, MemberWeekRow.kind)
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


async def test_a_replayed_event_is_counted_once(
    ingest: ContributionIngestor, engine: AsyncEngine, clock: FixedClock
) -> None:
    event = message(1, "m1", clock.now())
    await ingest.submit(event)
    await ingest.submit(event)  # the same batch
    await ingest.drain()
    await ingest.submit(event)  # a later batch: a gateway replay after a reconnect
    await ingest.drain()
    assert await count(engine, ContributionRow) == 1
    assert await _weeks(engine) == [("1", "message", 1, 1.0)]


async def test_a_full_queue_makes_submit_wait_and_nothing_is_lost(
    app: App, engine: AsyncEngine, clock: FixedClock
) -> None:
    ingest = ContributionIngestor(app.uow_factory, clock, app.bus.communities, queue_size=3)
    for i in range(3):
        await ingest.submit(message(1, f"m{i}", clock.now()))
    blocked = asyncio.create_task(ingest.submit(message(1, "m3", clock.now())))
    for _ in range(20):
        await asyncio.sleep(0)
    assert not blocked.done()  # backpressure: the fourth waits for room rather than being dropped
    assert ingest.queued == 3
    ingest.start()
    await blocked
    await ingest.stop()
    assert await count(engine, ContributionRow) == 4


async def test_kinds_weights_and_weekly_rollups(
    ingest: ContributionIngestor, engine: AsyncEngine, clock: FixedClock
) -> None:
    now = clock.now()
    await ingest.submit(message(1, "m1", now))
    await ingest.submit(message(1, "m2", now, in_thread=True))
    await ingest.submit(message(1, "m3", now + timedelta(days=7)))  # the next ISO week
    await ingest.submit(
        ReactionAdded(
            community_id=COMMUNITY,
            member=ref(2),
            channel_id="general",
            message_id="m1",
            at=now,
            message_author=ref(1),
        )
    )
    await ingest.drain()
    assert await _weeks(engine) == [
        ("1", "message", 1, 1.0),
        ("1", "message", 1, 1.0),
        ("1", "thread_reply", 1, 2.0),  # configured weight
        ("2", "reaction", 1, 0.25),
    ]
    async with engine.connect() as conn:
        target = await conn.scalar(
            select(ContributionRow.target_member_id).where(ContributionRow.kind == "reaction")
        )
        author = await conn.scalar(select(MemberRow.id).where(MemberRow.user_id == "1"))
    assert target == author


async def test_bots_excluded_channels_and_self_reactions_do_not_count(
    app: App, ingest: ContributionIngestor, engine: AsyncEngine, clock: FixedClock
) -> None:
    now = clock.now()
    bot = await add_member(app, "bot", admitted=False)
    async with ingest.uow_factory() as uow:
        row = await uow.members.get(bot.id)
        assert row is not None
        row.is_bot = True
        await uow.members.save(row)
        await uow.commit()
    await ingest.submit(message("bot", "b1", now))  # flagged bot in the database
    await ingest.submit(message(3, "b2", now, is_bot=True))  # flagged by the adapter
    await ingest.submit(
        MessagePosted(community_id=COMMUNITY, member=ref(1), channel_id="bot-spam", message_id="x", at=now)
    )
    await ingest.submit(
        ReactionAdded(
            community_id=COMMUNITY,
            member=ref(1),
            channel_id="general",
            message_id="m",
            at=now,
            message_author=ref(1),
        )
    )
    await ingest.drain()
    assert await count(engine, ContributionRow) == 0
    assert ingest.stats.ignored == 3


async def test_first_contribution_activates_and_credits_the_referrer_within_14_days(
    app: App, ingest: ContributionIngestor, engine: AsyncEngine, clock: FixedClock, notifier: FakeNotifier
) -> None:
    referrer = await add_member(app, "r")
    quick = await add_member(app, "q", referred_by_id=referrer.id)
    slow = await add_member(app, "s", referred_by_id=referrer.id)
    start = clock.now()
    await ingest.submit(message("q", "q2", start + timedelta(days=2)))
    await ingest.submit(message("q", "q1", start + timedelta(days=1)))  # out of order: earliest wins
    await ingest.submit(message("s", "s1", start + timedelta(days=15)))  # too late for the referrer
    await ingest.drain()
    async with app.uow_factory() as uow:
        got_quick, got_slow = await uow.members.get(quick.id), await uow.members.get(slow.id)
    assert got_quick and got_quick.first_contribution_at == start + timedelta(days=1)
    assert got_slow and got_slow.first_contribution_at == start + timedelta(days=15)
    credits = await count(engine, ContributionRow, ContributionRow.kind == "referral_activated")
    assert credits == 1
    await ingest.submit(message("q", "q3", start + timedelta(days=3)))
    await ingest.drain()
    assert await count(engine, ContributionRow, ContributionRow.kind == "referral_activated") == 1
    # The batch reports to the bus: the First Contribution badge follows, announced once each.
    await app.relay.run_once()
    announced = [p for p in notifier.of_kind(PostMessage) if p.channel == "recognition"]
    winners = sorted(m for p in announced if "First Contribution" in p.text for m in mentions_in(p.text))
    assert winners == [ref("q"), ref("r"), ref("s")]  # the referrer's credit is a contribution too


@pytest.mark.parametrize("contended, batches", [(False, [4, 4, 2]), (True, [2, 2, 2, 2, 2])])
async def test_batches_are_shorter_while_members_commands_wait_for_the_writes(
    app: App, engine: AsyncEngine, clock: FixedClock, contended: bool, batches: list[int]
) -> None:
    ingest = ContributionIngestor(
        app.uow_factory,
        clock,
        app.bus.communities,
        batch_size=4,
        contended=lambda: contended,
        contended_batch_size=2,
        flush_seconds=0.0,
    )
    written: list[int] = []
    record = ingest._write_until_done  # noqa: SLF001  (the batches as the writer makes them)

    async def counting(batch: list[object]) -> None:
        written.append(len(batch))
        await record(batch)  # type: ignore[arg-type]

    ingest._write_until_done = counting  # type: ignore[method-assign]  # noqa: SLF001
    for i in range(10):
        await ingest.submit(message(1 + i % 3, f"m{i}", clock.now()))
    ingest.start()
    await ingest.drain()
    await ingest.stop()
    assert written == batches
    assert await count(engine, ContributionRow) == 10  # every fact counted, in either size
