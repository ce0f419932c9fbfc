"""What the two field demos share: a gradient-descent run to step through, animate and reset."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from textual.binding import Binding, BindingType
from textual.timer import Timer
from textual.widgets import Static

from tui.messages import StepChanged
from tui.screens.base import DemoScreen
from tui.widgets.step_selector import StepSelector

if TYPE_CHECKING:
    from engine.fields import DescentPath

STEPS_PER_SECOND = 5
LR_BOUNDS = (1e-5, 10.0)


@dataclass(frozen=True)
class PathView:
    """A precomputed descent run: iterates (each a tuple of coordinates), f, grad; how it ended."""

    points: list[tuple[float, ...]]
    values: list[float]
    gradients: list[tuple[float, ...]]
    outcome: str
    reason: str

    @property
    def last(self) -> int:
        return len(self.points) - 1

    @classmethod
    def of(cls, run: DescentPath) -> PathView:
        """Plain lists from the engine's tensors, so the UI thread never touches torch."""
        return cls(
            [tuple(p) for p in run.points.tolist()],
            run.values.tolist(),
            [tuple(g) for g in run.gradients.tolist()],
            run.outcome,
            run.reason,
        )


def oscillating(points: list[tuple[float, ...]], k: int, window: int = 6) -> bool:
    """The last `window` steps keep reversing direction (in the first coordinate that moves)."""
    if k < window:
        return False
    steps = [points[i + 1][0] - points[i][0] for i in range(k - window, k)]
    return all(a * b < 0 for a, b in itertools.pairwise(steps))


class DescentScreen(DemoScreen):
    """Gradient descent as a film: the run is computed once, then space / r / backspace move through it."""

    STEP_LIMIT: ClassVar[int] = 500
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "step", "Step"),
        Binding("r", "run", "Run"),
        Binding("backspace", "reset", "Reset"),
        Binding("end", "to_end", "To end", show=False),
        Binding("left_square_bracket,minus", "shift_lr(-1)", "lr−", show=False),
        Binding("right_square_bracket,plus,equals_sign", "shift_lr(1)", "lr", key_display="[ ]"),
        Binding("n", "flip", "Flip"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.path: PathView | None = None
        self.k = 0
        self.descent_arrows = False
        self._timer: Timer | None = None

    @property
    def learning_rate(self) -> float:
        return self.query_one("#lr", StepSelector).h

    # -- keys ---------------------------------------------------------------------------------

    def action_step(self) -> None:
        self.stop_running()
        self.advance()

    def advance(self) -> None:
        if self.path is None:
            return
        if self.k < self.path.last:
            self.k += 1
            self.redraw()
        else:
            self.stop_running()
            self.redraw()

    def action_run(self) -> None:
        if self._timer is not None:
            self.stop_running()
        elif self.path is not None:
            if self.k >= self.path.last:
                self.k = 0
            self._timer = self.set_interval(1 / STEPS_PER_SECOND, self.advance)
        self.redraw()

    def stop_running(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None

    @property
    def running(self) -> bool:
        return self._timer is not None

    def action_reset(self) -> None:
        self.stop_running()
        self.k = 0
        self.redraw()

    def action_to_end(self) -> None:
        self.stop_running()
        if self.path is not None:
            self.k = self.path.last
        self.redraw()

    def action_shift_lr(self, quarter_decades: int) -> None:
        self.query_one("#lr", StepSelector).shift(quarter_decades)

    def action_flip(self) -> None:
        self.descent_arrows = not self.descent_arrows
        self.redraw()

    def on_step_changed(self, message: StepChanged) -> None:
        if message.name == "lr":
            self.path_inputs_changed()

    def path_inputs_changed(self) -> None:
        """Start point, learning rate, momentum or function changed: a new run from step 0."""
        self.stop_running()
        self.k = 0
        self.recompute()

    def show_path(self, path: PathView) -> None:
        self.path = path
        self.k = min(self.k, path.last)

    # -- the status panel -----------------------------------------------------------------------

    def status_lines(self, names: tuple[str, ...]) -> str:
        path = self.path
        if path is None:
            return "[dim]computing the run…[/]"
        k = self.k
        point = ", ".join(f"{v:.5g}" for v in path.points[k])
        grad = path.gradients[k]
        norm = math.sqrt(sum(g * g for g in grad))
        state = self._state(path, k)
        if len(names) == 1:
            label, values = names[0], f"L(x_k) = {path.values[k]:.6g}   L'(x_k) = {grad[0]:.4g}"
        else:
            label, values = "(" + ", ".join(names) + ")", f"f = {path.values[k]:.6g}   |grad f| = {norm:.3e}"
        return (
            f"step k = [b]{k}[/] of {path.last}{' (running)' if self.running else ''} · lr = {self.learning_rate:.1e}\n"
            f"{label}_k = {point}\n"
            f"{values}\n"
            f"{state}"
        )

    def _state(self, path: PathView, k: int) -> str:
        if k < path.last:
            hint = " · [yellow]oscillating: try a smaller lr[/]" if oscillating(path.points, k) else ""
            return f"[dim]space steps, r runs, End jumps to the end ({path.outcome} at step {path.last})[/]{hint}"
        color = {"converged": "green", "diverged": "red", "undefined": "red"}.get(path.outcome, "yellow")
        return f"[{color}][b]{path.outcome}[/b][/]: {path.reason}"

    def show_status_panel(self, names: tuple[str, ...]) -> None:
        self.query_one("#descent-status", Static).update(self.status_lines(names))

    def redraw(self) -> None:
        """Subclasses draw the field, the trail up to step k and the status panel."""
