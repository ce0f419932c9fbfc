"""Demo 1, Compare: sin'(x) by the true formula, autograd and finite differences, overlapping on one plot."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Static

from engine.preview import preview
from tui.screens.lab_screen import STEP_BINDINGS, LabScreen, method_bindings
from tui.state import ALL_METHODS
from tui.widgets.derivative_plots import Curves, DerivativePlot, ErrorRow, ErrorTable, Tangent, TangentPlot
from tui.widgets.plotting import LabPlot

if TYPE_CHECKING:
    from engine.expression import Expression

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


PREVIEW = "numpy preview"


@dataclass(frozen=True)
class CompareResult:
    curves: Curves
    rows: list[ErrorRow]
    tangent: Tangent
    notice: str | None
    dtype: str


class CompareScreen(LabScreen):
    CSS_PATH = "compare.tcss"
    HELP_TITLE = "Compare: one derivative, seven methods"
    HELP = HELP
    METHODS = ALL_METHODS
    BINDINGS: ClassVar[list[BindingType]] = [
        *STEP_BINDINGS,
        *method_bindings(ALL_METHODS),
        Binding("t", "toggle_lower", "Table"),
    ]
    # Below 110 columns the table and the tangent plot share one place; `t` switches between them.
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]

    def compose_main(self) -> ComposeResult:
        with Vertical(id="main"):
            yield DerivativePlot(id="derivative-plot")
            with Horizontal(id="lower"):
                with Vertical(id="tangent-box"):
                    yield TangentPlot(id="tangent-plot")
                    yield Static("", id="tangent-info")
                yield ErrorTable("", id="error-table")

    def on_mount(self) -> None:
        self._last: CompareResult | None = None
        self._preview: tuple[Curves, Tangent] | None = None
        self.draw_preview()
        if self.calc.torch_ready:
            self.settings_changed()

    # -- computing ------------------------------------------------------------------------------

    def draw_preview(self) -> None:
        """f and f' by numpy (central differences), drawn at once while torch loads."""
        lab = self.calc.lab
        quick = preview(lab.text, lab.x_min, lab.x_max, lab.points)
        x, f = quick.x.tolist(), quick.values.tolist()
        index = min(range(len(x)), key=lambda i: abs(x[i] - lab.x0))
        title = f"f'(x) for f(x) = {lab.text} (numpy preview while torch loads)"
        self._preview = (
            Curves(title, x, {PREVIEW: quick.derivative.tolist()}),
            Tangent(x, f, x[index], f[index], float(quick.derivative[index]), math.nan, lab.h),
        )
        self.redraw()
        self.query_one(ErrorTable).update("[dim]loading torch… autograd, the finite differences and the error table follow[/]")
        self.set_status("[dim]loading torch in the background…[/]")

    def _title(self, expression: Expression) -> str:
        return f"f'(x) for f(x) = {expression}"

    def recompute(self) -> None:
        calc = self.calc
        if not calc.torch_ready:
            return
        lab = calc.lab
        expression, x_min, x_max, points, h, x0 = lab.expression, lab.x_min, lab.x_max, lab.points, lab.h, lab.x0
        dtype_name, device, title = calc.dtype, calc.device, self._title(lab.expression)

        def job() -> CompareResult:
            import torch

            from engine.derive import derive
            from engine.devices import parse_dtype

            dtype = parse_dtype(dtype_name)
            grid = torch.linspace(x_min, x_max, points, dtype=torch.float64)
            result = derive(expression, grid, h, ALL_METHODS, dtype, device)
            at = derive(expression, torch.tensor([x0], dtype=torch.float64), h, ("exact", "forward"), dtype, device)
            x = result.points.tolist()
            curves = {
                m: r.values.masked_fill(~result.defined, math.nan).tolist() for m, r in result.results.items() if r.values is not None
            }
            f = result.function_values.masked_fill(~result.defined, math.nan).tolist()

            def first(method: str) -> float:
                values = at.results[method].values
                return float(values[0]) if values is not None else math.nan

            rows = [ErrorRow(m, r.max_error, r.mean_error, r.evaluations, r.reason) for m, r in result.results.items()]
            f0 = float(at.function_values[0])
            # Where f itself is undefined there is no tangent, whatever the formula for f' says.
            slope, secant = (first("exact"), first("forward")) if math.isfinite(f0) else (math.nan, math.nan)
            tangent = Tangent(x, f, float(at.points[0]), f0, slope, secant, at.h)
            notices = [n for n in (result.undefined_notice(), result.step_notice()) if n]
            return CompareResult(Curves(title, x, curves), rows, tangent, "\n".join(notices) or None, result.dtype)

        self.set_status("[dim]computing…[/]")
        self.run_compute(job, "compare")

    def show_result(self, result: CompareResult) -> None:
        self._last = result
        self.redraw()
        self.set_status(f"[yellow]{result.notice}[/]" if result.notice else "")

    def redraw(self, parts: frozenset[str] = frozenset({"derivative", "tangent", "table"})) -> None:
        result = self._last
        if result is None:
            if self._preview is not None:
                curves, tangent = self._preview
                self.query_one(DerivativePlot).draw(curves, (PREVIEW,))
                self.query_one(TangentPlot).draw(tangent)
            return
        enabled = self.calc.lab.methods
        if "derivative" in parts:
            self.query_one(DerivativePlot).draw(result.curves, enabled)
        if "tangent" in parts:
            self.query_one(TangentPlot).draw(result.tangent)
            t = result.tangent
            info = f"x0 = {t.x0:.4g}   f(x0) = {t.f0:.6g}\nf'(x0) = {t.slope:.6g}   secant = {t.secant:.6g}"
            self.query_one("#tangent-info", Static).update(info if math.isfinite(t.f0) else f"x0 = {t.x0:.4g}: f is undefined here")
        if "table" in parts:
            self.query_one(ErrorTable).show(result.rows, enabled, f"vs 50-digit reference, h = {result.tangent.h:.1e}")

    def on_lab_plot_resized(self, message: LabPlot.Resized) -> None:
        message.prevent_default()  # instead of LabScreen's full redraw: only the plot that changed size
        self.redraw(frozenset({"tangent"} if isinstance(message.plot, TangentPlot) else {"derivative"}))

    def action_toggle_lower(self) -> None:
        self.toggle_class("-show-table")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # The table/tangent switch exists only where the two share one place.
        if action == "toggle_lower":
            return self.has_class("-narrow")
        return super().check_action(action, parameters)

    def on_resize(self, event: events.Resize) -> None:
        self.refresh_bindings()

    def lab_changed(self, what: str) -> None:
        if what == "methods":
            self.redraw(frozenset({"derivative", "table"}))  # every method is already computed: toggling only redraws
        elif self.calc.torch_ready:
            self.recompute()
        else:
            self.draw_preview()
