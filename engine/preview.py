"""A numpy preview of f and f', for the moments before SymPy and torch are imported.

The app draws its first frame with this (a few ms, no SymPy, no torch) while the
imports (seconds) run in the background. It walks the same whitelisted syntax
as the real parser, evaluates f in float64 numpy and estimates f' by central
differences; every number the app reports afterwards comes from the engine.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from engine.syntax import Walker, parse_tree

Array = np.ndarray


def _sigmoid(t: Array) -> Array:
    return np.asarray(1 / (1 + np.exp(-t)))


NUMPY_FUNCTIONS: dict[str, Callable[..., Array]] = {
    "sin": np.sin,
    "cos": np.cos,
    "tan": np.tan,
    "asin": np.arcsin,
    "acos": np.arccos,
    "atan": np.arctan,
    "sinh": np.sinh,
    "cosh": np.cosh,
    "tanh": np.tanh,
    "exp": np.exp,
    "log": np.log,
    "ln": np.log,
    "log10": np.log10,
    "log2": np.log2,
    "sqrt": np.sqrt,
    "abs": np.abs,
    "sign": np.sign,
    "sigmoid": _sigmoid,
    "relu": lambda t: np.maximum(t, 0.0),
    "softplus": lambda t: np.logaddexp(0.0, t),
    "pow": np.float_power,
}


class _NumpyWalker(Walker[Array]):
    def __init__(self, variables: tuple[str, ...], columns: list[int], x: Array) -> None:
        super().__init__(variables, columns)
        self.x = x

    def number(self, value: int | float, column: int | None) -> Array:
        try:
            return np.full_like(self.x, float(value))
        except OverflowError:
            return np.full_like(self.x, np.inf)

    def variable(self, name: str) -> Array:
        return self.x

    def constant(self, name: str) -> Array:
        return np.full_like(self.x, np.pi if name == "pi" else np.e)

    def negate(self, value: Array) -> Array:
        return -value

    def binary(self, operator: str, left: Array, right: Array, column: int | None) -> Array:
        operation = {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.divide, "**": np.float_power}[operator]
        return np.asarray(operation(left, right))

    def call(self, name: str, args: list[Array], column: int | None) -> Array:
        return NUMPY_FUNCTIONS[name](*args)


@dataclass(frozen=True)
class Preview:
    x: Array
    values: Array
    derivative: Array  # central differences, NaN where f is undefined


def evaluate(text: str, x: Array) -> Array:
    """f(x) for a 1-D formula, NaN where it is not finite. Raises ExpressionError for bad text."""
    tree, columns = parse_tree(text)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        values = np.asarray(_NumpyWalker(("x",), columns, x).walk(tree), dtype=np.float64)
    return np.where(np.isfinite(values), values, np.nan)


def preview(text: str, x_min: float, x_max: float, points: int) -> Preview:
    x = np.linspace(x_min, x_max, points)
    values = evaluate(text, x)
    h = 1e-5 * np.maximum(1.0, np.abs(x))
    derivative = (evaluate(text, x + h) - evaluate(text, x - h)) / (2 * h)
    return Preview(x, values, np.where(np.isnan(values), np.nan, derivative))
