"""The rollup of finished weeks: the weekly digest keeps the weeks it computed, later digests read
them instead of scanning again (and a definition change, a new VERSION, computes them afresh)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.bootstrap import App
from bot.clock import FixedClock
from bot.core.metrics.commands import PostWeeklyDigest
from bot.core.metrics.handlers import build_digest, policy_of
from bot.core.metrics.ports import MetricsSnapshots
from bot.core.weeks import IsoWeek, Period
from storage.contributions.tables import ContributionRow, MemberWeekRow
from storage.metrics.reader import SqlMetricsReader
from storage.metrics.snapshots import VERSION
from storage.metrics.tables import MemberActivityRow, MetricsWeekRow
from tests.conftest import COMMUNITY
from tests.core.test_digest import MONDAY_AFTER, W46
from tests.storage.digest_fixture import Ids, seed_digest_community


@pytest.fixture
async def seeded(engine: AsyncEngine) -> Ids:
    return await seed_digest_community(engine, COMMUNITY)


async def _forget_history(engine: AsyncEngine) -> None:
    """Every contribution gone: only kept weeks still show activity."""
    async with engine.begin() as conn:
        await conn.execute(delete(MemberWeekRow))
        await conn.execute(delete(MemberActivityRow))
        await conn.execute(delete(ContributionRow))


async def test_later_digests_read_the_weeks_the_weekly_digest_kept(
    app: App, clock: FixedClock, engine: AsyncEngine, seeded: Ids
) -> None:
    clock.set(MONDAY_AFTER)
    await app.bus.handle(PostWeeklyDigest(community_id=COMMUNITY, week=str(W46)))
    async with engine.connect() as conn:
        kept = set((await conn.execute(select(MetricsWeekRow.week, MetricsWeekRow.version))).all())
    assert kept == {("2026-W46", VERSION), ("2026-W45", VERSION)}

    community = app.settings.communities[0]
    reader = SqlMetricsReader(engine)
    later = MONDAY_AFTER + timedelta(weeks=1)
    before = await build_digest(reader, community, W46.shift(1), later)
    assert before.data.previous.activity.active_members > 0  # W46 had contributors

    await _forget_history(engine)
    after = await build_digest(reader, community, W46.shift(1), later)
    assert after.data.previous == before.data.previous  # read from the rollup, not recomputed
    assert after.data.trend[-2] == before.data.trend[-2]  # W46's trend point too
    assert after.data.current.activity.active_members == 0  # W47 itself is computed

    async with engine.begin() as conn:  # a metric's definition changed since: the row is stale
        await conn.execute(update(MetricsWeekRow).values(version=VERSION - 1))
    afresh = await build_digest(reader, community, W46.shift(1), later)
    assert afresh.data.previous.activity.active_members == 0
    assert afresh.data.trend[-2].active_contributor_ratio == 0


async def test_only_finished_weeks_are_kept(app: App, clock: FixedClock, engine: AsyncEngine) -> None:
    clock.set(MONDAY_AFTER + timedelta(days=1))  # W47 is running
    reader = SqlMetricsReader(engine)
    digest = await build_digest(reader, app.settings.communities[0], IsoWeek(2026, 47), clock.now())
    # The running week, the same part of the week before, and the whole week before.
    whole = await reader.week(COMMUNITY, Period.of(W46, "UTC"), policy_of(app.settings.communities[0]))
    assert not digest.data.current.period.complete and not digest.data.previous.period.complete
    async with app.uow_factory() as uow:
        kept = await uow.repo(MetricsSnapshots).keep(
            COMMUNITY, (digest.data.current, digest.data.previous, whole), clock.now()
        )
        await uow.commit()
    assert kept == 1
    async with engine.connect() as conn:
        assert (await conn.execute(select(MetricsWeekRow.week))).all() == [("2026-W46",)]
