"""The field demos' plots: a loss curve with slope arrows, and a quiver of grad f(x, y), each with a descent path."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from textual_plotext.plot import Plot

from tui.compute.gradient_field import QuiverView
from tui.compute.slope_field import SlopeView
from tui.widgets.arrows import FLAT, Viewport, canvas_size, glyph, magnitude_colors, tangent_arrow
from tui.widgets.plotting import BasePlot, linear_ticks, painted, plot_with_gaps, robust_limits

PATH_COLOR = (235, 235, 235)
CURRENT_COLOR = (255, 80, 200)


@dataclass(frozen=True)
class Trail:
    """The descent iterates shown so far (the last one is the current point)."""

    x: Sequence[float]
    y: Sequence[float]


class SlopeFieldPlot(BasePlot):
    @painted
    def draw(self, view: SlopeView, trail: Trail, descent: bool) -> None:
        plt = self.start(view.title)
        background = self.canvas_color
        limits = robust_limits(view.curve_y)
        if limits is None or not view.curve_x:
            self.show_message(view.title, "L is undefined on the whole domain")
            return
        x_min, x_max = view.curve_x[0], view.curve_x[-1]
        columns, rows = canvas_size(self.size.width, self.size.height)
        viewport = Viewport(x_min, x_max, *limits, columns, rows)
        box = (x_min, x_max, *limits)
        plot_with_gaps(plt, view.curve_x, view.curve_y, "default", box, self.look.line_marker)
        colors = magnitude_colors([abs(s) for s in view.slopes])
        for x, y, slope, color in zip(view.arrow_x, view.arrow_y, view.slopes, colors, strict=True):
            arrow = tangent_arrow(x, y, slope, viewport, descent=descent)
            if arrow is None:
                continue
            if arrow.head != FLAT:
                plot_with_gaps(plt, [arrow.x0, arrow.x1], [arrow.y0, arrow.y1], color, box, self.look.line_marker)
            plt.text(arrow.head, arrow.x1, arrow.y1, color=color, alignment="center", background=background)
        _draw_trail(plt, trail, viewport, background, self.look.line_marker)
        plt.xlim(x_min, x_max)
        plt.ylim(*limits)
        plt.xticks(*linear_ticks(x_min, x_max, max(3, self.size.width // 10)))
        plt.yticks(*linear_ticks(*limits, max(3, self.size.height // 3)))


class GradientFieldPlot(BasePlot):
    @painted
    def draw(self, view: QuiverView, trail: Trail, start: tuple[float, float], descent: bool) -> None:
        plt = self.start(view.title)
        background = self.canvas_color
        x_min, x_max, y_min, y_max = view.x[0], view.x[-1], view.y[0], view.y[-1]
        pad_x, pad_y = (x_max - x_min) / (2 * max(1, len(view.x) - 1)), (y_max - y_min) / (2 * max(1, len(view.y) - 1))
        columns, rows = canvas_size(self.size.width, self.size.height)
        viewport = Viewport(x_min - pad_x, x_max + pad_x, y_min - pad_y, y_max + pad_y, columns, rows)
        sign = -1.0 if descent else 1.0
        cells = [
            (x, y, gx, gy)
            for row, y in enumerate(view.y)
            for col, x in enumerate(view.x)
            for gx, gy in [(view.grad_x[row][col], view.grad_y[row][col])]
        ]
        colors = magnitude_colors([math.hypot(gx, gy) for _, _, gx, gy in cells])
        for (x, y, gx, gy), color in zip(cells, colors, strict=True):
            if not (math.isfinite(gx) and math.isfinite(gy)):
                plt.text("×", x, y, color="gray", alignment="center", background=background)
                continue
            plt.text(glyph(*viewport.visual(sign * gx, sign * gy)), x, y, color=color, alignment="center", background=background)
        _draw_trail(plt, trail, viewport, background, self.look.line_marker)
        plt.text("◎", start[0], start[1], color=CURRENT_COLOR, alignment="center", background=background)
        plt.xlim(viewport.x_min, viewport.x_max)
        plt.ylim(viewport.y_min, viewport.y_max)
        plt.xticks(*linear_ticks(x_min, x_max, max(3, self.size.width // 10)))
        plt.yticks(*linear_ticks(y_min, y_max, max(3, self.size.height // 3)))


def _draw_trail(plt: Plot, trail: Trail, viewport: Viewport, background: tuple[int, int, int], marker: str) -> None:
    box = (viewport.x_min, viewport.x_max, viewport.y_min, viewport.y_max)
    inside = [(x, y) for x, y in zip(trail.x, trail.y, strict=True) if box[0] <= x <= box[1] and box[2] <= y <= box[3]]
    if len(trail.x) > 1:
        plot_with_gaps(plt, trail.x, trail.y, PATH_COLOR, box, marker)
    if inside:
        plt.scatter([p[0] for p in inside], [p[1] for p in inside], color=PATH_COLOR, marker="•")
    if trail.x and (trail.x[0], trail.y[0]) in inside:
        plt.text("◎", trail.x[0], trail.y[0], color=CURRENT_COLOR, alignment="center", background=background)
    if trail.x and (trail.x[-1], trail.y[-1]) in inside:
        plt.text("●", trail.x[-1], trail.y[-1], color=CURRENT_COLOR, alignment="center", background=background)
