"""A positive value on a log grid (the step h, or a learning rate): quarter- or whole-decade keys, or a typed value."""

from __future__ import annotations

from tui.messages import LogValueChanged
from tui.state import H_BOUNDS, LEARNING_RATE_BOUNDS, shifted_on_grid
from tui.widgets.number_field import NumberField, positive_within

__all__ = ["H_BOUNDS", "LEARNING_RATE_BOUNDS", "LogValueInput", "format_value"]


def format_value(value: float) -> str:
    return f"{value:.1e}"


class LogValueInput(NumberField):
    """`h = [1.0e-04]`: a value the keys move along the log grid, or that the user types; posts LogValueChanged."""

    def __init__(self, value: float, label: str, *, name: str, bounds: tuple[float, float], id: str | None = None) -> None:
        super().__init__(
            value, label, name=name, check=positive_within(*bounds), show_value=format_value, id=id, classes="panel log-value-panel"
        )
        self.bounds = bounds

    def shift(self, steps: int) -> None:
        """For a value the widget alone holds; a value in the shared state moves by its own transition."""
        # Take the new value at once: the next press of a burst starts from it, not from the value before this one.
        self.value = shifted_on_grid(self.value, steps, self.bounds)
        self.post_message(LogValueChanged(self.value_name, self.value))

    def applied(self, value: float) -> None:
        self.post_message(LogValueChanged(self.value_name, value))
