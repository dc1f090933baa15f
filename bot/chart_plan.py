"""What the digest chart shows, where: `plan` turns a digest into the chart's ticks and their labels,
healthy band and floor, series and legends, in pixels; bot/charts.py paints it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from bot.core.metrics.digest import Digest
from bot.core.metrics.digest_render import title
from bot.core.metrics.rules import RETENTION_WEEKS

MAX_COHORT_LINES = 6  # more lines than this stop being readable; the newest cohorts are drawn
SIZE = (1100, 440)  # pixels: 11 x 4.4 inches at 100 dpi
DPI = 100

RGB = tuple[int, int, int]
# matplotlib's tab10: C0, C1, ... in the order lines are added
COLOURS: tuple[RGB, ...] = (
    (31, 119, 180),
    (255, 127, 14),
    (44, 160, 44),
    (214, 39, 40),
    (148, 103, 189),
    (140, 86, 75),
    (227, 119, 194),
    (127, 127, 127),
    (188, 189, 34),
    (23, 190, 207),
)


@dataclass(frozen=True)
class Box:
    """A rectangle in pixels, y downwards."""

    left: int
    top: int
    right: int
    bottom: int

    @property
    def width(self) -> int:
        return self.right - self.left

    @property
    def height(self) -> int:
        return self.bottom - self.top


# Where the two axes sit (their frames), with room for the widest tick labels ("100%") and titles.
TREND_BOX = Box(54, 51, 544, 392)
COHORT_BOX = Box(605, 51, 1096, 392)
TREND_TITLE = "12-week trend (shaded and dashed: healthy)"
COHORT_TITLE = "Cohort retention: share active each week"
COHORT_AXIS_LABEL = "week after launch"
NO_COHORT = "No cohort launched in these 12 weeks"
TREND_LABELS = ("Active contributors (28 days)", "First contribution ≤ 7 days")
COHORT_TOP = 1.05  # retention axis: 0-105 %, ticks every 20 %
Y_STEPS = (0.02, 0.05, 0.1, 0.2)  # trend axis tick steps (2 % .. 20 %): whole percents
MAX_Y_TICKS = 10  # what matplotlib's locator fits on an axis this tall at this font size

Point = tuple[float, float]
Marker = Literal["o", "s"]


@dataclass(frozen=True)
class Series:
    """A line with markers; `None` where a week has no value (the line breaks there)."""

    points: tuple[Point | None, ...]
    colour: RGB
    marker: Marker
    label: str


@dataclass(frozen=True)
class Axes:
    """One of the chart's two axes, in pixels."""

    box: Box
    title: str
    x_ticks: tuple[tuple[float, str], ...]
    y_ticks: tuple[tuple[float, str], ...]
    x_label: str | None = None
    x_labels_rotated: bool = False
    band: tuple[float, float] | None = None  # the healthy band (top, bottom)
    floor: float | None = None  # the healthy floor (dashed)
    series: tuple[Series, ...] = ()
    legend: Literal["upper left", "upper right"] | None = None
    note: str | None = None  # in the middle, when there is nothing to draw


@dataclass(frozen=True)
class Picture:
    """Everything the chart shows."""

    title: str
    trend: Axes
    cohorts: Axes


def _scale(low: float, high: float, start: int, end: int) -> float:
    """Pixels per unit from [low, high] onto [start, end]."""
    return (end - start) / (high - low)


def _percent_label(value: float) -> str:
    return f"{value * 100:.0f}%"


def trend_top(values: Sequence[float]) -> float:
    """The top of the trend axis: the highest value, band or floor with 5 % headroom (matplotlib's
    margin), at least 10 %."""
    return max([0.10, *(v * 1.05 for v in values)])


def y_ticks(top: float) -> tuple[float, ...]:
    """0, step, 2 step, ... up to `top`: the smallest whole-percent step that gives at most
    MAX_Y_TICKS ticks."""
    step = next((s for s in Y_STEPS if top / s < MAX_Y_TICKS), Y_STEPS[-1])
    return tuple(n * step for n in range(int(top / step + 1e-9) + 1))


def _points(
    values: Sequence[float | None], x: Sequence[float], y0: int, per_unit: float
) -> tuple[Point | None, ...]:
    return tuple(None if v is None else (px, y0 - v * per_unit) for px, v in zip(x, values, strict=True))


def plan(digest: Digest) -> Picture:
    """What the chart of `digest` shows, where."""
    trend = digest.data.trend
    box = TREND_BOX
    # Weeks at 0..n-1 with half a week either side.
    slot = box.width / max(len(trend), 1)
    x = [box.left + (i + 0.5) * slot for i in range(len(trend))]
    active = [p.active_contributor_ratio for p in trend]
    first = [p.first_contribution_rate for p in trend]
    band_range = digest.ranges.active_contributor_ratio
    band = (
        (band_range.low, band_range.high)
        if band_range.low is not None and band_range.high is not None
        else None
    )
    floor = digest.ranges.first_contribution_rate.low
    top = trend_top([v for v in (*active, *first, *(band or ()), floor) if v is not None])
    per_unit = _scale(0, top, box.top, box.bottom)
    trend_axes = Axes(
        box=box,
        title=TREND_TITLE,
        x_ticks=tuple((px, str(p.week).split("-")[1]) for px, p in zip(x, trend, strict=True)),
        y_ticks=tuple((box.bottom - v * per_unit, _percent_label(v)) for v in y_ticks(top)),
        x_labels_rotated=True,
        band=None if band is None else (box.bottom - band[1] * per_unit, box.bottom - band[0] * per_unit),
        floor=None if floor is None else box.bottom - floor * per_unit,
        series=(
            Series(_points(active, x, box.bottom, per_unit), COLOURS[0], "o", TREND_LABELS[0]),
            Series(_points(first, x, box.bottom, per_unit), COLOURS[1], "s", TREND_LABELS[1]),
        ),
        legend="upper left",
    )

    box = COHORT_BOX
    per_week = _scale(0.5, RETENTION_WEEKS + 0.5, box.left, box.right)
    weeks = [box.left + (w - 0.5) * per_week for w in range(1, RETENTION_WEEKS + 1)]
    per_unit = _scale(0, COHORT_TOP, box.top, box.bottom)
    cohorts = digest.data.cohorts[-MAX_COHORT_LINES:]
    cohort_axes = Axes(
        box=box,
        title=COHORT_TITLE,
        x_ticks=tuple((px, str(w)) for w, px in enumerate(weeks, start=1)),
        y_ticks=tuple((box.bottom - v / 100 * per_unit, f"{v}%") for v in range(0, 101, 20)),
        x_label=COHORT_AXIS_LABEL,
        series=tuple(
            Series(
                _points(cohort.retention, weeks, box.bottom, per_unit),
                COLOURS[i % len(COLOURS)],
                "o",
                f"{cohort.name[:30]} ({cohort.size})",
            )
            for i, cohort in enumerate(cohorts)
        ),
        legend="upper right" if cohorts else None,
        note=None if cohorts else NO_COHORT,
    )
    return Picture(title(digest), trend_axes, cohort_axes)
