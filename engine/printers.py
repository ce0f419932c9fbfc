"""Code printers for `sympy.lambdify`: every function is printed by its bare name, looked up in a namespace we choose."""

from __future__ import annotations

import sympy as sp
from sympy.printing.str import StrPrinter

EXACT_INTEGERS = 2**53


class _NamedPrinter(StrPrinter):
    """What the float and mpmath printers share: powers as power(), e as E, and the non-finite constants by name."""

    def _print_Exp1(self, expr: sp.Expr) -> str:
        return "E"

    def _print_Pow(self, expr: sp.Pow, rational: bool = False) -> str:
        # A function, not **: in Python (-8)**(1/3) is a complex number, and a power of two
        # plain numbers may overflow with an exception; power() in each namespace decides.
        return f"power({self._print(expr.base)}, {self._print(expr.exp)})"

    def _print_NaN(self, expr: sp.Expr) -> str:
        return "nan"

    _print_ComplexInfinity = _print_NaN

    def _print_Infinity(self, expr: sp.Expr) -> str:
        return "inf"

    def _print_NegativeInfinity(self, expr: sp.Expr) -> str:
        return "(-inf)"


class FloatPrinter(_NamedPrinter):
    """For torch and numpy: rationals become float divisions.

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
        if max(abs(expr.p), expr.q) <= EXACT_INTEGERS:
            return f"({expr.p}/{expr.q})"
        try:
            return f"({float(expr)!r})"
        except OverflowError:
            return "inf" if expr.p > 0 else "(-inf)"


class MpmathPrinter(_NamedPrinter):
    """For mpmath: rationals stay exact until mpmath divides them at the working precision."""

    def _print_Rational(self, expr: sp.Rational) -> str:
        return f"(mpf({expr.p})/mpf({expr.q}))"

    def _print_Float(self, expr: sp.Float) -> str:
        return f"mpf('{expr}')"
