"""Demo 3's work: the loss curve, slope arrows by the chosen method, and a descent run from the start point."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tui.compute.descent import PathView
from tui.export import Table

CURVE_POINTS = 300


@dataclass(frozen=True)
class SlopeRequest:
    function: str
    x_min: float
    x_max: float
    start: float
    learning_rate: float
    method: str
    arrows: int  # how many arrows fit the plot's width
    steps: int
    dtype: str
    device: str


@dataclass(frozen=True)
class SlopeView:
    title: str
    curve_x: Sequence[float]
    curve_y: Sequence[float]
    arrow_x: Sequence[float]
    arrow_y: Sequence[float]
    slopes: Sequence[float]
    path: PathView

    def tables(self) -> dict[str, Table]:
        return {
            "loss": Table(("x", "L"), list(zip(self.curve_x, self.curve_y, strict=True))),
            "arrows": Table(("x", "L", "slope"), list(zip(self.arrow_x, self.arrow_y, self.slopes, strict=True))),
            "descent": self.path.table(("x",)),
        }


def compute_slope_field(request: SlopeRequest) -> SlopeView:
    import torch

    from engine.devices import parse_dtype
    from engine.expression import parse_expression
    from engine.fields import descend, slope_field

    expression = parse_expression(request.function)
    dtype, device = parse_dtype(request.dtype), request.device

    def grid(count: int) -> torch.Tensor:
        return torch.linspace(request.x_min, request.x_max, count, dtype=torch.float64)

    curve = slope_field(expression, grid(CURVE_POINTS), "exact", dtype=dtype, device=device)
    arrows = slope_field(expression, grid(request.arrows), request.method, dtype=dtype, device=device)
    run = descend(expression, [request.start], request.learning_rate, request.steps, dtype=dtype, device=device)
    return SlopeView(
        f"L(x) = {request.function.strip()} · arrows: slope by {request.method}",
        curve.x.tolist(),
        curve.values.tolist(),
        arrows.x.tolist(),
        arrows.values.tolist(),
        arrows.slopes.tolist(),
        PathView.of(run),
    )
