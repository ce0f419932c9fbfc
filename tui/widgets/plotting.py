"""Helpers for drawing on a textual-plotext plot: gaps where values are not finite, readable log ticks."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Concatenate, ParamSpec, TypeVar

from rich.text import Text
from textual import events
from textual.app import RenderResult
from textual.color import Color
from textual.message import Message
from textual_plotext import PlotextPlot
from textual_plotext.plot import Plot

from tui.look import Look
from tui.state import shared_state

PlotColor = tuple[int, int, int] | str


def finite_segments(xs: Sequence[float], ys: Sequence[float]) -> list[tuple[list[float], list[float]]]:
    """Split a curve where y is NaN or infinite, so that plotext leaves a gap instead of a spike."""
    segments: list[tuple[list[float], list[float]]] = []
    current: tuple[list[float], list[float]] = ([], [])
    for x, y in zip(xs, ys, strict=True):
        if math.isfinite(x) and math.isfinite(y):
            current[0].append(x)
            current[1].append(y)
        elif current[0]:
            segments.append(current)
            current = ([], [])
    if current[0]:
        segments.append(current)
    return segments


Box = tuple[float, float, float, float]  # x0, x1, y0, y1


def clip_segment(x0: float, y0: float, x1: float, y1: float, box: Box) -> tuple[float, float, float, float] | None:
    """The part of a segment inside the box (Liang-Barsky), or None."""
    left, right, bottom, top = box
    dx, dy = x1 - x0, y1 - y0
    low, high = 0.0, 1.0
    for p, q in ((-dx, x0 - left), (dx, right - x0), (-dy, y0 - bottom), (dy, top - y0)):
        if p == 0:
            if q < 0:
                return None
            continue
        t = q / p
        if p < 0:
            low = max(low, t)
        else:
            high = min(high, t)
        if low > high:
            return None
    return x0 + low * dx, y0 + low * dy, x0 + high * dx, y0 + high * dy


def clip_polyline(xs: Sequence[float], ys: Sequence[float], box: Box) -> list[tuple[list[float], list[float]]]:
    """The pieces of a polyline inside the box, cut at its edges; gaps where it leaves or is not finite.

    plotext rasterises a line over its whole length, so a segment to y = 1e8 on a
    plot of [-1, 1] would cost gigabytes: nothing outside the axes is handed to it.
    """
    pieces: list[tuple[list[float], list[float]]] = []
    current: tuple[list[float], list[float]] = ([], [])
    for sx, sy in finite_segments(xs, ys):
        if len(sx) == 1:
            if box[0] <= sx[0] <= box[1] and box[2] <= sy[0] <= box[3]:
                pieces.append((sx, sy))
            continue
        for i in range(len(sx) - 1):
            clipped = clip_segment(sx[i], sy[i], sx[i + 1], sy[i + 1], box)
            if clipped is None:
                if current[0]:
                    pieces.append(current)
                    current = ([], [])
                continue
            a, b, c, d = clipped
            if current[0] and (current[0][-1], current[1][-1]) != (a, b):
                pieces.append(current)
                current = ([], [])
            if not current[0]:
                current = ([a], [b])
            current[0].append(c)
            current[1].append(d)
        if current[0]:
            pieces.append(current)
            current = ([], [])
    return pieces


def plot_with_gaps(plt: Plot, xs: Sequence[float], ys: Sequence[float], color: PlotColor, box: Box, marker: str = "braille") -> None:
    """Draw a curve, clipped to the axes, without a legend entry (see `legend_entry`), with gaps where it is not finite."""
    for sx, sy in clip_polyline(xs, ys, box):
        if len(sx) == 1:
            plt.scatter(sx, sy, color=color, marker=marker)
        else:
            plt.plot(sx, sy, color=color, marker=marker)


def legend_entry(
    plt: Plot, xs: Sequence[float], ys: Sequence[float], label: str, color: PlotColor, box: Box, marker: str = "braille"
) -> None:
    """Add `label` to the legend through one labelled point laid on a visible point of the curve.

    plotext 5 fails to build a legend whose series has no point inside the axes, so the
    label rides on a single point that is known to be inside `box` (x0, x1, y0, y1) and
    already drawn; a curve with no visible point gets no legend entry.
    """
    x0, x1, y0, y1 = box
    for x, y in zip(xs, ys, strict=True):
        if math.isfinite(x) and math.isfinite(y) and x0 <= x <= x1 and y0 <= y <= y1:
            plt.scatter([x], [y], color=color, marker=marker, label=label)
            return


def linear_ticks(low: float, high: float, max_ticks: int) -> tuple[list[float], list[str]]:
    """Round-number ticks (1, 2 or 5 times a power of ten apart), as many as fit, labelled without '-0.00'."""
    span = high - low
    if not (math.isfinite(span) and span > 0):
        return [low], [f"{low:.3g}"]
    best: list[float] = []
    top = math.ceil(math.log10(span))
    for exponent in range(top - 3, top + 1):
        for mantissa in (1, 2, 5):
            step = mantissa * 10.0**exponent
            first, last = math.ceil(low / step - 1e-9), math.floor(high / step + 1e-9)
            ticks = [k * step for k in range(first, last + 1)]
            if len(ticks) <= max(2, max_ticks) and len(ticks) > len(best):
                best = ticks
    return best, [f"{t:.3g}" for t in best]


def robust_limits(values: Sequence[float], margin: float = 0.08) -> tuple[float, float] | None:
    """y-limits around the finite values, padded; None when there are none."""
    finite = [v for v in values if math.isfinite(v)]
    if not finite:
        return None
    low, high = min(finite), max(finite)
    if high - low < 1e-12 * max(1.0, abs(high)):
        pad = max(1e-3, abs(high) * 0.1)
        return low - pad, high + pad
    pad = (high - low) * margin
    return low - pad, high + pad


PlotT = TypeVar("PlotT", bound="BasePlot")
Params = ParamSpec("Params")


def painted(draw: Callable[Concatenate[PlotT, Params], None]) -> Callable[Concatenate[PlotT, Params], None]:
    """Make a plot's draw method run when the plot is rendered, at the size it is rendered at.

    Ticks, legends and downsampling follow the plot's size: drawn at render time, a plot is
    right in the very first frame (before the layout a widget has no size yet), and a
    resize redraws it without the screen having to ask.
    """

    @functools.wraps(draw)
    def draw_when_rendered(plot: PlotT, /, *args: Params.args, **kwargs: Params.kwargs) -> None:
        if plot.painting:  # one draw method calling another (a message instead of the curves): draw it now
            draw(plot, *args, **kwargs)
        else:
            plot.set_painter(functools.partial(draw, plot, *args, **kwargs))

    return draw_when_rendered


class BasePlot(PlotextPlot):
    """What every plot of the app derives from: drawn by whole replacements of its data (see `painted`); a plotext
    failure shows as text, never a crash."""

    @dataclass
    class Resized(Message):
        """The plot's size changed: screens whose request depends on it (how many arrows fit) compute again."""

        plot: BasePlot

    _painter: functools.partial[None] | None = None
    _painted_at: tuple[int, int, str, Look] | None = None
    _built: RenderResult | None = None  # plotext's output for _painted_at: building takes 10-40 ms a plot
    painting = False

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self.refresh())  # glyph backgrounds follow the theme

    def on_resize(self, event: events.Resize) -> None:
        self.post_message(self.Resized(self))

    def set_painter(self, painter: functools.partial[None]) -> None:
        # The same drawing again (a screen redraws every plot when one setting changes) keeps what is built. Every
        # draw method's arguments are frozen values, so equal arguments draw the same picture.
        old = self._painter
        if old is not None and (old.func, old.args, old.keywords) == (painter.func, painter.args, painter.keywords):
            return
        self._painter, self._painted_at, self._built = painter, None, None
        self.refresh()

    @property
    def look(self) -> Look:
        return shared_state(self).look

    @property
    def canvas_color(self) -> tuple[int, int, int]:
        """The plot's background (the theme's surface), for text drawn on it: plotext's default is white."""
        return Color.parse(self.app.theme_variables.get("surface", "#1e1e1e")).rgb

    def render(self) -> RenderResult:
        try:
            painted_at = (self.size.width, self.size.height, self.app.theme, self.look)
            if painted_at == self._painted_at and self._built is not None:
                return self._built  # a layout pass or a neighbour's change re-renders the plot: nothing to build
            if self._painter is not None and painted_at != self._painted_at:
                self._painted_at, self.painting = painted_at, True
                try:
                    self._painter()
                finally:
                    self.painting = False
            built = super().render()
            self._built = built if self._painter is not None else None
            return built
        except Exception as error:  # noqa: BLE001 - plotext is third-party drawing code; the app must go on
            return Text(f"(this plot could not be drawn: {type(error).__name__}: {error})", style="italic")

    def start(self, title: str) -> Plot:
        """Clear the data and decorations, set the title: a fresh canvas to draw on."""
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        room = max(10, self.size.width - 4)  # plotext drops a title wider than the plot
        plt.title(title if len(title) <= room else title[: room - 1] + "…")
        return plt

    @painted
    def show_message(self, title: str, message: str) -> None:
        plt = self.start(title)
        plt.xlim(0, 1)
        plt.ylim(0, 1)
        plt.xticks([])
        plt.yticks([])
        plt.text(message, 0.5, 0.5, alignment="center", background=self.canvas_color)
