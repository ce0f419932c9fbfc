"""Arrows in a terminal plot: plotext has no quiver, so direction glyphs and segments are drawn by hand.

A terminal cell is about twice as tall as it is wide, so a direction in data
units is first turned into "visual" units (cell widths both ways) before its
angle picks a glyph; otherwise a 45° arrow would be drawn at 63°.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

GLYPHS = "→↗↑↖←↙↓↘"  # counter-clockwise from east, one per 45°
FLAT = "·"
# Blue (gentle) to red (steep): readable on light and dark backgrounds alike.
PALETTE: tuple[tuple[int, int, int], ...] = (
    (70, 110, 230),
    (0, 160, 200),
    (40, 170, 90),
    (210, 170, 0),
    (240, 120, 20),
    (220, 40, 40),
)


@dataclass(frozen=True)
class Viewport:
    """Data ranges and the canvas they are drawn on, in cells."""

    x_min: float
    x_max: float
    y_min: float
    y_max: float
    columns: int
    rows: int

    @property
    def x_scale(self) -> float:
        """Visual units (cell widths) per data unit along x."""
        return self.columns / (self.x_max - self.x_min)

    @property
    def y_scale(self) -> float:
        """Visual units per data unit along y: a row is about two cell widths tall."""
        return 2 * self.rows / (self.y_max - self.y_min)

    def visual(self, dx: float, dy: float) -> tuple[float, float]:
        return dx * self.x_scale, dy * self.y_scale

    def data(self, vx: float, vy: float) -> tuple[float, float]:
        return vx / self.x_scale, vy / self.y_scale


def canvas_size(width: int, height: int) -> tuple[int, int]:
    """The plot area of a plotext figure drawn in a width x height widget (axes, ticks and title removed)."""
    return max(4, width - 8), max(3, height - 4)


def glyph(vx: float, vy: float) -> str:
    """The arrow for a visual direction (y up), or a dot for no direction at all."""
    if not (math.isfinite(vx) and math.isfinite(vy)) or (vx == 0 and vy == 0):
        return FLAT
    sector = round(math.atan2(vy, vx) / (math.pi / 4)) % 8
    return GLYPHS[sector]


def magnitude_colors(magnitudes: Sequence[float]) -> list[tuple[int, int, int]]:
    """A palette colour per magnitude on a log scale, so flat and steep regions both read."""
    logs = [math.log10(m) if math.isfinite(m) and m > 0 else math.nan for m in magnitudes]
    finite = [v for v in logs if math.isfinite(v)]
    if not finite:
        return [PALETTE[0]] * len(magnitudes)
    low, high = min(finite), max(finite)
    span = high - low
    colors = []
    for value in logs:
        if not math.isfinite(value):
            colors.append(PALETTE[0])
            continue
        fraction = (value - low) / span if span > 1e-12 else 0.5
        colors.append(PALETTE[min(len(PALETTE) - 1, int(fraction * len(PALETTE)))])
    return colors


@dataclass(frozen=True)
class Segment:
    """An arrow as a short line in data coordinates, with its head glyph at the end."""

    x0: float
    y0: float
    x1: float
    y1: float
    head: str


def tangent_arrow(x: float, y: float, slope: float, view: Viewport, length: float = 3.0, descent: bool = False) -> Segment | None:
    """An arrow along the tangent at (x, y), centred there, pointing uphill (or downhill for descent).

    Its length on screen is fixed; its angle shows the steepness.
    """
    if not (math.isfinite(x) and math.isfinite(y) and math.isfinite(slope)):
        return None
    if slope == 0:
        return Segment(x, y, x, y, FLAT)
    direction = math.copysign(1.0, slope) * (-1.0 if descent else 1.0)
    vx, vy = view.visual(direction, direction * slope)
    norm = math.hypot(vx, vy)
    vx, vy = vx / norm * length, vy / norm * length
    dx, dy = view.data(vx / 2, vy / 2)
    return Segment(x - dx, y - dy, x + dx, y + dy, glyph(vx, vy))
