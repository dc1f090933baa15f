"""The digest chart (the ChartRenderer port): the 12-week trend of the active contributor ratio and
the first-contribution rate against their healthy ranges, and cohort retention by week after launch.

matplotlib with the Agg backend, drawn on a `Figure` of its own (never pyplot's global state), so a
render can run in a worker thread without blocking the bot's event loop.

Most of a fresh figure's cost is in making it: its axes, their tick objects, titles, formatters. So
one figure is made per process and reused, one render at a time: each render takes out what the last
one drew and puts back what it changed (data limits, positions, colour cycle), so the picture is the
one a fresh figure gives, pixel for pixel (tests/test_charts.py compares the two).
"""

from __future__ import annotations

import asyncio
import io
import math
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.core.metrics.digest import Digest
from bot.core.metrics.digest_render import title
from bot.core.metrics.rules import RETENTION_WEEKS

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

MAX_COHORT_LINES = 6  # more lines than this stop being readable; the newest cohorts are drawn


def _percent(values: Sequence[float | None]) -> list[float]:
    return [math.nan if v is None else v * 100 for v in values]


class _DigestFigure:
    """The chart's figure: axes and everything that is the same in every digest, made once."""

    def __init__(self) -> None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
        from matplotlib.ticker import MaxNLocator, PercentFormatter

        self.figure: Figure = Figure(figsize=(11, 4.4), dpi=100, layout="constrained")
        self.canvas: FigureCanvasAgg = FigureCanvasAgg(self.figure)
        self.trend_ax: Axes
        self.cohort_ax: Axes
        self.trend_ax, self.cohort_ax = self.figure.subplots(1, 2)
        trend_ax, cohort_ax = self.trend_ax, self.cohort_ax

        trend_ax.yaxis.set_major_formatter(PercentFormatter(100, decimals=0))
        trend_ax.set_title("12-week trend (shaded and dashed: healthy)")
        trend_ax.grid(alpha=0.3)

        cohort_ax.set_xlim(0.5, RETENTION_WEEKS + 0.5)
        cohort_ax.set_ylim(0, 105)
        cohort_ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        cohort_ax.yaxis.set_major_formatter(PercentFormatter(100, decimals=0))
        cohort_ax.set_xlabel("week after launch")
        cohort_ax.set_title("Cohort retention: share active each week")
        cohort_ax.grid(alpha=0.3)
        self.drawn = False

    def reset(self) -> None:
        """Back to the state of a figure just made: no data, default limits and positions."""
        if not self.drawn:
            return
        for ax in (self.trend_ax, self.cohort_ax):
            for artist in [*ax.lines, *ax.patches, *ax.texts]:
                artist.remove()
            legend = ax.get_legend()
            if legend is not None:
                legend.remove()
            ax.set_prop_cycle(None)
            # The layout engine starts from the axes' positions: start it where a new figure would.
            subplotspec = ax.get_subplotspec()
            assert subplotspec is not None  # made by subplots()
            ax.set_subplotspec(subplotspec)
        trend_ax = self.trend_ax
        trend_ax.relim()  # no data left: no data limits
        trend_ax.set_xlim(0, 1, auto=True)  # a new axes' view, autoscaled again
        trend_ax.set_ylim(0, 1, auto=True)

    def render(self, digest: Digest) -> bytes:
        """PNG bytes of the chart of `digest`."""
        self.reset()
        self.drawn = True
        trend_ax, cohort_ax = self.trend_ax, self.cohort_ax

        trend = digest.data.trend
        x = list(range(len(trend)))
        active_range = digest.ranges.active_contributor_ratio
        if active_range.low is not None and active_range.high is not None:
            trend_ax.axhspan(active_range.low * 100, active_range.high * 100, color="C0", alpha=0.12, lw=0)
        trend_ax.plot(
            x,
            _percent([p.active_contributor_ratio for p in trend]),
            "o-",
            color="C0",
            label="Active contributors (28 days)",
        )
        activation_floor = digest.ranges.first_contribution_rate.low
        if activation_floor is not None:
            trend_ax.axhline(activation_floor * 100, color="C1", ls="--", lw=1)
        trend_ax.plot(
            x,
            _percent([p.first_contribution_rate for p in trend]),
            "s-",
            color="C1",
            label="First contribution ≤ 7 days",
        )
        trend_ax.set_xticks(x, [str(p.week).split("-")[1] for p in trend], rotation=45)
        trend_ax.set_ylim(bottom=0)
        trend_ax.legend(loc="upper left", fontsize="small")

        cohorts = digest.data.cohorts[-MAX_COHORT_LINES:]
        weeks = list(range(1, RETENTION_WEEKS + 1))
        for cohort in cohorts:
            cohort_ax.plot(
                weeks, _percent(cohort.retention), "o-", label=f"{cohort.name[:30]} ({cohort.size})"
            )
        if cohorts:
            cohort_ax.legend(loc="upper right", fontsize="small")
        else:
            cohort_ax.text(
                0.5,
                0.5,
                "No cohort launched in these 12 weeks",
                ha="center",
                va="center",
                transform=cohort_ax.transAxes,
                color="0.4",
            )

        self.figure.suptitle(title(digest))
        # Printed by the canvas itself: one draw, the constrained layout running inside it. `savefig`
        # draws twice (a dry run for the layout, then the picture) for the same pixels.
        buffer = io.BytesIO()
        self.canvas.print_png(buffer, metadata={"Software": None})  # type: ignore[no-untyped-call]
        return buffer.getvalue()


_figure: _DigestFigure | None = None
_figure_lock = threading.Lock()  # renders run in worker threads: one at a time on the shared figure


def render_digest_chart(digest: Digest) -> bytes:
    """PNG bytes of the digest chart."""
    global _figure
    with _figure_lock:
        if _figure is None:
            _figure = _DigestFigure()
        return _figure.render(digest)


def render_digest_chart_afresh(digest: Digest) -> bytes:
    """The same picture on a figure made for it alone (what the shared figure must give)."""
    return _DigestFigure().render(digest)


class MatplotlibChartRenderer:
    """Renders off the event loop; a digest chart takes a fraction of a second."""

    async def digest_chart(self, digest: Digest) -> bytes:
        return await asyncio.to_thread(render_digest_chart, digest)
