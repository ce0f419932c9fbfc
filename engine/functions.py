"""The function vocabulary users may type, as SymPy objects.

SymPy has no sigmoid, softplus or relu, so they are defined here as SymPy
functions with their derivatives; the code printers in `engine.compiled` map
them onto torch and mpmath implementations that are numerically stable.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import cast

import sympy as sp


def _logistic(t: float) -> float:
    return 1 / (1 + math.exp(-t)) if t >= 0 else math.exp(t) / (1 + math.exp(t))


class sigmoid(sp.Function):  # noqa: N801 - printed name must match what users type
    """The logistic function 1 / (1 + exp(-x))."""

    nargs = 1
    estimate = staticmethod(_logistic)

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        return sigmoid(self.args[0]) * (1 - sigmoid(self.args[0]))

    def _eval_is_real(self) -> bool | None:
        return cast("bool | None", self.args[0].is_real)


class softplus(sp.Function):  # noqa: N801
    """log(1 + exp(x)), the smooth relu."""

    nargs = 1
    estimate = staticmethod(lambda t: t + math.log1p(math.exp(-t)) if t > 0 else math.log1p(math.exp(t)))

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        return sigmoid(self.args[0])

    def _eval_is_real(self) -> bool | None:
        return cast("bool | None", self.args[0].is_real)


class relu(sp.Function):  # noqa: N801
    """max(0, x); its derivative uses Heaviside(x, 0), the convention torch's autograd follows."""

    nargs = 1
    estimate = staticmethod(lambda t: max(0.0, t))

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        return sp.Heaviside(self.args[0], 0)

    def _eval_is_real(self) -> bool | None:
        return cast("bool | None", self.args[0].is_real)


class absolute(sp.Function):  # noqa: N801
    """|x| for a real-valued argument, printed abs(x).

    SymPy's Abs differentiates through re() and im() of arguments it cannot prove
    real (sqrt(x), x^x); on the real line the derivative is simply sign(u) u'.
    """

    nargs = 1

    @classmethod
    def eval(cls, arg: sp.Expr) -> sp.Expr | None:
        return sp.Abs(arg) if arg.is_number else None

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        return signum(self.args[0])

    def _sympystr(self, printer: object) -> str:
        return f"abs({printer._print(self.args[0])})"  # type: ignore[attr-defined]

    estimate = staticmethod(abs)


class signum(sp.Function):  # noqa: N801
    """sign(x) of a real-valued argument: its derivative is 0 away from the jump (DiracDelta, undefined at it)."""

    nargs = 1

    @classmethod
    def eval(cls, arg: sp.Expr) -> sp.Expr | None:
        return sp.sign(arg) if arg.is_number else None

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        return 2 * sp.DiracDelta(self.args[0])

    def _sympystr(self, printer: object) -> str:
        return f"sign({printer._print(self.args[0])})"  # type: ignore[attr-defined]

    estimate = staticmethod(lambda t: math.copysign(1.0, t) if t else 0.0)


def _log_base(base: int) -> Callable[[sp.Expr], sp.Expr]:
    return lambda a: sp.log(a, base)


# name -> builder of the SymPy expression (the names and arities are engine.vocabulary.FUNCTION_ARITY)
FUNCTIONS: dict[str, Callable[..., sp.Expr]] = {
    "sin": sp.sin,
    "cos": sp.cos,
    "tan": sp.tan,
    "asin": sp.asin,
    "acos": sp.acos,
    "atan": sp.atan,
    "sinh": sp.sinh,
    "cosh": sp.cosh,
    "tanh": sp.tanh,
    "exp": sp.exp,
    "log": sp.log,
    "ln": sp.log,
    "log10": _log_base(10),
    "log2": _log_base(2),
    "sqrt": sp.sqrt,
    "abs": absolute,
    "sign": signum,
    "sigmoid": sigmoid,
    "relu": relu,
    "softplus": softplus,
    "pow": sp.Pow,
}

CONSTANTS: dict[str, sp.Expr] = {"pi": sp.pi, "e": sp.E}

# Functions with a kink or a jump: the complex step would return a wrong number for them.
NON_ANALYTIC: tuple[type, ...] = (absolute, signum, sp.Abs, sp.sign, relu, sp.Heaviside, sp.DiracDelta, sp.Max, sp.Min)
