"""Demo 1, Compare: sin'(x) by the true formula, autograd and finite differences, overlapping on one plot."""

from __future__ import annotations

import math
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Static

from engine.syntax import ExpressionError
from engine.vocabulary import METHOD_NAMES
from tui.compute.compare import PREVIEW, CompareRequest, CompareView, compute_compare, preview_compare
from tui.screens.lab import STEP_BINDINGS, LabScreen, method_bindings
from tui.widgets.derivative_plots import DerivativePlot, ErrorTable, TangentPlot

HELP = """
The derivative of f at x is the slope of the tangent there. This demo computes f'(x) over the
whole domain by every method and draws the curves on top of each other, as the tutorial's
*sin'(x) via three methods* figure does. They overlap: the differences are near machine precision.

**The methods**

- **exact** — SymPy's derivative formula, evaluated in the working dtype.
- **autograd** — `torch.autograd.grad` through f, as in the tutorial.
- **forward / backward** — (f(x+h) − f(x))/h and (f(x) − f(x−h))/h: error ~ h.
- **central** — (f(x+h) − f(x−h))/2h: error ~ h².
- **five-point** — the O(h⁴) stencil.
- **complex-step** — Im f(x+ih)/h: no subtraction, so no cancellation; not for abs/sign/relu.

The table measures each method against a 50-digit mpmath reference. The lower plot shows f with
the **tangent** at x0 and the **secant** through x0 and x0+h: shrink h and the secant turns into the tangent.

**Try**: press `]` a few times (bigger h) and watch forward drift from the others; press `d` for
float32; type `abs(x)` and see complex step refuse; type `log(x)` and see the gaps.

**Keys**

| key | action |
|---|---|
| `f` or `/` | edit the function (Enter applies, Esc returns, ↑/↓ history) |
| F2–F8, `p` | presets: sin, tutorial loss, sigmoid, x³−2x, wave packet, abs, log; `p` cycles |
| `[` `]` or `-` `+` | h down / up a quarter decade |
| `{` `}` | h down / up a decade |
| `e a w b c v i` | toggle exact, autograd, forward, backward, central, five-point, complex-step |
| `←` `→` | move the tangent point x0 |
| `d` / `D` | next dtype / next device |
| `t` | on narrow terminals: show the error table or the tangent plot |
| `tab` | move between the panels (x range, N, h: type and press Enter) |
| `1`–`4` | switch demo; `ctrl+p` command palette |
| `?` / F1 | this help; `q` quits |
"""


class CompareScreen(LabScreen[CompareRequest, CompareView]):
    CSS_PATH = "compare.tcss"
    WORK = "derivatives"
    HELP_TITLE = "Compare: one derivative, seven methods"
    HELP = HELP
    METHODS = METHOD_NAMES
    BINDINGS: ClassVar[list[BindingType]] = [
        *STEP_BINDINGS,
        *method_bindings(METHOD_NAMES),
        Binding("t", "toggle_lower", "Table"),
    ]
    # Below 110 columns the table and the tangent plot share one place; `t` switches between them.
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]

    def __init__(self) -> None:
        super().__init__(compute_compare)
        self.preview: CompareView | None = None  # the quick drawing shown until torch is loaded

    def compose_main(self) -> ComposeResult:
        with Vertical(id="main"):
            yield DerivativePlot(id="derivative-plot")
            with Horizontal(id="lower"):
                with Vertical(id="tangent-box"):
                    yield TangentPlot(id="tangent-plot")
                    yield Static("", id="tangent-info")
                yield ErrorTable("", id="error-table")

    def request(self) -> CompareRequest | None:
        lab, precision = self.lab, self.state.precision
        if precision.device is None:
            return None
        return CompareRequest(lab.function, lab.x_min, lab.x_max, lab.points, lab.h, lab.x0, precision.dtype, precision.device)

    def show_loading(self) -> None:
        self.draw_preview()

    def draw_preview(self) -> None:
        """f and f' in plain Python, drawn at once while torch loads."""
        lab = self.lab
        try:
            self.preview = preview_compare(lab.function, lab.x_min, lab.x_max, lab.points, lab.h, lab.x0)
        except ExpressionError:
            return
        self.draw(self.preview)
        self.query_one(ErrorTable).update("[dim]loading torch… autograd, the finite differences and the error table follow[/]")
        self.set_status("[dim]loading torch in the background…[/]")

    def notice(self, view: CompareView) -> str:
        return f"[yellow]{view.notice}[/]" if view.notice else ""

    def draw(self, view: CompareView) -> None:
        enabled = (PREVIEW,) if view.preview else self.lab.methods
        self.query_one(DerivativePlot).draw(view.curves, enabled)
        self.query_one(TangentPlot).draw(view.tangent)
        t = view.tangent
        info = f"x0 = {t.x0:.4g}   f(x0) = {t.f0:.6g}\nf'(x0) = {t.slope:.6g}   secant = {t.secant:.6g}"
        self.query_one("#tangent-info", Static).update(info if math.isfinite(t.f0) else f"x0 = {t.x0:.4g}: f is undefined here")
        if not view.preview:
            self.query_one(ErrorTable).show(view.rows, enabled, f"vs 50-digit reference, h = {view.tangent.h:.1e}")

    def action_toggle_lower(self) -> None:
        self.toggle_class("-show-table")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # The table/tangent switch exists only where the two share one place.
        if action == "toggle_lower":
            return self.has_class("-narrow")
        return super().check_action(action, parameters)
