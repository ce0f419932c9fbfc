"""The h selector: scientific notation, steps of a quarter or a whole decade on the log grid, or a typed value."""

from __future__ import annotations

import math

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Label

from engine.syntax import ExpressionError
from tui.messages import StepChanged
from tui.widgets.inline_error import InlineError

H_MIN, H_MAX = 1e-20, 1.0


def format_step(h: float) -> str:
    return f"{h:.1e}"


def shifted(h: float, quarter_decades: int, low: float = H_MIN, high: float = H_MAX) -> float:
    """h moved along the grid 10^(k/4), snapping to it first, clamped to [low, high]."""
    k = round(math.log10(h) * 4) + quarter_decades
    return min(high, max(low, 10 ** (k / 4)))


class StepSelector(Vertical):
    """A positive value on a log grid: the step h, or (with other bounds and name) a learning rate."""

    def __init__(
        self, h: float, label: str = "h =", *, name: str = "h", bounds: tuple[float, float] = (H_MIN, H_MAX), id: str | None = None
    ) -> None:
        super().__init__(id=id, classes="panel step-panel")
        self.h = h
        self._label = label
        self.value_name = name
        self.bounds = bounds

    def compose(self) -> ComposeResult:
        with Horizontal(classes="row"):
            yield Label(self._label, classes="field-label")
            yield Input(format_step(self.h), compact=True, id="step-input", select_on_focus=True)
        yield InlineError(id="step-error")

    def shift(self, quarter_decades: int) -> None:
        self.set_step(shifted(self.h, quarter_decades, *self.bounds))

    def set_step(self, h: float, announce: bool = True) -> None:
        self.h = h
        self.query_one("#step-input", Input).value = format_step(h)
        self.query_one("#step-error", InlineError).clear()
        if announce:
            self.post_message(StepChanged(h, self.value_name))

    def on_input_blurred(self, event: Input.Blurred) -> None:
        """Leaving the field shows the value in effect again."""
        event.stop()
        self.set_step(self.h, announce=False)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        error = self.query_one("#step-error", InlineError)
        name = self.value_name
        from engine.expression import parse_number  # SymPy: loaded in the background by then

        try:
            value = parse_number(event.value)
        except ExpressionError as problem:
            error.show(f"{name}: {problem}")
            return
        if not math.isfinite(value) or value <= 0:
            error.show(f"{name} must be a positive number, got {event.value.strip()}")
            return
        low, high = self.bounds
        if not low <= value <= high:
            error.show(f"{name} must be between {low:.0e} and {high:g}")
            return
        self.set_step(value)
        self.screen.set_focus(None)
