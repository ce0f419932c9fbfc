"""Finite-difference stencils for the first, second and third derivative, and what their Taylor series says.

A stencil approximates the n-th derivative as sum_k W_k f(x + k h) / (D h^n), with
integer weights W_k and one denominator D, so that no weight is rounded. From the
weights alone follow the method's truncation error (its Taylor moments) and how
much round-off the values of f can add up to: `engine.theory` builds the error
model from them, `engine.methods` evaluates them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from math import comb

from engine.vocabulary import ORDERS


@dataclass(frozen=True)
class Stencil:
    weights: tuple[tuple[int, int], ...]  # (offset k, integer weight W_k), offsets ascending
    denominator: int
    order: int  # the derivative it approximates

    @property
    def offsets(self) -> tuple[int, ...]:
        return tuple(k for k, _ in self.weights)

    def weight(self, k: int) -> int:
        return dict(self.weights).get(k, 0)

    @property
    def antisymmetric(self) -> bool:
        return all(self.weight(-k) == -w for k, w in self.weights)

    @property
    def symmetric(self) -> bool:
        return all(self.weight(-k) == w for k, w in self.weights)

    def moment(self, m: int) -> float:
        """sum_k W_k k^m / (D m!): the coefficient of h^(m - n) f^(m)(x) in the stencil's Taylor series."""
        return float(sum(w * k**m for k, w in self.weights) / (self.denominator * math.factorial(m)))

    @cached_property
    def truncation(self) -> tuple[tuple[int, int, float], tuple[int, int, float]]:
        """The two leading error terms, each (power of h, order of the derivative, |coefficient|)."""
        terms: list[tuple[int, int, float]] = []
        m = self.order + 1
        while len(terms) < 2:
            coefficient = self.moment(m)
            if coefficient != 0:
                terms.append((m - self.order, m, abs(coefficient)))
            m += 1
        return terms[0], terms[1]

    @property
    def accuracy(self) -> int:
        """p in truncation ~ h^p."""
        return self.truncation[0][0]

    @property
    def function_weight(self) -> float:
        """S = sum |W_k| / D: how many eps |f| / h^n the rounded values of f can add up to."""
        return sum(abs(w) for _, w in self.weights) / self.denominator

    @property
    def step_weight(self) -> float:
        """R = sum over k != 0 of |W_k| / D: how many eps |x f'| / 2h^n rounding x + k h can add up to."""
        return sum(abs(w) for k, w in self.weights if k != 0) / self.denominator

    @property
    def reach_weight(self) -> float:
        """sum |W_k k| / D: how many eps h |f'| / h^n the rounded values of f away from x add (what counts where f(x) ~ 0)."""
        return sum(abs(w * k) for k, w in self.weights) / self.denominator

    @property
    def evaluations(self) -> int:
        return len(self.weights)


def _stencil(order: int, denominator: int, weights: dict[int, int]) -> Stencil:
    return Stencil(tuple(sorted((k, w) for k, w in weights.items() if w)), denominator, order)


def _forward(order: int) -> Stencil:
    """The n-th forward difference: sum_k (-1)^(n-k) C(n, k) f(x + k h)."""
    return _stencil(order, 1, {k: (-1) ** (order - k) * comb(order, k) for k in range(order + 1)})


def _backward(order: int) -> Stencil:
    """The n-th backward difference: sum_k (-1)^k C(n, k) f(x - k h)."""
    return _stencil(order, 1, {-k: (-1) ** k * comb(order, k) for k in range(order + 1)})


STENCILS: dict[tuple[str, int], Stencil] = {
    **{("forward", n): _forward(n) for n in ORDERS},
    **{("backward", n): _backward(n) for n in ORDERS},
    ("central", 1): _stencil(1, 2, {-1: -1, 1: 1}),
    ("central", 2): _stencil(2, 1, {-1: 1, 0: -2, 1: 1}),
    ("central", 3): _stencil(3, 2, {-2: -1, -1: 2, 1: -2, 2: 1}),
    ("five-point", 1): _stencil(1, 12, {-2: 1, -1: -8, 1: 8, 2: -1}),
    ("five-point", 2): _stencil(2, 12, {-2: -1, -1: 16, 0: -30, 1: 16, 2: -1}),
    ("five-point", 3): _stencil(3, 8, {-3: 1, -2: -8, -1: 13, 1: -13, 2: 8, 3: -1}),
}

# The complex step's series: Im f(x+ih)/h = f' - h^2 f'''/6 + h^4 f^(5)/120 - ...;
# 2 (f(x) - Re f(x+ih)) / h^2 = f'' - h^2 f''''/12 + h^4 f^(6)/360 - ...
COMPLEX_STEP_TRUNCATION: dict[int, tuple[tuple[int, int, float], tuple[int, int, float]]] = {
    1: ((2, 3, 1 / 6), (4, 5, 1 / 120)),
    2: ((2, 4, 1 / 12), (4, 6, 1 / 360)),
}
# Its second derivative subtracts f(x) and Re f(x+ih), each doubled: round-off 4 eps |f| / h^2; x itself is not shifted.
COMPLEX_STEP_FUNCTION_WEIGHT = {2: 4.0}
