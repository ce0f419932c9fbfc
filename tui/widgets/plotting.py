"""Helpers for drawing on a textual-plotext plot: gaps where values are not finite, readable log ticks."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Concatenate, ParamSpec, TypeVar, cast

from rich.text import Text
from textual import events
from textual.app import RenderResult
from textual.color import Color
from textual.message import Message
from textual_plotext import PlotextPlot
from textual_plotext.plot import Plot

from tui.look import Look
from tui.state import shared_state
from tui.widgets.ansi_text import ansi_text

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
    # An end inside the box is returned as given, not recomputed (x0 + 1.0 * (x1 - x0) can miss x1 by an ulp): the next
    # segment must start exactly where this one ends, or the polyline is cut into pieces, and where two pieces share a
    # character the later one's braille replaces the earlier one's dots.
    start = (x0, y0) if low == 0 else (x0 + low * dx, y0 + low * dy)
    end = (x1, y1) if high == 1 else (x0 + high * dx, y0 + high * dy)
    return (*start, *end)


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


@dataclass(frozen=True)
class YAxis:
    """y-limits and ticks chosen together, so that every tick's row is the row its value is drawn in."""

    low: float
    high: float
    ticks: list[float]
    labels: list[str]


def row_aligned_axis(low: float, high: float, rows: int, max_ticks: int, sub_rows: int = 4) -> YAxis:
    """Limits covering [low, high] on a canvas of `rows` rows, with round ticks at the centres of rows.

    plotext puts a tick label on the row nearest its value at the resolution of whole rows, but draws
    braille curves at `sub_rows` dots a row: on a short plot the two disagree by most of a row (at 6 rows a
    "0" tick sat beside values near 0.6). Here a row holds a whole fraction of a tick step and every
    tick value sits in the middle of a row, so a curve crossing a tick's row crosses that value.
    """
    span = high - low
    ticks, labels = linear_ticks(low, high, max_ticks)
    if len(ticks) > max(1, rows - 1):
        # More ticks than rows: two would share a row, and which label plotext then prints varies from run to run.
        # Keep the one nearest the middle (on a tiny plot) or every other one until each has a row of its own.
        if rows < 3:
            middle = min(range(len(ticks)), key=lambda i: abs(ticks[i] - (low + high) / 2))
            ticks, labels = [ticks[middle]], [labels[middle]]
        else:
            while len(ticks) > rows - 1:
                ticks, labels = ticks[::2], labels[::2]
    fallback = YAxis(low, high, ticks, labels)
    if rows < 2 or not (math.isfinite(span) and span > 0):
        return fallback
    window_rows = rows - 1 / sub_rows  # the limits span this many rows' heights (plotext maps them to dot centres)
    centre = (sub_rows - 1) / (2 * sub_rows)  # where a row's middle lies, in rows above its bottom edge
    choices: list[tuple[int, float, YAxis]] = []
    top = math.ceil(math.log10(span))
    for exponent in range(top - 3, top + 2):
        for mantissa in (1, 2, 5):
            step = mantissa * 10.0**exponent
            for per_step in range(rows - 1, 0, -1):  # rows from one tick to the next: the tightest fit first
                row_height = step / per_step
                if window_rows * row_height < span:
                    continue
                first = math.ceil(high / row_height - window_rows + centre - 1e-9)
                last = math.floor(low / row_height + centre + 1e-9)
                if first > last:
                    continue
                ideal = ((low + high) / 2 - window_rows * row_height / 2) / row_height + centre
                index = min(max(math.floor(ideal + 0.5), first), last)
                axis_low = (index - centre) * row_height
                axis_high = axis_low + window_rows * row_height
                ticks = [k * step for k in range(math.ceil(axis_low / step - 1e-9), math.floor(axis_high / step + 1e-9) + 1)]
                if 2 <= len(ticks) <= max(2, max_ticks) and window_rows * row_height <= 1.5 * span:
                    choices.append((len(ticks), -row_height, YAxis(axis_low, axis_high, ticks, [f"{t:.3g}" for t in ticks])))
                break  # larger rows for this step only waste room
    if not choices:
        return fallback
    return max(choices, key=lambda choice: choice[:2])[2]


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


def frozen(value: object) -> object:
    """A plot call's argument as a value that compares by content: lists become tuples."""
    if isinstance(value, (list, tuple)):
        return tuple(frozen(item) for item in value)
    return value


class CallRecorder:
    """Stands in for plotext while a plot draws: keeps each call to be replayed, or not at all when the same calls
    built the plot already. Draw methods only call plotext, never read from it."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []
        self.key: list[object] = []  # the calls as values that compare by content

    def __getattr__(self, name: str) -> Callable[..., None]:
        def record(*args: Any, **kwargs: Any) -> None:
            self.calls.append((name, args, kwargs))
            self.key.append((name, frozen(args), frozen(sorted(kwargs.items()))))

        return record

    def replay(self, plt: Plot) -> None:
        for name, args, kwargs in self.calls:
            getattr(plt, name)(*args, **kwargs)


def on_dot_grid(values: Sequence[float], low: float, high: float, dots: int) -> list[float]:
    """Each value moved to the centre of the dot plotext draws it in, with `dots` dot rows from low to high (4 a row in
    braille, 1 for a one-character marker) and plotext's own rounding: the picture is the same, and two curves that
    differ by less than a dot (f' at two nearby h) make the same calls, so the plot keeps what it built instead of
    building the same picture again (20 ms for Compare's eight curves)."""
    if dots < 2 or not (math.isfinite(low) and math.isfinite(high) and high > low):
        return list(values)
    per_dot = (high - low) / (dots - 1)
    return [low + math.floor(round(0.5 + (v - low) / per_dot, 8)) * per_dot if math.isfinite(v) else v for v in values]


def dot_rows(marker: str) -> int:
    """Dots a character row holds for a marker: 4 in braille, 1 for a plain character."""
    return 4 if marker == "braille" else 1


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
    _recorder: CallRecorder | None = None  # while the painter runs: what it asks plotext to draw
    _recorded: tuple[tuple[int, int, str, Look], CallRecorder] | None = None  # drawn by set_painter, for render to build
    # The calls that made the last build, where: equal calls at the same size, theme and look build the same text.
    _last_build: tuple[tuple[int, int, str, Look], list[object], RenderResult] | None = None
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
        self._painter, self._painted_at, self._built, self._recorded = painter, None, None, None
        last = self._last_build
        if last is not None and self.is_mounted and last[0] == self._paint_place():
            # Drawn now rather than at the next render: a new h that moves no curve by a dot leaves the plot as it is,
            # and Textual need not render its lines again (6 ms for Compare's curves).
            try:
                recorder = self._record()
            except Exception:  # noqa: BLE001 - render draws it again and shows the failure
                recorder = None
            if recorder is not None and recorder.key == last[1]:
                self._painted_at, self._built = last[0], last[2]
                return
            self._recorded = (last[0], recorder) if recorder is not None else None
        self.refresh()

    def _paint_place(self) -> tuple[int, int, str, Look]:
        """What a build depends on besides the calls: equal calls at the same size, theme and look build the same text."""
        return (self.size.width, self.size.height, self.app.theme, self.look)

    def _record(self) -> CallRecorder:
        """Run the painter against a recorder: the plotext calls it makes, none of them made yet."""
        assert self._painter is not None
        recorder = CallRecorder()
        self.painting, self._recorder = True, recorder
        try:
            self._painter()
        finally:
            self.painting, self._recorder = False, None
        return recorder

    @property
    def plt(self) -> Plot:
        """plotext, or while the plot draws, the recorder of what it draws (built once it is known to be new)."""
        return cast("Plot", self._recorder) if self._recorder is not None else self._plot

    @property
    def look(self) -> Look:
        return shared_state(self).look

    @property
    def canvas_rows(self) -> int:
        """Rows of the drawing area: the widget less the title, the frame's two lines and the x tick labels."""
        return max(self.size.height - 4, 0)

    @property
    def canvas_color(self) -> tuple[int, int, int]:
        """The plot's background (the theme's surface), for text drawn on it: plotext's default is white."""
        return Color.parse(self.app.theme_variables.get("surface", "#1e1e1e")).rgb

    def render(self) -> RenderResult:
        try:
            painted_at = self._paint_place()
            if painted_at == self._painted_at and self._built is not None:
                return self._built  # a layout pass or a neighbour's change re-renders the plot: nothing to build
            if self._painter is None:
                return super().render()
            recorded, self._recorded = self._recorded, None
            self._painted_at = painted_at
            recorder = recorded[1] if recorded is not None and recorded[0] == painted_at else self._record()
            last = self._last_build
            if last is not None and last[0] == painted_at and last[1] == recorder.key:
                self._built = last[2]  # the same calls: plotext would build the very same text
                return self._built
            self._last_build = None
            recorder.replay(self._plot)
            self._built = self._build()
            self._last_build = (painted_at, recorder.key, self._built)
            return self._built
        except Exception as error:  # noqa: BLE001 - plotext is third-party drawing code; the app must go on
            return Text(f"(this plot could not be drawn: {type(error).__name__}: {error})", style="italic")

    def _build(self) -> Text:
        """PlotextPlot.render's build, with plotext's output read by ansi_text (the same Text in a quarter of the
        time of Text.from_ansi)."""
        width, height = self.size
        self._plot.plotsize(width, height)
        self._plot._set_size(width, height)  # both, as textual-plotext does (its issue #5)
        self._plot.theme(self._get_plotext_theme_name(self.app.theme))
        return ansi_text(self._plot.build())

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
