"""Error versus h: each step method over a log grid of h, beside the truncation + round-off model.

All h values are evaluated in one batch: the points broadcast against an
(H, 1) column of steps, so a 61-step sweep costs a handful of tensor ops.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from engine.compiled import EvaluationError
from engine.derive import reference_with_gaps, run_method
from engine.devices import dtype_name
from engine.expression import Expression
from engine.theory import ErrorModel, error_model
from engine.vocabulary import H_STEPS_PER_DECADE, STEP_METHOD_NAMES


@dataclass(frozen=True)
class MethodSweep:
    """One method's measured error at each h, its best h, and the model's curve and optimum."""

    method: str
    errors: torch.Tensor | None  # (H,) max |error| over the points at each h; inf where the method broke down
    best_h: float | None
    best_error: float | None
    model: ErrorModel | None
    reason: str | None = None  # why there are no errors (not applicable) or no model


@dataclass(frozen=True)
class RichardsonPoint:
    """Richardson's result beside the sweep: one point, since it picks its own h (where its worst point ended)."""

    final_h: float | None
    error: float | None  # the true error, max over the points
    estimate: float | None  # its own error estimate, max over the points
    evaluations: int  # the most evaluations of f any point used
    too_optimistic: bool  # somewhere the true error is more than 10x its estimate
    reason: str | None = None


@dataclass(frozen=True)
class Sweep:
    expression: Expression
    h: torch.Tensor  # (H,) float64, largest first
    dtype: str
    device: str
    points: torch.Tensor
    methods: dict[str, MethodSweep]
    order: int = 1
    richardson: RichardsonPoint | None = None


def h_grid(h_max: float = 1e-1, h_min: float = 1e-16, per_decade: int = H_STEPS_PER_DECADE) -> torch.Tensor:
    """A log grid from h_max down to h_min, `per_decade` steps per decade, both ends included."""
    if not (0 < h_min < h_max) or not math.isfinite(h_max):
        raise ValueError(f"need 0 < hmin < hmax, got hmin={h_min:g}, hmax={h_max:g}")
    if per_decade < 1:
        raise ValueError(f"need at least 1 step per decade, got {per_decade}")
    decades = math.log10(h_max / h_min)
    count = max(2, round(decades * per_decade) + 1)
    return torch.logspace(math.log10(h_max), math.log10(h_min), count, dtype=torch.float64)


def sweep(
    expression: Expression,
    points: torch.Tensor,
    hs: torch.Tensor | None = None,
    methods: Sequence[str] = STEP_METHOD_NAMES,
    dtype: torch.dtype = torch.float64,
    device: torch.device | str = "cpu",
    order: int = 1,
    richardson: bool = False,
) -> Sweep:
    """Max absolute error over `points` (a single point works too) for each method and each h, for the order-th
    derivative; with `richardson`, also where Richardson extrapolation ends and how far off it and its estimate are."""
    hs = h_grid() if hs is None else hs.detach().to(torch.float64).flatten()
    working = points.detach().to(device=device, dtype=dtype).flatten()
    as_held = working.to("cpu", torch.float64)
    reference = reference_with_gaps(expression, as_held, order)
    steps = hs.to(device=device, dtype=dtype).unsqueeze(1)  # (H, 1) against (N,)
    results = {}
    for method in methods:
        if method not in STEP_METHOD_NAMES:
            raise ValueError(f"{method!r} has no step h to sweep; choose from {', '.join(STEP_METHOD_NAMES)}")
        measured = run_method(method, expression, working, steps, dtype, device, reference, order)
        model, why_no_model = _model_or_reason(expression, as_held, hs, method, dtype, order) if measured.values is not None else (None, "")
        if measured.abs_error is None:
            results[method] = MethodSweep(method, None, None, None, model, measured.reason)
            continue
        errors = _max_over_points(measured.abs_error)
        best = _best_index(errors, hs, flat_floor=method == "complex-step" and order == 1)
        finite = bool(torch.isfinite(errors[best]))
        results[method] = MethodSweep(
            method,
            errors,
            float(hs[best]) if finite else None,
            float(errors[best]) if finite else None,
            model,
            None if model else f"no error model: {why_no_model}",
        )
    extrapolated = _richardson_point(expression, working, dtype, device, reference, order) if richardson else None
    return Sweep(expression, hs, dtype_name(dtype), str(working.device), as_held, results, order, extrapolated)


def _richardson_point(
    expression: Expression, working: torch.Tensor, dtype: torch.dtype, device: torch.device | str, reference: torch.Tensor, order: int
) -> RichardsonPoint:
    result = run_method("richardson", expression, working, 0.0, dtype, device, reference, order)
    if result.abs_error is None or result.final_h is None:
        return RichardsonPoint(None, None, None, 0, False, result.reason)
    errors = result.abs_error.nan_to_num(nan=-1.0)
    worst = int(torch.argmax(errors))
    if errors[worst] < 0:  # undefined at every point
        return RichardsonPoint(None, None, None, result.evaluations, False, "undefined at every point")
    return RichardsonPoint(
        float(result.final_h[worst]), float(result.abs_error[worst]), result.max_estimate, result.evaluations, result.too_optimistic
    )


def _best_index(errors: torch.Tensor, hs: torch.Tensor, flat_floor: bool) -> int:
    """Where the error is smallest; for a method with a flat floor (the complex step) the largest h already
    within 2x of it, since below that the choice among h is only rounding noise."""
    cleaned = errors.nan_to_num(nan=math.inf)
    lowest = int(torch.argmin(cleaned))
    if not flat_floor or not math.isfinite(float(cleaned[lowest])):
        return lowest
    at_floor = torch.nonzero(cleaned <= 2 * cleaned[lowest]).flatten()
    return int(at_floor[torch.argmax(hs[at_floor])])


def _max_over_points(errors: torch.Tensor) -> torch.Tensor:
    """(H, N) -> (H,), ignoring points where the reference is undefined (NaN)."""
    defined = ~torch.isnan(errors)
    if not bool(defined.any()):
        return torch.full((errors.shape[0],), math.nan, dtype=torch.float64)
    return torch.where(defined, errors, torch.zeros_like(errors)).amax(dim=1)


def _model_or_reason(
    expression: Expression, points: torch.Tensor, hs: torch.Tensor, method: str, dtype: torch.dtype, order: int = 1
) -> tuple[ErrorModel | None, str]:
    """The error model, or None and why there is none (its derivatives too large to build, or undefined everywhere)."""
    try:
        return error_model(expression, points, hs, method, torch.finfo(dtype).eps, order), ""
    except EvaluationError as error:
        return None, str(error)
