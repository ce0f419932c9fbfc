"""Demo 2, Error vs h: why the step has a sweet spot, and how float32 moves it."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Static

from engine.vocabulary import STEP_METHOD_NAMES
from tui.demos.error_vs_h.compute import SweepRequest, SweepView, compute_sweep
from tui.demos.error_vs_h.plot import ErrorPlot, Explanation
from tui.screens.lab import ORDER_BINDING, STEP_BINDINGS, LabScreen, method_bindings


class ErrorVsHScreen(LabScreen[SweepRequest, SweepView]):
    CSS_PATH = "style.tcss"
    WORK = "error-vs-h sweep"
    HELP_PATH = "help.md"
    METHODS = (*STEP_METHOD_NAMES, "richardson")  # the step methods' curves and Richardson's point
    HELP_VALUES: ClassVar[dict[str, str]] = {"methods": ", ".join(METHODS)}
    STEP_LABEL = "h now ="
    BINDINGS: ClassVar[list[BindingType]] = [
        *STEP_BINDINGS,
        *method_bindings(METHODS),
        Binding("s", "toggle_scope", "Scope"),
        ORDER_BINDING,
    ]

    def __init__(self) -> None:
        super().__init__(compute_sweep)
        self.at_point = False  # the error at x0 rather than the max over the domain

    def compose_sidebar(self) -> ComposeResult:
        yield from super().compose_sidebar()
        yield Static("", id="scope", classes="panel")

    def compose_main(self) -> ComposeResult:
        with Vertical(id="main"):
            yield ErrorPlot(id="error-plot")
            yield Explanation("", id="explanation")

    def show_state(self) -> None:
        super().show_state()
        lab = self.lab
        where = f"at x0 = {lab.x0:.4g}" if self.at_point else f"max over [{lab.x_min:.3g}, {lab.x_max:.3g}], {lab.points} points"
        self.query_one("#scope", Static).update(f"error: [b]{where}[/] [dim](s)[/]")

    def show_loading(self) -> None:
        self.query_one(ErrorPlot).show_message("error vs h", "loading torch…")
        self.set_status("[dim]loading torch in the background…[/]")

    def request(self) -> SweepRequest | None:
        lab, precision = self.lab, self.state.precision
        if precision.device is None:
            return None
        # The sweep does not depend on h (only the marker does), nor on x0 unless measuring there.
        x0 = lab.x0 if self.at_point else 0.0
        return SweepRequest(lab.function, lab.x_min, lab.x_max, lab.points, x0, self.at_point, precision.dtype, precision.device, lab.order)

    def draw(self, view: SweepView) -> None:
        enabled, h = self.lab.methods, self.lab.h
        self.query_one(ErrorPlot).draw(view, enabled, h)
        self.query_one(Explanation).show(view, enabled, h)

    def action_toggle_scope(self) -> None:
        self.at_point = not self.at_point
        self.refresh_from_state()
