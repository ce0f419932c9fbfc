"""What the two field demos share: a function with its box, a start point and a learning rate in the shared
state, and a descent run computed once, then stepped through, animated and reset on screen."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from typing import ClassVar, Generic, TypeVar

from textual.binding import Binding, BindingType
from textual.widgets import Static

from tui.compute.descent import PathView
from tui.export import shown
from tui.messages import DomainChanged
from tui.presets import Preset
from tui.screens.stepping import SteppingScreen
from tui.state import Loss, Surface, with_function
from tui.widgets.log_value_input import LogValueInput

RequestT = TypeVar("RequestT")
ViewT = TypeVar("ViewT")
SlotT = TypeVar("SlotT", Loss, Surface)


class DescentScreen(SteppingScreen[RequestT, ViewT], Generic[RequestT, ViewT, SlotT]):
    """Gradient descent as a film: the run is computed once, then space / r / backspace move through it.

    A subclass says which slot of the shared state it works on (`slot`), how a request
    names the run (`path_inputs`) and where a view keeps it (`path_of`).
    """

    STEPS_PER_SECOND = 5
    STEP_LIMIT: ClassVar[int] = 500
    VARIABLES: ClassVar[tuple[str, ...]] = ("x",)
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "step", "Step"),
        Binding("r", "run", "Run"),
        Binding("backspace", "reset", "Reset"),
        Binding("end", "to_end", "To end", show=False),
        Binding("left_square_bracket,minus", "shift_lr(-1)", "lr−", show=False),
        Binding("right_square_bracket,plus,equals_sign", "shift_lr(1)", "lr", key_display="[ ]"),
        Binding("n", "flip", "Flip"),
    ]

    def __init__(self, compute: Callable[[RequestT], ViewT]) -> None:
        super().__init__(compute)
        self.descent_arrows = False  # arrows point downhill (n flips)
        self._run_inputs: object = None

    # -- hooks ----------------------------------------------------------------------------------

    @property
    def slot(self) -> SlotT:
        raise NotImplementedError

    @slot.setter
    def slot(self, value: SlotT) -> None:
        raise NotImplementedError

    def path_of(self, view: ViewT) -> PathView:
        raise NotImplementedError

    def path_inputs(self, request: RequestT) -> object:
        """What the descent run depends on (not the plot's size): a new value starts the film again."""
        raise NotImplementedError

    def clamp_start(self, slot: SlotT) -> SlotT:
        """The slot with its start point moved inside its box."""
        raise NotImplementedError

    # -- the shared state -----------------------------------------------------------------------

    @property
    def path(self) -> PathView | None:
        return self.path_of(self.view) if self.view is not None else None

    @property
    def learning_rate(self) -> float:
        return self.slot.learning_rate

    def summary_details(self) -> list[str]:
        start = self.slot.start
        where = f"{start:.4g}" if isinstance(start, float) else "(" + ", ".join(f"{v:.3g}" for v in start) + ")"
        return [f"lr = {self.slot.learning_rate:.1e}", f"start {where}"]

    def function_applied(self, text: str) -> None:
        self.slot = with_function(self.slot, text)

    def value_changed(self, name: str, value: float) -> None:
        if name == "lr":
            self.slot = replace(self.slot, learning_rate=value)

    def domain_changed(self, message: DomainChanged) -> None:
        slot = replace(self.slot, x_min=message.x_min, x_max=message.x_max)
        if isinstance(slot, Surface) and message.y_min is not None and message.y_max is not None:
            slot = replace(slot, y_min=message.y_min, y_max=message.y_max)
        self.slot = self.clamp_start(slot)

    def apply_preset(self, preset: Preset) -> None:
        slot = with_function(self.slot, preset.function)
        if preset.x_range is not None:
            slot = replace(slot, x_min=preset.x_range[0], x_max=preset.x_range[1])
        if isinstance(slot, Surface) and preset.y_range is not None:
            slot = replace(slot, y_min=preset.y_range[0], y_max=preset.y_range[1], momentum=0.0)  # a preset is a whole known setup
        if preset.start is not None:
            slot = replace(slot, start=preset.start[0] if isinstance(slot, Loss) else (preset.start[0], preset.start[1]))
        if preset.learning_rate is not None:
            slot = replace(slot, learning_rate=preset.learning_rate)
        self.slot = slot

    def show_state(self) -> None:
        self.query_one("#lr", LogValueInput).show(self.slot.learning_rate)

    def before_compute(self, request: RequestT) -> None:
        inputs = self.path_inputs(request)
        if inputs != self._run_inputs:
            self._run_inputs = inputs
            self.stop_running()
            self.k = 0

    def on_new_view(self, view: ViewT) -> None:
        self.k = min(self.k, self.path_of(view).last)

    # -- keys ---------------------------------------------------------------------------------

    def last_step(self) -> int | None:
        path = self.path
        return path.last if path is not None else None

    def action_shift_lr(self, steps: int) -> None:
        self.slot = self.slot.shift_learning_rate(steps)

    def action_flip(self) -> None:
        self.descent_arrows = not self.descent_arrows
        self.redraw()

    def redraw(self) -> None:
        if self.view is not None:
            self.draw(self.view)

    # -- the status panel -----------------------------------------------------------------------

    def status_lines(self) -> str:
        path = self.path
        if path is None:
            return "[dim]computing the run…[/]"
        k = self.k
        point = ", ".join(shown(v, ".5g") for v in path.points[k])
        grad = path.gradients[k]
        norm = math.sqrt(sum(g * g for g in grad))
        if len(self.VARIABLES) == 1:
            label, values = "x", f"L(x_k) = {shown(path.values[k], '.6g')}   L'(x_k) = {shown(grad[0], '.4g')}"
        else:
            label = "(" + ", ".join(self.VARIABLES) + ")"
            values = f"f = {shown(path.values[k], '.6g')}   |grad f| = {shown(norm, '.3e')}"
        return (
            f"step k = [b]{k}[/] of {path.last}{' (running)' if self.running else ''} · lr = {self.learning_rate:.1e}\n"
            f"{label}_k = {point}   {values}\n"
            f"{self._outcome(path, k)}"
        )

    def _outcome(self, path: PathView, k: int) -> str:
        if k < path.last:
            hint = " · [yellow]oscillating: try a smaller lr[/]" if path.oscillating(k) else ""
            return f"[dim]space steps, r runs, End jumps to the end ({path.outcome} at step {path.last})[/]{hint}"
        color = {"converged": "green", "diverged": "red", "undefined": "red"}.get(path.outcome, "yellow")
        return f"[{color}][b]{path.outcome}[/b][/]: {path.reason}"

    def show_descent_status(self, arrows: str) -> None:
        self.query_one("#descent-status", Static).update(f"arrows: {arrows} [dim](n flips)[/] · " + self.status_lines())
