"""The slope field's plot: the loss curve L(x) with a slope arrow at each sample and the descent path."""

from __future__ import annotations

from tui.demos.slope_field.compute import SlopeView
from tui.widgets.arrows import FLAT, Viewport, canvas_size, magnitude_colors, tangent_arrow
from tui.widgets.plotting import BasePlot, linear_ticks, painted, plot_with_gaps, robust_limits
from tui.widgets.trail import Trail, draw_trail


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
        draw_trail(plt, trail, viewport, background, self.look.line_marker)
        plt.xlim(x_min, x_max)
        plt.ylim(*limits)
        plt.xticks(*linear_ticks(x_min, x_max, max(3, self.size.width // 10)))
        plt.yticks(*linear_ticks(*limits, max(3, self.size.height // 3)))
