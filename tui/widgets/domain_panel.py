"""x-min, x-max and the number of points; constants such as -pi are accepted."""

from __future__ import annotations

import math

from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Label

from engine.syntax import ExpressionError
from tui.messages import DomainChanged
from tui.widgets.inline_error import InlineError

MIN_POINTS, MAX_POINTS = 2, 5000
LIMIT = 1e9  # beyond this a plot of the domain is all round-off


def constant_text(value: float) -> str:
    """How a bound reads in its box: pi and -pi by name, other values short."""
    for text, constant in (("pi", math.pi), ("-pi", -math.pi)):
        if value == constant:
            return text
    return f"{value:g}"


class DomainPanel(Vertical):
    """x range (and N, or a y range for f(x, y)); Enter in any box applies all of them."""

    def __init__(
        self, x_min: str, x_max: str, points: int | None = 400, y_range: tuple[str, str] | None = None, *, id: str | None = None
    ) -> None:
        super().__init__(id=id, classes="panel domain-panel")
        self._texts = (x_min, x_max)
        self._points = points
        self._y_texts = y_range
        self._applied: dict[str, str] = {}

    def compose(self) -> ComposeResult:
        with Horizontal(classes="row"):
            yield Label("x", classes="field-label short")
            yield Input(self._texts[0], compact=True, id="x-min", select_on_focus=True)
            yield Label("to", classes="field-label short")
            yield Input(self._texts[1], compact=True, id="x-max", select_on_focus=True)
            if self._points is not None:
                yield Label("N", classes="field-label short")
                yield Input(str(self._points), compact=True, id="n-points", select_on_focus=True)
        if self._y_texts is not None:
            with Horizontal(classes="row"):
                yield Label("y", classes="field-label short")
                yield Input(self._y_texts[0], compact=True, id="y-min", select_on_focus=True)
                yield Label("to", classes="field-label short")
                yield Input(self._y_texts[1], compact=True, id="y-max", select_on_focus=True)
        yield InlineError(id="domain-error")

    def on_mount(self) -> None:
        self._remember()

    def _remember(self) -> None:
        self._applied = {box.id: box.value for box in self.query(Input) if box.id}

    def show(self, x_min: str, x_max: str, points: int | None, y_range: tuple[str, str] | None = None) -> None:
        """The values in effect (left alone while the user edits the panel)."""
        if self.has_focus_within:
            return
        self.query_one("#x-min", Input).value = x_min
        self.query_one("#x-max", Input).value = x_max
        if points is not None and self._points is not None:
            self.query_one("#n-points", Input).value = str(points)
        if y_range is not None and self._y_texts is not None:
            self.query_one("#y-min", Input).value, self.query_one("#y-max", Input).value = y_range
        self._remember()

    def on_descendant_blur(self, event: events.DescendantBlur) -> None:
        # Tab between the boxes keeps the edits; leaving the panel puts the values in effect back.
        self.call_after_refresh(self._revert_if_left)

    def _revert_if_left(self) -> None:
        if self.has_focus_within or not self.is_mounted:
            return
        for box in self.query(Input):
            if box.id in self._applied:
                box.value = self._applied[box.id]
        self.query_one("#domain-error", InlineError).clear()

    def _range(self, low_id: str, high_id: str, axis: str) -> tuple[float, float]:
        from engine.expression import parse_number  # SymPy: loaded in the background by then

        low = parse_number(self.query_one(f"#{low_id}", Input).value)
        high = parse_number(self.query_one(f"#{high_id}", Input).value)
        if not low < high:
            raise ValueError(f"{axis}-min ({low:g}) must be below {axis}-max ({high:g})")
        if max(abs(low), abs(high)) > LIMIT:
            raise ValueError(f"{axis} must stay within ±{LIMIT:g}")
        if high - low < 1e-9 * max(1.0, abs(low), abs(high)):
            raise ValueError(f"the {axis} range [{low:g}, {high:g}] is too narrow to plot")
        return low, high

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        error = self.query_one("#domain-error", InlineError)
        try:
            x_min, x_max = self._range("x-min", "x-max", "x")
            y_min, y_max = self._range("y-min", "y-max", "y") if self._y_texts is not None else (None, None)
        except ExpressionError as problem:
            error.show(f"domain: {problem}")
            return
        except ValueError as problem:
            error.show(str(problem))
            return
        points = 0
        if self._points is not None:
            text = self.query_one("#n-points", Input).value.strip()
            if not text.isdigit() or not MIN_POINTS <= int(text) <= MAX_POINTS:
                error.show(f"N must be a whole number from {MIN_POINTS} to {MAX_POINTS}, got {text or 'nothing'}")
                return
            points = int(text)
        error.clear()
        self._remember()
        self.post_message(DomainChanged(x_min, x_max, points, y_min, y_max))
        self.screen.set_focus(None)
