"""The microscopic zoom: f and its tangent in a window around x0, as seen in the working dtype.

Zoom in on a smooth f and it straightens into its tangent: the gap max |f - tangent|
over a window of half-width w shrinks like |f''(x0)| w^2 / 2. Zoom further and f turns
into a staircase, because the dtype holds only so many x and f(x) values: near x0 they
are ulp(x0) and ulp(f(x0)) apart (2.2e-16 relative in float64, 1.2e-7 in float32). That
floor is the round-off that spoils a finite difference when h is too small.

Everything is returned relative to x0 and f(x0), in float64, so that a window of 1e-15
still has readable numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from engine.compiled import EvaluationError, compile_expression
from engine.expression import Expression


@dataclass(frozen=True)
class ZoomWindow:
    """f and its tangent over [x0 - w, x0 + w], sampled where the working dtype can represent x."""

    x0: float  # as the dtype holds it
    half_width: float
    offsets: tuple[float, ...]  # x - x0 for each sample (the dtype's x values, so repeats show the x staircase)
    rises: tuple[float, ...]  # f(x) - f(x0) in the working dtype, then in float64; NaN where f is undefined
    f0: float  # f(x0) in the working dtype
    slope: float  # f'(x0) from the 50-digit reference, rounded to float64: the tangent is exact
    gap: float  # max |f(x) - tangent(x)| over the window
    distinct_x: int  # how many different x values the dtype holds in the window
    distinct_f: int  # how many different f values it computes there

    @property
    def staircase(self) -> bool:
        """f visibly takes only a few values (many samples share each one): the window is down to the dtype's spacing."""
        return self.distinct_f < len(self.offsets) // 4


def zoom_window(
    expression: Expression, x0: float, half_width: float, samples: int, dtype: torch.dtype, device: torch.device | str = "cpu"
) -> ZoomWindow:
    """Sample f over [x0 - w, x0 + w] in `dtype`; the tangent comes from the 50-digit f'(x0) (NaN if undefined there)."""
    if not (math.isfinite(half_width) and half_width > 0):
        raise ValueError(f"the half-width must be a positive number, got {half_width}")
    if samples < 2:
        raise ValueError(f"need at least 2 samples, got {samples}")
    compiled = compile_expression(expression)
    held_x0 = torch.tensor([x0], dtype=torch.float64).to(device=device, dtype=dtype)
    wanted = x0 + torch.linspace(-half_width, half_width, samples, dtype=torch.float64)
    x = wanted.to(device=device, dtype=dtype)  # what the dtype can hold: nearby x values collapse into one
    with torch.no_grad():
        try:
            f = compiled.function(x).to("cpu", torch.float64)
            f0 = float(compiled.function(held_x0).to("cpu", torch.float64)[0])
        except EvaluationError:
            f, f0 = torch.full((samples,), math.nan, dtype=torch.float64), math.nan
    x0_held = float(held_x0.to("cpu", torch.float64)[0])
    offsets = x.to("cpu", torch.float64) - x0_held
    slope = compiled.reference[0](x0_held)
    rises = f - f0
    defined = torch.isfinite(rises)
    gaps = (rises - slope * offsets).abs()[defined]
    return ZoomWindow(
        x0=x0_held,
        half_width=half_width,
        offsets=tuple(offsets.tolist()),
        rises=tuple(rises.masked_fill(~defined, math.nan).tolist()),
        f0=f0,
        slope=slope,
        gap=float(gaps.max()) if gaps.numel() and math.isfinite(slope) else math.nan,
        distinct_x=int(torch.unique(offsets).numel()),
        distinct_f=int(torch.unique(f[defined]).numel()) if bool(defined.any()) else 0,
    )
