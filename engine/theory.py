"""The textbook model of a step method's error: truncation ~ C h^p plus round-off ~ eps |f| / h.

Per point, with the derivatives of the right order from SymPy:

    truncation = sum_k  c_k |f^(n_k)(x)| h^(p_k)             (the two leading Taylor terms)
    round-off  = eps (S |f(x)| + R |x f'(x)| / 2) / h         (difference methods)
    round-off  = eps |f'(x)|                                  (complex step: it subtracts nothing)

A difference method is sum_k w_k f(x + k h) / h (`STENCILS`). Each value of f
is taken to be within eps |f| (one ulp: torch's float functions are within
about that), which gives S = sum |w_k|; each x + k h is rounded to within half
an ulp of x, at most eps |x| / 2, which moves f by |f'| eps |x| / 2 and gives
R = sum over k != 0 of |w_k| (for five-point 1.5, not 1: x + h and x + 2h are
rounded separately). So for the difference methods the model bounds the
measured error: in the round-off range the measured error lies between about a
quarter and all of it, in the truncation range it is the measured error to a
fraction of a percent. The complex step's eps |f'| is an estimate, not a bound:
evaluating f in complex arithmetic rounds a few times (float32 sin measures up
to about 1.7 eps |f'|).
Over a domain the model is the max over the points, as the measured error is.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from engine.compiled import EvaluationError, higher_derivative
from engine.expression import Expression
from engine.stencils import COMPLEX_STEP_FUNCTION_WEIGHT, COMPLEX_STEP_TRUNCATION, STENCILS


def truncation_terms(method: str, order: int = 1) -> tuple[tuple[int, int, float], tuple[int, int, float]]:
    """The two leading error terms of a step method at this order: (power of h, order of the derivative, coefficient)."""
    if method == "complex-step":
        return COMPLEX_STEP_TRUNCATION[order]
    return STENCILS[method, order].truncation


def function_weight(method: str, order: int = 1) -> float:
    """S: how many eps |f| / h^n the rounded values of f can add up to."""
    if method == "complex-step":
        return COMPLEX_STEP_FUNCTION_WEIGHT[order]
    return STENCILS[method, order].function_weight


def step_weight(method: str, order: int = 1) -> float:
    """R: how many eps |x f'| / 2h^n rounding x + k h can add up to (the complex step shifts x by ih only)."""
    return 0.0 if method == "complex-step" else STENCILS[method, order].step_weight


def order_rule(method: str, order: int = 1) -> str:
    """The scaling law of the best h: eps^(1/(p + n)), or the complex step's lack of one."""
    if method == "complex-step" and order == 1:
        return "no cancellation: any h below ~ eps^(1/2) gives full precision"
    return f"h* ~ eps^(1/{truncation_terms(method, order)[0][0] + order})"


_FINE_GRID = torch.logspace(0, -20, 801, dtype=torch.float64)
# The model is searched on every 8th h of the fine grid, then on the fine h around what that finds. Each term of
# the model (C h^p, or R / h^n) is convex in log h, and so is their sum and the max over points: the fine answer lies
# between the coarse neighbours of the coarse one, and the search costs 1/6 of the whole fine grid.
_STRIDE = 8
_COARSE_GRID = _FINE_GRID[::_STRIDE]


@dataclass(frozen=True)
class ErrorModel:
    method: str
    order: int  # p in C h^p
    errors: torch.Tensor  # the model's max error at each h of the sweep
    optimal_h: float | None  # where the model is smallest (for the complex step: where truncation stops mattering)
    optimal_error: float | None
    rule: str  # the scaling law, e.g. "h* ~ eps^(1/3)"


def _derivative(expression: Expression, order: int, points: torch.Tensor) -> torch.Tensor | None:
    callable_ = higher_derivative(expression, order)
    if callable_ is None:
        return None
    with torch.no_grad():
        return callable_(points).abs()


def error_model(expression: Expression, points: torch.Tensor, hs: torch.Tensor, method: str, eps: float, order: int = 1) -> ErrorModel:
    """The model's max-over-points error at each h in `hs`, and its optimal h (points and hs in float64), for the
    order-th derivative: truncation from the stencil's Taylor terms, round-off eps (S |f| + R |x f'| / 2) / h^n."""
    if len(expression.variables) != 1:
        raise EvaluationError("the error model is for f(x)")
    points = points.detach().to("cpu", torch.float64)
    terms = truncation_terms(method, order)
    f = _derivative(expression, 0, points)
    slope = _derivative(expression, 1, points)
    leading = _derivative(expression, terms[0][1], points)
    if f is None or slope is None or leading is None:
        raise EvaluationError("the derivatives the model needs are too large to build")
    coefficients = [(terms[0][0], terms[0][2] * leading)]
    following = _derivative(expression, terms[1][1], points)
    if following is not None:
        coefficients.append((terms[1][0], terms[1][2] * following))
    keep = torch.isfinite(f) & torch.isfinite(slope)
    for _, values in coefficients:
        keep &= torch.isfinite(values)
    if not bool(keep.any()):
        raise EvaluationError("f or its derivatives are undefined at every point")

    def model(h: torch.Tensor) -> torch.Tensor:
        h = h.unsqueeze(1)
        truncation = sum(c[keep] * h**power for power, c in coefficients)
        if method == "complex-step" and order == 1:
            roundoff = eps * slope[keep]  # the same at every h: broadcast against the (H, N) truncation
        else:
            spread = function_weight(method, order) * f[keep] + step_weight(method, order) * points[keep].abs() * slope[keep] / 2
            roundoff = eps * spread / h**order
        return (truncation + roundoff).amax(dim=1)

    coarse = model(_COARSE_GRID)
    if method == "complex-step" and order == 1:
        # falls as h shrinks down to its floor, reached at the grid's end (which the coarse grid keeps)
        lowest = float(coarse.min())
        first = int(torch.nonzero(coarse <= 2 * lowest)[0])
        start = max(0, (first - 1) * _STRIDE)
        window = model(_FINE_GRID[start : first * _STRIDE + 1])
        index = start + int(torch.nonzero(window <= 2 * lowest)[0])  # the largest h already at the floor
        # no floor where f' = 0 at every point (x^3 at 0): then the error falls with h for ever and there is no h*
        has_floor = bool((slope[keep] > 0).any())
    else:
        best = int(torch.argmin(coarse))
        start = max(0, (best - 1) * _STRIDE)
        window = model(_FINE_GRID[start : (best + 1) * _STRIDE + 1])
        index = start + int(torch.argmin(window))
        lowest = float(window.min())
        has_floor = True
    found = math.isfinite(lowest) and has_floor and 0 < index < len(_FINE_GRID) - 1
    return ErrorModel(
        method=method,
        order=terms[0][0],
        errors=model(hs.to(torch.float64)),
        optimal_h=float(_FINE_GRID[index]) if found else None,
        optimal_error=float(window[index - start]) if found else None,
        rule=order_rule(method, order),
    )
