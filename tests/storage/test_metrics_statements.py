"""The metrics' week statements (storage/metrics/statements.py) are built once and reused, on SQLite
and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql import cache_key

from bot.core.metrics.rules import MetricsPolicy
from bot.core.weeks import IsoWeek, Period
from storage.db import for_reports
from storage.feedback import report
from storage.metrics import statements
from storage.metrics.reader import MetricsQueries
from tests.storage.digest_fixture import Ids, seed_digest_community

W46 = IsoWeek(2026, 46)
POLICY = MetricsPolicy(sla_hours=48, stalled_after_days=7, stalled_window_days=28, list_limit=10)


@pytest.fixture
async def seeded(engine: AsyncEngine) -> Ids:
    return await seed_digest_community(engine)


@pytest.fixture
def cache_keys_made() -> Iterator[list[Any]]:
    """The statements whose cache key SQLAlchemy works out (again) while the test runs."""
    made: list[Any] = []
    original = cache_key.HasCacheKey._generate_cache_key

    def counting(self: Any) -> Any:
        made.append(self)
        return original(self)

    cache_key.HasCacheKey._generate_cache_key = counting  # type: ignore[method-assign]
    try:
        yield made
    finally:
        cache_key.HasCacheKey._generate_cache_key = original  # type: ignore[method-assign]


async def test_a_second_week_reuses_the_week_statements(
    engine: AsyncEngine, seeded: Ids, cache_keys_made: list[Any]
) -> None:
    for built in (statements.member_counts, statements.activity, statements.applications):
        built.cache_clear()  # built afresh by the first week, whatever ran before in this process
    async with for_reports(engine).connect() as conn:
        first = await MetricsQueries(conn, "test").week(Period.of(W46, "UTC"), POLICY)
        made_first = len(cache_keys_made)
        second = await MetricsQueries(conn, "test").week(Period.of(W46.shift(-1), "UTC"), POLICY)
    assert made_first > 0
    assert len(cache_keys_made) == made_first  # the second week: the same statements, new parameters
    assert first.period.week == W46 and second.period.week == W46.shift(-1)
    assert statements.activity() is statements.activity()


async def test_a_second_week_reuses_the_feedback_statements(
    engine: AsyncEngine, seeded: Ids, cache_keys_made: list[Any]
) -> None:
    report._figures.cache_clear()
    async with for_reports(engine).connect() as conn:
        for week in (W46, W46.shift(-1)):
            period = Period.of(week, "UTC")
            before = len(cache_keys_made)
            figures = await report.feedback_figures(
                conn, "test", period.start, period.end, period.end - timedelta(days=183)
            )
            made = len(cache_keys_made) - before
            if week == W46:
                assert made > 0
                assert (figures.ideas_filed, figures.votes, figures.status_changes) == (2, 3, 1)
            else:
                assert made == 0  # the same six statements, new parameters
    assert report._figures() is report._figures()
