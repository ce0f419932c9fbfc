"""A positive value on a log grid (the step h, or a learning rate): quarter- or whole-decade keys, or a typed value."""

from __future__ import annotations

import math

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Label

from engine.syntax import ExpressionError
from tui.messages import LogValueChanged
from tui.state import H_BOUNDS, LEARNING_RATE_BOUNDS, shifted_on_grid
from tui.widgets.inline_error import InlineError

__all__ = ["H_BOUNDS", "LEARNING_RATE_BOUNDS", "LogValueInput", "format_value"]


def format_value(value: float) -> str:
    return f"{value:.1e}"


class LogValueInput(Vertical):
    """`h = [1.0e-04]`: a value the keys move along the log grid, or that the user types; posts LogValueChanged."""

    def __init__(self, value: float, label: str, *, name: str, bounds: tuple[float, float], id: str | None = None) -> None:
        super().__init__(id=id, classes="panel log-value-panel")
        self.value = value
        self._label = label
        self.value_name = name
        self.bounds = bounds

    def compose(self) -> ComposeResult:
        with Horizontal(classes="row"):
            yield Label(self._label, classes="field-label")
            yield Input(format_value(self.value), compact=True, id=f"{self.value_name}-input", select_on_focus=True)
        yield InlineError(id=f"{self.value_name}-error")

    @property
    def input(self) -> Input:
        return self.query_one(Input)

    @property
    def error_text(self) -> str:
        return self.query_one(InlineError).message

    def show(self, value: float) -> None:
        """The value in effect (the text is left alone while the user edits it)."""
        self.value = value
        if not self.input.has_focus:
            self.input.value = format_value(value)
            self.query_one(InlineError).clear()

    def shift(self, steps: int) -> None:
        """For a value the widget alone holds; a value in the shared state moves by its own transition."""
        # Take the new value at once: the next press of a burst starts from it, not from the value before this one.
        self.value = shifted_on_grid(self.value, steps, self.bounds)
        self.post_message(LogValueChanged(self.value_name, self.value))

    def on_input_blurred(self, event: Input.Blurred) -> None:
        """Leaving the field shows the value in effect again."""
        event.stop()
        self.input.value = format_value(self.value)
        self.query_one(InlineError).clear()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        error = self.query_one(InlineError)
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
        error.clear()
        self.post_message(LogValueChanged(name, value))
        self.screen.set_focus(None)
