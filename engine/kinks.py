"""Points where f's n-th derivative does not exist although its formula gives a number there.

At a kink SymPy and torch follow a convention: sign(0) = 0 for abs, Heaviside(0) = 0 for relu. So the reference,
exact and autograd all report abs'(0) = 0, a subgradient, while the one-sided slopes are -1 and 1. An error measured
against that number means little, and an error estimate that claims a small one is a lie: Richardson's central
differences are symmetric, agree with each other on 0 to the last bit and estimate their error as 0.

A point is a kink when the formula of the n-th derivative changes branch there (the argument of a sign, abs or
Heaviside in it is 0) and its two one-sided values, at x -/+ 1e-30 in 50-digit arithmetic, differ. The second test
keeps the points where the branches meet smoothly: abs(x)^2 has f' = 2 abs(x) sign(x), which is 0 from both sides.
A jump in a lower derivative needs no test here: its n-th derivative holds a DiracDelta, which the reference
already reports as undefined.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import mpmath
import sympy as sp
import torch

from engine.compiled import REFERENCE_DIGITS, MpmathCallable, derivative_formula, mpmath_callable, torch_callable
from engine.expression import Expression
from engine.functions import absolute, relu, signum

# The pieces whose argument's zero is where a formula changes branch (a set: only membership counts)
BRANCHES: frozenset[type] = frozenset({signum, absolute, relu, sp.sign, sp.Abs, sp.Heaviside})
ONE_SIDE = "1e-30"  # far below any float64 spacing near x, far above the 50-digit resolution
AGREE = 1e-12  # one-sided values closer than this (relative to max(1, |value|)) meet smoothly
SHORTLIST = 1e-6  # |argument| in float64 below which a point may sit on a switch


@dataclass(frozen=True)
class Kink:
    """The n-th derivative's one-sided values at a point where it does not exist."""

    index: int  # into the points, flattened
    x: float
    left: float
    right: float


def kinks(expression: Expression, points: torch.Tensor, order: int = 1) -> tuple[Kink, ...]:
    """Every point (float64, CPU) at which the order-th derivative of a 1-D f does not exist, with its one-sided
    values; () for an f without abs, sign or relu, at no cost."""
    if len(expression.symbols) != 1 or not expression.sympy.atoms(*BRANCHES):
        return ()
    formula = derivative_formula(expression, order)
    if formula is None:
        return ()
    arguments = [atom.args[0] for atom in formula.atoms(*BRANCHES)]
    if not arguments:
        return ()
    xs = points.detach().double().cpu().flatten()
    # float64 shortlists the points near a switch (all of them at once); 50 digits decide which are on it
    near = torch.zeros(xs.shape, dtype=torch.bool)
    with torch.no_grad():
        for argument in arguments:
            near |= torch_callable(argument, expression.symbols)(xs).abs().nan_to_num(nan=1.0) <= SHORTLIST
    if not bool(near.any()):
        return ()
    switches = [mpmath_callable(argument, expression.symbols) for argument in arguments]
    derivative = mpmath_callable(formula, expression.symbols)
    found = []
    for index in near.nonzero().flatten().tolist():
        x = float(xs[index])
        if any(switch(x) == 0.0 for switch in switches):
            left, right = _one_sided(derivative, x)
            if math.isfinite(left) and math.isfinite(right) and abs(left - right) > AGREE * max(1.0, abs(left), abs(right)):
                found.append(Kink(index, x, left, right))
    return tuple(found)


def kink_mask(found: tuple[Kink, ...], points: torch.Tensor) -> torch.Tensor:
    """True at the points (in their shape) where the derivative does not exist."""
    mask = torch.zeros(points.numel(), dtype=torch.bool)
    mask[[k.index for k in found]] = True
    return mask.reshape(points.shape)


def _one_sided(derivative: MpmathCallable, x: float) -> tuple[float, float]:
    with mpmath.workdps(REFERENCE_DIGITS):
        step = mpmath.mpf(ONE_SIDE) * max(1, abs(mpmath.mpf(x)))
        left, right = mpmath.mpf(x) - step, mpmath.mpf(x) + step
    # MpmathCallable works at REFERENCE_DIGITS and takes an mpf as readily as a float
    return derivative(left), derivative(right)


def jumps(expression: Expression, points: torch.Tensor, order: int = 1) -> torch.Tensor:
    """Where f or a lower derivative jumps (float64 points, CPU): the order-th derivative's formula holds a
    DiracDelta whose argument is 0 there (sign(x) at 0: f' = 2 DiracDelta(x)). All False for an f without one."""
    xs = points.detach().double().cpu()
    at = torch.zeros(xs.shape, dtype=torch.bool)
    if len(expression.symbols) != 1 or not expression.sympy.atoms(*BRANCHES):
        return at
    formula = derivative_formula(expression, order)
    if formula is None:
        return at
    with torch.no_grad():
        for delta in formula.atoms(sp.DiracDelta):
            at |= torch_callable(delta.args[0], expression.symbols)(xs) == 0
    return at
