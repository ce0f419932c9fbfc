"""The h selector: scientific notation, steps of a quarter or a whole decade on the log grid, or a typed value."""

from __future__ import annotations

import math

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Label

from engine.expression import ExpressionError, parse_number
from tui.widgets.inline_error import InlineError
from tui.messages import StepChanged

H_MIN, H_MAX = 1e-20, 1.0


def format_step(h: float) -> str:
    return f"{h:.1e}"


def shifted(h: float, quarter_decades: int) -> float:
    """h moved along the grid 10^(k/4), snapping to it first, clamped to [1e-20, 1]."""
    k = round(math.log10(h) * 4) + quarter_decades
    return min(H_MAX, max(H_MIN, 10 ** (k / 4)))


class StepSelector(Vertical):
    def __init__(self, h: float, label: str = "h =", *, id: str | None = None) -> None:
        super().__init__(id=id, classes="panel step-panel")
        self.h = h
        self._label = label

    def compose(self) -> ComposeResult:
        with Horizontal(classes="row"):
            yield Label(self._label, classes="field-label")
            yield Input(format_step(self.h), compact=True, id="step-input", select_on_focus=True)
        yield InlineError(id="step-error")

    def shift(self, quarter_decades: int) -> None:
        self.set_step(shifted(self.h, quarter_decades))

    def set_step(self, h: float, announce: bool = True) -> None:
        self.h = h
        self.query_one("#step-input", Input).value = format_step(h)
        self.query_one("#step-error", InlineError).clear()
        if announce:
            self.post_message(StepChanged(h))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        error = self.query_one("#step-error", InlineError)
        try:
            value = parse_number(event.value)
        except ExpressionError as problem:
            error.show(f"h: {problem}")
            return
        if not math.isfinite(value) or value <= 0:
            error.show(f"h must be a positive number, got {event.value.strip()}")
            return
        if not H_MIN <= value <= H_MAX:
            error.show(f"h must be between {H_MIN:.0e} and {H_MAX:g}")
            return
        self.set_step(value)
        self.screen.set_focus(None)
