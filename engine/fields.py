"""Slope fields, gradient fields and gradient descent: what the arrows and paths on the field screens show."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from engine.compiled import EvaluationError, compile_expression
from engine.expression import Expression
from engine.methods import METHOD_FUNCTIONS, NotApplicable

DeviceLike = torch.device | str


@dataclass(frozen=True)
class SlopeField:
    """L and dL/dx on a 1-D grid (float64, CPU); slopes are NaN where L is undefined."""

    x: torch.Tensor
    values: torch.Tensor
    slopes: torch.Tensor
    method: str


def slope_field(
    expression: Expression,
    xs: torch.Tensor,
    method: str = "autograd",
    h: float = 1e-5,
    dtype: torch.dtype = torch.float64,
    device: DeviceLike = "cpu",
) -> SlopeField:
    """Values and slopes of L(x) at `xs`, the slope from any derivative method (autograd by default)."""
    x = xs.detach().to(device=device, dtype=dtype)
    with torch.no_grad():
        values = compile_expression(expression).function(x).to("cpu", torch.float64)
    slopes = METHOD_FUNCTIONS[method](expression, x, h, dtype, device).values.detach().to("cpu", torch.float64)
    slopes = slopes.masked_fill(~torch.isfinite(values), math.nan)
    return SlopeField(x.to("cpu", torch.float64), values, slopes, method)


@dataclass(frozen=True)
class GradientField:
    """f and its gradient on a grid: arrays of shape (len(ys), len(xs)), float64 on the CPU."""

    x: torch.Tensor
    y: torch.Tensor
    values: torch.Tensor
    grad_x: torch.Tensor
    grad_y: torch.Tensor
    check_x: torch.Tensor  # the same gradient by central differences
    check_y: torch.Tensor
    check_max_difference: float | None  # max |autograd - central difference| where both are finite
    undefined: int  # grid points where f or its gradient is not finite


def gradient(expression: Expression, points: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """f and grad f at points of shape (..., d), both variables at once through torch.autograd.grad."""
    compiled = compile_expression(expression)
    leaves = [points[..., i].detach().clone().requires_grad_(True) for i in range(points.shape[-1])]
    value = compiled.function(*leaves)
    if not value.requires_grad:
        return value.detach(), torch.zeros_like(points)
    grads = torch.autograd.grad(value, leaves, grad_outputs=torch.ones_like(value), allow_unused=True, materialize_grads=True)
    return value.detach(), torch.stack(grads, dim=-1)


def central_gradient(expression: Expression, points: torch.Tensor, h: float = 1e-6) -> torch.Tensor:
    """grad f by central differences in each variable: the check on autograd."""
    function = compile_expression(expression).function
    columns = []
    with torch.no_grad():
        for i in range(points.shape[-1]):
            step = torch.zeros(points.shape[-1], dtype=points.dtype, device=points.device)
            step[i] = h
            plus, minus = points + step, points - step
            columns.append((function(*plus.unbind(-1)) - function(*minus.unbind(-1))) / (2 * h))
    return torch.stack(columns, dim=-1)


def central_step(dtype: torch.dtype) -> float:
    """The gradient field's and descent's central-difference step: near eps^(1/3) of float64, coarser below it."""
    return 1e-6 if dtype == torch.float64 else 1e-3


def gradient_field(
    expression: Expression,
    xs: torch.Tensor,
    ys: torch.Tensor,
    dtype: torch.dtype = torch.float64,
    device: DeviceLike = "cpu",
) -> GradientField:
    """grad f(x, y) by autograd on the grid xs x ys, with the central-difference check."""
    if expression.variables != ("x", "y"):
        raise NotApplicable("the gradient field needs f(x, y)")
    grid_y, grid_x = torch.meshgrid(ys.to(device, dtype), xs.to(device, dtype), indexing="ij")
    points = torch.stack([grid_x, grid_y], dim=-1)
    values, grads = gradient(expression, points)
    check = central_gradient(expression, points, central_step(dtype))
    defined = torch.isfinite(values) & torch.isfinite(grads).all(dim=-1)
    both = defined & torch.isfinite(check).all(dim=-1)
    difference = (grads - check).abs().amax(dim=-1)[both]

    def cpu(t: torch.Tensor) -> torch.Tensor:
        return t.detach().to("cpu", torch.float64)

    nan = torch.tensor(math.nan, dtype=grads.dtype, device=grads.device)
    return GradientField(
        x=cpu(xs),
        y=cpu(ys),
        values=cpu(torch.where(defined, values, nan)),
        grad_x=cpu(torch.where(defined, grads[..., 0], nan)),
        grad_y=cpu(torch.where(defined, grads[..., 1], nan)),
        check_x=cpu(torch.where(defined, check[..., 0], nan)),
        check_y=cpu(torch.where(defined, check[..., 1], nan)),
        check_max_difference=float(difference.max()) if difference.numel() else None,
        undefined=int((~defined).sum()),
    )


@dataclass(frozen=True)
class DescentPath:
    """Iterates of gradient descent: points (K+1, d), f and grad at each; how and why it stopped."""

    points: torch.Tensor
    values: torch.Tensor
    gradients: torch.Tensor
    outcome: str  # "converged", "diverged", "max-steps", or "undefined" (f or its gradient is not finite at the start)
    reason: str

    @property
    def steps(self) -> int:
        return len(self.points) - 1


MAX_ITERATE = 1e8  # far outside any domain a demo draws: the run is going nowhere
MAX_MAGNITUDE = 1e150
GROWTH_STEPS = 10  # plain descent that raises f this many steps in a row is diverging


def descend(
    expression: Expression,
    start: Sequence[float],
    learning_rate: float,
    steps: int,
    momentum: float = 0.0,
    ascent: bool = False,
    tolerance: float = 1e-8,
    dtype: torch.dtype = torch.float64,
    device: DeviceLike = "cpu",
    gradient_by: str = "autograd",
) -> DescentPath:
    """Up to `steps` iterations of v <- momentum * v + grad f(x); x <- x - lr * v (x + lr * v for ascent), with grad f
    by autograd or, with gradient_by="central", by central differences (the step `central_step` gives the dtype).

    Stops early, and says why, when |grad| falls below `tolerance` ("converged") or
    the iterate, f or the gradient stops being finite or runs away, or (without
    momentum) f moves the wrong way GROWTH_STEPS steps in a row ("diverged"), or
    f is not finite at the start point itself ("undefined");
    otherwise it ends with "max-steps". A bad iterate never raises.
    """
    if not (learning_rate > 0 and math.isfinite(learning_rate)):
        raise ValueError(f"the learning rate must be a positive number, got {learning_rate}")
    if not 0 <= momentum < 1:
        raise ValueError(f"momentum must be in [0, 1), got {momentum}")
    if gradient_by not in ("autograd", "central"):
        raise ValueError(f"the gradient comes from autograd or central, got {gradient_by!r}")
    if len(start) != len(expression.variables):
        raise ValueError(f"the start point needs {len(expression.variables)} coordinates, got {len(start)}")
    sign = 1.0 if ascent else -1.0
    point = torch.tensor(list(start), dtype=dtype, device=device)
    velocity = torch.zeros_like(point)
    points, values, gradients = [], [], []
    outcome, reason = "max-steps", f"stopped at the step limit ({steps})"
    wrong_way = 0
    for k in range(steps + 1):
        try:
            value, grad = gradient(expression, point)
            if gradient_by == "central":
                grad = central_gradient(expression, point, central_step(dtype))
        except EvaluationError as error:
            outcome, reason = "diverged", str(error)
            break
        points.append(point)
        values.append(value)
        gradients.append(grad)
        problem = _divergence(point, value, grad)
        if momentum == 0 and len(values) > 1 and -sign * float(value - values[-2]) > 0:
            wrong_way += 1
            if wrong_way >= GROWTH_STEPS and not problem:
                problem = f"f went {'down' if ascent else 'up'} {GROWTH_STEPS} steps in a row, so the learning rate is too large"
        else:
            wrong_way = 0
        if problem:
            where = "at the start point" if k == 0 else f"(step {k})"
            outcome, reason = "diverged" if k else "undefined", f"{problem} {where}"
            break
        norm = float(grad.norm())
        if norm < tolerance:
            outcome, reason = "converged", f"|grad| = {norm:.1e} < {tolerance:.0e} at step {k}"
            break
        if k == steps:
            reason = f"stopped at the step limit ({steps}) with |grad| = {norm:.2e}"
            break
        velocity = momentum * velocity + grad
        point = point + sign * learning_rate * velocity

    def cpu(items: list[torch.Tensor]) -> torch.Tensor:
        return torch.stack(items).detach().to("cpu", torch.float64)

    return DescentPath(cpu(points), cpu(values), cpu(gradients), outcome, reason)


def _divergence(point: torch.Tensor, value: torch.Tensor, grad: torch.Tensor) -> str | None:
    for name, tensor in (("the iterate", point), ("f", value), ("the gradient", grad)):
        if not bool(torch.isfinite(tensor).all()):
            return f"{name} is not finite (NaN or inf)"
        if float(tensor.abs().max()) > MAX_MAGNITUDE:
            return f"{name} grew past {MAX_MAGNITUDE:.0e}"
    if float(point.abs().max()) > MAX_ITERATE:
        return f"the iterate ran away (a coordinate passed {MAX_ITERATE:.0e} in size)"
    return None
