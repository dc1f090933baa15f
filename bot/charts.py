"""The digest chart (the ChartRenderer port): the 12-week trend of the active contributor ratio and
the first-contribution rate against their healthy ranges, and cohort retention by week after launch.

Drawn with Pillow in two steps: `bot.chart_plan.plan` turns a digest into what the chart shows, in
pixels (ticks and their labels, healthy band and floor, the series' points, legends, titles), and
`ChartPainter` paints such a plan. The look is matplotlib's default style (DejaVu Sans, the tab10 colours, its
sizes in points at 100 dpi), which drew this chart before.

Why not matplotlib any more: most of a matplotlib render was text, and most of that text changes
with every digest (the title, the week labels, the y ticks that follow the data, the cohort
legend). Its text path lays out and rasterises each text on each render, a few ms a text: those
changing texts alone took about 60 ms of CPU, more than the budget of a render (50 ms), even with
everything else blitted from a cached background; a whole render took 115-160 ms. Pillow draws a
text in 0.05-0.25 ms. Lines and markers are drawn on a 4x mask and reduced, which gives them
antialiased edges (Pillow's own lines have none). A render takes about 18 ms of CPU, 10 of them
compressing the PNG (which Pillow does without holding the GIL, so a render in a worker thread
leaves the event loop free for that part).

The painter keeps what is the same in every chart (the fonts; the cohort axes with their title,
grid, ticks and labels, as a background image; the rotated week labels) from render to render, one
render at a time; a painter made for one digest alone draws the same pixels (tests/test_charts.py
compares the two). Pillow is imported when a chart is first drawn, not when the bot starts.
"""

from __future__ import annotations

import asyncio
import io
import math
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bot.chart_plan import (
    COLOURS,
    DPI,
    RGB,
    SIZE,
    Axes,
    Box,
    Marker,
    Picture,
    Point,
    Series,
    plan,
)
from bot.core.metrics.digest import Digest

if TYPE_CHECKING:
    from PIL import ImageDraw
    from PIL.Image import Image
    from PIL.ImageFont import FreeTypeFont

PNG_COMPRESS_LEVEL = 3  # zlib: as small as the default level 6 here, in two thirds of the time
SUPERSAMPLE = 4  # lines and markers are drawn at 4x and reduced: antialiased edges
BLACK: RGB = (0, 0, 0)
WHITE: RGB = (255, 255, 255)
GREY: RGB = (102, 102, 102)  # the "no cohort" note
BAND_ALPHA = 31  # the healthy band: C0 at 12 %
GRID = (176, 176, 176, 77)  # grey 0.69 at 30 %
LEGEND_FACE = (255, 255, 255, 204)  # white at 80 %: a line under the legend stays visible
LEGEND_EDGE: RGB = (204, 204, 204)


def pt(points: float) -> float:
    """Points to pixels at the chart's resolution."""
    return points * DPI / 72


# Sizes in matplotlib's default style, in pixels.
FONT_SIZE = {"label": pt(10), "title": pt(12), "small": pt(10) * 0.833}
LINE_WIDTH = pt(1.5)
MARKER = pt(7)  # a 6 pt marker with its 1 pt edge
FLOOR_WIDTH = pt(1)
FLOOR_DASH = (pt(3.7), pt(1.6))
TICK = 5  # 3.5 pt
TICK_PAD = pt(3.5)
TITLE_PAD = pt(6)
LABEL_PAD = pt(4)


def font_file() -> Path:
    """DejaVu Sans (matplotlib's default font, which this chart was first drawn with), shipped in
    bot/fonts with its licence."""
    return Path(__file__).with_name("fonts") / "DejaVuSans.ttf"


@dataclass(frozen=True)
class PlacedText:
    """A text as drawn: where its ink may reach."""

    text: str
    box: tuple[float, float, float, float]  # left, top, right, bottom
    axes: Box | None  # whose text it is; None: the figure's


@dataclass
class Drawing:
    """A painted picture and the texts on it (what tests check the layout with)."""

    image: Image
    texts: list[PlacedText]


class ChartPainter:
    """Paints pictures; keeps the fonts, the background and the week labels from one to the next."""

    def __init__(self) -> None:
        from PIL import ImageFont

        path = str(font_file())
        self.fonts: dict[str, FreeTypeFont] = {
            name: ImageFont.truetype(path, size) for name, size in FONT_SIZE.items()
        }
        self._rotated: dict[str, Image] = {}  # week label ("W01".."W53") -> its 45 degree mask
        self._background: Drawing | None = None

    # -- the picture ----------------------------------------------------------------------------

    def draw(self, picture: Picture) -> Drawing:
        """The picture painted on a fresh copy of the background."""
        background = self._background_for(picture.cohorts)
        drawing = Drawing(background.image.copy(), list(background.texts))
        self._axes_fixed(drawing, picture.trend)
        self._axes_changing(drawing, picture.trend)
        self._axes_changing(drawing, picture.cohorts)
        self._text(drawing, picture.title, (SIZE[0] / 2, SIZE[1] * 0.02), "title", "mt")
        return drawing

    def png(self, picture: Picture) -> bytes:
        """PNG bytes of the picture."""
        buffer = io.BytesIO()
        image = self.draw(picture).image
        image.save(buffer, format="png", compress_level=PNG_COMPRESS_LEVEL, dpi=(DPI, DPI))
        return buffer.getvalue()

    def _background_for(self, cohorts: Axes) -> Drawing:
        """White, with the cohort axes' title, grid, ticks and labels: every chart has the same (their
        scale is fixed), so they are drawn once."""
        if self._background is None:
            from PIL import Image

            drawing = Drawing(Image.new("RGB", SIZE, WHITE), [])
            self._axes_fixed(drawing, cohorts)
            self._background = drawing
        return self._background

    def _axes_fixed(self, drawing: Drawing, axes: Axes) -> None:
        """Title, grid, frame, ticks and their labels."""
        from PIL import ImageDraw

        box = axes.box
        self._text(drawing, axes.title, (box.left + box.width / 2, box.top - TITLE_PAD), "title", "ms", box)
        draw = ImageDraw.Draw(drawing.image, "RGBA")
        if axes.band is not None:
            top, bottom = (round(y) for y in axes.band)
            draw.rectangle((box.left + 1, top, box.right - 1, bottom - 1), fill=(*COLOURS[0], BAND_ALPHA))
        for x, _ in axes.x_ticks:
            draw.line((round(x), box.top + 1, round(x), box.bottom - 1), fill=GRID)
        for y, _ in axes.y_ticks:
            draw.line((box.left + 1, round(y), box.right - 1, round(y)), fill=GRID)
        draw.rectangle((box.left, box.top, box.right, box.bottom), outline=BLACK)
        for x, label in axes.x_ticks:
            draw.line((round(x), box.bottom + 1, round(x), box.bottom + TICK), fill=BLACK)
            if axes.x_labels_rotated:
                self._rotated_label(drawing, label, (x, box.bottom + TICK + TICK_PAD), box)
            else:
                self._text(drawing, label, (x, box.bottom + TICK + TICK_PAD), "label", "mt", box)
        for y, label in axes.y_ticks:
            draw.line((box.left - TICK, round(y), box.left - 1, round(y)), fill=BLACK)
            self._text(drawing, label, (box.left - TICK - TICK_PAD, y), "label", "rm", box)
        if axes.x_label is not None:
            under_ticks = box.bottom + TICK + TICK_PAD + self._line_height("label") + LABEL_PAD
            self._text(drawing, axes.x_label, (box.left + box.width / 2, under_ticks), "label", "mt", box)

    def _axes_changing(self, drawing: Drawing, axes: Axes) -> None:
        """The data: floor, series, legend (or the note that there is none)."""
        box = axes.box
        if axes.floor is not None:
            self._dashes(drawing.image, axes.floor, box)
        for series in axes.series:
            self._series(drawing.image, series, box)
        if axes.legend is not None:
            self._legend(drawing, axes)
        if axes.note is not None:
            at = (box.left + box.width / 2, box.top + box.height / 2)
            self._text(drawing, axes.note, at, "label", "mm", box, GREY)

    # -- lines and markers: drawn on a 4x mask, reduced, then painted in their colour -----------

    def _stroke(
        self,
        image: Image,
        colour: RGB,
        clip: Box,
        reach: tuple[float, float, float, float],
        shapes: Callable[[ImageDraw.ImageDraw, Callable[[Point], Point]], None],
    ) -> None:
        """Draw `shapes` (given a draw on the mask and a map from the image's pixels to the mask's)
        where they `reach` (left, top, right, bottom), inside `clip` (which cuts them there)."""
        from PIL import Image, ImageDraw

        region = Box(
            max(clip.left, math.floor(reach[0]) - 1),
            max(clip.top, math.floor(reach[1]) - 1),
            min(clip.right, math.ceil(reach[2]) + 1),
            min(clip.bottom, math.ceil(reach[3]) + 1),
        )
        if region.width <= 0 or region.height <= 0:
            return
        s = SUPERSAMPLE
        mask = Image.new("L", (region.width * s, region.height * s))
        shapes(ImageDraw.Draw(mask), lambda p: ((p[0] - region.left) * s, (p[1] - region.top) * s))
        image.paste(colour, (region.left, region.top), mask.reduce(s))

    @staticmethod
    def _inside(box: Box) -> Box:
        """The axes' inside: lines and markers stop at the frame."""
        return Box(box.left + 1, box.top + 1, box.right, box.bottom)

    def _dashes(self, image: Image, y: float, box: Box) -> None:
        """The healthy floor: a dashed line across the axes."""
        inside = self._inside(box)
        on, off = FLOOR_DASH
        width = FLOOR_WIDTH * SUPERSAMPLE

        def shapes(draw: ImageDraw.ImageDraw, at: Callable[[Point], Point]) -> None:
            x = float(inside.left)
            while x < inside.right:
                end = min(x + on, inside.right)
                draw.line((at((x, y)), at((end, y))), 255, round(width))
                x = end + off

        reach = (inside.left, y - FLOOR_WIDTH, inside.right, y + FLOOR_WIDTH)
        self._stroke(image, COLOURS[1], inside, reach, shapes)

    def _series(self, image: Image, series: Series, box: Box) -> None:
        points = [p for p in series.points if p is not None]
        if not points:
            return
        half = MARKER / 2

        def shapes(draw: ImageDraw.ImageDraw, at: Callable[[Point], Point]) -> None:
            for run in _runs(series.points):
                if len(run) > 1:
                    draw.line([at(p) for p in run], 255, round(LINE_WIDTH * SUPERSAMPLE), joint="curve")
            for x, y in points:
                _marker(draw, series.marker, at((x - half, y - half)), at((x + half, y + half)))

        xs, ys = [x for x, _ in points], [y for _, y in points]
        reach = (min(xs) - half, min(ys) - half, max(xs) + half, max(ys) + half)
        self._stroke(image, series.colour, self._inside(box), reach, shapes)

    def _legend_handle(self, image: Image, series: Series, left: float, middle: float, length: float) -> None:
        """The legend's sample of a series: a short line with a marker in its middle."""
        half = MARKER / 2
        centre = left + length / 2

        def shapes(draw: ImageDraw.ImageDraw, at: Callable[[Point], Point]) -> None:
            draw.line((at((left, middle)), at((left + length, middle))), 255, round(LINE_WIDTH * SUPERSAMPLE))
            corner = (centre - half, middle - half)
            _marker(draw, series.marker, at(corner), at((centre + half, middle + half)))

        reach = (left, middle - half, left + length, middle + half)
        self._stroke(image, series.colour, Box(0, 0, *SIZE), reach, shapes)

    # -- legends and texts ----------------------------------------------------------------------

    def _legend(self, drawing: Drawing, axes: Axes) -> None:
        """matplotlib's legend: a rounded, 80 % opaque box in the corner, a line and label a row."""
        from PIL import ImageDraw

        unit = FONT_SIZE["small"]  # legend spacings are in font sizes
        font = self.fonts["small"]
        row = self._line_height("small")
        handle = 2.0 * unit
        width = 2 * 0.4 * unit + handle + 0.8 * unit + max(font.getlength(s.label) for s in axes.series)
        height = 2 * 0.4 * unit + len(axes.series) * row + (len(axes.series) - 1) * 0.5 * unit
        box = axes.box
        top = box.top + 0.5 * unit
        left = box.left + 0.5 * unit if axes.legend == "upper left" else box.right - 0.5 * unit - width
        frame = (round(left), round(top), round(left + width), round(top + height))
        ImageDraw.Draw(drawing.image, "RGBA").rounded_rectangle(
            frame, radius=round(0.2 * unit), fill=LEGEND_FACE, outline=LEGEND_EDGE
        )
        y = top + 0.4 * unit
        for series in axes.series:
            middle = y + row / 2
            self._legend_handle(drawing.image, series, left + 0.4 * unit, middle, handle)
            label_at = (left + 0.4 * unit + handle + 0.8 * unit, middle)
            self._text(drawing, series.label, label_at, "small", "lm", box)
            y += row + 0.5 * unit

    def _line_height(self, size: str) -> float:
        ascent, descent = self.fonts[size].getmetrics()
        return float(ascent + descent)

    def _text(
        self,
        drawing: Drawing,
        text: str,
        at: Point,
        size: str,
        anchor: str,
        axes: Box | None = None,
        colour: RGB = BLACK,
    ) -> None:
        from PIL import ImageDraw

        font = self.fonts[size]
        ImageDraw.Draw(drawing.image).text(at, text, fill=colour, font=font, anchor=anchor)
        left, top, right, bottom = font.getbbox(text, anchor=anchor)
        ink = (at[0] + left, at[1] + top, at[0] + right, at[1] + bottom)
        drawing.texts.append(PlacedText(text, ink, axes))

    def _rotated_label(self, drawing: Drawing, label: str, top_middle: Point, axes: Box) -> None:
        """A tick label turned 45 degrees, its top in the middle under the tick (matplotlib's)."""
        mask = self._rotated.get(label)
        if mask is None:
            from PIL import Image, ImageDraw

            font = self.fonts["label"]
            left, top, right, bottom = font.getbbox(label, anchor="lt")
            flat = Image.new("L", (round(right) + 2, round(bottom) + 2))
            ImageDraw.Draw(flat).text((1, 1), label, fill=255, font=font, anchor="lt")
            mask = self._rotated[label] = flat.rotate(45, resample=Image.Resampling.BICUBIC, expand=True)
        x, y = round(top_middle[0] - mask.width / 2), round(top_middle[1])
        drawing.image.paste(BLACK, (x, y), mask)
        drawing.texts.append(PlacedText(label, (x, y, x + mask.width, y + mask.height), axes))


def _marker(draw: ImageDraw.ImageDraw, marker: Marker, top_left: Point, bottom_right: Point) -> None:
    if marker == "o":
        draw.ellipse((top_left, bottom_right), 255)
    else:
        draw.rectangle((top_left, bottom_right), 255)


def _runs(points: Sequence[Point | None]) -> list[list[Point]]:
    """The unbroken stretches of a line: a week without a value breaks it."""
    runs: list[list[Point]] = [[]]
    for point in points:
        if point is None:
            if runs[-1]:
                runs.append([])
        else:
            runs[-1].append(point)
    return [run for run in runs if run]


_painter: ChartPainter | None = None
_painter_lock = threading.Lock()  # renders run in worker threads: one at a time on the shared painter


def render_digest_chart(digest: Digest) -> bytes:
    """PNG bytes of the digest chart."""
    global _painter
    picture = plan(digest)
    with _painter_lock:
        if _painter is None:
            _painter = ChartPainter()
        return _painter.png(picture)


def render_digest_chart_afresh(digest: Digest) -> bytes:
    """The same picture from a painter made for it alone (what the shared painter must give)."""
    return ChartPainter().png(plan(digest))


class DigestChartRenderer:
    """Renders off the event loop (a digest chart takes a few tens of milliseconds)."""

    async def digest_chart(self, digest: Digest) -> bytes:
        return await asyncio.to_thread(render_digest_chart, digest)
