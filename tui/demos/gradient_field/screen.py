"""Demo 4, Gradient field: grad f(x, y) as a quiver of arrows, and a descent path across it."""

from __future__ import annotations

from dataclasses import replace
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Static

from tui.compute.descent import PathView
from tui.demos.gradient_field.compute import FieldRequest, FieldView, compute_gradient_field
from tui.demos.gradient_field.plot import GradientFieldPlot
from tui.presets import SURFACE_PRESETS
from tui.screens.descent import DescentScreen
from tui.state import Surface
from tui.widgets.arrows import canvas_size
from tui.widgets.domain_panel import DomainPanel
from tui.widgets.function_input import FunctionInput
from tui.widgets.log_value_input import LEARNING_RATE_BOUNDS, LogValueInput
from tui.widgets.trail import Trail

MOMENTA = (0.0, 0.5, 0.9)


def grid_for_canvas(columns: int, rows: int) -> tuple[int, int]:
    """Arrows across and down: one every three columns and two rows, within 6..50 by 4..25."""
    return max(6, min(50, columns // 3)), max(4, min(25, rows // 2))


class GradientFieldScreen(DescentScreen[FieldRequest, FieldView, Surface]):
    CSS_PATH = ["../../screens/descent.tcss", "style.tcss"]
    WORK = "gradient field"
    HELP_PATH = "help.md"
    PRESETS = SURFACE_PRESETS
    STEP_LIMIT = 2000
    VARIABLES = ("x", "y")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left", "move_start(-1, 0)", "start", key_display="←↑↓→"),
        Binding("right", "move_start(1, 0)", "start→", show=False),
        Binding("up", "move_start(0, 1)", "start↑", show=False),
        Binding("down", "move_start(0, -1)", "start↓", show=False),
        Binding("m", "cycle_momentum", "Momentum"),
        Binding("g", "toggle_source", "Autograd/central", show=False),
    ]

    def __init__(self) -> None:
        super().__init__(compute_gradient_field)
        self.use_central = False  # arrows and descent by central differences instead of autograd

    @property
    def slot(self) -> Surface:
        return self.state.surface

    @slot.setter
    def slot(self, value: Surface) -> None:
        self.state.surface = value

    def compose_sidebar(self) -> ComposeResult:
        surface = self.slot
        yield FunctionInput(surface.function, variables=self.VARIABLES, history=surface.history)
        yield DomainPanel(*self._texts(surface))
        yield LogValueInput(surface.learning_rate, "lr =", name="lr", bounds=LEARNING_RATE_BOUNDS, id="lr")
        yield Static("", id="momentum", classes="panel")
        yield Static("", id="source", classes="panel")

    def compose_main(self) -> ComposeResult:
        with Vertical(id="main"):
            yield GradientFieldPlot(id="field-plot")
            yield Static("", id="descent-status")

    @staticmethod
    def _texts(surface: Surface) -> tuple[str, str, None, tuple[str, str]]:
        return f"{surface.x_min:g}", f"{surface.x_max:g}", None, (f"{surface.y_min:g}", f"{surface.y_max:g}")

    def grid(self) -> tuple[int, int]:
        plot = self.query_one(GradientFieldPlot)
        return grid_for_canvas(*canvas_size(plot.size.width, plot.size.height))

    # -- state and computing ----------------------------------------------------------------------

    def show_state(self) -> None:
        super().show_state()
        surface = self.slot
        self.function_input.show(surface.function, surface.history)
        self.query_one(DomainPanel).show(*self._texts(surface))
        self._show_options()

    def show_loading(self) -> None:
        self.query_one(GradientFieldPlot).show_message("gradient field", "loading torch…")

    def _show_options(self) -> None:
        self.query_one("#momentum", Static).update(f"momentum [b]{self.slot.momentum:g}[/] [dim](m)[/]")
        source = "central differences" if self.use_central else "autograd"
        difference = self.view.max_difference if self.view is not None else None
        check = f"\nmax |autograd − central| = {difference:.1e}" if difference is not None else ""
        self.query_one("#source", Static).update(f"gradients: [b]{source}[/] [dim](g)[/]{check}")

    def request(self) -> FieldRequest | None:
        surface, precision = self.slot, self.state.precision
        if precision.device is None:
            return None
        columns, rows = self.grid()
        return FieldRequest(
            surface.function, surface.x_min, surface.x_max, surface.y_min, surface.y_max, columns, rows, surface.start,
            surface.learning_rate, surface.momentum, self.STEP_LIMIT, precision.dtype, precision.device,
            "central" if self.use_central else "autograd",
        )  # fmt: skip

    def path_inputs(self, request: FieldRequest) -> object:
        return replace(request, columns=0, rows=0)

    def path_of(self, view: FieldView) -> PathView:
        return view.path

    def clamp_start(self, slot: Surface) -> Surface:
        x, y = slot.start
        return replace(slot, start=(min(max(x, slot.x_min), slot.x_max), min(max(y, slot.y_min), slot.y_max)))

    def notice(self, view: FieldView) -> str:
        return f"[yellow]f or its gradient is undefined at {view.undefined} grid points (×)[/]" if view.undefined else ""

    def draw(self, view: FieldView) -> None:
        self._show_options()
        quiver = view.central if self.use_central else view.autograd
        shown = view.path.points[: self.k + 1]
        trail = Trail([p[0] for p in shown], [p[1] for p in shown])
        start = self.slot.start
        self.query_one(GradientFieldPlot).draw(quiver, trail, start, self.descent_arrows)
        self.show_descent_status("−grad f (descent)" if self.descent_arrows else "grad f (ascent)")

    # -- keys ---------------------------------------------------------------------------------------

    def action_move_start(self, dx: int, dy: int) -> None:
        surface = self.slot
        columns, rows = self.grid()
        x, y = surface.start
        x += dx * (surface.x_max - surface.x_min) / max(1, columns - 1)
        y += dy * (surface.y_max - surface.y_min) / max(1, rows - 1)
        self.slot = self.clamp_start(replace(surface, start=(x, y)))

    def action_cycle_momentum(self) -> None:
        momentum = self.slot.momentum
        following = MOMENTA[(MOMENTA.index(momentum) + 1) % len(MOMENTA)] if momentum in MOMENTA else 0.0
        self.slot = replace(self.slot, momentum=following)

    def action_toggle_source(self) -> None:
        self.use_central = not self.use_central  # the arrows and the descent's steps both
        self.refresh_from_state()
