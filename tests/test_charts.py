"""The digest chart renders for a busy community and for one with no data at all; the figure reused
from render to render draws exactly what a fresh one does."""

from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime

from matplotlib.image import imread

from bot.charts import DigestFigure, render_digest_chart, render_digest_chart_afresh
from bot.core.metrics.digest import Digest, HealthyRange, HealthyRanges
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


def _variety() -> list[Digest]:
    """Digests that change what a render leaves behind: limits, tick counts, legends, lines, ranges."""
    busy = _digest(
        tuple(TrendPoint(WEEK.shift(n - 11), 0.08 + n / 100, 0.2 + n / 50) for n in range(12)),
        tuple(
            CohortReport(
                i,
                f"Cohort {i}",
                datetime(2026, 9, 7, tzinfo=UTC),
                15,
                (12, 9, 8, 7, 7, 6, None, None),
                3,
                15,
                6,
            )
            for i in range(9)
        ),
    )
    empty = _digest(tuple(TrendPoint(WEEK.shift(n - 11), None, None) for n in range(12)), ())
    high = _digest(
        tuple(TrendPoint(WEEK.shift(n - 8), 0.9 + n / 200, None if n % 3 else 1.0) for n in range(12)),
        (
            CohortReport(
                1,
                "A cohort with a rather long name, cut",
                datetime(2026, 10, 5, tzinfo=UTC),
                3,
                (3, 2) + (None,) * 6,
                1,
                3,
                2,
            ),
        ),
    )
    no_ranges = replace(
        busy,
        ranges=HealthyRanges(HealthyRange(None, None), HealthyRange(None, None)),
        community_name="Elsewhere",
    )
    early = _digest(  # other week numbers: other tick labels, so another layout
        tuple(TrendPoint(IsoWeek(2026, 5).shift(n), None if n < 4 else 0.3, 0.5) for n in range(12)), ()
    )
    # A pair whose layouts differ by a hair: a render that started the layout from where the last
    # one left the axes (not where a new figure has them) drew the second a pixel off.
    active = (0.542, 0.441, 0.413, 0.414, 0.373, 0.407, 0.469, 0.496, 0.434, 0.448, 0.424, 0.425)
    first = (None, 0.583, 0.0, 0.167, 0.214, 0.3, 0.435, 0.294, 0.409, 0.162, 0.432, 0.179)
    later = _digest(tuple(TrendPoint(IsoWeek(2026, 11).shift(n), active[n], first[n]) for n in range(12)), ())
    earlier = _digest(
        tuple(
            TrendPoint(IsoWeek(2026, 5).shift(n), *((None, None) if n < 6 else (active[n - 6], first[n - 6])))
            for n in range(12)
        ),
        (),
    )
    return [busy, empty, high, early, no_ranges, later, earlier, busy, early, high, empty, no_ranges]


def test_the_reused_figure_draws_what_a_fresh_one_does() -> None:
    digests = _variety()
    fresh = [render_digest_chart_afresh(digest) for digest in digests]
    assert [render_digest_chart(digest) for digest in digests] == fresh  # byte for byte, in turn
    assert len(set(fresh)) == 7
    with ThreadPoolExecutor(max_workers=4) as pool:  # the renderer's worker threads take turns
        assert list(pool.map(render_digest_chart, digests)) == fresh


def test_the_fixed_layout_keeps_every_text_inside_the_figure_and_the_axes_apart() -> None:
    long_name = replace(_variety()[2], community_name="A community with a rather long name " * 2)
    for digest in [*_variety(), long_name]:
        chart = DigestFigure()
        chart.render(digest)
        renderer = chart.canvas.get_renderer()  # type: ignore[no-untyped-call]
        inside = chart.figure.bbox.padded(1)  # a pixel of antialiasing either side
        # What each axes drew: tick labels, axis label, title, legend; then the figure's title.
        trend = chart.trend_ax.get_tightbbox(renderer)
        cohort = chart.cohort_ax.get_tightbbox(renderer)
        suptitle = chart.figure.texts[0].get_window_extent(renderer)
        for box in (trend, cohort, suptitle):
            assert box is not None
            assert inside.contains(box.x0, box.y0) and inside.contains(box.x1, box.y1), box
        assert trend is not None and cohort is not None
        assert trend.x1 < cohort.x0  # the cohort's "100%" labels clear the trend axes
        assert suptitle.y0 > max(trend.y1, cohort.y1) - 1  # the axes' titles stay under the figure's
