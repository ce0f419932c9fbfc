"""The function input: Enter applies, a parse error shows inline and the last good function stays.

Leaving the field (Escape, Tab, a click elsewhere) puts the applied function back,
so the text on screen is always the function the plots show.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Label

from engine.syntax import QUOTE_WIDTH, ExpressionError, quote
from tui.messages import FunctionApplied
from tui.widgets.inline_error import InlineError


class FormulaInput(Input):
    """An Input whose Escape hands the keys back to the screen and whose up/down walk the history."""

    BINDINGS = [
        Binding("escape", "release", "Back to the demo", show=False),
        Binding("up", "history(-1)", "Earlier", show=False),
        Binding("down", "history(1)", "Later", show=False),
    ]

    def action_release(self) -> None:
        self.screen.set_focus(None)  # the panel puts the applied function back when the field loses focus

    def action_history(self, direction: int) -> None:
        for panel in self.ancestors:
            if isinstance(panel, FunctionInput):
                panel.recall(direction)
                return


class FunctionInput(Vertical):
    """`f(x) = [ sin(x) ]` with the parse error, if any, underneath."""

    def __init__(self, text: str, variables: tuple[str, ...] = ("x",), history: tuple[str, ...] = (), *, id: str | None = None) -> None:
        super().__init__(id=id, classes="panel function-panel")
        self.variables = variables
        self.history = history or (text,)
        self._history_index = len(self.history)
        self.applied = text

    def compose(self) -> ComposeResult:
        label = "f(x, y) =" if len(self.variables) == 2 else "f(x) ="
        with Horizontal(classes="row"):
            yield Label(label, classes="field-label")
            yield FormulaInput(self.applied, compact=True, id="formula", select_on_focus=True)
        yield InlineError(id="formula-error")

    @property
    def input(self) -> FormulaInput:
        return self.query_one(FormulaInput)

    @property
    def error_text(self) -> str:
        return self.query_one("#formula-error", InlineError).message

    def focus_formula(self) -> None:
        self.input.focus()
        self.input.select_all()

    def set_text(self, text: str) -> None:
        self.input.value = text
        # While editing, the cursor goes to the end; otherwise show the start of a long formula.
        self.input.cursor_position = len(text) if self.input.has_focus else 0

    def show(self, applied: str, history: tuple[str, ...]) -> None:
        """The function in effect (unless the user is editing the field) and the history to recall."""
        if history != self.history:
            self.history = history
            self._history_index = len(history)
        if applied != self.applied or (not self.input.has_focus and self.input.value != applied):
            self.applied = applied
            if not self.input.has_focus:
                self.set_text(applied)
                self._clear_error()

    def apply(self, text: str) -> bool:
        """Parse `text`; on success post FunctionApplied, on failure show the error and keep the last good function."""
        from engine.expression import parse_expression  # SymPy: loaded in the background by then

        try:
            expression = parse_expression(text, self.variables)
        except ExpressionError as problem:
            message = str(problem)
            if problem.column is not None and len(text) > QUOTE_WIDTH:
                # The field shows a few dozen characters: quote the part around the error, and scroll the field there.
                message = f"{message}, in {quote(text, problem.column)}"
                if self.input.value == text:
                    self.input.cursor_position = problem.column - 1
            self.query_one("#formula-error", InlineError).show(message)
            self.add_class("-invalid")
            return False
        self._clear_error()
        self.applied = expression.text
        self.post_message(FunctionApplied(expression.text, self.variables))
        if self.input.has_focus:
            self.screen.set_focus(None)  # applied: the demo's keys work again at once
        return True

    def _clear_error(self) -> None:
        self.query_one("#formula-error", InlineError).clear()
        self.remove_class("-invalid")

    def revert(self) -> None:
        """Show the applied function again and drop an error about text that is no longer there."""
        if self.input.value.strip() != self.applied:
            self.set_text(self.applied)
        self._clear_error()

    def on_input_blurred(self, event: Input.Blurred) -> None:
        event.stop()
        self.revert()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.apply(event.value)

    def recall(self, direction: int) -> None:
        index = max(0, min(len(self.history) - 1, self._history_index + direction))
        if self.history[index] == self.input.value and 0 <= index + direction < len(self.history):
            index += direction  # the entry already shown is not a step back in history
        self._history_index = index
        self.set_text(self.history[index])
