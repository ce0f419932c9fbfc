"""The 1-D derivative lab's screens (Compare, Error vs h): the shared `Lab` state and the panels that edit it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import ClassVar, TypeVar

from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.widgets import Static

from engine.vocabulary import ORDERS, derivative_name, method, ordinal
from tui.export import Table
from tui.messages import DomainChanged
from tui.presets import LAB_PRESETS, Preset
from tui.screens.base import DemoScreen
from tui.state import Lab, with_function
from tui.widgets.static_text import show_text

# The panels' widgets (inputs, check boxes) are imported when the panels are first composed: on the first screen,
# after the first frame, whose plot does not wait for them (about 3 ms).

RequestT = TypeVar("RequestT")
ViewT = TypeVar("ViewT")

STEP_BINDINGS: list[BindingType] = [
    Binding("left_square_bracket,minus", "shift_h(-1)", "h−", show=False),
    Binding("right_square_bracket,plus,equals_sign", "shift_h(1)", "h", key_display="[ ]"),
    Binding("left_curly_bracket", "shift_h(-4)", "h÷10", show=False),
    Binding("right_curly_bracket", "shift_h(4)", "h×10", show=False),
    Binding("left", "move_x0(-1)", "x0", key_display="← →"),
    Binding("right", "move_x0(1)", "x0→", show=False),
]
ORDER_BINDING = Binding("o", "cycle_order", "Order")


def method_bindings(methods: tuple[str, ...]) -> list[BindingType]:
    keys = "".join(method(m).key for m in methods)
    return [Binding(method(m).key, f"toggle_method('{m}')", "methods", show=i == 0, key_display=keys) for i, m in enumerate(methods)]


class LabScreen(DemoScreen[RequestT, ViewT]):
    """Keeps the shared `Lab` and this screen's panels in step; subclasses compute and draw."""

    PRESETS = LAB_PRESETS
    METHODS: ClassVar[tuple[str, ...]] = ()
    STEP_LABEL: ClassVar[str] = "h ="

    def compose_sidebar(self) -> ComposeResult:
        from tui.widgets.domain_panel import DomainPanel, constant_text
        from tui.widgets.function_input import FunctionInput
        from tui.widgets.log_value_input import H_BOUNDS, LogValueInput
        from tui.widgets.method_toggles import MethodToggles

        lab = self.lab
        yield FunctionInput(lab.function, history=lab.history)
        yield Static(order_text(lab.order), id="order", classes="panel")
        yield LogValueInput(lab.h, self.STEP_LABEL, name="h", bounds=H_BOUNDS)
        yield MethodToggles(self.METHODS, lab.methods)
        yield DomainPanel(constant_text(lab.x_min), constant_text(lab.x_max), lab.points)

    @property
    def lab(self) -> Lab:
        return self.state.lab

    @lab.setter
    def lab(self, value: Lab) -> None:
        self.state.lab = value

    def show_state(self) -> None:
        from tui.widgets.domain_panel import DomainPanel, constant_text
        from tui.widgets.log_value_input import LogValueInput
        from tui.widgets.method_toggles import MethodToggles

        lab = self.lab
        self.function_input.show(lab.function, lab.history)
        show_text(self.query_one("#order", Static), order_text(lab.order))
        self.query_one(LogValueInput).show(lab.h)
        self.query_one(MethodToggles).show(lab.methods)
        self.query_one(DomainPanel).show(constant_text(lab.x_min), constant_text(lab.x_max), lab.points)

    def summary_details(self) -> list[str]:
        lab = self.lab
        order = [derivative_name(lab.order)] if lab.order > 1 else []  # f' goes without saying
        return [*order, f"h = {lab.h:.1e}", f"x0 = {lab.x0:.4g}"]

    def palette_commands(self) -> Iterable[SystemCommand]:
        for order in ORDERS:
            name = derivative_name(order)
            yield SystemCommand(
                f"Derivative order {order}: {name}",
                f"The {ordinal(order)} derivative {name}(x) in Compare and Error vs h (o cycles)",
                lambda o=order: self.set_order(o),
            )

    def set_order(self, order: int) -> None:
        self.lab = replace(self.lab, order=order)

    def action_cycle_order(self) -> None:
        self.set_order(ORDERS[(ORDERS.index(self.lab.order) + 1) % len(ORDERS)] if self.lab.order in ORDERS else ORDERS[0])

    def function_applied(self, text: str) -> None:
        self.lab = with_function(self.lab, text)

    def apply_preset(self, preset: Preset) -> None:
        self.lab = with_function(self.lab, preset.function)

    def value_changed(self, name: str, value: float) -> None:
        self.lab = replace(self.lab, h=value)

    def export_tables(self) -> dict[str, Table]:
        """Only the methods toggled on: `x` exports what the screen shows."""
        tables = getattr(self.view, "tables", None)
        return tables(self.lab.methods) if callable(tables) else {}

    def methods_changed(self, methods: tuple[str, ...]) -> None:
        # This screen may show only some methods: keep the others' state as it was.
        self.lab = replace(self.lab, methods=tuple(m for m in self.lab.methods if m not in self.METHODS) + methods)

    def domain_changed(self, message: DomainChanged) -> None:
        x0 = min(max(self.lab.x0, message.x_min), message.x_max)
        self.lab = replace(self.lab, x_min=message.x_min, x_max=message.x_max, points=message.points, x0=x0)

    def action_shift_h(self, steps: int) -> None:
        self.lab = self.lab.shift_h(steps)

    def action_toggle_method(self, name: str) -> None:
        from tui.widgets.method_toggles import MethodToggles

        self.query_one(MethodToggles).toggle(name)

    def action_move_x0(self, direction: int) -> None:
        self.lab = self.lab.move_x0(direction)


def order_text(order: int) -> str:
    return f"derivative [b]{derivative_name(order)}(x)[/] [dim](o)[/]"
