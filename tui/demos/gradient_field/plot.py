"""The gradient field's plot: a quiver of grad f(x, y) (or its opposite) on a grid, with the descent path."""

from __future__ import annotations

import math

from tui.demos.gradient_field.compute import QuiverView
from tui.widgets.arrows import Viewport, canvas_size, glyph, magnitude_colors
from tui.widgets.plotting import BasePlot, linear_ticks, painted
from tui.widgets.trail import CURRENT_COLOR, Trail, draw_trail


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
        draw_trail(plt, trail, viewport, background, self.look.line_marker)
        plt.text("◎", start[0], start[1], color=CURRENT_COLOR, alignment="center", background=background)
        plt.xlim(viewport.x_min, viewport.x_max)
        plt.ylim(viewport.y_min, viewport.y_max)
        plt.xticks(*linear_ticks(x_min, x_max, max(3, self.size.width // 10)))
        plt.yticks(*linear_ticks(y_min, y_max, max(3, self.size.height // 3)))
