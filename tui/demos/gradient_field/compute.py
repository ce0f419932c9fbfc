"""Demo 4's work: grad f(x, y) on a grid by autograd and by central differences, and a descent run across it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tui.compute.descent import PathView
from tui.export import Table


@dataclass(frozen=True)
class FieldRequest:
    function: str
    x_min: float
    x_max: float
    y_min: float
    y_max: float
    columns: int  # arrows across and down: as many as fit the plot
    rows: int
    start: tuple[float, float]
    learning_rate: float
    momentum: float
    steps: int
    dtype: str
    device: str
    gradients: str = "autograd"  # what descent steps along: autograd's gradient or central differences' (g)


@dataclass(frozen=True)
class QuiverView:
    title: str
    x: Sequence[float]  # grid columns
    y: Sequence[float]  # grid rows
    grad_x: Sequence[Sequence[float]]  # [row][column]
    grad_y: Sequence[Sequence[float]]


@dataclass(frozen=True)
class FieldView:
    autograd: QuiverView
    central: QuiverView
    max_difference: float | None  # max |autograd - central| where both are finite
    undefined: int  # grid points where f or its gradient is not finite
    path: PathView

    def tables(self) -> dict[str, Table]:
        a, c = self.autograd, self.central
        rows = [
            (x, y, a.grad_x[row][col], a.grad_y[row][col], c.grad_x[row][col], c.grad_y[row][col])
            for row, y in enumerate(a.y)
            for col, x in enumerate(a.x)
        ]
        return {
            "gradient": Table(("x", "y", "autograd_dx", "autograd_dy", "central_dx", "central_dy"), rows),
            "descent": self.path.table(("x", "y")),
        }


def compute_gradient_field(request: FieldRequest) -> FieldView:
    import torch

    from engine.devices import parse_dtype
    from engine.expression import parse_expression
    from engine.fields import descend, gradient_field

    expression = parse_expression(request.function, ("x", "y"))
    dtype, device = parse_dtype(request.dtype), request.device
    xs = torch.linspace(request.x_min, request.x_max, request.columns, dtype=torch.float64)
    ys = torch.linspace(request.y_min, request.y_max, request.rows, dtype=torch.float64)
    field = gradient_field(expression, xs, ys, dtype, device)
    run = descend(
        expression,
        list(request.start),
        request.learning_rate,
        request.steps,
        momentum=request.momentum,
        dtype=dtype,
        device=device,
        gradient_by=request.gradients,
    )
    title = f"grad f for f(x, y) = {request.function.strip()}"
    x, y = field.x.tolist(), field.y.tolist()
    return FieldView(
        QuiverView(title + " (autograd)", x, y, field.grad_x.tolist(), field.grad_y.tolist()),
        QuiverView(title + " (central differences)", x, y, field.check_x.tolist(), field.check_y.tolist()),
        field.check_max_difference,
        field.undefined,
        PathView.of(run),
    )
