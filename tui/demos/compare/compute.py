"""Demo 1's work: f'(x) over the domain by every method, the error table, and f with its tangent and secant at x0."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from engine.vocabulary import METHOD_NAMES, derivative_name, smallest_half_width
from tui.export import Table

PREVIEW = "quick preview"


@dataclass(frozen=True)
class CompareRequest:
    function: str
    x_min: float
    x_max: float
    points: int
    h: float
    x0: float
    dtype: str
    device: str
    zoom: int = 0  # the tangent panel shows x0 ± (half the domain) / 10^zoom; 0: the whole domain
    order: int = 1  # the derivative drawn and tabled; the tangent panel adds f's Taylor polynomial of this degree


def zoom_half_width(x_min: float, x_max: float, zoom: int) -> float:
    return (x_max - x_min) / 2 / 10.0**zoom


def deepest_zoom(x_min: float, x_max: float, x0: float) -> int:
    """The deepest zoom whose window is still wider than SMALLEST_WINDOW (1e-15) × max(1, |x0|)."""
    zoom, floor = 0, smallest_half_width(x0)
    while zoom_half_width(x_min, x_max, zoom + 1) >= floor:
        zoom += 1
    return zoom


@dataclass(frozen=True)
class Zoom:
    """The tangent panel zoomed in around x0: f and the tangent relative to (x0, f(x0)), as the dtype holds them."""

    level: int
    half_width: float
    offsets: Sequence[float]  # x - x0
    rises: Sequence[float]  # f(x) - f(x0)
    gap: float  # max |f - tangent| over the window
    wider_gap: float  # the same, over the window 10 times wider
    distinct_x: int
    distinct_f: int
    staircase: bool


@dataclass(frozen=True)
class Curves:
    """What the derivative plot draws: x and one curve per method (NaN for gaps)."""

    title: str
    x: Sequence[float]
    curves: dict[str, Sequence[float]]


@dataclass(frozen=True)
class Tangent:
    """f on the domain and the lines at the cursor point x0."""

    x: Sequence[float]
    values: Sequence[float]
    x0: float
    f0: float
    slope: float  # the exact f'(x0)
    secant: float  # (f(x0+h) - f(x0)) / h
    h: float
    zoom: Zoom | None = None
    order: int = 1
    kink: bool = False  # f'(x0) does not exist: the slope is SymPy's and torch's convention (sign(0) = 0)
    # f''(x0), ..., the order-th derivative at x0 (exact): with f0 and slope, the Taylor polynomial of that degree
    taylor: tuple[float, ...] = ()

    @property
    def derivative(self) -> float:
        """The exact order-th derivative at x0 (NaN at order 1: the slope is that)."""
        return self.taylor[-1] if self.taylor else math.nan

    def taylor_at(self, x: float) -> float:
        """f(x0) + f'(x0) d + f''(x0) d^2/2 + ... up to the order, d = x - x0."""
        d = x - self.x0
        return self.f0 + self.slope * d + sum(c * d**k / math.factorial(k) for k, c in enumerate(self.taylor, start=2))


@dataclass(frozen=True)
class ErrorRow:
    method: str
    max_error: float
    mean_error: float
    evaluations: int
    reason: str | None = None
    estimate: float | None = None  # the method's own error estimate (max over the points), where it makes one
    too_optimistic: bool = False  # somewhere the true error is more than 10x that estimate
    varying: bool = False  # evaluations differ from point to point: `evaluations` is the most any point used
    undefined_reason: str | None = None  # why some values are undefined where f is defined (its stencil left f's domain)
    digits_lost: float = 0.0  # exact or autograd: digits lost against the 50-digit reference beyond rounding
    rounding_loss: str = ""  # what that loss comes to: "loses 7 digits", or "is off by 29%" where under a digit


# The order is in the export's settings (the Lab), not in every row.
ERROR_COLUMNS = ("method", "max_abs_error", "mean_abs_error", "estimated_error", "too_optimistic", "evaluations", "not_applicable")


@dataclass(frozen=True)
class CompareView:
    curves: Curves
    rows: tuple[ErrorRow, ...]
    tangent: Tangent
    notice: str | None
    dtype: str
    preview: bool = False  # drawn in plain Python before torch was loaded: no table yet
    order: int = 1

    def tables(self, enabled: Sequence[str] | None = None) -> dict[str, Table]:
        """The numbers on screen; with `enabled`, only those methods (one toggled off is neither drawn nor exported)."""
        methods = [m for m in self.curves.curves if enabled is None or m in enabled]
        rows = [r for r in self.rows if enabled is None or r.method in enabled]
        t = self.tangent
        return {
            "derivatives": Table(("x", *methods), [(x, *(self.curves.curves[m][i] for m in methods)) for i, x in enumerate(self.curves.x)]),
            "errors": Table(
                ERROR_COLUMNS,
                [(r.method, r.max_error, r.mean_error, r.estimate, r.too_optimistic, r.evaluations, r.reason or "") for r in rows],
            ),
            "tangent": Table(
                ("x0", "f_x0", "exact_slope", "secant_slope", "h", "exact_derivative"),
                [(t.x0, t.f0, t.slope, t.secant, t.h, t.derivative if t.order > 1 else t.slope)],
            ),
        }


def preview_compare(function: str, x_min: float, x_max: float, points: int, h: float, x0: float) -> CompareView:
    """f and f' in plain Python (central differences) for the first frame: no numpy, SymPy or torch. Raises ExpressionError."""
    from engine.preview import evaluate, preview

    quick = preview(function, x_min, x_max, points)
    # x0 itself, not its nearest grid point: the numbers under the tangent plot must not change when torch arrives
    step = 1e-5 * max(1.0, abs(x0))
    f0, ahead, right, left = evaluate(function, [x0, x0 + h, x0 + step, x0 - step])
    slope, secant = (right - left) / (2 * step), (ahead - f0) / h
    title = f"f'(x) for f(x) = {function} (quick preview while torch loads)"
    return CompareView(
        Curves(title, quick.x, {PREVIEW: quick.derivative}),
        (),
        Tangent(quick.x, quick.values, x0, f0, slope, secant, h),
        None,
        "float64",
        preview=True,
    )


def compute_compare(request: CompareRequest) -> CompareView:
    """Two engine questions: every method over the grid, and everything the tangent panel needs at x0."""
    import torch

    from engine.derive import derive
    from engine.devices import parse_dtype, rounding_notice
    from engine.expression import parse_expression
    from engine.tangent import at_point

    expression = parse_expression(request.function)
    dtype = parse_dtype(request.dtype)
    grid = torch.linspace(request.x_min, request.x_max, request.points, dtype=torch.float64)
    result = derive(expression, grid, request.h, METHOD_NAMES, dtype, request.device, order=request.order)
    half_width = zoom_half_width(request.x_min, request.x_max, request.zoom) if request.zoom > 0 else None
    at = at_point(expression, request.x0, request.h, request.order, dtype, request.device, half_width)
    x = result.points.tolist()
    undefined = ~result.defined
    curves: dict[str, Sequence[float]] = {
        m: r.values.masked_fill(undefined, math.nan).tolist() for m, r in result.results.items() if r.values is not None
    }
    f = result.function_values.masked_fill(undefined, math.nan).tolist()
    rows = tuple(
        ErrorRow(
            m,
            r.max_error,
            r.mean_error,
            r.evaluations,
            r.reason,
            r.max_estimate if r.error_estimate is not None else None,
            r.too_optimistic,
            r.evaluations_per_point is not None,
            r.undefined_reason,
            r.digits_lost if r.loses_digits else 0.0,
            r.rounding_loss,
        )
        for m, r in result.results.items()
    )
    zoom = None
    if at.zoom is not None and half_width is not None:
        window, wider = at.zoom.window, at.zoom.wider
        zoom = Zoom(
            request.zoom,
            half_width,
            window.offsets,
            window.rises,
            window.gap,
            wider.gap,
            window.distinct_x,
            window.distinct_f,
            window.staircase,
        )
    tangent = Tangent(x, f, at.x0, at.f0, at.slope, at.secant, at.h, zoom, request.order, at.kink, at.derivatives[1:])
    # a kink at x0 matters to the tangent even when no grid point lands on it
    kink = result.kink_notice() or at.kink_notice
    about_steps = (result.step_notice(), result.skew_notice())
    notices = [n for n in (rounding_notice(request.x0, dtype, "x0"), result.undefined_notice(), kink, *about_steps) if n]
    title = f"{derivative_name(request.order)}(x) for f(x) = {request.function.strip()}"  # as typed, like the preview
    return CompareView(Curves(title, x, curves), rows, tangent, "\n".join(notices) or None, result.dtype, order=request.order)
