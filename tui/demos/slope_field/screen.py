"""Demo 3, Slope field: a loss curve with arrows of steepest ascent, and gradient descent walking down it."""

from __future__ import annotations

from dataclasses import replace
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import RadioButton, RadioSet, Static

from engine.vocabulary import METHOD_NAMES
from tui.compute.descent import PathView
from tui.demos.slope_field.compute import SlopeRequest, SlopeView, compute_slope_field
from tui.demos.slope_field.plot import SlopeFieldPlot
from tui.presets import LOSS_PRESETS
from tui.screens.descent import DescentScreen
from tui.state import Loss
from tui.style import hex_color
from tui.widgets.arrows import canvas_size
from tui.widgets.domain_panel import DomainPanel
from tui.widgets.function_input import FunctionInput
from tui.widgets.log_value_input import LEARNING_RATE_BOUNDS, LogValueInput
from tui.widgets.number_field import NumberField, within
from tui.widgets.trail import Trail


def arrows_for_width(columns: int) -> int:
    """One arrow every three columns of canvas, 12 to 40 of them."""
    return max(12, min(40, columns // 3))


class SlopeFieldScreen(DescentScreen[SlopeRequest, SlopeView, Loss]):
    CSS_PATH = "../../screens/descent.tcss"
    WORK = "slope field"
    HELP_PATH = "help.md"
    PRESETS = LOSS_PRESETS
    STEP_LIMIT = 200
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left", "move_start(-1)", "start", key_display="← →"),
        Binding("right", "move_start(1)", "start→", show=False),
        Binding("m", "next_method", "Method", show=False),
    ]

    def __init__(self) -> None:
        super().__init__(compute_slope_field)

    @property
    def slot(self) -> Loss:
        return self.state.loss

    @slot.setter
    def slot(self, value: Loss) -> None:
        self.state.loss = value

    def compose_sidebar(self) -> ComposeResult:
        loss = self.slot
        yield FunctionInput(loss.function, history=loss.history)
        yield DomainPanel(f"{loss.x_min:g}", f"{loss.x_max:g}", points=None)
        yield NumberField(loss.start, "start x =", name="start", check=self.start_inside_range)
        yield LogValueInput(loss.learning_rate, "lr =", name="lr", bounds=LEARNING_RATE_BOUNDS, id="lr")
        with RadioSet(id="method-choice", classes="panel") as choice:
            choice.border_title = "slopes by (m)"
            for method in METHOD_NAMES:
                yield RadioButton(f"[{hex_color(method)}]{method}[/]", value=method == loss.method, name=method)

    def compose_main(self) -> ComposeResult:
        with Vertical(id="main"):
            yield SlopeFieldPlot(id="field-plot")
            yield Static("", id="descent-status")

    # -- state and computing ----------------------------------------------------------------------

    def show_state(self) -> None:
        super().show_state()
        loss = self.slot
        self.function_input.show(loss.function, loss.history)
        self.query_one(DomainPanel).show(f"{loss.x_min:g}", f"{loss.x_max:g}", None)
        self.query_one("#start", NumberField).show(loss.start)
        with self.prevent(RadioSet.Changed):
            for button in self.query(RadioButton):
                if button.name == loss.method and not button.value:
                    button.value = True

    def show_loading(self) -> None:
        self.query_one(SlopeFieldPlot).show_message("slope field", "loading torch…")

    def request(self) -> SlopeRequest | None:
        loss, precision = self.slot, self.state.precision
        if precision.device is None:
            return None
        plot = self.query_one(SlopeFieldPlot)
        arrows = arrows_for_width(canvas_size(plot.size.width, plot.size.height)[0])
        return SlopeRequest(
            loss.function, loss.x_min, loss.x_max, loss.start, loss.learning_rate, loss.method, arrows, self.STEP_LIMIT,
            precision.dtype, precision.device,
        )  # fmt: skip

    def path_inputs(self, request: SlopeRequest) -> object:
        return replace(request, arrows=0, method="")

    def path_of(self, view: SlopeView) -> PathView:
        return view.path

    def clamp_start(self, slot: Loss) -> Loss:
        return replace(slot, start=min(max(slot.start, slot.x_min), slot.x_max))

    def draw(self, view: SlopeView) -> None:
        path = view.path
        shown = path.points[: self.k + 1]
        trail = Trail([p[0] for p in shown], list(path.values[: self.k + 1]))
        self.query_one(SlopeFieldPlot).draw(view, trail, self.descent_arrows)
        self.show_descent_status("descent (−L')" if self.descent_arrows else "ascent (L')")

    # -- the panels -------------------------------------------------------------------------------

    def start_inside_range(self, value: float, text: str) -> str | None:
        return within(self.slot.x_min, self.slot.x_max, "inside the x range")(value, text)

    @on(NumberField.Applied, "#start")
    def start_applied(self, event: NumberField.Applied) -> None:
        self.slot = replace(self.slot, start=event.value)

    def on_radio_set_changed(self, event: RadioSet.Changed) -> None:
        event.stop()
        if event.pressed.name:
            self.slot = replace(self.slot, method=event.pressed.name)

    def action_next_method(self) -> None:
        methods = METHOD_NAMES
        current = self.slot.method
        self.slot = replace(self.slot, method=methods[(methods.index(current) + 1) % len(methods)])

    def action_move_start(self, direction: int) -> None:
        self.slot = self.slot.move_start(direction)
