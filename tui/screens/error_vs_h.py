"""Demo 2, Error vs h: why the step has a sweet spot, and how float32 moves it."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Static

from engine.vocabulary import STEP_METHOD_NAMES
from tui.compute.error_vs_h import SweepRequest, SweepView, compute_sweep
from tui.screens.lab import ORDER_BINDING, STEP_BINDINGS, LabScreen, method_bindings
from tui.widgets.error_plot import ErrorPlot, Explanation

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

**Higher derivatives** (`o`: f′ → f″ → f‴) — the n-th derivative's stencils divide by hⁿ, so
round-off grows like eps·|f|/hⁿ and the sweet spot moves up to h* ~ eps^(1/(p+n)): for sin's f″ in
float64, central's best h is near 1e-4, not 1e-5, and its best error is ~1e-8 instead of ~1e-11.
The complex step's f″, 2(f(x) − Re f(x+ih))/h², subtracts again: it gets a sweet spot like central's.

**Richardson** (★, `R`) picks its own h, so it is one point, not a curve: where its last step
ended and its true error there. The bar runs from that point to the error it *claims* (its own
estimate): a bar above the ★ is an honest estimate, one below it is too optimistic (`!` in the table
when 10× or more). On smooth f it lands 100× or more below central's best and level with
five-point's, without being told where the sweet spot is: extrapolation removes the truncation
instead of trading it against round-off. Compare's help says when its
estimate lies (kinks, non-smooth f, f that loses digits itself, float32).

**Try**: press `d` to switch to float32 — eps grows from 2.2e-16 to 1.2e-7 and forward's best h
jumps from ~1e-8 to ~1e-4. Press `o` for f″ and watch every sweet spot move right. Press `s` to
measure at one point instead of the whole domain; type `abs(x)`, `s`, and move x0 next to 0 with
`←` `→` to see Richardson's estimate lie at the kink.

**Keys**

| key | action |
|---|---|
| `f` or `/` | edit the function; F2–F8 presets (`p` cycles) |
| `[` `]` `{` `}` | move the current-h marker (quarter decade / decade) |
| `w b c v i R` | toggle forward, backward, central, five-point, complex-step, richardson |
| `o` | derivative order: f′ → f″ → f‴ (shared with Compare; also in the palette) |
| `s` | max over the domain ↔ error at x0 |
| `←` `→` | move x0 (in point mode) |
"""


class ErrorVsHScreen(LabScreen[SweepRequest, SweepView]):
    CSS_PATH = "error_vs_h.tcss"
    WORK = "error-vs-h sweep"
    HELP_TITLE = "Error vs h: the sweet spot of the step"
    HELP = HELP
    METHODS = (*STEP_METHOD_NAMES, "richardson")
    STEP_LABEL = "h now ="
    BINDINGS: ClassVar[list[BindingType]] = [
        *STEP_BINDINGS,
        *method_bindings((*STEP_METHOD_NAMES, "richardson")),
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
