"""The derivative methods, one function each, all with the same signature.

    method(expression, points, h, dtype, device, order=1) -> Estimate

An `engine.differences.Estimate` holds the order-th derivative at the points, the evaluations of f per point and,
for a method that makes them (Richardson's extrapolation, in `engine.richardson`), its own error estimate and the
step it ended on; `reason` says why a value is undefined where f is defined (which value of f a stencil needed).

The points are cast to `dtype` on `device` first and h is rounded to `dtype`
too, so a float16 run really steps by float16's h (an h that underflows to 0
gives inf/NaN, which is the honest answer). `h` may be a tensor that
broadcasts against the points, e.g. shape (H, 1) for a whole sweep at once.
Methods that cannot apply raise `NotApplicable` with the reason.

Undefined points. A point is undefined where f itself is not finite (NaN or
+-inf) when evaluated in the working dtype on the working device, and there
every method returns NaN. The rule looks at f because f is what all eight
methods share: exact evaluates the formula for f' and autograd runs torch's
backward formulas, and both give a number where f has none (the formula 1/x for
log'(x) is -1 at x = -1, and torch's LogBackward returns exactly that), while a
difference at a pole can look finite too (central on 1/x at 0 gives 1/h^2).
What follows from the rule, on purpose:
- sqrt at 0: f(0) = 0 is defined, f'(0) is infinite. The point is defined:
  exact and autograd give inf, forward and the complex step the finite slope of
  their step, backward, central and five-point step below 0 and give NaN. (The
  50-digit reference in `engine.derive` is not finite there, so no error is
  measured and the point is counted as undefined in the notice.)
- Overflow: where f overflows the dtype (exp(12) or x^2 at 300 in float16) the
  point is undefined in that dtype, even if f' would fit: no difference can see
  f there. The 50-digit reference is finite, so `engine.derive` counts such a
  point as the method breaking down (infinite error), not as a skipped point.
- Cost: the check is one fused pass, values + f(x) * 0 (0 * inf and 0 * NaN
  are NaN), on an f(x) that autograd, forward, backward and the complex step
  compute anyway; exact, central and five-point evaluate f once more (exact
  about doubles, central +50%, five-point +25%). torch.isfinite + masked_fill
  would cost more than the derivative itself on the CPU.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import torch

from engine.compiled import EvaluationError, TorchCallable, compile_expression, higher_derivative
from engine.differences import (
    DeviceLike,
    Estimate,
    NotApplicable,
    Step,
    combine,
    nan_where_f_is_undefined,
    points_of,
    stencil_value,
    step_of,
    undefined_step_reason,
)
from engine.expression import Expression
from engine.richardson import extrapolate
from engine.stencils import STENCILS
from engine.vocabulary import method, ordinal

__all__ = ["METHOD_FUNCTIONS", "Estimate", "MethodFunction", "NotApplicable", "stencil_value"]

MethodFunction = Callable[..., Estimate]

_COMPLEX_OF = {torch.float64: torch.complex128, torch.float32: torch.complex64, torch.float16: torch.complex32}


def _fixed(name: str, order: int, values: torch.Tensor, reason: str | None = None) -> Estimate:
    """A rule with a fixed cost: the vocabulary's evaluations per point."""
    return Estimate(values, method(name).evaluations_at(order) or 0, reason=reason)


def _formula_reason(values: torch.Tensor, at_x: torch.Tensor, x: torch.Tensor, what: str) -> str | None:
    lost = ~torch.isfinite(values) & torch.isfinite(at_x)
    if not bool(lost.any()):
        return None
    index = tuple(int(i) for i in lost.nonzero()[0])
    value = float(torch.broadcast_to(values, lost.shape)[index])
    where = float(torch.broadcast_to(x, lost.shape)[index])
    return f"{what} gives {value} at x = {where:.3g}, where f is finite: the derivative is infinite there or overflows"


def exact(
    expression: Expression,
    points: torch.Tensor,
    h: Step = 0.0,
    dtype: torch.dtype = torch.float64,
    device: DeviceLike = "cpu",
    order: int = 1,
) -> Estimate:
    """SymPy's n-th derivative, evaluated in the working dtype (h is unused)."""
    x = points_of(expression, points, dtype, device)
    compiled = compile_expression(expression)
    formula = compiled.exact[0] if order == 1 else higher_derivative(expression, order)
    if formula is None:
        raise NotApplicable(f"not applicable: the formula of the {ordinal(order)} derivative grows too large to build")
    with torch.no_grad():
        at_x = compiled.function(x)
        values = nan_where_f_is_undefined(formula(x), at_x)
    return _fixed("exact", order, values, _formula_reason(values, at_x, x, f"the formula of the {ordinal(order)} derivative"))


def autograd(
    expression: Expression,
    points: torch.Tensor,
    h: Step = 0.0,
    dtype: torch.dtype = torch.float64,
    device: DeviceLike = "cpu",
    order: int = 1,
) -> Estimate:
    """torch.autograd.grad through the torch callable, as in the tutorial; n times for the n-th derivative, each pass
    keeping its graph (create_graph=True) so that the next one can differentiate it (h is unused)."""
    x = points_of(expression, points, dtype, device).requires_grad_(True)
    y = compile_expression(expression).function(x)
    derivative = y
    for done in range(order):
        if not derivative.requires_grad:  # a constant (f, or a derivative of it): nothing left to trace
            derivative = torch.zeros_like(x)
            break
        (derivative,) = torch.autograd.grad(derivative, x, grad_outputs=torch.ones_like(derivative), create_graph=done < order - 1)
    values = nan_where_f_is_undefined(derivative.detach(), y.detach())
    return _fixed("autograd", order, values, _formula_reason(values, y.detach(), x.detach(), "torch's backward pass"))


def _setup(
    expression: Expression, points: torch.Tensor, h: Step, dtype: torch.dtype, device: DeviceLike
) -> tuple[TorchCallable, torch.Tensor, torch.Tensor]:
    x = points_of(expression, points, dtype, device)
    return compile_expression(expression).function, x, step_of(h, x)


@torch.no_grad()
def _difference(
    name: str, expression: Expression, points: torch.Tensor, h: Step, dtype: torch.dtype, device: DeviceLike, order: int
) -> Estimate:
    f, x, step = _setup(expression, points, h, dtype, device)
    stencil = STENCILS[name, order]
    at = {k: f(x + k * step) for k in stencil.offsets if k != 0} | {0: f(x)}
    values = nan_where_f_is_undefined(combine(at, step, stencil), at[0])
    return _fixed(name, order, values, undefined_step_reason(at, x, step, values, at[0], order))


def forward(
    expression: Expression, points: torch.Tensor, h: Step, dtype: torch.dtype = torch.float64, device: DeviceLike = "cpu", order: int = 1
) -> Estimate:
    """(f(x+h) - f(x)) / h, first order; the n-th forward difference / h^n for the n-th derivative."""
    return _difference("forward", expression, points, h, dtype, device, order)


def backward(
    expression: Expression, points: torch.Tensor, h: Step, dtype: torch.dtype = torch.float64, device: DeviceLike = "cpu", order: int = 1
) -> Estimate:
    """(f(x) - f(x-h)) / h, first order; the n-th backward difference / h^n for the n-th derivative."""
    return _difference("backward", expression, points, h, dtype, device, order)


def central(
    expression: Expression, points: torch.Tensor, h: Step, dtype: torch.dtype = torch.float64, device: DeviceLike = "cpu", order: int = 1
) -> Estimate:
    """(f(x+h) - f(x-h)) / 2h, second order; (f(x+h) - 2f(x) + f(x-h)) / h^2 for the second derivative and
    (f(x+2h) - 2f(x+h) + 2f(x-h) - f(x-2h)) / 2h^3 for the third."""
    return _difference("central", expression, points, h, dtype, device, order)


def five_point(
    expression: Expression, points: torch.Tensor, h: Step, dtype: torch.dtype = torch.float64, device: DeviceLike = "cpu", order: int = 1
) -> Estimate:
    """(f(x-2h) - 8f(x-h) + 8f(x+h) - f(x+2h)) / 12h, fourth order; the O(h^4) stencils of the second and third derivatives."""
    return _difference("five-point", expression, points, h, dtype, device, order)


def complex_step(
    expression: Expression, points: torch.Tensor, h: Step, dtype: torch.dtype = torch.float64, device: DeviceLike = "cpu", order: int = 1
) -> Estimate:
    """Im f(x + ih) / h in the complex dtype matching `dtype`: no subtraction, so no cancellation.

    The second derivative, 2 (f(x) - Re f(x + ih)) / h^2, subtracts again and brings the cancellation back;
    there is no third.
    """
    compiled = compile_expression(expression)
    if order == 3:
        raise NotApplicable("not applicable: the complex step gives the first derivative (and the second, with cancellation), no third")
    if not compiled.analytic:
        raise NotApplicable("not applicable: the function has a kink or jump (abs, sign, relu), so it is not complex-analytic")
    if dtype not in _COMPLEX_OF:
        raise NotApplicable(f"not applicable: torch has no complex type for {str(dtype).removeprefix('torch.')}")
    x = points_of(expression, points, dtype, device)
    with torch.no_grad():
        # Im f(x + ih) is a number even where f(x) is not real (log(x + ih) at x < 0): f(x) decides, as for every method.
        at_x = compiled.function(x)
    step = step_of(h, x)
    x, step = torch.broadcast_tensors(x, step)
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # torch warns that complex32 is experimental; we report what fails
        z = torch.complex(x.float(), step.float()).to(_COMPLEX_OF[dtype]) if dtype == torch.float16 else torch.complex(x, step)
        try:
            shifted = compiled.function(z)
        except EvaluationError as error:
            if "ComplexHalf" in str(error):
                raise NotApplicable(
                    f"not applicable: torch on {x.device.type} cannot compute this function in complex32, float16's complex type"
                ) from None
            raise NotApplicable(f"not applicable in {_COMPLEX_OF[dtype]} on {x.device.type}: {error}") from None
        value = shifted.imag / step if order == 1 else 2 * (at_x - shifted.real.to(dtype)) / step**2
    values = nan_where_f_is_undefined(value.to(dtype), at_x)
    return _fixed("complex-step", order, values, _formula_reason(values, at_x, x, "f(x + ih)"))


# Adding a method: a row in engine.vocabulary.METHODS, its function here (or in a module of its own, as Richardson's
# extrapolation is) and its colour in tui.style.METHOD_COLORS.
METHOD_FUNCTIONS: dict[str, MethodFunction] = {
    "exact": exact,
    "autograd": autograd,
    "forward": forward,
    "backward": backward,
    "central": central,
    "five-point": five_point,
    "complex-step": complex_step,
    "richardson": extrapolate,
}
