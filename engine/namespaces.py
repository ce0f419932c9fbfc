"""The names lambdified code may call, for torch (with autograd and complex tensors) and for mpmath.

Every function takes a tensor, or a plain number when SymPy left a constant
such as log(10) in the code: plain numbers are computed with math/cmath, and
an overflow or a domain error becomes inf or NaN instead of an exception.
The mpmath versions refuse arguments that would take unbounded time at 50
digits (sin of 10^(10^8) needs that many digits of pi) and answer inf, 0 or NaN.
"""

from __future__ import annotations

import cmath
import math
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

import mpmath
import torch


def _scalar(function: Callable[[Any], Any], value: Any) -> Any:
    try:
        return function(value)
    except (ValueError, OverflowError, ZeroDivisionError):
        return math.nan


def _unary(
    on_tensor: Callable[[torch.Tensor], torch.Tensor], real: Callable[[float], float], complex_: Callable[[complex], complex]
) -> Callable[[Any], Any]:
    def apply(value: Any) -> Any:
        if isinstance(value, torch.Tensor):
            return on_tensor(value)
        return _scalar(complex_ if isinstance(value, complex) else real, value)

    return apply


def _like(value: Any, reference: torch.Tensor) -> torch.Tensor:
    return value if isinstance(value, torch.Tensor) else torch.full_like(reference, float(value))


def _first_tensor(*values: Any) -> torch.Tensor | None:
    return next((v for v in values if isinstance(v, torch.Tensor)), None)


def _softplus(z: torch.Tensor) -> torch.Tensor:
    """log(1 + e^z) itself. torch's F.softplus returns z above its threshold of 20 (so f'' = 0 at 21, for a true
    7.6e-10); above -log(eps) of the dtype (36.04 in float64) z + log1p(e^-z) rounds to z, so that threshold changes
    no value, and below it F.softplus computes log1p(e^z), which neither overflows nor cancels. One torch op, so the
    Backprop demo's graph still shows SoftplusBackward0."""
    if z.is_complex():
        return torch.log1p(torch.exp(z))
    return torch.nn.functional.softplus(z, threshold=-math.log(torch.finfo(z.dtype).eps))


def _softplus_scalar(t: float) -> float:
    return t + math.log1p(math.exp(-t)) if t > 0 else math.log1p(math.exp(t))


def _heaviside(value: Any, at_zero: Any = 0.5) -> Any:
    if not isinstance(value, torch.Tensor):
        return 1.0 if value > 0 else float(at_zero) if value == 0 else 0.0
    return torch.heaviside(value, torch.full_like(value, float(at_zero)))


def _dirac(value: Any, *order: Any) -> Any:
    # Zero away from the jump and undefined at it: the exact derivative of a step has no value at 0.
    if not isinstance(value, torch.Tensor):
        return math.nan if value == 0 else 0.0
    return torch.where(value == 0, torch.full_like(value, math.nan), torch.zeros_like(value))


def _extremum(pick: Callable[[torch.Tensor, torch.Tensor], torch.Tensor], scalar: Callable[..., Any]) -> Callable[..., Any]:
    def apply(*values: Any) -> Any:
        reference = _first_tensor(*values)
        if reference is None:
            return scalar(*values)
        result = _like(values[0], reference)
        for value in values[1:]:
            result = pick(result, _like(value, reference))
        return result

    return apply


def _sigmoid_scalar(t: float) -> float:
    return 1 / (1 + math.exp(-t)) if t >= 0 else math.exp(t) / (1 + math.exp(t))


def _power(base: Any, exponent: Any) -> Any:
    if isinstance(base, torch.Tensor) or isinstance(exponent, torch.Tensor):
        return torch.pow(base, exponent)
    try:
        if isinstance(base, complex) or isinstance(exponent, complex):
            return complex(base) ** exponent
        return math.pow(base, exponent)
    except OverflowError:
        return math.inf
    except (ValueError, ZeroDivisionError):
        return math.nan


def _part(real: bool) -> Callable[[Any], Any]:
    def apply(value: Any) -> Any:
        if isinstance(value, torch.Tensor):
            if value.is_complex():
                return value.real if real else value.imag
            return value if real else torch.zeros_like(value)
        return value.real if real else (value.imag if isinstance(value, complex) else 0.0)

    return apply


def _atan2(y: Any, x: Any) -> Any:
    reference = _first_tensor(y, x)
    if reference is None:
        return math.atan2(y, x)
    return torch.atan2(_like(y, reference), _like(x, reference))


TORCH_NAMESPACE: dict[str, Any] = {
    "sin": _unary(torch.sin, math.sin, cmath.sin),
    "cos": _unary(torch.cos, math.cos, cmath.cos),
    "tan": _unary(torch.tan, math.tan, cmath.tan),
    "asin": _unary(torch.asin, math.asin, cmath.asin),
    "acos": _unary(torch.acos, math.acos, cmath.acos),
    "atan": _unary(torch.atan, math.atan, cmath.atan),
    "sinh": _unary(torch.sinh, math.sinh, cmath.sinh),
    "cosh": _unary(torch.cosh, math.cosh, cmath.cosh),
    "tanh": _unary(torch.tanh, math.tanh, cmath.tanh),
    "exp": _unary(torch.exp, math.exp, cmath.exp),
    "log": _unary(torch.log, math.log, cmath.log),
    "sqrt": _unary(torch.sqrt, math.sqrt, cmath.sqrt),
    "Abs": _unary(torch.abs, abs, abs),
    "sign": _unary(torch.sign, lambda t: float((t > 0) - (t < 0)), lambda t: t / abs(t) if t else 0),
    "sigmoid": _unary(torch.sigmoid, _sigmoid_scalar, lambda t: 1 / (1 + cmath.exp(-t))),
    "softplus": _unary(_softplus, _softplus_scalar, lambda t: cmath.log(1 + cmath.exp(t))),
    "relu": _unary(torch.relu, lambda t: max(0.0, t), lambda t: t),
    "Heaviside": _heaviside,
    "DiracDelta": _dirac,
    "Max": _extremum(torch.maximum, max),
    "Min": _extremum(torch.minimum, min),
    "abs": _unary(torch.abs, abs, abs),
    "power": _power,
    "atan2": _atan2,
    "re": _part(True),
    "im": _part(False),
    "pi": math.pi,
    "E": math.e,
    "inf": math.inf,
    "nan": math.nan,
}


EXP_LIMIT = 10**6  # exp(1e6) overflows float64 by far; beyond, mpmath would reduce huge arguments at length
PERIODIC_LIMIT = 10**330  # sin(t) needs about log2(t) extra bits of pi: any float64 is fine, 10^(10^8) is not


# Set when a guard above answers inf for a value that is finite, only too large to compute: the reference then
# says "beyond float64's range" rather than "undefined" (which an inf from a pole, log(0), means).
OVERFLOWED: ContextVar[bool] = ContextVar("overflowed", default=False)


def _too_large(sign: Any = 1) -> Any:
    OVERFLOWED.set(True)
    return mpmath.inf * sign


def _mp_exp(t: Any) -> Any:
    if isinstance(t, mpmath.mpc):
        return mpmath.exp(t)
    if t > EXP_LIMIT:
        return _too_large()
    return mpmath.mpf(0) if t < -EXP_LIMIT else mpmath.exp(t)


def _mp_periodic(function: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda t: mpmath.nan if abs(t) > PERIODIC_LIMIT else function(t)


def _mp_hyperbolic(function: Callable[[Any], Any], at_infinity: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda t: at_infinity(t) if abs(t) > EXP_LIMIT else function(t)


def _mp_power(base: Any, exponent: Any) -> Any:
    if isinstance(base, mpmath.mpc) or isinstance(exponent, mpmath.mpc) or base == 0:
        return mpmath.power(base, exponent)
    size = exponent * mpmath.log(abs(base))
    if size > EXP_LIMIT:
        return _too_large() if base > 0 else mpmath.nan
    if size < -EXP_LIMIT:
        return mpmath.mpf(0)
    return mpmath.power(base, exponent)


def _mp_heaviside(t: Any, at_zero: Any = 0.5) -> Any:
    return mpmath.mpf(1) if t > 0 else mpmath.mpf(at_zero) if t == 0 else mpmath.mpf(0)


_MPMATH_FUNCTIONS: dict[str, Any] = {
    **{name: getattr(mpmath, name) for name in ("asin", "acos", "atan", "atan2", "log", "sqrt", "sign", "mpf", "re", "im")},
    **{name: _mp_periodic(getattr(mpmath, name)) for name in ("sin", "cos", "tan")},
    "exp": _mp_exp,
    "sinh": _mp_hyperbolic(mpmath.sinh, lambda t: _too_large(mpmath.sign(t))),
    "cosh": _mp_hyperbolic(mpmath.cosh, lambda t: _too_large()),
    "tanh": _mp_hyperbolic(mpmath.tanh, mpmath.sign),
    "power": _mp_power,
    "Abs": abs,
    "abs": abs,
    "sigmoid": lambda t: 1 / (1 + _mp_exp(-t)),
    "softplus": lambda t: t + mpmath.log1p(_mp_exp(-t)) if t > 0 else mpmath.log1p(_mp_exp(t)),
    "relu": lambda t: max(mpmath.mpf(0), t),
    "Heaviside": _mp_heaviside,
    "DiracDelta": lambda t, *order: mpmath.nan if t == 0 else mpmath.mpf(0),
    "Max": max,
    "Min": min,
    "pi": mpmath.pi,
    "E": mpmath.e,
    "inf": mpmath.inf,
    "nan": mpmath.nan,
}


def _real_only(function: Callable[..., Any]) -> Callable[..., Any]:
    """The reference lives on the real line: a complex value anywhere (sqrt(-1), log(-1)) makes the point undefined."""

    def apply(*args: Any) -> Any:
        if any(isinstance(a, mpmath.mpc) for a in args):
            return mpmath.nan
        value = function(*args)
        return mpmath.nan if isinstance(value, mpmath.mpc) else value

    return apply


_MPMATH_VALUES = ("mpf", "pi", "E", "inf", "nan")  # mpmath's constants are callable too: keep them as they are
MPMATH_NAMESPACE: dict[str, Any] = {
    name: value if name in _MPMATH_VALUES else _real_only(value) for name, value in _MPMATH_FUNCTIONS.items()
}
