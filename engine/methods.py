"""The derivative methods, one function each, all with the same signature.

    method(expression, points, h, dtype, device) -> derivative tensor

The points are cast to `dtype` on `device` first and h is rounded to `dtype`
too, so a float16 run really steps by float16's h (an h that underflows to 0
gives inf/NaN, which is the honest answer). `h` may be a tensor that
broadcasts against the points, e.g. shape (H, 1) for a whole sweep at once.
Methods that cannot apply raise `NotApplicable` with the reason.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import torch

from engine.compiled import EvaluationError, TorchCallable, compile_expression
from engine.expression import Expression

Step = float | torch.Tensor
DeviceLike = torch.device | str


_COMPLEX_OF = {torch.float64: torch.complex128, torch.float32: torch.complex64, torch.float16: torch.complex32}


class NotApplicable(ArithmeticError):
    """The method cannot give a trustworthy number for this expression, dtype or device."""


def _points(expression: Expression, points: torch.Tensor, dtype: torch.dtype, device: DeviceLike) -> torch.Tensor:
    if len(expression.variables) != 1:
        raise NotApplicable(f"the derivative methods take f(x); this expression has variables {expression.variables}")
    return points.detach().to(device=device, dtype=dtype)


def _step(h: Step, like: torch.Tensor) -> torch.Tensor:
    return torch.as_tensor(h, dtype=like.dtype, device=like.device)


def exact(
    expression: Expression, points: torch.Tensor, h: Step = 0.0, dtype: torch.dtype = torch.float64, device: DeviceLike = "cpu"
) -> torch.Tensor:
    """The SymPy derivative, evaluated in the working dtype (h is unused)."""
    x = _points(expression, points, dtype, device)
    return compile_expression(expression).exact[0](x)


def autograd(
    expression: Expression, points: torch.Tensor, h: Step = 0.0, dtype: torch.dtype = torch.float64, device: DeviceLike = "cpu"
) -> torch.Tensor:
    """torch.autograd.grad through the torch callable, as in the tutorial (h is unused)."""
    x = _points(expression, points, dtype, device).requires_grad_(True)
    y = compile_expression(expression).function(x)
    if not y.requires_grad:  # f is constant: nothing for autograd to trace
        return torch.zeros_like(x).detach()
    (grad,) = torch.autograd.grad(y, x, grad_outputs=torch.ones_like(y))
    return grad


def _setup(
    expression: Expression, points: torch.Tensor, h: Step, dtype: torch.dtype, device: DeviceLike
) -> tuple[TorchCallable, torch.Tensor, torch.Tensor]:
    x = _points(expression, points, dtype, device)
    return compile_expression(expression).function, x, _step(h, x)


@torch.no_grad()
def forward(
    expression: Expression, points: torch.Tensor, h: Step, dtype: torch.dtype = torch.float64, device: DeviceLike = "cpu"
) -> torch.Tensor:
    """(f(x+h) - f(x)) / h, first order."""
    f, x, h = _setup(expression, points, h, dtype, device)
    return (f(x + h) - f(x)) / h


@torch.no_grad()
def backward(
    expression: Expression, points: torch.Tensor, h: Step, dtype: torch.dtype = torch.float64, device: DeviceLike = "cpu"
) -> torch.Tensor:
    """(f(x) - f(x-h)) / h, first order."""
    f, x, h = _setup(expression, points, h, dtype, device)
    return (f(x) - f(x - h)) / h


@torch.no_grad()
def central(
    expression: Expression, points: torch.Tensor, h: Step, dtype: torch.dtype = torch.float64, device: DeviceLike = "cpu"
) -> torch.Tensor:
    """(f(x+h) - f(x-h)) / 2h, second order."""
    f, x, h = _setup(expression, points, h, dtype, device)
    return (f(x + h) - f(x - h)) / (2 * h)


@torch.no_grad()
def five_point(
    expression: Expression, points: torch.Tensor, h: Step, dtype: torch.dtype = torch.float64, device: DeviceLike = "cpu"
) -> torch.Tensor:
    """(f(x-2h) - 8f(x-h) + 8f(x+h) - f(x+2h)) / 12h, fourth order."""
    f, x, h = _setup(expression, points, h, dtype, device)
    return (f(x - 2 * h) - 8 * f(x - h) + 8 * f(x + h) - f(x + 2 * h)) / (12 * h)


def complex_step(
    expression: Expression, points: torch.Tensor, h: Step, dtype: torch.dtype = torch.float64, device: DeviceLike = "cpu"
) -> torch.Tensor:
    """Im f(x + ih) / h in the complex dtype matching `dtype`: no subtraction, so no cancellation."""
    compiled = compile_expression(expression)
    if not compiled.analytic:
        raise NotApplicable("not applicable: the function has a kink or jump (abs, sign, relu), so it is not complex-analytic")
    if dtype not in _COMPLEX_OF:
        raise NotApplicable(f"not applicable: torch has no complex type for {str(dtype).removeprefix('torch.')}")
    x = _points(expression, points, dtype, device)
    step = _step(h, x)
    x, step = torch.broadcast_tensors(x, step)
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # torch warns that complex32 is experimental; we report what fails
        z = torch.complex(x.float(), step.float()).to(_COMPLEX_OF[dtype]) if dtype == torch.float16 else torch.complex(x, step)
        try:
            value = compiled.function(z).imag / step
        except EvaluationError as error:
            if "ComplexHalf" in str(error):
                raise NotApplicable(
                    f"not applicable: torch on {x.device.type} cannot compute this function in complex32, float16's complex type"
                ) from None
            raise NotApplicable(f"not applicable in {_COMPLEX_OF[dtype]} on {x.device.type}: {error}") from None
        # Where f itself is undefined on the real line (log(x), x < 0) the complex value is meaningless.
        undefined = ~torch.isfinite(compiled.function(x))
    result: torch.Tensor = value.to(dtype).masked_fill(undefined, float("nan"))
    return result


METHOD_FUNCTIONS: dict[str, Callable[..., torch.Tensor]] = {
    "exact": exact,
    "autograd": autograd,
    "forward": forward,
    "backward": backward,
    "central": central,
    "five-point": five_point,
    "complex-step": complex_step,
}
