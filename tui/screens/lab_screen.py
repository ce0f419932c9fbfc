"""The 1-D derivative lab's screens (Compare, Error vs h): the shared lab settings and the panels that edit them."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType

from tui.messages import DomainChanged, FunctionApplied, MethodsChanged, StepChanged
from tui.screens.base import DemoScreen
from tui.state import METHOD_KEYS, PRESETS_1D, Lab
from tui.widgets.domain_panel import DomainPanel
from tui.widgets.function_input import FunctionInput
from tui.widgets.method_toggles import MethodToggles
from tui.widgets.plotting import LabPlot
from tui.widgets.step_selector import StepSelector

STEP_BINDINGS: list[BindingType] = [
    Binding("left_square_bracket,minus", "shift_h(-1)", "h−", show=False),
    Binding("right_square_bracket,plus,equals_sign", "shift_h(1)", "h", key_display="[ ]"),
    Binding("left_curly_bracket", "shift_h(-4)", "h÷10", show=False),
    Binding("right_curly_bracket", "shift_h(4)", "h×10", show=False),
    Binding("left", "move_x0(-1)", "x0", key_display="← →"),
    Binding("right", "move_x0(1)", "x0→", show=False),
]


def method_bindings(methods: tuple[str, ...]) -> list[BindingType]:
    keys = "".join(METHOD_KEYS[m] for m in methods)
    return [Binding(METHOD_KEYS[m], f"toggle_method('{m}')", "methods", show=i == 0, key_display=keys) for i, m in enumerate(methods)]


class LabScreen(DemoScreen):
    """Keeps the app's shared `Lab` and this screen's panels in step; subclasses say what a change redraws."""

    PRESETS = PRESETS_1D
    METHODS: ClassVar[tuple[str, ...]] = ()
    STEP_LABEL: ClassVar[str] = "h ="

    def compose_sidebar(self) -> ComposeResult:
        lab = self.lab
        yield FunctionInput(lab.text, history=lab.history)
        yield StepSelector(lab.h, label=self.STEP_LABEL)
        yield MethodToggles(self.METHODS, lab.methods)
        yield DomainPanel(*lab.domain_text, lab.points)

    @property
    def lab(self) -> Lab:
        return self.calc.lab

    def lab_changed(self, what: str) -> None:
        """`what` is function, h, methods, domain or x0."""

    def redraw(self) -> None:
        """Draw the last result again (sizes, enabled methods or the current h changed)."""

    def on_lab_plot_resized(self, message: LabPlot.Resized) -> None:
        self.redraw()  # tick density and table layout follow the size

    def on_function_applied(self, message: FunctionApplied) -> None:
        self.lab.expression = message.expression
        self.lab_changed("function")

    def on_step_changed(self, message: StepChanged) -> None:
        self.lab.h = message.h
        self.lab_changed("h")

    def on_methods_changed(self, message: MethodsChanged) -> None:
        # This screen may show only some methods: keep the others' state as it was.
        self.lab.methods = tuple(m for m in self.lab.methods if m not in self.METHODS) + message.methods
        self.lab_changed("methods")

    def on_domain_changed(self, message: DomainChanged) -> None:
        lab = self.lab
        lab.x_min, lab.x_max, lab.points = message.x_min, message.x_max, message.points
        lab.x0 = min(max(lab.x0, lab.x_min), lab.x_max)
        self.lab_changed("domain")

    def action_shift_h(self, quarter_decades: int) -> None:
        self.query_one(StepSelector).shift(quarter_decades)

    def action_toggle_method(self, method: str) -> None:
        self.query_one(MethodToggles).toggle(method)

    def action_move_x0(self, direction: int) -> None:
        lab = self.lab
        step = (lab.x_max - lab.x_min) / 40
        lab.x0 = min(lab.x_max, max(lab.x_min, round((lab.x0 + direction * step) / step) * step))
        self.lab_changed("x0")

    def on_screen_resume(self) -> None:
        """The other 1-D demo may have changed the lab: bring the panels up to date, recompute if needed."""
        lab = self.lab
        panel = self.query_one(FunctionInput)
        if panel.input.value != lab.text:
            panel.set_text(lab.text)
            self._seen_version = -1
        selector = self.query_one(StepSelector)
        if selector.h != lab.h:
            selector.set_step(lab.h, announce=False)
            self._seen_version = -1
        self.query_one(MethodToggles).set_enabled(lab.methods)
        self.query_one(DomainPanel).set_values(*lab.domain_text, lab.points)
