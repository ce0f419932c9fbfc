"""Code printers for `sympy.lambdify`: every function is printed by its bare name, looked up in a namespace we choose."""

from __future__ import annotations

import sympy as sp
from sympy.printing.str import StrPrinter


class FloatPrinter(StrPrinter):
    """For torch and numpy: rationals become float divisions, e becomes the name E."""

    def _print_Rational(self, expr: sp.Rational) -> str:
        return f"({expr.p}/{expr.q})"

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
