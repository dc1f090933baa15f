"""The digest chart: what it shows for a busy community, one with gaps and one with no data at all
(the plan); that the painted picture has it (pixels and placed texts); that every text stays inside
the figure and clear of the other axes; and that the painter reused from render to render draws
exactly what a fresh one does."""

from __future__ import annotations

import io
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from PIL import Image

from bot.chart_plan import (
    COHORT_BOX,
    COLOURS,
    MAX_COHORT_LINES,
    NO_COHORT,
    SIZE,
    TREND_BOX,
    TREND_LABELS,
    Box,
    plan,
    y_ticks,
)
from bot.charts import (
    GREY,
    ChartPainter,
    Drawing,
    font_file,
    render_digest_chart,
    render_digest_chart_afresh,
)
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


def _cohort(number: int, name: str, size: int, active: tuple[int | None, ...]) -> CohortReport:
    return CohortReport(number, name, datetime(2026, 9, 7, tzinfo=UTC), size, active, 3, size, 6)


def _busy() -> Digest:
    """12 weeks of data, 9 cohorts (more than the chart draws)."""
    return _digest(
        tuple(TrendPoint(WEEK.shift(n - 11), 0.08 + n / 100, 0.2 + n / 50) for n in range(12)),
        tuple(_cohort(i, f"Cohort {i}", 15, (12, 9, 8, 7, 7, 6, None, None)) for i in range(9)),
    )


def _empty() -> Digest:
    return _digest(tuple(TrendPoint(WEEK.shift(n - 11), None, None) for n in range(12)), ())


def _high() -> Digest:
    """Values up to 100 %, weeks without a first-contribution rate, a cohort with a long name."""
    return _digest(
        tuple(TrendPoint(WEEK.shift(n - 8), 0.9 + n / 200, None if n % 3 else 1.0) for n in range(12)),
        (_cohort(1, "A cohort with a rather long name, cut", 3, (3, 2) + (None,) * 6),),
    )


def _no_ranges() -> Digest:
    return replace(
        _busy(),
        ranges=HealthyRanges(HealthyRange(None, None), HealthyRange(None, None)),
        community_name="Elsewhere",
    )


def _variety() -> list[Digest]:
    """Digests that change what a render leaves behind: scales, tick labels, legends, lines, ranges."""
    early = _digest(  # other week numbers, a run of weeks without data
        tuple(TrendPoint(IsoWeek(2026, 5).shift(n), None if n < 4 else 0.3, 0.5) for n in range(12)), ()
    )
    busy, empty, high, no_ranges = _busy(), _empty(), _high(), _no_ranges()
    return [busy, empty, high, early, no_ranges, busy, early, high, empty, no_ranges]


def _draw(digest: Digest) -> Drawing:
    return ChartPainter().draw(plan(digest))


def _colours_in(image: Image.Image, box: Box) -> set[tuple[int, int, int]]:
    colours = image.crop((box.left, box.top, box.right, box.bottom)).getcolors(1_000_000)
    assert colours is not None
    return {colour for _, colour in colours}  # type: ignore[misc]


def _centre(point: tuple[float, float] | None) -> tuple[int, int]:
    assert point is not None
    return round(point[0]), round(point[1])


# -- the plan: what the chart shows --------------------------------------------------------------


def test_the_trend_shows_twelve_weeks_their_two_series_and_the_healthy_ranges() -> None:
    trend = plan(_busy()).trend
    assert [label for _, label in trend.x_ticks] == [f"W{n}" for n in range(35, 47)]
    # Values up to 42 % (first contribution, last week): axis to 44.1 %, a tick every 5 %.
    assert [label for _, label in trend.y_ticks] == [f"{n}%" for n in range(0, 41, 5)]
    assert [(s.label, s.colour, s.marker) for s in trend.series] == [
        (TREND_LABELS[0], COLOURS[0], "o"),
        (TREND_LABELS[1], COLOURS[1], "s"),
    ]
    assert trend.legend == "upper left" and trend.note is None
    ticks = dict((label, y) for y, label in trend.y_ticks)
    # The default ranges: the active ratio's band 10-20 %, the first-contribution floor at 30 %.
    assert trend.band == pytest.approx((ticks["20%"], ticks["10%"]))
    assert trend.floor == pytest.approx(ticks["30%"])
    # A point sits on its week's tick, at its value on the y scale: week 1 at 8 % active, 20 % first.
    x_of_first_week = trend.x_ticks[0][0]
    active_first = trend.series[0].points[0]
    rate_first = trend.series[1].points[0]
    assert active_first is not None and rate_first is not None
    assert active_first[0] == rate_first[0] == x_of_first_week
    assert rate_first[1] == pytest.approx(ticks["20%"])
    assert active_first[1] == pytest.approx(ticks["10%"] + (ticks["5%"] - ticks["10%"]) * 2 / 5)
    # Half a week either side: the weeks fill the axes evenly.
    gaps = {round(b[0] - a[0], 6) for a, b in zip(trend.x_ticks, trend.x_ticks[1:], strict=False)}
    assert len(gaps) == 1
    assert trend.x_ticks[0][0] - TREND_BOX.left == pytest.approx(TREND_BOX.right - trend.x_ticks[-1][0])
    assert ticks["0%"] == TREND_BOX.bottom


def test_the_trend_axis_follows_the_data_in_whole_percents() -> None:
    high = plan(_high()).trend
    assert [label for _, label in high.y_ticks] == ["0%", "20%", "40%", "60%", "80%", "100%"]
    assert min(y for y, _ in high.y_ticks) > TREND_BOX.top  # 100 % has headroom under the top
    # No data at all: the ranges alone set the scale (floor 30 %).
    assert [label for _, label in plan(_empty()).trend.y_ticks] == [f"{n}%" for n in range(0, 31, 5)]
    assert y_ticks(0.10) == pytest.approx((0, 0.02, 0.04, 0.06, 0.08, 0.10))
    assert y_ticks(0.5) == pytest.approx(tuple(n / 10 for n in range(6)))
    for top in (0.1, 0.137, 0.26, 0.44, 0.61, 0.999, 1.05):
        ticks = y_ticks(top)
        assert 3 <= len(ticks) <= 10 and ticks[-1] <= top + 1e-9


def test_weeks_without_a_value_break_the_line() -> None:
    first = plan(_high()).trend.series[1]  # a value every third week only
    assert [p is not None for p in first.points] == [n % 3 == 0 for n in range(12)]
    drawing = _draw(_high())
    orange, blue = COLOURS[1], COLOURS[0]
    a, b = _centre(first.points[6]), _centre(first.points[9])  # right of the legend
    # The markers are there; between them, where the line would run, the axes' background.
    assert drawing.image.getpixel(a) == orange and drawing.image.getpixel(b) == orange
    middle = ((a[0] + b[0]) // 2, (a[1] + b[1]) // 2)
    assert drawing.image.getpixel(middle) not in (orange, blue)
    # The other series has every week: its line runs between two markers.
    active = plan(_high()).trend.series[0]
    c, d = _centre(active.points[7]), _centre(active.points[8])
    assert drawing.image.getpixel(((c[0] + d[0]) // 2, (c[1] + d[1]) // 2)) == blue


def test_the_newest_cohorts_are_drawn_at_most_six() -> None:
    cohorts = plan(_busy()).cohorts
    assert [s.label for s in cohorts.series] == [f"Cohort {i} (15)" for i in range(3, 9)]
    assert [s.colour for s in cohorts.series] == list(COLOURS[:MAX_COHORT_LINES])
    assert cohorts.legend == "upper right" and cohorts.note is None
    assert [label for _, label in cohorts.x_ticks] == [str(w) for w in range(1, 9)]
    assert [label for _, label in cohorts.y_ticks] == ["0%", "20%", "40%", "60%", "80%", "100%"]
    # Retention 12/15 = 80 % in week 1, on the 80 % tick; weeks not reached have no point.
    point = cohorts.series[0].points[0]
    assert point is not None
    assert point[0] == cohorts.x_ticks[0][0]
    assert point[1] == pytest.approx(dict((n, y) for y, n in cohorts.y_ticks)["80%"])
    assert cohorts.series[0].points[6:] == (None, None)
    assert plan(_high()).cohorts.series[0].label == "A cohort with a rather long na (3)"  # 30 characters

    drawing = _draw(_busy())
    inside = _colours_in(drawing.image, COHORT_BOX)
    assert set(COLOURS[:MAX_COHORT_LINES]) <= inside
    assert COLOURS[MAX_COHORT_LINES] not in inside  # no seventh line
    assert {f"Cohort {i} (15)" for i in range(3, 9)} <= {t.text for t in drawing.texts}
    assert "Cohort 2 (15)" not in {t.text for t in drawing.texts}


def test_no_cohort_says_so_instead_of_an_empty_legend() -> None:
    cohorts = plan(_empty()).cohorts
    assert cohorts.series == () and cohorts.legend is None and cohorts.note == NO_COHORT
    drawing = _draw(_empty())
    assert NO_COHORT in {t.text for t in drawing.texts}
    assert GREY in _colours_in(drawing.image, COHORT_BOX)
    assert not set(COLOURS[:MAX_COHORT_LINES]) & _colours_in(drawing.image, COHORT_BOX)
    # Both trend series are in the legend even without data; nothing is drawn for them.
    assert set(TREND_LABELS) <= {t.text for t in drawing.texts}
    points = [p for s in plan(_empty()).trend.series for p in s.points]
    assert points == [None] * 24


def test_without_healthy_ranges_no_band_and_no_floor() -> None:
    trend = plan(_no_ranges()).trend
    assert trend.band is None and trend.floor is None
    band = plan(_busy()).trend.band
    assert band is not None
    # Right of the last week's marker, a quarter of the way down the band (between grid lines).
    at = (TREND_BOX.right - 3, round(band[0] + (band[1] - band[0]) / 4))
    red, green, blue = _draw(_busy()).image.getpixel(at)  # type: ignore[misc]
    assert blue > red and 200 < red < 245  # C0 at 12 % on white
    assert _draw(_no_ranges()).image.getpixel(at) == (255, 255, 255)


def test_the_title_names_the_community_and_the_week() -> None:
    assert plan(_no_ranges()).title == "Weekly digest — Elsewhere, 2026-W46"
    texts = [t.text for t in _draw(_no_ranges()).texts]
    assert "Weekly digest — Elsewhere, 2026-W46" in texts
    assert "week after launch" in texts and "12-week trend (shaded and dashed: healthy)" in texts


# -- the painted chart -----------------------------------------------------------------------------


def test_the_chart_is_an_opaque_png_of_the_figure_size() -> None:
    for digest in (_busy(), _empty()):
        png = render_digest_chart(digest)
        assert png.startswith(b"\x89PNG\r\n\x1a\n")
        image = Image.open(io.BytesIO(png))
        assert image.size == SIZE == (1100, 440) and image.mode == "RGB"
        assert image.info["dpi"] == pytest.approx((100, 100), rel=1e-3)


def test_every_text_stays_inside_the_figure_and_each_axes_labels_clear_of_the_other() -> None:
    long_name = replace(_high(), community_name="A community with a rather long name " * 2)
    for digest in [*_variety(), long_name]:
        picture = plan(digest)
        drawing = ChartPainter().draw(picture)
        for text in drawing.texts:
            left, top, right, bottom = text.box
            assert left >= 0 and top >= 0 and right <= SIZE[0] and bottom <= SIZE[1], text
        trend = [t for t in drawing.texts if t.axes == TREND_BOX]
        cohorts = [t for t in drawing.texts if t.axes == COHORT_BOX]
        (title,) = [t for t in drawing.texts if t.axes is None]
        assert len(drawing.texts) == len(trend) + len(cohorts) + 1
        # The trend's texts end before the cohort axes' "100%" labels begin.
        assert max(t.box[2] for t in trend) < min(t.box[0] for t in cohorts)
        # The figure's title above the axes' titles, theirs above the axes.
        assert title.text == picture.title
        for axes, texts in ((picture.trend, trend), (picture.cohorts, cohorts)):
            (axes_title,) = [t for t in texts if t.text == axes.title]
            assert title.box[3] < axes_title.box[1] and axes_title.box[3] < axes.box.top
            # Tick labels outside the frame, legend labels and the note inside it.
            y_labels = [t for t in texts if t.text in {label for _, label in axes.y_ticks}]
            assert len(y_labels) == len(axes.y_ticks) and all(t.box[2] < axes.box.left for t in y_labels)
            assert all(a.box[3] <= b.box[1] for a, b in zip(y_labels[1:], y_labels, strict=False))
            x_labels = [t for t in texts if t.text in {label for _, label in axes.x_ticks}]
            assert len(x_labels) == len(axes.x_ticks) and all(t.box[1] > axes.box.bottom for t in x_labels)
            inner = {s.label for s in axes.series} if axes.legend else {axes.note}
            for text in (t for t in texts if t.text in inner):
                left, top, right, bottom = text.box
                box = axes.box
                assert box.left < left and right < box.right and box.top < top and bottom < box.bottom, text


def test_the_reused_painter_draws_what_a_fresh_one_does() -> None:
    digests = _variety()
    fresh = [render_digest_chart_afresh(digest) for digest in digests]
    assert [render_digest_chart(digest) for digest in digests] == fresh  # byte for byte, in turn
    assert len(set(fresh)) == 5
    with ThreadPoolExecutor(max_workers=4) as pool:  # the renderer's worker threads take turns
        assert list(pool.map(render_digest_chart, digests)) == fresh


def test_the_chart_module_loads_pillow_only_when_a_chart_is_drawn() -> None:
    code = (
        "import sys, bot.charts, bot.chart_plan, bot.bootstrap\n"
        "print(sorted(m for m in ('PIL', 'matplotlib', 'numpy') if m in sys.modules))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "[]"
    assert font_file().is_file()
