"""Finished weeks' metrics, kept (`metrics_week`): written in the weekly digest's short transaction,
read by every later digest for its trend and the week before.

A finished week's figures are frozen when first computed (a digest already posted them); a change
to a metric's definition (docs/metrics.md) bumps VERSION, and rows of an older version are ignored
and computed afresh.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.core.metrics.rules import WeekMetrics
from storage.metrics.tables import MetricsWeekRow
from storage.repository_base import SqlRepository, insert_ignore

VERSION = 1
_FIGURES: TypeAdapter[WeekMetrics] = TypeAdapter(WeekMetrics)


@functools.cache
def _kept_statement() -> Any:
    """The kept figures of :weeks (built once per process)."""
    return select(MetricsWeekRow.week, MetricsWeekRow.figures).where(
        MetricsWeekRow.community_id == bindparam("community_id"),
        MetricsWeekRow.timezone == bindparam("timezone"),
        MetricsWeekRow.week.in_(bindparam("weeks", expanding=True)),
        MetricsWeekRow.version == VERSION,
    )


async def kept_weeks(
    conn: AsyncConnection, community_id: str, timezone: str, weeks: Iterable[str]
) -> dict[str, WeekMetrics]:
    """The kept metrics of these finished weeks (by week id) that are of the current VERSION."""
    params = {"community_id": community_id, "timezone": timezone, "weeks": sorted(set(weeks))}
    rows = await conn.execute(_kept_statement(), params)
    return {week: _FIGURES.validate_python(figures) for week, figures in rows}


class SqlMetricsSnapshots(SqlRepository):
    """The MetricsSnapshots port: keeps finished weeks' metrics (the first computation wins)."""

    async def keep(self, community_id: str, weeks: Sequence[WeekMetrics], now: datetime) -> int:
        rows = [
            {
                "community_id": community_id,
                "week": str(metrics.period.week),
                "timezone": metrics.period.timezone,
                "version": VERSION,
                "figures": _FIGURES.dump_python(metrics, mode="json"),
                "computed_at": now,
            }
            for metrics in weeks
            if metrics.period.complete and metrics.period.end <= now
        ]
        if not rows:
            return 0
        table = MetricsWeekRow.__table__
        await self.session.execute(insert_ignore(self.dialect, table), rows)
        return len(rows)
