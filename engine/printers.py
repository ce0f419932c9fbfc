"""Code printers for `sympy.lambdify`: every function is printed by its bare name, looked up in a namespace we choose."""

from __future__ import annotations

import sympy as sp
from sympy.printing.str import StrPrinter


EXACT_INTEGERS = 2**53


class FloatPrinter(StrPrinter):
    """For torch and numpy: rationals become float divisions, e becomes the name E.

    Integers beyond float64's exact range are printed as floats: torch cannot take a
    Python int that does not fit 64 bits (x / 10**300 would fail), and past 1.8e308
    they are infinite either way.
    """

    def _print_Integer(self, expr: sp.Integer) -> str:
        value = int(expr)
        if abs(value) <= EXACT_INTEGERS:
            return str(value)
        try:
            return repr(float(value))
        except OverflowError:
            return "inf" if value > 0 else "(-inf)"

    def _print_Rational(self, expr: sp.Rational) -> str:
        try:
            return f"({float(expr)!r})" if max(abs(expr.p), expr.q) > EXACT_INTEGERS else f"({expr.p}/{expr.q})"
        except OverflowError:
            return "inf" if expr.p > 0 else "(-inf)"

    def _print_Exp1(self, expr: sp.Expr) -> str:
        return "E"


class MpmathPrinter(StrPrinter):
    """For mpmath: rationals stay exact until mpmath divides them at the working precision."""

    def _print_Rational(self, expr: sp.Rational) -> str:
        return f"(mpf({expr.p})/mpf({expr.q}))"

    def _print_Float(self, expr: sp.Float) -> str:
        return f"mpf('{expr}')"

    def _print_Exp1(self, expr: sp.Expr) -> str:
        return "E"
