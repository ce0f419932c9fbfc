"""One typed number: `x0 = [1]`, parsed through the whitelist, checked, an inline error under it, reset on blur.

Enter applies a value that parses and passes the field's check (`NumberField.Applied`); a value that
does not says why under the box and changes nothing; leaving the box shows the value in effect again.
Screens handle `@on(NumberField.Applied, "#x0")`; the value in effect is pushed back with `show`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Input, Label

from engine.syntax import ExpressionError
from tui.widgets.inline_error import InlineError

Check = Callable[[float, str], str | None]  # (value, typed text) -> None where fine, else what is wrong ("must be ...")


def short_number(value: float) -> str:
    return f"{value:.4g}"


def within(low: float, high: float, where: str) -> Check:
    """A check that the value lies in [low, high], naming the range (`where`: "inside Compare's x range")."""
    return lambda value, text: None if low <= value <= high else f"must be {where} [{low:g}, {high:g}]"


def positive_within(low: float, high: float) -> Check:
    """A check for a step or a rate: positive, and in [low, high]."""

    def check(value: float, text: str) -> str | None:
        if value <= 0:
            return f"must be a positive number, got {text.strip()}"
        return None if low <= value <= high else f"must be between {low:.0e} and {high:g}"

    return check


class NumberField(Vertical):
    @dataclass
    class Applied(Message):
        """Enter on a value that parsed and passed the check."""

        field: NumberField
        name: str
        value: float

        @property
        def control(self) -> NumberField:
            return self.field

    def __init__(
        self,
        value: float,
        label: str,
        *,
        name: str,
        check: Check | None = None,
        show_value: Callable[[float], str] = short_number,
        id: str | None = None,
        classes: str = "panel",
    ) -> None:
        super().__init__(id=id or name, classes=f"{classes} number-field")
        self.value = value
        self._label = label
        self.value_name = name
        self.check = check
        self.show_value = show_value

    def compose(self) -> ComposeResult:
        with Horizontal(classes="row"):
            yield Label(self._label, classes="field-label")
            yield Input(self.show_value(self.value), compact=True, id=f"{self.value_name}-input", select_on_focus=True)
        yield InlineError(id=f"{self.value_name}-error")

    @property
    def input(self) -> Input:
        return self.query_one(Input)

    @property
    def error_text(self) -> str:
        return self.query_one(InlineError).message

    def clear_error(self) -> None:
        self.query_one(InlineError).clear()

    def show(self, value: float) -> None:
        """The value in effect (the text is left alone while the user edits it)."""
        self.value = value
        if not self.input.has_focus:
            self.input.value = self.show_value(value)
            self.query_one(InlineError).clear()

    def problem(self, text: str) -> tuple[float | None, str | None]:
        """The value `text` gives, or what is wrong with it."""
        from engine.expression import parse_number  # SymPy: loaded in the background by then

        try:
            value = parse_number(text)
        except ExpressionError as problem:
            return None, str(problem)
        if not math.isfinite(value):
            return None, f"must be a finite number, got {text.strip()}"
        complaint = self.check(value, text) if self.check is not None else None
        return (None, complaint) if complaint else (value, None)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        value, complaint = self.problem(event.value)
        error = self.query_one(InlineError)
        if value is None:
            error.show(
                f"{self.value_name} {complaint}" if complaint and complaint.startswith("must") else f"{self.value_name}: {complaint}"
            )
            return
        error.clear()
        self.value = value
        self.applied(value)
        self.screen.set_focus(None)

    def applied(self, value: float) -> None:
        self.post_message(self.Applied(self, self.value_name, value))

    def on_input_blurred(self, event: Input.Blurred) -> None:
        """Leaving the field shows the value in effect again."""
        event.stop()
        self.input.value = self.show_value(self.value)
        self.query_one(InlineError).clear()
