"""Ports of metrics: what its handlers need from storage, as Protocols."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from bot.core.metrics.digest import Digest
from bot.core.metrics.rules import DigestData, MetricsPolicy, WeekMetrics
from bot.core.weeks import Period


class MetricsReader(Protocol):
    """Read-side SQL over the rollups for health metrics and the digest (definitions: docs/metrics.md).

    Reads on a read-only connection of its own, so a report never holds SQLite's write lock."""

    async def week(self, community_id: str, period: Period, policy: MetricsPolicy) -> WeekMetrics:
        """Every metric for one period."""
        ...

    async def digest(self, community_id: str, period: Period, policy: MetricsPolicy) -> DigestData:
        """What a digest shows: this period and the one before, the trend, cohorts, action lists."""
        ...


class MetricsSnapshots(Protocol):
    """The rollup of finished weeks: a week's metrics, kept once computed, so later digests read them
    instead of computing them again."""

    async def keep(self, community_id: str, weeks: Sequence[WeekMetrics], now: datetime) -> int:
        """Keep the metrics of the finished weeks among `weeks` (a week kept before stays as it was)."""
        ...


class ChartRenderer(Protocol):
    """Draws the digest chart (bot/charts.py: matplotlib, outside the core)."""

    async def digest_chart(self, digest: Digest) -> bytes:
        """PNG bytes: the 12-week trend and cohort retention."""
        ...
