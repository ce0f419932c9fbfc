"""The function vocabulary users may type, as SymPy objects.

SymPy has no sigmoid, softplus or relu, so they are defined here as SymPy
functions with their derivatives; the code printers in `engine.compiled` map
them onto torch and mpmath implementations that are numerically stable.
"""

from __future__ import annotations

from collections.abc import Callable

import sympy as sp


class sigmoid(sp.Function):  # noqa: N801 - printed name must match what users type
    """The logistic function 1 / (1 + exp(-x))."""

    nargs = 1

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        return sigmoid(self.args[0]) * (1 - sigmoid(self.args[0]))

    def _eval_is_real(self) -> bool | None:
        return self.args[0].is_real


class softplus(sp.Function):  # noqa: N801
    """log(1 + exp(x)), the smooth relu."""

    nargs = 1

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        return sigmoid(self.args[0])

    def _eval_is_real(self) -> bool | None:
        return self.args[0].is_real


class relu(sp.Function):  # noqa: N801
    """max(0, x); its derivative uses Heaviside(x, 0), the convention torch's autograd follows."""

    nargs = 1

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        return sp.Heaviside(self.args[0], 0)

    def _eval_is_real(self) -> bool | None:
        return self.args[0].is_real


def _log_base(base: int) -> Callable[[sp.Expr], sp.Expr]:
    return lambda a: sp.log(a, base)


# name -> (number of arguments, builder of the SymPy expression)
FUNCTIONS: dict[str, tuple[int, Callable[..., sp.Expr]]] = {
    "sin": (1, sp.sin),
    "cos": (1, sp.cos),
    "tan": (1, sp.tan),
    "asin": (1, sp.asin),
    "acos": (1, sp.acos),
    "atan": (1, sp.atan),
    "sinh": (1, sp.sinh),
    "cosh": (1, sp.cosh),
    "tanh": (1, sp.tanh),
    "exp": (1, sp.exp),
    "log": (1, sp.log),
    "ln": (1, sp.log),
    "log10": (1, _log_base(10)),
    "log2": (1, _log_base(2)),
    "sqrt": (1, sp.sqrt),
    "abs": (1, sp.Abs),
    "sign": (1, sp.sign),
    "sigmoid": (1, sigmoid),
    "relu": (1, relu),
    "softplus": (1, softplus),
    "pow": (2, sp.Pow),
}

CONSTANTS: dict[str, sp.Expr] = {"pi": sp.pi, "e": sp.E}

# Functions with a kink or a jump: the complex step would return a wrong number for them.
NON_ANALYTIC: tuple[type, ...] = (sp.Abs, sp.sign, relu, sp.Heaviside, sp.DiracDelta, sp.Max, sp.Min)
