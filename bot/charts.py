"""The digest chart (the ChartRenderer port): the 12-week trend of the active contributor ratio and
the first-contribution rate against their healthy ranges, and cohort retention by week after launch.

matplotlib with the Agg backend, drawn on a `Figure` of its own (never pyplot's global state), so a
render can run in a worker thread without blocking the bot's event loop.

Most of a fresh figure's cost is in making it: its axes, their tick objects, titles, formatters. So
one figure is made per process and reused, one render at a time: each render takes out what the last
one drew and puts back what it changed (data limits, positions, colour cycle), so the picture is the
one a fresh figure gives, pixel for pixel (tests/test_charts.py compares the two).

The layout is fixed: the margins below fit the widest tick labels this chart can have ("100%") and
its titles, so no layout engine measures every text of every render (that was a third of a render).
The PNG is encoded without the alpha channel (the figure is opaque) at a fast compression level.
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
# Where the two axes sit, as fractions of the figure: what matplotlib's constrained layout gives
# with the widest labels ("100%" on the left), measured once.
LAYOUT = {"left": 0.049, "right": 0.996, "bottom": 0.108, "top": 0.884, "wspace": 0.124}
PNG_COMPRESS_LEVEL = 3  # zlib: as small as the default level 6 here, in two thirds of the time


def _percent(values: Sequence[float | None]) -> list[float]:
    return [math.nan if v is None else v * 100 for v in values]


class DigestFigure:
    """The chart's figure: axes and everything that is the same in every digest, made once."""

    def __init__(self) -> None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
        from matplotlib.ticker import MaxNLocator, PercentFormatter

        self.figure: Figure = Figure(figsize=(11, 4.4), dpi=100)
        self.canvas: FigureCanvasAgg = FigureCanvasAgg(self.figure)
        self.trend_ax: Axes
        self.cohort_ax: Axes
        self.trend_ax, self.cohort_ax = self.figure.subplots(1, 2, gridspec_kw=LAYOUT)
        trend_ax, cohort_ax = self.trend_ax, self.cohort_ax

        trend_ax.yaxis.set_major_formatter(PercentFormatter(100, decimals=0))
        trend_ax.set_title("12-week trend (shaded and dashed: healthy)", y=1.0)
        trend_ax.grid(alpha=0.3)

        cohort_ax.set_xlim(0.5, RETENTION_WEEKS + 0.5)
        cohort_ax.set_ylim(0, 105)
        cohort_ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        cohort_ax.yaxis.set_major_formatter(PercentFormatter(100, decimals=0))
        cohort_ax.set_xlabel("week after launch")
        cohort_ax.set_title("Cohort retention: share active each week", y=1.0)
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
        # Half a week either side, data or none: the last week's label stays within the fixed layout.
        trend_ax.set_xlim(-0.5, max(len(trend), 1) - 0.5)
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
        return self._png()

    def _png(self) -> bytes:
        """Draw once and encode the pixels as an RGB PNG (`savefig` would draw twice, keep alpha)."""
        from PIL import Image

        self.canvas.draw()  # type: ignore[no-untyped-call]
        rgba = self.canvas.buffer_rgba()  # type: ignore[no-untyped-call]
        image = Image.frombuffer("RGBA", (rgba.shape[1], rgba.shape[0]), rgba, "raw", "RGBA", 0, 1)
        buffer = io.BytesIO()
        dpi = self.figure.dpi
        image.convert("RGB").save(buffer, format="png", compress_level=PNG_COMPRESS_LEVEL, dpi=(dpi, dpi))
        return buffer.getvalue()


_figure: DigestFigure | None = None
_figure_lock = threading.Lock()  # renders run in worker threads: one at a time on the shared figure


def render_digest_chart(digest: Digest) -> bytes:
    """PNG bytes of the digest chart."""
    global _figure
    with _figure_lock:
        if _figure is None:
            _figure = DigestFigure()
        return _figure.render(digest)


def render_digest_chart_afresh(digest: Digest) -> bytes:
    """The same picture on a figure made for it alone (what the shared figure must give)."""
    return DigestFigure().render(digest)


class MatplotlibChartRenderer:
    """Renders off the event loop; a digest chart takes a fraction of a second."""

    async def digest_chart(self, digest: Digest) -> bytes:
        return await asyncio.to_thread(render_digest_chart, digest)
