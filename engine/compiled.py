"""SymPy expression -> callables: torch (autograd and complex step run through it) and mpmath (50-digit reference).

Both go through `sympy.lambdify` with our own printers and namespaces, so that
every name in the generated code is one we chose: constants such as `log(10)`
are computed with `math`/`mpmath` instead of reaching torch functions as plain
Python numbers, and an expression that simplifies to a constant still returns a
tensor of the points' shape.
"""

from __future__ import annotations

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
from engine.namespaces import MPMATH_NAMESPACE, OVERFLOWED, TORCH_NAMESPACE
from engine.printers import FloatPrinter, MpmathPrinter

REFERENCE_DIGITS = 50
MAX_DERIVATIVE_OPS = 4000  # beyond this a higher derivative is not worth building for the error model


class EvaluationError(ArithmeticError):
    """A compiled expression could not be evaluated (overflowing constant, unsupported dtype, ...)."""


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
        if isinstance(result, torch.Tensor) and all(a.shape == result.shape for a in args):
            return result  # the usual case; torch.broadcast_shapes costs 11 us a call, a third of autograd at N = 1000
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
    """f(*floats) -> float at REFERENCE_DIGITS significant digits, NaN where f is not real or undefined (a pole too),
    ±inf where it is finite but beyond float64's range."""

    expr: sp.Expr
    _function: Callable[..., Any]

    def __call__(self, *args: float) -> float:
        with mpmath.workdps(REFERENCE_DIGITS):
            OVERFLOWED.set(False)
            try:
                value = self._function(*(mpmath.mpf(a) for a in args))
            except (ValueError, ZeroDivisionError, OverflowError, TypeError, NameError, AttributeError):
                return math.nan
            if isinstance(value, mpmath.mpc):
                if value.imag != 0:
                    return math.nan
                value = value.real
            if mpmath.isinf(value) and OVERFLOWED.get():  # finite, but past what is worth computing: beyond float64
                return math.copysign(math.inf, float(value))
            if not mpmath.isfinite(value):  # a pole (log(0) = -inf): undefined. A finite value beyond float64 is inf below
                return math.nan
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
def derivative_formula(expression: Expression, order: int) -> sp.Expr | None:
    """d^order f / dx^order of a 1-D expression, or None when it grows too large to be worth building."""
    (symbol,) = expression.symbols
    derivative = expression.sympy
    for _ in range(order):
        derivative = sp.diff(derivative, symbol)
        if sp.count_ops(derivative) > MAX_DERIVATIVE_OPS:
            return None
    return derivative


@lru_cache(maxsize=64)
def higher_derivative(expression: Expression, order: int) -> TorchCallable | None:
    """d^order f / dx^order of a 1-D expression as a torch callable, or None when it is too large (see above)."""
    formula = derivative_formula(expression, order)
    return None if formula is None else torch_callable(formula, expression.symbols)


@lru_cache(maxsize=64)
def higher_reference(expression: Expression, order: int) -> MpmathCallable | None:
    """d^order f / dx^order at 50 digits, or None when the formula is too large to build."""
    if order == 1:
        return compile_expression(expression).reference[0]
    formula = derivative_formula(expression, order)
    return None if formula is None else mpmath_callable(formula, expression.symbols)
