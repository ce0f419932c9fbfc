"""A numpy preview of f and its exact derivative, for the moments before torch has been imported.

The app draws its first frame with this (a few ms) while `import torch` (seconds)
runs in the background; every number the app reports afterwards comes from torch.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import sympy as sp

from engine.expression import Expression
from engine.printers import FloatPrinter


def _heaviside(x: np.ndarray, at_zero: float = 0.5) -> np.ndarray:
    return np.heaviside(x, at_zero)


NUMPY_NAMESPACE = {
    **{name: getattr(np, name) for name in ("sin", "cos", "tan", "sinh", "cosh", "tanh", "exp", "log", "sqrt", "sign")},
    "asin": np.arcsin,
    "acos": np.arccos,
    "atan": np.arctan,
    "Abs": np.abs,
    "sigmoid": lambda t: 1 / (1 + np.exp(-t)),
    "softplus": lambda t: np.logaddexp(0, t),
    "relu": lambda t: np.maximum(t, 0),
    "Heaviside": _heaviside,
    "DiracDelta": lambda t, *order: np.where(t == 0, np.nan, 0.0),
    "Max": np.maximum,
    "Min": np.minimum,
    "abs": np.abs,
    "power": np.float_power,
    "atan2": np.arctan2,
    "re": np.real,
    "im": np.imag,
    "pi": np.pi,
    "E": np.e,
    "inf": np.inf,
    "nan": np.nan,
}


@dataclass(frozen=True)
class Preview:
    x: np.ndarray
    values: np.ndarray
    derivative: np.ndarray


def _evaluate(expr: sp.Expr, symbol: sp.Symbol, x: np.ndarray) -> np.ndarray:
    function = sp.lambdify(symbol, expr, modules=[NUMPY_NAMESPACE], printer=FloatPrinter)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            result = np.asarray(function(x), dtype=np.float64)
        except (TypeError, ValueError, OverflowError, ZeroDivisionError, NameError):
            return np.full_like(x, np.nan)
    result = np.broadcast_to(result, x.shape).copy()
    result[~np.isfinite(result)] = np.nan
    return result


def preview(expression: Expression, x_min: float, x_max: float, points: int) -> Preview:
    """f and f' (exact, float64) on a grid; NaN where either is undefined."""
    (symbol,) = expression.symbols
    x = np.linspace(x_min, x_max, points)
    values = _evaluate(expression.sympy, symbol, x)
    derivative = _evaluate(sp.diff(expression.sympy, symbol), symbol, x)
    derivative[np.isnan(values)] = np.nan
    return Preview(x, values, derivative)
