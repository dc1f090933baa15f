"""The digest chart renders for a busy community and for one with no data at all."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from matplotlib.image import imread

from bot.charts import render_digest_chart
from bot.core.metrics.digest import Digest
from bot.core.metrics.rules import (
    Actions,
    Activation,
    Activity,
    Applications,
    CohortReport,
    DigestData,
    Growth,
    PeerAnswers,
    Programming,
    Referrals,
    TrendPoint,
    WeekMetrics,
)
from bot.core.weeks import IsoWeek, Period

WEEK = IsoWeek(2026, 46)


def _digest(trend: tuple[TrendPoint, ...], cohorts: tuple[CohortReport, ...]) -> Digest:
    week = WeekMetrics(
        period=Period.of(WEEK, "UTC"),
        activity=Activity(0, 0, 0),
        activation=Activation(0, 0),
        referrals=Referrals(0, 0),
        peer_answers=PeerAnswers(0, 0),
        applications=Applications(0, 0, 0, None, 0, 0),
        programming=Programming(0, 0, 0, 0, 0, 0),
        growth=Growth(0, 0, 0),
    )
    actions = Actions((), 0, (), 0, (), (), (), (), 0)
    data = DigestData(week, week, trend, cohorts, (), actions)
    return Digest("c", "Community", datetime(2026, 11, 16, 9, tzinfo=UTC), data)


def _size(png: bytes) -> tuple[int, int]:
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    height, width = imread(io.BytesIO(png)).shape[:2]
    return width, height


def test_chart_with_trend_and_many_cohorts() -> None:
    trend = tuple(TrendPoint(WEEK.shift(n - 11), 0.08 + n / 100, 0.2 + n / 50) for n in range(12))
    cohorts = tuple(
        CohortReport(
            i, f"Cohort {i}", datetime(2026, 9, 7, tzinfo=UTC), 15, (12, 9, 8, 7, 7, 6, None, None), 3, 15, 6
        )
        for i in range(9)
    )
    assert _size(render_digest_chart(_digest(trend, cohorts))) == (1100, 440)


def test_chart_without_any_data() -> None:
    trend = tuple(TrendPoint(WEEK.shift(n - 11), None, None) for n in range(12))
    assert _size(render_digest_chart(_digest(trend, ()))) == (1100, 440)
