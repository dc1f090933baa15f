"""The outbox's `due` query against the rule it implements, written out plainly in Python: random
outboxes (items in lanes, due or not, claimed or not, done, parked, on two platforms and communities)
and every filter the relay passes (platforms, paused pairs, one community, kinds, a limit)."""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.clock import FixedClock
from bot.core.effects import AssignBadgeRole, DirectMessage, Effect, PostMessage
from bot.core.refs import MemberRef
from bot.features import bindings
from storage.tables import OutboxRow
from storage.uow import SqlUnitOfWork, SqlUnitOfWorkFactory

COMMUNITIES = ("c1", "c2")
PLATFORMS = ("fake", "other")


@dataclass
class Item:
    id: int
    community_id: str
    platform: str
    kind: str
    lane: str | None
    status: str
    next_attempt_at: datetime
    claimed_until: datetime | None


def _effect(rng: random.Random, community: str) -> Effect:
    choice = rng.randrange(3)
    if choice == 0:
        return PostMessage(community, rng.choice(("welcome", "digest", "news")), "post")
    if choice == 1:
        return DirectMessage(community, MemberRef("fake", str(rng.randrange(3))), "dm")
    return AssignBadgeRole(community, MemberRef("fake", "1"), "badge")  # no lane


def _expected(
    items: list[Item],
    now: datetime,
    platforms: tuple[str, ...],
    limit: int,
    community_id: str | None,
    kinds: list[str] | None,
    paused: list[tuple[str, str]],
) -> list[int]:
    def waits(earlier: Item) -> bool:
        return earlier.status == "pending" and (
            earlier.next_attempt_at > now
            or (earlier.claimed_until is not None and earlier.claimed_until >= now)
        )

    def held_back(item: Item) -> bool:
        return item.lane is not None and any(
            e.community_id == item.community_id and e.lane == item.lane and e.id < item.id and waits(e)
            for e in items
        )

    due = [
        i.id
        for i in sorted(items, key=lambda i: i.id)
        if i.status == "pending"
        and i.platform in platforms
        and i.next_attempt_at <= now
        and (i.claimed_until is None or i.claimed_until < now)
        and not held_back(i)
        and (i.platform, i.community_id) not in paused
        and (community_id is None or i.community_id == community_id)
        and (kinds is None or i.kind in kinds)
    ]
    return due[:limit]


Case = tuple[tuple[str, ...], int, str | None, list[str] | None, list[tuple[str, str]]]
CASES: list[Case] = [
    (PLATFORMS, 100, None, None, []),
    (("fake",), 100, None, None, []),
    (PLATFORMS, 3, None, None, []),
    (PLATFORMS, 100, None, None, [("fake", "c1")]),
    (PLATFORMS, 100, None, None, [("fake", "c2"), ("other", "c1")]),
    (PLATFORMS, 100, "c2", None, []),
    (PLATFORMS, 100, "c1", ["direct_message"], [("other", "c1")]),
    (("other",), 100, None, ["post_message", "assign_badge_role"], []),
]


async def _random_outbox(
    engine: AsyncEngine, clock: FixedClock, seed: int, marks: int = 2
) -> tuple[SqlUnitOfWorkFactory, list[Item]]:
    """60 items in random states; `marks`: how many of every 7 carry no claim mark."""
    rng = random.Random(seed)
    factory = SqlUnitOfWorkFactory(engine, bindings())
    now = clock.now()
    minutes = [timedelta(minutes=m) for m in (-5, -1, 0, 1, 5)]
    items: list[Item] = []
    async with factory() as uow:
        for community in COMMUNITIES:
            await uow.communities.ensure(community, community, "fake", now)
        await uow.commit()
    async with factory() as uow:
        for _ in range(60):
            community, platform = rng.choice(COMMUNITIES), rng.choice(PLATFORMS)
            effect = _effect(rng, community)
            await uow.outbox.add(effect, platform=platform, now=now)
            status = rng.choice(("pending", "pending", "pending", "done", "parked"))
            next_at = now + rng.choice(minutes)
            claimed = rng.choice((*(None for _ in range(marks)), *(now + m for m in minutes)))
            items.append(Item(0, community, platform, effect.kind, None, status, next_at, claimed))
        await uow.commit()
    async with factory() as uow:
        # The rows in insertion order, with their ids and lanes; then each gets its random state.
        for item, row_item in zip(items, await _all(uow), strict=True):
            item.id, item.lane = row_item
            await uow.session.execute(
                update(OutboxRow)
                .where(OutboxRow.id == item.id)
                .values(
                    status=item.status, next_attempt_at=item.next_attempt_at, claimed_until=item.claimed_until
                )
            )
        await uow.commit()
    return factory, items


@pytest.mark.parametrize("seed", range(10))
async def test_due_items_are_exactly_those_the_lane_rule_lets_through(
    engine: AsyncEngine, clock: FixedClock, seed: int
) -> None:
    factory, items = await _random_outbox(engine, clock, seed)
    now = clock.now()
    async with factory() as uow:
        for platforms, limit, community_id, kinds, paused in CASES:
            got = await uow.outbox.due(
                list(platforms), now, limit, community_id=community_id, kinds=kinds, paused=paused
            )
            want = _expected(items, now, platforms, limit, community_id, kinds, paused)
            assert [i.id for i in got] == want, (platforms, limit, community_id, kinds, paused)
            by_id = {i.id: i for i in items}
            for got_item in got:
                assert (got_item.community_id, got_item.platform) == (
                    by_id[got_item.id].community_id,
                    by_id[got_item.id].platform,
                )
                assert got_item.claimed_until == by_id[got_item.id].claimed_until


async def _all(uow: SqlUnitOfWork) -> list[tuple[int, str | None]]:
    rows = await uow.session.execute(select(OutboxRow.id, OutboxRow.lane).order_by(OutboxRow.id))
    return [(row.id, row.lane) for row in rows]


@pytest.mark.parametrize("seed", range(10))
async def test_claim_due_claims_exactly_the_due_items_and_gives_their_marks_as_read(
    engine: AsyncEngine, clock: FixedClock, seed: int
) -> None:
    """One statement reads what `due` reads and claims it (on SQLite a second one claims the items
    that carried an earlier relay's mark, which they are read with)."""
    factory, items = await _random_outbox(engine, clock, seed)
    now = clock.now()
    lease_until = now + timedelta(minutes=2)
    by_id = {i.id: i for i in items}
    for platforms, limit, community_id, kinds, paused in CASES:
        async with factory() as uow:  # each case on the same outbox: rolled back at the end
            got = await uow.outbox.claim_due(
                list(platforms),
                now,
                limit,
                lease_until,
                community_id=community_id,
                kinds=kinds,
                paused=paused,
            )
            rows = await uow.session.execute(select(OutboxRow.id, OutboxRow.claimed_until))
            marks = {row.id: row.claimed_until for row in rows}
        assert got is not None
        read, claimed = got
        want = _expected(items, now, platforms, limit, community_id, kinds, paused)
        assert [i.id for i in read] == want and claimed == set(want)
        for got_item in read:
            mark = by_id[got_item.id].claimed_until
            assert _same(got_item.claimed_until, mark) and got_item.resumed is (mark is not None)
        for item in items:
            assert _same(marks[item.id], lease_until if item.id in want else item.claimed_until)


def _same(a: datetime | None, b: datetime | None) -> bool:
    """Equal instants (SQLite gives them back without their UTC zone through a plain select)."""
    if a is None or b is None:
        return a is b
    return a.replace(tzinfo=None) == b.replace(tzinfo=None)


async def test_an_item_a_concurrent_relay_claims_meanwhile_is_read_but_not_claimed(
    engine: AsyncEngine, clock: FixedClock
) -> None:
    """PostgreSQL: the one statement waits for another relay's claim of an item it read, re-checks the
    row and leaves it, and still returns it (unclaimed), so the relay stops that item's lane and the
    item behind it, which it did claim, is not sent first."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite runs the statement under its write lock: no claim can come in between")
    factory = SqlUnitOfWorkFactory(engine, bindings())
    now = clock.now()
    async with factory() as uow:
        await uow.communities.ensure("c1", "c1", "fake", now)
        for words in ("first", "second"):
            await uow.outbox.add(PostMessage("c1", "welcome", words), platform="fake", now=now)
        await uow.commit()
    async with factory() as uow:
        first, second = (item_id for item_id, _ in await _all(uow))
    async with factory() as other:
        assert await other.outbox.claim([first], now, now + timedelta(minutes=2)) == {first}
        async with factory() as uow:
            pid = await uow.session.scalar(text("SELECT pg_backend_pid()"))
            claiming = asyncio.ensure_future(
                uow.outbox.claim_due(["fake"], now, 10, now + timedelta(minutes=3))
            )
            async with engine.connect() as conn:  # until the statement waits for the other claim
                waiting = text("SELECT wait_event_type FROM pg_stat_activity WHERE pid = :pid")
                for _ in range(500):
                    if await conn.scalar(waiting, {"pid": pid}) == "Lock":
                        break
                    await asyncio.sleep(0.01)
                else:
                    pytest.fail("the claim never waited for the other relay's")
            await other.commit()
            got = await claiming
            assert got is not None
            items, claimed = got
            assert [i.id for i in items] == [first, second] and claimed == {second}
