"""Demo 2, Error vs h: why the step has a sweet spot, and how float32 moves it."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Static

from tui.screens.lab_screen import STEP_BINDINGS, LabScreen, method_bindings
from tui.state import STEP_METHODS
from tui.widgets.error_plot import ErrorPlot, Explanation, MethodCurve, SweepView

HELP = """
Each step method's error against the step h, on log-log axes: the tutorial's exercise of
shrinking h from 1e-2 to 1e-8 and plotting the max error.

Going left (smaller h) the **truncation** error falls as h^p — p = 1 for forward and backward,
2 for central and complex step, 4 for five-point. But f(x+h) and f(x) agree in more and more
leading digits, and their difference keeps only what is left: the **round-off** error grows like
eps·|f|/h. The total is smallest at a sweet spot h*, near eps^(1/(p+1)): about 1e-8 for forward,
1e-5 for central in float64. The complex step subtracts nothing, so it keeps full precision for
any small h.

Solid lines are measured (max over the domain, or at x0); dotted lines are the model
(truncation + round-off, with this function's derivatives); ◆ marks each method's measured best;
the grey vertical line is the current h.

**Try**: press `d` to switch to float32 — eps grows from 2.2e-16 to 1.2e-7 and forward's best h
jumps from ~1e-8 to ~1e-4. Press `s` to measure at one point instead of the whole domain.

**Keys**

| key | action |
|---|---|
| `f` or `/` | edit the function; F2–F8 presets (`p` cycles) |
| `[` `]` `{` `}` | move the current-h marker (quarter decade / decade) |
| `w b c v i` | toggle forward, backward, central, five-point, complex-step |
| `s` | max over the domain ↔ error at x0 |
| `←` `→` | move x0 (in point mode) |
| `d` / `D` | next dtype / next device |
| `1`–`4` | switch demo; `?` help; `q` quit |
"""


class ErrorScreen(LabScreen):
    CSS_PATH = "error_vs_h.tcss"
    HELP_TITLE = "Error vs h: the sweet spot of the step"
    HELP = HELP
    METHODS = STEP_METHODS
    BINDINGS: ClassVar[list[BindingType]] = [
        *STEP_BINDINGS,
        *method_bindings(STEP_METHODS),
        Binding("s", "toggle_scope", "Scope"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.at_point = False
        self._last: SweepView | None = None

    STEP_LABEL = "h now ="

    def compose_sidebar(self) -> ComposeResult:
        yield from super().compose_sidebar()
        yield Static(self._scope_text(), id="scope", classes="panel")

    def compose_main(self) -> ComposeResult:
        with Vertical(id="main"):
            yield ErrorPlot(id="error-plot")
            yield Explanation("", id="explanation")

    def on_mount(self) -> None:
        if not self.calc.torch_ready:
            self.query_one(ErrorPlot).show_message("error vs h", "loading torch…")
            self.set_status("[dim]loading torch in the background…[/]")

    def _scope_text(self) -> str:
        lab = self.calc.lab
        where = f"at x0 = {lab.x0:.4g}" if self.at_point else f"max over [{lab.x_min:.3g}, {lab.x_max:.3g}], {lab.points} points"
        return f"error: [b]{where}[/] [dim](s)[/]"

    def recompute(self) -> None:
        calc = self.calc
        self.query_one("#scope", Static).update(self._scope_text())
        if not calc.torch_ready:
            return
        lab = calc.lab
        expression, at_point, x0 = lab.expression, self.at_point, lab.x0
        x_min, x_max, count = lab.x_min, lab.x_max, lab.points
        dtype_name, device = calc.dtype, calc.device
        scope = f"at x0 = {x0:.4g}" if at_point else f"max over {count} points"

        def job() -> SweepView:
            import torch

            from engine.devices import parse_dtype
            from engine.sweep import sweep

            dtype = parse_dtype(dtype_name)
            points = torch.tensor([x0], dtype=torch.float64) if at_point else torch.linspace(x_min, x_max, count, dtype=torch.float64)
            result = sweep(expression, points, None, STEP_METHODS, dtype, device)
            curves = {
                m: MethodCurve(
                    r.errors.tolist() if r.errors is not None else None,
                    r.best_h,
                    r.best_error,
                    r.model.errors.tolist() if r.model else None,
                    r.model.optimal_h if r.model else None,
                    r.model.rule if r.model else (r.reason or ""),
                    r.reason,
                )
                for m, r in result.methods.items()
            }
            title = f"|error| of f'(x) vs h, f(x) = {expression}"
            return SweepView(title, result.h.tolist(), curves, result.dtype, torch.finfo(dtype).eps, scope)

        self.set_status("[dim]computing…[/]")
        self.run_compute(job, "error vs h")

    def show_result(self, result: SweepView) -> None:
        self._last = result
        self.set_status("")
        self.redraw()

    def redraw(self) -> None:
        if self._last is None:
            return
        enabled, h = self.calc.lab.methods, self.calc.lab.h
        self.query_one(ErrorPlot).draw(self._last, enabled, h)
        self.query_one(Explanation).show(self._last, enabled, h)

    def lab_changed(self, what: str) -> None:
        if what in ("h", "methods"):
            self.redraw()  # the sweep does not depend on the current h: only the marker moves
        elif what == "x0" and not self.at_point:
            self.query_one("#scope", Static).update(self._scope_text())
        else:
            self.recompute()

    def action_toggle_scope(self) -> None:
        self.at_point = not self.at_point
        self.recompute()

    def on_screen_resume(self) -> None:
        self.redraw()
