"""What the two field demos share: a gradient-descent run as plain lists, to step through on screen."""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import pairwise
from typing import TYPE_CHECKING

from tui.export import Table, defined

if TYPE_CHECKING:
    from engine.fields import DescentPath


@dataclass(frozen=True)
class PathView:
    """A precomputed descent run: iterates (each a tuple of coordinates), f, grad; how it ended."""

    points: tuple[tuple[float, ...], ...]
    values: tuple[float, ...]
    gradients: tuple[tuple[float, ...], ...]
    outcome: str
    reason: str

    @property
    def last(self) -> int:
        return len(self.points) - 1

    @classmethod
    def of(cls, run: DescentPath) -> PathView:
        """Plain lists from the engine's tensors, so the UI thread never touches torch.

        Where f is undefined its gradient is too, whatever autograd's formula gives there
        (at x = -1.6, log(x) is NaN while d/dx log(x) = 1/x is not): NaN, like the grid's."""
        values = tuple(run.values.tolist())
        gradients = tuple(
            tuple(g) if defined(value) else (math.nan,) * len(g) for value, g in zip(values, run.gradients.tolist(), strict=True)
        )
        return cls(tuple(tuple(p) for p in run.points.tolist()), values, gradients, run.outcome, run.reason)

    def table(self, variables: tuple[str, ...]) -> Table:
        """One row per iterate: k, the point, f there and the gradient."""
        columns = ("k", *variables, "f", *(f"d{v}" for v in variables))
        iterates = zip(self.points, self.values, self.gradients, strict=True)
        rows = [(k, *point, value, *grad) for k, (point, value, grad) in enumerate(iterates)]
        return Table(columns, rows)

    def oscillating(self, k: int, window: int = 6) -> bool:
        """The last `window` steps up to k keep reversing direction (in the first coordinate)."""
        if k < window:
            return False
        steps = [self.points[i + 1][0] - self.points[i][0] for i in range(k - window, k)]
        return all(a * b < 0 for a, b in pairwise(steps))
