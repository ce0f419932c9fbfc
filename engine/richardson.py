"""Richardson extrapolation: central differences at h0, h0/2, h0/4, ... combined to cancel their error, with an
estimate of the error that remains.

A central difference's error is a series in h^2, h^4, ...: D(h) = f^(n) + c1 h^2 + c2 h^4 + ...
so (4 D(h/2) - D(h)) / 3 cancels the h^2 term, and repeating that on the results (with 16, 64,
...) cancels one more term each time: Neville's tableau. Its entries are compared with their
neighbours (the newest row against the previous one, and each entry against the one to its left)
and the entry with the smallest difference is kept, that difference being its error estimate.
Halving goes on until the estimate stops falling (round-off has taken over), as in Ridders'
method (Numerical Recipes' dfridr), per point.

The tableau's differences alone are too optimistic wherever its columns agree to the last bit
(round-off they share): by 10x to "infinitely" on sin in float32 and float64 alike. So the
estimate adds the stencil's round-off at the final step, and is then honest for smooth f in
either dtype (within a small factor of the true error, or above it). It still lies near a kink
(abs(x) at 1e-3: the first steps straddle 0 and every column agrees on the wrong value), where f
itself loses digits (log(1+x^2) near 0 rounds 1 + x^2: far more round-off than eps |f|), and for f
that is not smooth at the scale of h0: that is what the app's table and plot show next to the true error.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from engine.compiled import compile_expression
from engine.expression import Expression
from engine.stencils import STENCILS

MAX_LEVELS = 12  # h0 / 2^11 at most: far past where round-off wins for every dtype
MIN_LEVELS = 4  # at a coarse h0 (a fast wiggle) two rows can agree by chance: do not stop on that
STOP_FACTOR = 2.0  # stop once the newest diagonal differs from the last by twice the best estimate
START = 0.05  # h0 = START * max(1, |x|): large, since extrapolation removes the truncation error (0.1 misses fast wiggles)


@dataclass(frozen=True)
class Extrapolation:
    """Per point: the value, its own error estimate, the step of the level it came from, f evaluations used."""

    values: torch.Tensor
    error_estimate: torch.Tensor
    final_h: torch.Tensor
    evaluations: torch.Tensor  # int64


def extrapolate(
    expression: Expression, points: torch.Tensor, order: int = 1, dtype: torch.dtype = torch.float64, device: torch.device | str = "cpu"
) -> Extrapolation:
    """The n-th derivative at each point by Richardson extrapolation of central differences (see the module)."""
    from engine.methods import _nan_where_f_is_undefined, _points, stencil_value

    x = _points(expression, points, dtype, device)
    f = compile_expression(expression).function
    stencil = STENCILS["central", order]
    per_level = stencil.evaluations - (1 if 0 in stencil.offsets else 0)  # f(x) itself is evaluated once
    h = (START * x.abs().clamp(min=1.0)).to(dtype)
    shape = x.shape
    best = torch.full(shape, math.nan, dtype=dtype, device=x.device)
    best_error = torch.full(shape, math.inf, dtype=dtype, device=x.device)
    best_h = torch.full(shape, math.nan, dtype=dtype, device=x.device)
    evaluations = torch.zeros(shape, dtype=torch.int64, device=x.device)
    active = torch.ones(shape, dtype=torch.bool, device=x.device)
    # A point's tableau starts at the first level whose stencil stays where f is finite (log(x) at x = 0.008 has no
    # f(x - 0.05)): its depth is the number of levels since, and only that many columns hold numbers.
    depth = torch.full(shape, -1, dtype=torch.int64, device=x.device)
    previous: list[torch.Tensor] = []
    at_x = torch.full(shape, math.nan, dtype=dtype, device=x.device)
    with torch.no_grad():
        for level in range(MAX_LEVELS):
            value, at_x = stencil_value(f, x, h, stencil)
            evaluations += active.to(torch.int64) * (per_level + (1 if level == 0 and 0 in stencil.offsets else 0))
            depth = torch.where(torch.isfinite(value), depth + 1, -1)
            row = [value]
            for j in range(1, level + 1):
                factor = 4.0**j
                row.append(row[j - 1] + (row[j - 1] - previous[j - 1]) / (factor - 1))
            for j in range(1, level + 1):
                # how far this entry is from its neighbours: the one to its left and the one above-left
                error = torch.maximum((row[j] - row[j - 1]).abs(), (row[j] - previous[j - 1]).abs())
                better = active & (j <= depth) & (error <= best_error)
                best = torch.where(better, row[j], best)
                best_error = torch.where(better, error, best_error)
                best_h = torch.where(better, h, best_h)
            if level >= 1:
                # the newest diagonal moved away from the last by more than the error already reached: round-off won
                newest = torch.stack(row).gather(0, depth.clamp(min=0)[None]).squeeze(0)
                last = torch.stack(previous).gather(0, (depth - 1).clamp(min=0)[None]).squeeze(0)
                deep = depth >= MIN_LEVELS - 1
                worse = deep & ((newest - last).abs() >= STOP_FACTOR * best_error)
                active = active & ~(worse | (deep & ~torch.isfinite(newest)))
            if not bool(active.any()):
                break
            previous = row
            h = h / 2
    values = _nan_where_f_is_undefined(best, at_x)
    # The tableau's differences see the truncation that is left, not the round-off its entries share: add what
    # rounding does at the final step (the stencil's eps (S |f| + R |x f'| / 2) / h^n, as in engine.theory, plus the
    # values of f away from x, h |f'| apart, which count where f(x) is near 0), so the estimate is honest. f' for
    # those terms comes from one more central difference there.
    with torch.no_grad():
        slope, _ = stencil_value(f, x, best_h.nan_to_num(nan=1.0), STENCILS["central", 1])
    evaluations += 2
    spread = (
        stencil.function_weight * at_x.abs()
        + stencil.step_weight * x.abs() * slope.abs() / 2
        + stencil.reach_weight * best_h.nan_to_num(nan=0.0) * slope.abs()
    )
    roundoff = torch.finfo(dtype).eps * spread / best_h**order
    estimate = torch.maximum(best_error, roundoff)
    return Extrapolation(values, estimate.masked_fill(torch.isnan(values), math.nan), best_h, evaluations)
