"""Everything about f at one point x0, in one question: f(x0), its exact derivatives up to an order, the secant
over h, whether f' exists there, and (on request) the microscopic zoom around it.

This is what Compare's tangent panel draws: the tangent line (f0, slope), the secant through x0 and x0 + h,
f's Taylor polynomial of the order's degree, and the zoom's window with the one ten times wider.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from engine.derive import derive
from engine.expression import Expression
from engine.zoom import ZoomWindow, zoom_window

ZOOM_SAMPLES = 241


@dataclass(frozen=True)
class PointZoom:
    """The zoom's window around x0 and the same window ten times wider (its gap shows how fast f straightens)."""

    window: ZoomWindow
    wider: ZoomWindow


@dataclass(frozen=True)
class AtPoint:
    x0: float  # as the dtype holds it
    h: float
    f0: float  # NaN where f is undefined at x0
    derivatives: tuple[float, ...]  # exact f'(x0), f''(x0), ... up to the order; NaN where undefined (or f is)
    secant: float  # (f(x0 + h) - f(x0)) / h in the dtype
    kink: bool  # f' does not exist at x0 (derivatives[0] is then SymPy's and torch's convention)
    kink_notice: str | None
    zoom: PointZoom | None = None

    @property
    def slope(self) -> float:
        return self.derivatives[0]

    def taylor_at(self, x: float) -> float:
        """f(x0) + f'(x0) d + f''(x0) d^2/2 + ... up to the order, d = x - x0."""
        d = x - self.x0
        return self.f0 + sum(c * d**k / math.factorial(k) for k, c in enumerate(self.derivatives, start=1))


def at_point(
    expression: Expression,
    x0: float,
    h: float,
    order: int,
    dtype: torch.dtype,
    device: torch.device | str = "cpu",
    zoom_half_width: float | None = None,
) -> AtPoint:
    """f and its first `order` exact derivatives at x0, the secant over h, the kink test, and the zoom if asked for."""
    point = torch.tensor([x0], dtype=torch.float64)
    first = derive(expression, point, h, ("exact", "forward"), dtype, device)
    f0 = float(first.function_values[0])

    def value(result_values: torch.Tensor | None) -> float:
        # Where f itself is undefined there is no tangent, whatever the formula for f' says.
        return float(result_values[0]) if result_values is not None and math.isfinite(f0) else math.nan

    derivatives = [value(first.results["exact"].values)]
    for k in range(2, order + 1):
        derivatives.append(value(derive(expression, point, 0.0, ("exact",), dtype, device, order=k).results["exact"].values))
    zoom = None
    if zoom_half_width is not None:
        zoom = PointZoom(
            zoom_window(expression, x0, zoom_half_width, ZOOM_SAMPLES, dtype, device),
            zoom_window(expression, x0, 10 * zoom_half_width, ZOOM_SAMPLES, dtype, device),
        )
    return AtPoint(
        x0=float(first.points[0]),
        h=first.h,
        f0=f0,
        derivatives=tuple(derivatives),
        secant=value(first.results["forward"].values),
        kink=bool(first.kinks),
        kink_notice=first.kink_notice(),
        zoom=zoom,
    )
