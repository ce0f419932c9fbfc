"""Demo 2's work: each step method's error over the h grid, its best h, and the truncation + round-off model."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from engine.vocabulary import STEP_METHOD_NAMES, derivative_name
from tui.export import Table


@dataclass(frozen=True)
class SweepRequest:
    function: str
    x_min: float
    x_max: float
    points: int
    x0: float
    at_point: bool  # the error at x0 rather than the max over the domain
    dtype: str
    device: str
    order: int = 1

    @property
    def scope(self) -> str:
        return f"at x0 = {self.x0:.4g}" if self.at_point else f"max over {self.points} points"


@dataclass(frozen=True)
class MethodCurve:
    errors: Sequence[float] | None
    best_h: float | None
    best_error: float | None
    theory: Sequence[float] | None
    optimal_h: float | None
    rule: str
    reason: str | None


@dataclass(frozen=True)
class Extrapolated:
    """Richardson's one point: it picks its own step, so it is where it ended, its true error and its own estimate."""

    final_h: float | None
    error: float | None
    estimate: float | None
    evaluations: int
    too_optimistic: bool
    reason: str | None


@dataclass(frozen=True)
class SweepView:
    title: str
    h: Sequence[float]
    methods: dict[str, MethodCurve]
    dtype: str
    eps: float
    scope: str
    order: int = 1
    richardson: Extrapolated | None = None
    notice: str | None = None  # x0 as the dtype holds it, where that moves it visibly (1000.3 is 1000.5 in float16)

    def tables(self, enabled: Sequence[str] | None = None) -> dict[str, Table]:
        """The numbers on screen; with `enabled`, only those methods (one toggled off is neither drawn nor exported)."""
        shown = {m: c for m, c in self.methods.items() if enabled is None or m in enabled}
        measured = [m for m, c in shown.items() if c.errors is not None]
        modelled = [m for m, c in shown.items() if c.theory is not None]
        extrapolated = [self.richardson] if self.richardson and (enabled is None or "richardson" in enabled) else []

        def column(values: Sequence[float] | None, i: int) -> float | None:
            return values[i] if values is not None else None

        return {
            "errors": Table(("h", *measured), [(h, *(column(self.methods[m].errors, i) for m in measured)) for i, h in enumerate(self.h)]),
            "model": Table(("h", *modelled), [(h, *(column(self.methods[m].theory, i) for m in modelled)) for i, h in enumerate(self.h)]),
            "best": Table(
                ("method", "best_h", "best_error", "model_optimal_h", "rule", "not_applicable"),
                [(m, c.best_h, c.best_error, c.optimal_h, c.rule, c.reason or "") for m, c in shown.items()],
            ),
            "richardson": Table(
                ("final_h", "abs_error", "error_estimate", "too_optimistic", "evaluations", "not_applicable"),
                [(r.final_h, r.error, r.estimate, r.too_optimistic, r.evaluations, r.reason or "") for r in extrapolated],
            ),
        }


def compute_sweep(request: SweepRequest) -> SweepView:
    import torch

    from engine.devices import parse_dtype, rounding_notice
    from engine.expression import parse_expression
    from engine.sweep import sweep

    expression = parse_expression(request.function)
    dtype = parse_dtype(request.dtype)
    if request.at_point:
        points = torch.tensor([request.x0], dtype=torch.float64)
    else:
        points = torch.linspace(request.x_min, request.x_max, request.points, dtype=torch.float64)
    result = sweep(expression, points, None, STEP_METHOD_NAMES, dtype, request.device, order=request.order, richardson=True)
    curves = {
        m: MethodCurve(
            r.errors.tolist() if r.errors is not None else None,
            r.best_h,
            r.best_error,
            r.model.errors.tolist() if r.model else None,
            r.model.optimal_h if r.model else None,
            r.model.rule if r.model else (r.reason or ""),
            r.reason,
        )
        for m, r in result.methods.items()
    }
    point = result.richardson
    extrapolated = (
        Extrapolated(point.final_h, point.error, point.estimate, point.evaluations, point.too_optimistic, point.reason) if point else None
    )
    title = f"|error| of {derivative_name(request.order)}(x) vs h, f(x) = {request.function.strip()}"
    eps = float(torch.finfo(dtype).eps)
    notice = rounding_notice(request.x0, dtype, "x0") if request.at_point else None
    return SweepView(title, result.h.tolist(), curves, result.dtype, eps, request.scope, request.order, extrapolated, notice)
