"""The 50-digit reference: f and f' evaluated with mpmath, rounded once to float64 at the end.

Errors are measured against this rather than against float64 `cos(x)`, so the
error of a float64 method is not hidden by the error of the yardstick.
"""

from __future__ import annotations

import math
from functools import lru_cache

import torch

from engine.compiled import MpmathCallable, compile_expression, higher_reference
from engine.expression import Expression


def _evaluate(function: MpmathCallable, points: tuple[float, ...]) -> torch.Tensor:
    return torch.tensor([function(p) for p in points], dtype=torch.float64)


@lru_cache(maxsize=32)
def _cached(expression: Expression, which: str, points: tuple[float, ...], order: int = 1) -> torch.Tensor:
    if which == "function":
        return _evaluate(compile_expression(expression).reference_function, points)
    derivative = higher_reference(expression, order)
    if derivative is None:  # the n-th derivative's formula is too large: no reference, so no error to measure
        return torch.full((len(points),), math.nan, dtype=torch.float64)
    return _evaluate(derivative, points)


def _key(points: torch.Tensor) -> tuple[float, ...]:
    return tuple(points.detach().double().cpu().flatten().tolist())


def clear_caches() -> None:
    """Forget every compiled expression and reference value (the benchmark times a cold start with this)."""
    from engine.compiled import compile_expression, derivative_formula, higher_derivative

    for cache in (compile_expression, derivative_formula, higher_derivative, higher_reference, _cached):
        cache.cache_clear()


def reference_derivative(expression: Expression, points: torch.Tensor, order: int = 1) -> torch.Tensor:
    """f'(x) (or the order-th derivative) at each point (float64 on the CPU, the points' shape), NaN where it is
    undefined or not real."""
    return _cached(expression, "derivative", _key(points), order).reshape(points.shape).clone()


def reference_function(expression: Expression, points: torch.Tensor) -> torch.Tensor:
    """f(x) at each point to 50 digits, rounded to float64."""
    return _cached(expression, "function", _key(points)).reshape(points.shape).clone()
