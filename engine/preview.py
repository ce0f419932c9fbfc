"""A plain-Python preview of f and f', for the moments before numpy, SymPy and torch are imported.

The app draws its first frame with this (a few ms, nothing to import but `math`)
while the imports (seconds) run in the background. It walks the same whitelisted
syntax as the real parser, evaluates f in float64 point by point and estimates f'
by central differences; every number the app reports afterwards comes from the
engine. A value that is undefined (log of a negative number) or overflows is NaN
or inf here, never an exception.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from engine.syntax import Walker, parse_tree

Values = list[float]
NAN = math.nan


def _safe(function: Callable[..., float]) -> Callable[..., float]:
    def apply(*args: float) -> float:
        try:
            return float(function(*args))
        except OverflowError:
            return math.inf
        except (ValueError, ZeroDivisionError, TypeError):
            return NAN

    return apply


def _sigmoid(t: float) -> float:
    return 1 / (1 + math.exp(-t)) if t >= 0 else math.exp(t) / (1 + math.exp(t))


def _softplus(t: float) -> float:
    return t + math.log1p(math.exp(-t)) if t > 0 else math.log1p(math.exp(t))


def _sign(t: float) -> float:
    return NAN if math.isnan(t) else float((t > 0) - (t < 0))


# The same names as engine.vocabulary.FUNCTION_ARITY, each on one float.
_PLAIN: dict[str, Callable[..., float]] = {
        "sin": math.sin, "cos": math.cos, "tan": math.tan, "asin": math.asin, "acos": math.acos, "atan": math.atan,
        "sinh": math.sinh, "cosh": math.cosh, "tanh": math.tanh, "exp": math.exp, "log": math.log, "ln": math.log,
        "log10": math.log10, "log2": math.log2, "sqrt": math.sqrt, "abs": abs, "sign": _sign, "sigmoid": _sigmoid,
        "relu": lambda t: max(t, 0.0), "softplus": _softplus, "pow": math.pow,
}  # fmt: skip
MATH_FUNCTIONS: dict[str, Callable[..., float]] = {name: _safe(function) for name, function in _PLAIN.items()}

_OPERATORS: dict[str, Callable[[float, float], float]] = {
    "+": _safe(lambda a, b: a + b),
    "-": _safe(lambda a, b: a - b),
    "*": _safe(lambda a, b: a * b),
    "/": _safe(lambda a, b: a / b if b else math.copysign(math.inf, a) * math.copysign(1.0, b) if a else NAN),
    "**": _safe(math.pow),
}


class _PointsWalker(Walker[Values]):
    """Builds f at every point at once: each node of the formula is a list of floats."""

    def __init__(self, columns: list[int], x: Values) -> None:
        super().__init__(("x",), columns)
        self.x = x

    def number(self, value: int | float, column: int | None) -> Values:
        try:
            return [float(value)] * len(self.x)
        except OverflowError:
            return [math.inf] * len(self.x)

    def variable(self, name: str) -> Values:
        return self.x

    def constant(self, name: str) -> Values:
        return [math.pi if name == "pi" else math.e] * len(self.x)

    def negate(self, value: Values) -> Values:
        return [-v for v in value]

    def binary(self, operator: str, left: Values, right: Values, column: int | None) -> Values:
        operation = _OPERATORS[operator]
        return [operation(a, b) for a, b in zip(left, right, strict=True)]

    def call(self, name: str, args: list[Values], column: int | None) -> Values:
        function = MATH_FUNCTIONS[name]
        return [function(*point) for point in zip(*args, strict=True)]


@dataclass(frozen=True)
class Preview:
    x: Values
    values: Values
    derivative: Values  # central differences, NaN where f is undefined


def evaluate(text: str, x: Values) -> Values:
    """f(x) for a 1-D formula, NaN where it is not finite. Raises ExpressionError for bad text."""
    tree, columns = parse_tree(text)
    return [v if math.isfinite(v) else NAN for v in _PointsWalker(columns, list(x)).walk(tree)]


def preview(text: str, x_min: float, x_max: float, points: int) -> Preview:
    step = (x_max - x_min) / max(1, points - 1)
    x = [x_min + i * step for i in range(points - 1)] + [x_max]
    h = [1e-5 * max(1.0, abs(p)) for p in x]
    values = evaluate(text, x)
    plus = evaluate(text, [p + d for p, d in zip(x, h, strict=True)])
    minus = evaluate(text, [p - d for p, d in zip(x, h, strict=True)])
    derivative = [NAN if math.isnan(f) else (a - b) / (2 * d) for f, a, b, d in zip(values, plus, minus, h, strict=True)]
    return Preview(x, values, derivative)
