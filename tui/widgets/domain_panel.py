"""x-min, x-max and the number of points; constants such as -pi are accepted."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Label

from engine.expression import ExpressionError, parse_number
from tui.widgets.inline_error import InlineError
from tui.messages import DomainChanged

MIN_POINTS, MAX_POINTS = 2, 5000


class DomainPanel(Vertical):
    def __init__(self, x_min: str, x_max: str, points: int | None = 400, *, id: str | None = None) -> None:
        super().__init__(id=id, classes="panel domain-panel")
        self._texts = (x_min, x_max)
        self._points = points

    def compose(self) -> ComposeResult:
        with Horizontal(classes="row"):
            yield Label("x", classes="field-label short")
            yield Input(self._texts[0], compact=True, id="x-min", select_on_focus=True)
            yield Label("to", classes="field-label short")
            yield Input(self._texts[1], compact=True, id="x-max", select_on_focus=True)
            if self._points is not None:
                yield Label("N", classes="field-label short")
                yield Input(str(self._points), compact=True, id="n-points", select_on_focus=True)
        yield InlineError(id="domain-error")

    def set_values(self, x_min: str, x_max: str, points: int | None) -> None:
        self.query_one("#x-min", Input).value = x_min
        self.query_one("#x-max", Input).value = x_max
        if points is not None and self._points is not None:
            self.query_one("#n-points", Input).value = str(points)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        error = self.query_one("#domain-error", InlineError)
        try:
            x_min = parse_number(self.query_one("#x-min", Input).value)
            x_max = parse_number(self.query_one("#x-max", Input).value)
        except ExpressionError as problem:
            error.show(f"domain: {problem}")
            return
        if not x_min < x_max:
            error.show(f"x-min ({x_min:g}) must be below x-max ({x_max:g})")
            return
        points = 0
        if self._points is not None:
            text = self.query_one("#n-points", Input).value.strip()
            if not text.isdigit() or not MIN_POINTS <= int(text) <= MAX_POINTS:
                error.show(f"N must be a whole number from {MIN_POINTS} to {MAX_POINTS}, got {text or 'nothing'}")
                return
            points = int(text)
        error.clear()
        self.post_message(DomainChanged(x_min, x_max, points))
        self.screen.set_focus(None)
