"""SymPy expression -> callables: torch (autograd and complex step run through it) and mpmath (50-digit reference).

Both go through `sympy.lambdify` with our own printers and namespaces, so that
every name in the generated code is one we chose: constants such as `log(10)`
are computed with `math`/`mpmath` instead of reaching torch functions as plain
Python numbers, and an expression that simplifies to a constant still returns a
tensor of the points' shape.
"""

from __future__ import annotations

import cmath
import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import mpmath
import sympy as sp
import torch

from engine.expression import Expression
from engine.functions import NON_ANALYTIC
from engine.printers import FloatPrinter, MpmathPrinter

REFERENCE_DIGITS = 50
MAX_DERIVATIVE_OPS = 4000  # beyond this a higher derivative is not worth building for the error model


class EvaluationError(ArithmeticError):
    """A compiled expression could not be evaluated (overflowing constant, unsupported dtype, ...)."""


def _scalar(function: Callable[[Any], Any], value: Any) -> Any:
    try:
        return function(value)
    except (ValueError, OverflowError, ZeroDivisionError):
        return math.nan


def _unary(on_tensor: Callable[[torch.Tensor], torch.Tensor], real: Callable[[float], float], complex_: Callable[[complex], complex]) -> Callable[[Any], Any]:
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
    return torch.log1p(torch.exp(z)) if z.is_complex() else torch.nn.functional.softplus(z)


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
    return 1 / (1 + math.exp(-t)) if t > -700 else 0.0


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
    "softplus": _unary(_softplus, lambda t: math.log1p(math.exp(t)), lambda t: cmath.log(1 + cmath.exp(t))),
    "relu": _unary(torch.relu, lambda t: max(0.0, t), lambda t: t),
    "Heaviside": _heaviside,
    "DiracDelta": _dirac,
    "Max": _extremum(torch.maximum, max),
    "Min": _extremum(torch.minimum, min),
    "pi": math.pi,
    "E": math.e,
    "inf": math.inf,
}


MPMATH_NAMESPACE: dict[str, Any] = {
    **{name: getattr(mpmath, name) for name in ("sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "exp", "log", "sqrt", "sign", "mpf")},
    "Abs": abs,
    "sigmoid": lambda t: 1 / (1 + mpmath.exp(-t)),
    "softplus": lambda t: mpmath.log1p(mpmath.exp(t)),
    "relu": lambda t: max(mpmath.mpf(0), t),
    "Heaviside": lambda t, at_zero=mpmath.mpf(1) / 2: mpmath.mpf(1) if t > 0 else mpmath.mpf(at_zero) if t == 0 else mpmath.mpf(0),
    "DiracDelta": lambda t, *order: mpmath.nan if t == 0 else mpmath.mpf(0),
    "Max": max,
    "Min": min,
    "pi": mpmath.pi,
    "E": mpmath.e,
}


@dataclass(frozen=True)
class TorchCallable:
    """f(*tensors) -> tensor of the first argument's shape, whatever the expression simplified to."""

    expr: sp.Expr
    _function: Callable[..., Any]

    def __call__(self, *args: torch.Tensor) -> torch.Tensor:
        try:
            result = self._function(*args)
        except (RuntimeError, OverflowError, TypeError, ValueError, ZeroDivisionError, NameError) as error:
            raise EvaluationError(f"cannot evaluate {sp.sstr(self.expr)}: {error}") from None
        shape = torch.broadcast_shapes(*(a.shape for a in args)) if args else ()
        if not isinstance(result, torch.Tensor):
            # A constant: made in double precision, then cast, so that 1e300 in float32 is inf rather than an error.
            first = args[0]
            wide = torch.complex128 if first.is_complex() else torch.float64
            return torch.full(shape, result, dtype=wide, device=first.device).to(first.dtype)
        if result.shape != shape:
            result = result.expand(shape)
        return result


@dataclass(frozen=True)
class MpmathCallable:
    """f(*floats) -> float at REFERENCE_DIGITS significant digits, NaN where f is not real or undefined."""

    expr: sp.Expr
    _function: Callable[..., Any]

    def __call__(self, *args: float) -> float:
        with mpmath.workdps(REFERENCE_DIGITS):
            try:
                value = self._function(*(mpmath.mpf(a) for a in args))
            except (ValueError, ZeroDivisionError, OverflowError, TypeError):
                return math.nan
            if isinstance(value, mpmath.mpc):
                if value.imag != 0:
                    return math.nan
                value = value.real
            try:
                return float(value)
            except (OverflowError, TypeError, ValueError):
                return math.nan


def torch_callable(expr: sp.Expr, symbols: tuple[sp.Symbol, ...]) -> TorchCallable:
    return TorchCallable(expr, sp.lambdify(symbols, expr, modules=[TORCH_NAMESPACE], printer=FloatPrinter))


def mpmath_callable(expr: sp.Expr, symbols: tuple[sp.Symbol, ...]) -> MpmathCallable:
    return MpmathCallable(expr, sp.lambdify(symbols, expr, modules=[MPMATH_NAMESPACE], printer=MpmathPrinter))


@dataclass(frozen=True)
class Compiled:
    """Everything the methods need from one expression, built once and cached."""

    expression: Expression
    function: TorchCallable
    gradient: tuple[sp.Expr, ...]  # exact partial derivatives, one per variable
    exact: tuple[TorchCallable, ...]
    reference: tuple[MpmathCallable, ...]
    reference_function: MpmathCallable
    analytic: bool  # safe for the complex step

    @property
    def derivative_text(self) -> str:
        return ", ".join(sp.sstr(g) for g in self.gradient)


@lru_cache(maxsize=64)
def compile_expression(expression: Expression) -> Compiled:
    symbols = expression.symbols
    gradient = tuple(sp.diff(expression.sympy, s) for s in symbols)
    return Compiled(
        expression=expression,
        function=torch_callable(expression.sympy, symbols),
        gradient=gradient,
        exact=tuple(torch_callable(g, symbols) for g in gradient),
        reference=tuple(mpmath_callable(g, symbols) for g in gradient),
        reference_function=mpmath_callable(expression.sympy, symbols),
        analytic=not expression.sympy.has(*NON_ANALYTIC),
    )


@lru_cache(maxsize=64)
def higher_derivative(expression: Expression, order: int) -> TorchCallable | None:
    """d^order f / dx^order of a 1-D expression, or None when it grows too large to be worth building."""
    (symbol,) = expression.symbols
    derivative = expression.sympy
    for _ in range(order):
        derivative = sp.diff(derivative, symbol)
        if sp.count_ops(derivative) > MAX_DERIVATIVE_OPS:
            return None
    return torch_callable(derivative, (symbol,))
