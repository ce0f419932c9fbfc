"""What every derivative method shares: the result type, the undefined-point rule and the evaluation of a stencil.

Each method in `engine.methods` (Richardson's extrapolation in `engine.richardson` too) is one function

    method(expression, points, h, dtype, device, order=1) -> Estimate

and returns the same kind of result: the values, and where the method has them its own error estimate, the
evaluations of f it used per point and the step it ended on, as scipy.differentiate's result object does. A method
whose values are undefined at a point where f itself is defined says why in `reason` (which value of f its stencil
needed and could not have). This module imports neither of them, so that they can import it and each other freely.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from engine.compiled import TorchCallable
from engine.expression import Expression
from engine.stencils import Stencil

Step = float | torch.Tensor
DeviceLike = torch.device | str


class NotApplicable(ArithmeticError):
    """The method cannot give a trustworthy number for this expression, dtype or device."""


@dataclass(frozen=True)
class Estimate:
    """One method's n-th derivative at every point (the points' shape, or (H, N) for a column of steps)."""

    values: torch.Tensor
    evaluations: torch.Tensor | int  # evaluations of f per point: one number for a fixed rule, a tensor where it varies
    error_estimate: torch.Tensor | None = None  # the method's own estimate of |error|, where it has one
    final_h: torch.Tensor | None = None  # the step it ended on, for a method that picks its own
    reason: str | None = None  # why some values are undefined although f is defined there (None when none is)


def points_of(expression: Expression, points: torch.Tensor, dtype: torch.dtype, device: DeviceLike) -> torch.Tensor:
    if len(expression.variables) != 1:
        raise NotApplicable(f"the derivative methods take f(x); this expression has variables {expression.variables}")
    return points.detach().to(device=device, dtype=dtype)


def step_of(h: Step, like: torch.Tensor) -> torch.Tensor:
    return torch.as_tensor(h, dtype=like.dtype, device=like.device)


def nan_where_f_is_undefined(values: torch.Tensor, f_values: torch.Tensor) -> torch.Tensor:
    """`values`, NaN wherever f is not finite (engine.methods' rule), in one fused pass: values + 0 * f (0 * inf = NaN)."""
    return torch.add(values, f_values.detach(), alpha=0)


def stencil_values(f: TorchCallable, x: torch.Tensor, h: torch.Tensor, stencil: Stencil) -> dict[int, torch.Tensor]:
    """f(x + k h) for every offset k of the stencil (f(x) itself only where its weight is not 0)."""
    return {k: f(x) if k == 0 else f(x + k * h) for k in stencil.offsets}


def combine(at: dict[int, torch.Tensor], h: torch.Tensor, stencil: Stencil) -> torch.Tensor:
    """sum_k W_k f(x + k h) / (D h^n) from the values of f, summed as differences of nearby values.

    Since sum_k W_k = 0, the sum is taken over f(x + k h) - f(x), or, for a symmetric or antisymmetric stencil, over
    pairs f(x + k h) -+ f(x - k h): a difference of close values is exact in floating point, so the only round-off is
    that of the values of f (summed left to right, f - 8f + 8f - f rounds 7f on the way: eps |f| / 3h of needless error).
    """
    if stencil.antisymmetric:
        terms = [w * (at[k] - at[-k]) for k, w in stencil.weights if k > 0]
    elif stencil.symmetric:
        terms = [w * ((at[k] - at[0]) + (at[-k] - at[0])) for k, w in stencil.weights if k > 0]
    else:
        terms = [w * (at[k] - at[0]) for k, w in stencil.weights if k != 0]
    total = terms[0]
    for term in terms[1:]:
        total = total + term
    return total / (stencil.denominator * h**stencil.order)


def stencil_value(f: TorchCallable, x: torch.Tensor, h: torch.Tensor, stencil: Stencil) -> tuple[torch.Tensor, torch.Tensor]:
    """The stencil's value and f(x) (evaluated here if the stencil does not use it)."""
    at = stencil_values(f, x, h, stencil)
    at_x = at[0] if 0 in at else f(x)
    return combine({**at, 0: at_x}, h, stencil), at_x


def undefined_step_reason(
    at: dict[int, torch.Tensor], x: torch.Tensor, h: torch.Tensor, values: torch.Tensor, at_x: torch.Tensor, order: int
) -> str | None:
    """Why a stencil's value is undefined where f(x) is finite: the first offset whose f is not finite, named with its
    point ('f(x - h) = f(-9e-06) is undefined (nan), a value the stencil needs'), or h^n underflowing to 0 in the
    dtype (float16's 1e-4^2), or the quotient overflowing; None when there is no such point."""
    lost = ~torch.isfinite(values) & torch.isfinite(at_x)
    if not bool(lost.any()):
        return None
    index = tuple(int(i) for i in lost.nonzero()[0])
    x_b, h_b = torch.broadcast_to(x, values.shape), torch.broadcast_to(h, values.shape)
    for k in sorted(at, key=lambda k: (abs(k), k)):
        value = torch.broadcast_to(at[k], values.shape)[index]
        if not bool(torch.isfinite(value)):
            shifted = float(x_b[index] + k * h_b[index])
            name = "x" if k == 0 else f"x {'+' if k > 0 else '-'} {abs(k) if abs(k) != 1 else ''}h"
            what = "overflows" if bool(torch.isinf(value)) else "is undefined"
            here = float(x_b[index])
            digits = next((d for d in range(3, 18) if f"{shifted:.{d}g}" != f"{here:.{d}g}"), 17)  # x + h must not read as x
            return f"f({name}) = f({shifted:.{digits}g}) {what} ({float(value)}), a value the stencil needs at x = {here:.3g}"
    dtype, step = str(values.dtype).removeprefix("torch."), h_b[index]
    if bool(step**order == 0):
        return f"h^{order} = {float(step):.3g}^{order} underflows to 0 in {dtype}: the difference is divided by 0"
    return f"the difference divided by h^{order} overflows {dtype} at x = {float(x_b[index]):.3g}"
