"""Richardson extrapolation that adapts to f: central differences at h0, h0/2, h0/4, ... over as many decades as f
needs, combined to cancel their error, and the tableau entry whose estimated error is smallest.

A central difference's error is a series in h^2, h^4, ...: D(h) = f^(n) + c1 h^2 + c2 h^4 + ...
so (4 D(h/2) - D(h)) / 3 cancels the h^2 term, and repeating that on the results (with 16, 64,
...) cancels one more term each time: Neville's tableau, here up to MAX_COLUMNS columns.

Every entry of the tableau gets an estimated error: how far it is from its neighbours (the entry to its left and
the one above-left, both of which it was made from) plus the round-off of the level it sits on. That round-off is
computed from the values of f the level used, eps (sum |W_k f(x + k h)| + R |x| |f'| / 2) / (D h^n), with |f'|
from the level's own f(x +- h), plus the spacing of subnormal numbers, which is all a value near underflow holds.
The result is the entry with the smallest estimate anywhere in the tableau (as numdifftools picks), and its estimate.

Where to stop follows from the tableau, not from a fixed number of levels: round-off only grows as h halves (as
h^-n), so once the newest level's round-off alone exceeds the best estimate so far, no later entry can beat it.
So a smooth, slowly varying f stops after a handful of levels near h0, while 1/x at 1e-3 or exp(-x^2) at 10 go on
down to the scale where f is smooth (h below 1e-3 and 1e-2), and sqrt(x) at 1e-6 goes on until its stencil fits
inside f's domain: a point's tableau restarts at the first level whose stencil sees only finite values of f.
At least MIN_LEVELS levels are taken from there. At coarse steps levels can agree by chance (sin(50x) with h0 = 0.5,
0.25, 0.125 near whole periods): when a finer level's best entry and the best so far disagree by more than 100 times
the sum of their estimates (two honest estimates never disagree by more than once), the finer one takes over. Not
at 2 times: where f loses digits beyond eps |f| (log(1+x^2) near 0) it is the finer entry that is a little too
optimistic, by a few times, not by a hundred.

Honesty: for smooth f the estimate is within a small factor of the true error or above it, in float64 and float32.
It can still lie where f itself loses digits beyond eps |f| (log(1+x^2) in float32), at a kink (where no derivative
exists: `engine.kinks` finds those), and where f is not smooth at any step the tableau tries (relu(x) at 1e-20); the
app's table and the CLI flag an estimate that the 50-digit reference shows to be 10x too optimistic.
"""

from __future__ import annotations

import math

import torch

from engine.compiled import compile_expression
from engine.differences import (
    DeviceLike,
    Estimate,
    Step,
    combine,
    nan_where_f_is_undefined,
    points_of,
)
from engine.expression import Expression
from engine.stencils import STENCILS, Stencil

RULE = "central"  # the difference rule extrapolated (any symmetric stencil of engine.stencils: its series is in h^2)
START = 0.5  # h0 = START * max(1, |x|); the levels below reach whatever scale f needs
MAX_LEVELS = 48  # h0 / 2^47 ~ 1e-15 h0: below every step where round-off is still smaller than f^(n)
MIN_LEVELS = 4  # finite levels before a point may stop: two rows can agree by chance at coarse steps
CONTRADICTION = 100.0  # entries 100x further apart than the sum of their estimates: one is far off, and the coarser goes
MAX_COLUMNS = 6  # h^2 ... h^12 cancelled: exact on polynomials of degree n + 12; deeper columns only add round-off


def extrapolate(
    expression: Expression,
    points: torch.Tensor,
    h: Step = 0.0,
    dtype: torch.dtype = torch.float64,
    device: DeviceLike = "cpu",
    order: int = 1,
) -> Estimate:
    """The n-th derivative at each point by adaptive Richardson extrapolation of central differences (see the
    module); h is unused, since it picks its own steps. Each point is computed on its own: a batch gives what each
    point alone gives."""
    x = points_of(expression, points, dtype, device)
    f = compile_expression(expression).function
    stencil = STENCILS[RULE, order]
    # a symmetric rule's error is a series in h^p, h^(p+2), ...: column j cancels h^(p + 2(j - 1)) with 2^that
    factors = [2.0 ** (stencil.accuracy + 2 * (j - 1)) for j in range(1, MAX_COLUMNS + 1)]
    per_level = sum(1 for k in stencil.offsets if k != 0)
    finfo = torch.finfo(dtype)
    subnormal_spacing = finfo.smallest_normal * finfo.eps
    shape = x.shape
    best = torch.full(shape, math.nan, dtype=dtype, device=x.device)
    best_estimate = torch.full(shape, math.inf, dtype=dtype, device=x.device)
    best_h = torch.full(shape, math.nan, dtype=dtype, device=x.device)
    # f(x) once: the undefined-point rule needs it, and the second derivative's stencil uses it (counted only there)
    evaluations = torch.full(shape, 1 if 0 in stencil.offsets else 0, dtype=torch.int64, device=x.device)
    # the number of finite levels before this one in a row: only that many columns of a point's tableau hold numbers
    depth = torch.full(shape, -1, dtype=torch.int64, device=x.device)
    h = (START * x.abs().clamp(min=1.0)).to(dtype)
    previous: list[torch.Tensor] = []
    last_h = torch.full(shape, math.nan, dtype=dtype, device=x.device)
    with torch.no_grad():
        at_x = f(x)
        # where f(x) itself is not finite the point is undefined (engine.methods' rule): no level is spent on it
        active = torch.isfinite(at_x)
        for level in range(MAX_LEVELS):
            at = {k: f(x + k * h) for k in stencil.offsets if k != 0} | {0: at_x}
            evaluations += active.to(torch.int64) * per_level
            last_h = torch.where(active, h, last_h)
            row = [combine(at, h, stencil)]
            roundoff = _roundoff(at, x, h, stencil, finfo.eps, subnormal_spacing)
            # a step that rounds away (x + kh == x in the dtype) differences f with itself: 0/h is not a level
            moved = torch.stack([(x + k * h) != x for k in stencil.offsets if k != 0]).all(dim=0)
            finite = torch.isfinite(row[0]) & torch.isfinite(roundoff) & moved
            depth = torch.where(finite, depth + 1, -1)
            level_best = torch.full(shape, math.nan, dtype=dtype, device=x.device)
            level_estimate = torch.full(shape, math.inf, dtype=dtype, device=x.device)
            for j in range(1, min(level, MAX_COLUMNS) + 1):
                row.append(row[j - 1] + (row[j - 1] - previous[j - 1]) / (factors[j - 1] - 1))
                # how far the entry is from the two it was made from, plus the round-off of its level
                spread = torch.maximum((row[j] - row[j - 1]).abs(), (row[j] - previous[j - 1]).abs())
                if j < len(previous):  # and from the entry above, where the column already had one (j < depth)
                    spread = torch.where(j < depth, torch.maximum(spread, (row[j] - previous[j]).abs()), spread)
                estimate = spread + roundoff
                usable = active & (j <= depth)
                level_better = usable & (estimate < level_estimate)
                level_best = torch.where(level_better, row[j], level_best)
                level_estimate = torch.where(level_better, estimate, level_estimate)
                better = usable & (estimate < best_estimate)
                best = torch.where(better, row[j], best)
                best_estimate = torch.where(better, estimate, best_estimate)
                best_h = torch.where(better, h, best_h)
            # Two estimates that are both honest cannot disagree by more than their sum. Where this level's best and the
            # best so far do (by CONTRADICTION times it), one of them is far off: the coarser one, since a step near a
            # multiple of f's period (aliasing) agrees with its neighbours by chance, while round-off, the finer
            # steps' risk, is in their estimates. So the finer entry takes over.
            apart = (level_best - best).abs() > CONTRADICTION * (level_estimate + best_estimate)
            contradicted = active & (level_estimate > best_estimate) & apart
            best = torch.where(contradicted, level_best, best)
            best_estimate = torch.where(contradicted, level_estimate, best_estimate)
            best_h = torch.where(contradicted, h, best_h)
            # below this level round-off alone exceeds the best estimate: no later entry can do better
            settled = (depth >= MIN_LEVELS - 1) & (roundoff >= best_estimate)
            # f stops being finite at smaller steps after the tableau had a result (x + h rounds onto a pole)
            lost = torch.isfinite(best_estimate) & ~finite
            active = active & ~(settled | lost)
            if not bool(active.any()):
                break
            previous = row
            h = h / 2
    values = nan_where_f_is_undefined(best, at_x)
    estimate = best_estimate.masked_fill(torch.isnan(values), math.nan)
    return Estimate(values, evaluations, estimate, best_h, _reason(values, at_x, x, last_h))


def _roundoff(
    at: dict[int, torch.Tensor], x: torch.Tensor, h: torch.Tensor, stencil: Stencil, eps: float, subnormal_spacing: float
) -> torch.Tensor:
    """What rounding can do to this level's difference: each value of f within eps of itself (or within the subnormal
    spacing), and each x + k h rounded by up to eps |x| / 2, which moves f by |f'| eps |x| / 2."""
    # eps multiplies first: near float's top (exp(x) at x = 705) |x| |f'| alone overflows, though the round-off does not
    magnitude = sum(eps * abs(w) * at[k].abs() for k, w in stencil.weights)
    slope = (at[1] - at[-1]).abs() / (2 * h)
    spread = magnitude + (eps * x.abs()) * slope * (stencil.step_weight * stencil.denominator / 2)
    return (spread + stencil.function_weight * stencil.denominator * subnormal_spacing) / (stencil.denominator * h**stencil.order)


def _reason(values: torch.Tensor, at_x: torch.Tensor, x: torch.Tensor, last_h: torch.Tensor) -> str | None:
    """Why a value is undefined where f(x) is defined: no level's stencil stayed where f is finite."""
    lost = torch.isnan(values) & torch.isfinite(at_x)
    if not bool(lost.any()):
        return None
    index = tuple(int(i) for i in lost.nonzero()[0])
    where, smallest = float(x[index]), float(last_h[index])
    return (
        f"no step it tried, from h = {START * max(1.0, abs(where)):.2g} down to h = {smallest:.2g}, keeps x +- h where f is "
        f"finite at x = {where:.3g}: f is undefined or overflows that close to x"
    )
