"""The Compare demo's views: the derivative curves, f with its tangent and secant, and the error table."""

from __future__ import annotations

import math
from collections.abc import Sequence

from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from engine.vocabulary import METHOD_NAMES, derivative_name, method_keys
from tui.demos.compare.compute import Curves, ErrorRow, Tangent, Zoom
from tui.export import shown
from tui.style import METHOD_COLORS, hex_color
from tui.widgets.plotting import (
    BasePlot,
    YAxis,
    dot_rows,
    legend_entry,
    linear_ticks,
    on_dot_grid,
    painted,
    plot_with_gaps,
    robust_limits,
    row_aligned_axis,
)


def evaluations_label(row: ErrorRow, order: int) -> str:
    """f evaluations per point; exact evaluates the derivative's formula instead, autograd runs backward passes."""
    if row.method == "exact":
        return f"1 {derivative_name(order)}"
    if row.method == "autograd":
        return "1+bwd" if order == 1 else f"1+{order}bwd"
    return f"≤{row.evaluations}" if row.varying else str(row.evaluations)


class DerivativePlot(BasePlot):
    @painted
    def draw(self, curves: Curves, enabled: Sequence[str]) -> None:
        plt = self.start(curves.title)
        drawn = [m for m in curves.curves if m in enabled]
        limits = robust_limits([v for m in drawn for v in curves.curves[m]])
        if not drawn or limits is None or not curves.x:
            self.show_message(
                curves.title,
                f"no method enabled: press {method_keys(METHOD_NAMES)}" if not drawn else "f' is undefined on the whole domain",
            )
            return
        look = self.look
        axis = row_aligned_axis(*limits, self.canvas_rows, max(3, self.size.height // 3), 1 if look.plain_markers else 4)
        box = (curves.x[0], curves.x[-1], axis.low, axis.high)
        # A cell holds two braille dot columns: one point per dot column is all a terminal can show.
        stride = max(1, len(curves.x) // (2 * max(10, self.size.width)))
        x = curves.x[::stride]
        # On the dot grid: a new h that moves no curve by a visible amount draws the same picture, which is not built again.
        dots = {m: self.canvas_rows * dot_rows(look.curve_marker(m)) for m in drawn}
        ys = {m: on_dot_grid(curves.curves[m][::stride], axis.low, axis.high, dots[m]) for m in drawn}
        for method in drawn:
            color, marker = METHOD_COLORS.get(method, "default"), look.curve_marker(method)
            plot_with_gaps(plt, x, ys[method], color, box, marker)
        # A short plot has no room for a legend over the curves (it may take half the rows); the toggles beside it, in
        # the same colours, name them.
        if self.canvas_rows >= 2 * len(drawn):
            for method in drawn:
                legend_entry(plt, x, ys[method], method, METHOD_COLORS.get(method, "default"), box, look.curve_marker(method))
        plt.xlim(curves.x[0], curves.x[-1])
        plt.ylim(axis.low, axis.high)
        plt.yticks(axis.ticks, axis.labels)
        plt.xticks(*linear_ticks(curves.x[0], curves.x[-1], max(3, self.size.width // 12)))


def tight_limits(values: Sequence[float], margin: float = 0.08) -> tuple[float, float] | None:
    """Limits around the finite values however close together they are (a zoomed window spans 1e-16)."""
    finite = [v for v in values if math.isfinite(v)]
    if not finite:
        return None
    low, high = min(finite), max(finite)
    pad = (high - low) * margin if high > low else max(abs(high), 1e-300)
    return low - pad, high + pad


def offset_labels(ticks: Sequence[float], name: str) -> list[str]:
    """Tick labels as offsets from a point ('x0', 'x0+2e-09'), readable at any zoom."""
    return [name if t == 0 else f"{name}{t:+.0e}" for t in ticks]


def slope_on_dot_grid(slope: float, ends: list[float], x0: float, axis: YAxis, dots: int) -> float:
    """The slope rounded so that the line through x0 moves its farther end by less than half a dot: the line still meets
    f at x0 exactly and looks the same, and secants at two nearby h draw the same line, which is not built again."""
    reach = max(abs(e - x0) for e in ends)
    per_dot = (axis.high - axis.low) / max(1, dots - 1)
    if not (reach > 0 and per_dot > 0 and math.isfinite(slope * reach)):
        return slope
    return round(slope * reach / per_dot) * per_dot / reach


class TangentPlot(BasePlot):
    @painted
    def draw(self, tangent: Tangent) -> None:
        if tangent.zoom is not None:
            self._draw_zoomed(tangent, tangent.zoom)
            return
        title = "f(x), tangent and secant at x0" if tangent.order == 1 else f"f(x), tangent and Taylor-{tangent.order} at x0"
        plt = self.start(title)
        x = list(tangent.x)
        limits = robust_limits([*tangent.values, tangent.f0])  # x0 may fall between coarse grid points
        if limits is None or not x:
            self.show_message(title, "f is undefined on the whole domain")
            return
        look = self.look
        axis = row_aligned_axis(*limits, self.canvas_rows, max(3, self.size.height // 3), 1 if look.plain_markers else 4)
        box = (x[0], x[-1], axis.low, axis.high)
        taylor = None
        if math.isfinite(tangent.f0) and tangent.taylor and all(math.isfinite(c) for c in (tangent.slope, *tangent.taylor)):
            # the polynomial that matches f up to the order's derivative (at order 2 it bends with f: curvature)
            taylor = [tangent.taylor_at(e) for e in x]
        plot_with_gaps(plt, x, tangent.values, "default", box, look.line_marker)
        legend_entry(plt, x, tangent.values, "f(x)", "default", box, look.line_marker)
        if math.isfinite(tangent.f0):
            ends = [x[0], x[-1]]
            # The secant first, so that as h shrinks the tangent is drawn over it and takes its place.
            for name, slope, color in (
                ("secant", tangent.secant, METHOD_COLORS["forward"]),
                ("tangent", tangent.slope, METHOD_COLORS["exact"]),
            ):
                if math.isfinite(slope):
                    marker = name[0] if look.plain_markers else "braille"  # t and s: told apart without colour
                    slope = slope_on_dot_grid(slope, ends, tangent.x0, axis, self.canvas_rows * dot_rows(marker))
                    line = [tangent.f0 + slope * (e - tangent.x0) for e in ends]
                    plot_with_gaps(plt, ends, line, color, box, marker)
                    legend_entry(plt, [tangent.x0], [tangent.f0], name, color, box, marker)
            if taylor is not None:  # drawn last: under f and the lines its shape would be lost
                marker = str(tangent.order) if look.plain_markers else "braille"
                plot_with_gaps(plt, x, taylor, METHOD_COLORS["five-point"], box, marker)
                legend_entry(plt, x, taylor, f"Taylor-{tangent.order}", METHOD_COLORS["five-point"], box, marker)
            plt.scatter([tangent.x0], [tangent.f0], color=METHOD_COLORS["exact"], marker="●")
        plt.xlim(x[0], x[-1])
        plt.ylim(axis.low, axis.high)
        plt.yticks(axis.ticks, axis.labels)
        plt.xticks(*linear_ticks(x[0], x[-1], max(3, self.size.width // 12)))

    def _draw_zoomed(self, tangent: Tangent, zoom: Zoom) -> None:
        """x - x0 across, f(x) - f(x0) up: the tangent is the line through the origin with slope f'(x0)."""
        title = f"zoom ×1e{zoom.level}: x0 ± {zoom.half_width:.1e}"
        plt = self.start(title)
        x, y = list(zoom.offsets), list(zoom.rises)
        w = zoom.half_width
        limits = tight_limits([*y, 0.0, tangent.slope * w, -tangent.slope * w])
        if limits is None:
            self.show_message(title, "f is undefined here")
            return
        box = (-w, w, *limits)
        look = self.look
        for name, slope, color in (
            ("secant", tangent.secant, METHOD_COLORS["forward"]),
            ("tangent", tangent.slope, METHOD_COLORS["exact"]),
        ):
            if math.isfinite(slope):
                marker = name[0] if look.plain_markers else "braille"
                plot_with_gaps(plt, [-w, w], [-slope * w, slope * w], color, box, marker)
                legend_entry(plt, [0.0], [0.0], name, color, box, marker)
        # f as dots, not a line: zoomed far enough, the dtype's staircase of values shows
        marker = "." if look.ascii else "•"
        points = [(a, b) for a, b in zip(x, y, strict=True) if math.isfinite(b) and box[2] <= b <= box[3]]
        if points:
            plt.scatter([p[0] for p in points], [p[1] for p in points], color="default", marker=marker, label="f(x)")
        plt.xlim(-w, w)
        plt.ylim(*limits)
        xt, _ = linear_ticks(-w, w, max(3, self.size.width // 14))
        yt, _ = linear_ticks(*limits, max(3, self.size.height // 3))
        plt.xticks(xt, offset_labels(xt, "x0"))
        plt.yticks(yt, offset_labels(yt, "f0"))


def format_error(value: float) -> str:
    return shown(value, ".1e")  # NaN, inf and an overflow alike: the app's one word for undefined


ROOM_FOR_EVERY_COLUMN = 50


class ErrorTable(Static):
    """Per method: max and mean |error| against the 50-digit reference, the method's own estimate where it makes one
    (marked ! when the true error is more than 10x it), and f evaluations per point."""

    def show(self, rows: Sequence[ErrorRow], enabled: Sequence[str], caption: str = "", order: int = 1) -> None:
        table = Table(box=None, padding=(0, 1), expand=False, show_edge=False, caption=caption or None, caption_justify="left")
        shown = [row for row in rows if row.method in enabled]
        estimates = any(row.estimate is not None for row in shown)
        # The mean gives way to the estimate where both do not fit (x exports every column).
        means = not estimates or self.size.width == 0 or self.size.width >= ROOM_FOR_EVERY_COLUMN
        table.add_column("method", no_wrap=True)
        table.add_column("max|err|", justify="right", no_wrap=True)
        if estimates:
            table.add_column("est.err", justify="right", no_wrap=True)
        if means:
            table.add_column("mean|err|", justify="right", no_wrap=True)
        table.add_column("evals", justify="right", no_wrap=True)
        notes = []
        for row in shown:
            name = Text(row.method, style=hex_color(row.method))
            evals = evaluations_label(row, order)
            if row.reason:
                cells: list[str | Text] = ["n/a", *([""] if estimates else []), *([""] if means else [])]
                notes.append(f"{row.method}: {row.reason}")
            else:
                cells = [
                    format_error(row.max_error),
                    *([estimate_cell(row)] if estimates else []),
                    *([format_error(row.mean_error)] if means else []),
                ]
                if row.too_optimistic:
                    notes.append(f"{row.method}: ! its estimate is over 10x too optimistic somewhere, or at a kink (? says why)")
                if row.rounding_loss:
                    notes.append(f"{row.method}: {row.rounding_loss} to rounding against the 50-digit reference")
                if row.undefined_reason:
                    notes.append(f"{row.method}: undefined where f is defined: {row.undefined_reason}")
            table.add_row(name, *cells, evals)

        if not table.row_count:
            self.update("no method enabled")
            return
        if notes:
            table.caption = "\n".join([caption, *notes]).strip()
        self.update(table)


def estimate_cell(row: ErrorRow) -> str | Text:
    """The method's own error estimate beside the true one: blank where it makes none, flagged where it lies."""
    if row.estimate is None:
        return ""
    if row.too_optimistic:
        return Text(f"{format_error(row.estimate)}!", style="bold yellow")
    return format_error(row.estimate)
