"""A descent path drawn over a field plot: the iterates so far, the start (◎) and the current point (●)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from textual_plotext.plot import Plot

from tui.widgets.arrows import Viewport
from tui.widgets.plotting import plot_with_gaps

PATH_COLOR = (235, 235, 235)
CURRENT_COLOR = (255, 80, 200)


@dataclass(frozen=True)
class Trail:
    """The descent iterates shown so far (the last one is the current point)."""

    x: Sequence[float]
    y: Sequence[float]


def draw_trail(plt: Plot, trail: Trail, viewport: Viewport, background: tuple[int, int, int], marker: str) -> None:
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
