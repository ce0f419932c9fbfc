"""User text -> SymPy expression: the SymPy backend of the whitelist walker in `engine.syntax`.

Nothing the user typed reaches eval, exec, sympify or parse_expression. Numbers
are built from their literal values, and powers of numbers are size-checked
before SymPy folds them, so `9**9**9**9` is an error, not a hang; constants are
estimated in float64 (`estimate`), never with SymPy's evalf, which can take
unbounded time on sin(exp(exp(exp(3)))).
"""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass

import sympy as sp

from engine.functions import CONSTANTS, FUNCTIONS
from engine.syntax import ExpressionError, Walker, parse_tree
from engine.vocabulary import VARIABLES

__all__ = ["SYMBOLS", "Expression", "ExpressionError", "estimate", "parse_expression", "parse_number"]

MAX_CONSTANT_DIGITS = 1000  # the largest exact constant (in decimal digits) we let SymPy build

SYMBOLS: dict[str, sp.Symbol] = {name: sp.Symbol(name, real=True) for name in VARIABLES}


@dataclass(frozen=True)
class Expression:
    """A parsed user function: its text, its SymPy form and the variables it may use."""

    text: str
    sympy: sp.Expr
    variables: tuple[str, ...]

    @property
    def symbols(self) -> tuple[sp.Symbol, ...]:
        return tuple(SYMBOLS[name] for name in self.variables)

    def __str__(self) -> str:
        return str(sp.sstr(self.sympy))


def parse_expression(text: str, variables: Sequence[str] = ("x",)) -> Expression:
    """Parse `text` as a function of `variables` (a subset of x, y)."""
    tree, columns = parse_tree(text)
    return Expression(text=text.strip(), sympy=_SympyWalker(variables, columns).walk(tree), variables=tuple(variables))


def parse_number(text: str) -> float:
    """Parse a constant such as `0.5`, `-pi/4` or `1e-8` (the same language, without variables)."""
    try:
        expression = parse_expression(text, variables=())
    except ExpressionError as error:
        raise ExpressionError(f"not a number: {error.message}", error.column) from None
    value = estimate(expression.sympy)
    if math.isnan(value):
        raise ExpressionError(f"{text.strip()!r} is not a number")
    return value


class _SympyWalker(Walker[sp.Expr]):
    def number(self, value: int | float, column: int | None) -> sp.Expr:
        if isinstance(value, int):
            return sp.Integer(value)
        # The decimal the user wrote, exactly: 0.3 is 3/10 for the 50-digit reference.
        return sp.Rational(repr(value)) if value != 0 else sp.Integer(0)

    def variable(self, name: str) -> sp.Expr:
        return SYMBOLS[name]

    def constant(self, name: str) -> sp.Expr:
        return CONSTANTS[name]

    def negate(self, value: sp.Expr) -> sp.Expr:
        return -value

    def binary(self, operator: str, left: sp.Expr, right: sp.Expr, column: int | None) -> sp.Expr:
        if operator == "+":
            return left + right
        if operator == "-":
            return left - right
        if operator == "*":
            return left * right
        if operator == "/":
            if right == 0:
                raise ExpressionError("division by zero", column)
            return left / right
        return _power(left, right, column)

    def call(self, name: str, args: list[sp.Expr], column: int | None) -> sp.Expr:
        if name == "pow":
            return _power(args[0], args[1], column)
        return FUNCTIONS[name](*args)

    def check(self, value: sp.Expr, column: int | None) -> None:
        if value.has(sp.zoo, sp.nan, sp.oo, -sp.oo):
            raise ExpressionError("this part is undefined (division by zero or log of zero)", column)
        if value.has(sp.I) or (value.is_number and math.isnan(estimate(value))):
            raise ExpressionError("this constant has no float64 value (not real, undefined, or beyond float range)", column)


def _power(base: sp.Expr, exponent: sp.Expr, column: int | None) -> sp.Expr:
    """base**exponent, refusing constant powers whose exact value would be astronomically large."""
    if base.is_number and exponent.is_number:
        size = estimate(base)
        digits = abs(estimate(exponent)) * abs(math.log10(abs(size))) if size not in (0.0, 1.0, -1.0) else 0.0
        if math.isnan(digits):
            raise ExpressionError("this constant has no float64 value (not real, undefined, or beyond float range)", column)
        if not digits < MAX_CONSTANT_DIGITS:
            raise ExpressionError("this power is too large to compute (it overflows any float)", column)
        if size not in (0.0, 1.0, -1.0) and estimate(exponent) * math.log10(abs(size)) >= math.log10(sys.float_info.max):
            # like the literal 1e999: float64 holds no such constant, and every method would give nan with no clue why
            raise ExpressionError(f"this power is too large for float64 (over {sys.float_info.max:.2g})", column)
        if size == 0 and estimate(exponent) < 0:
            raise ExpressionError("0 to a negative power is undefined", column)
    return sp.Pow(base, exponent)


_MATH: dict[type, object] = {
    sp.sin: math.sin,
    sp.cos: math.cos,
    sp.tan: math.tan,
    sp.asin: math.asin,
    sp.acos: math.acos,
    sp.atan: math.atan,
    sp.sinh: math.sinh,
    sp.cosh: math.cosh,
    sp.tanh: math.tanh,
    sp.exp: math.exp,
    sp.log: math.log,
    sp.Abs: abs,
}


def estimate(value: sp.Expr) -> float:
    """A float64 estimate of a constant SymPy expression, inf on overflow, NaN where undefined.

    Never SymPy's own evalf: for sin(exp(exp(exp(3)))) that needs a billion digits of pi.
    """
    try:
        if value.is_Rational:
            return value.p / value.q if value.q != 1 else float(value.p)
        if value in (sp.pi, sp.E):
            return float(math.pi if value == sp.pi else math.e)
        args = [estimate(arg) for arg in value.args]
        if isinstance(value, sp.Add):
            return math.fsum(args)
        if isinstance(value, sp.Mul):
            return math.prod(args)
        if isinstance(value, sp.Pow):
            return math.pow(*args)
        function = _MATH.get(value.func) or getattr(value.func, "estimate", None)
        return float(function(*args)) if callable(function) else math.nan
    except OverflowError:
        return math.inf
    except (ValueError, ZeroDivisionError, TypeError):
        return math.nan
