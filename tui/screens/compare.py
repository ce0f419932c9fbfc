"""Demo 1, Compare: sin'(x) by the true formula, autograd and finite differences, overlapping on one plot."""

from __future__ import annotations

import math
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Static

from engine.syntax import ExpressionError
from engine.vocabulary import METHOD_NAMES, derivative_name
from tui.compute.compare import PREVIEW, CompareRequest, CompareView, Zoom, compute_compare, deepest_zoom, preview_compare
from tui.export import shown
from tui.screens.lab import ORDER_BINDING, STEP_BINDINGS, LabScreen, method_bindings
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
- **richardson** (`R`) — central differences at h0 = 0.05, h0/2, h0/4, … combined so that their
  h², h⁴, … errors cancel (Neville's tableau), stopping when its own error estimate stops falling.
  It picks its own steps (h does not apply), and reports that estimate.

The table measures each method against a 50-digit mpmath reference. **est.err** is Richardson's own
estimate beside its true error; `!` marks an estimate more than 10× too optimistic somewhere.
The lower plot shows f with the **tangent** at x0 and the **secant** through x0 and x0+h: shrink h
and the secant turns into the tangent.

**Second and third derivatives** — `o` cycles f′ → f″ → f‴ (here and in Error vs h). Curvature, f″,
is what Newton's method and every Hessian rests on. At order n:

- exact is SymPy's n-th derivative; autograd differentiates its own graph n times:

      y = f(x)                                  # x.requires_grad_()
      for _ in range(n):
          (y,) = torch.autograd.grad(y.sum(), x, create_graph=True)

- forward/backward are the n-th one-sided differences (n+1 values of f); central is
  (f(x+h) − 2f(x) + f(x−h))/h² for f″ and (f(x+2h) − 2f(x+h) + 2f(x−h) − f(x−2h))/2h³ for f‴;
  five-point is the O(h⁴) stencil of each order. The evals column counts each stencil's values.
- complex-step's f″ is 2(f(x) − Re f(x+ih))/h²: a subtraction again, so the cancellation the first
  derivative escaped comes back (its best h is near eps^(1/4), like central's). It has no f‴.
- Round-off now grows like eps·|f|/hⁿ: every stencil wants a larger h than for f′ (demo 2 shows it).
- The lower panel adds f's **Taylor polynomial** of degree n at x0: f(x0) + f′(x0)·d + f″(x0)·d²/2
  (+ f‴(x0)·d³/6), d = x − x0. The tangent is the best line through x0; Taylor-2 is the parabola that
  bends with f (f″ is its curvature) and hugs f over a wider window than the line.

**Why extrapolation beats one stencil, and when its estimate lies** — a single stencil must pick one
h, trading truncation against round-off, and its best h depends on f and the dtype (demo 2).
Richardson starts at a large h (little round-off) and removes the truncation instead: the tableau's
columns agree ever more closely, and how closely is its error estimate. Without being told any h it
reaches ~1e-13 on smooth f in float64 (f′; ~1e-11 for f″), 100× or more below central at its best
and level with five-point at its best, with 15–30 evaluations, and it says how far off it is. The estimate
assumes f is smooth at the scale of h0 and that f's own values are good to eps·|f|, so it lies:
**near a kink** (`abs(x)` with x0 near 0: every column agrees on a wrong slope), **at** one (at x = 0
there is no f′ at all, only the convention sign(0) = 0 that SymPy and torch return, and the symmetric
columns agree on it exactly: the panel says `none (kink)`), for **non-smooth
or fast-wiggling f** (the tableau sees no convergence it can trust), and where **f itself loses
digits** (`log(1+x^2)` near 0 rounds 1 + x²). In **float32** the tableau's columns agree to the last
bit long before the answer is good: the estimate adds the stencil's round-off (eps·|f|/hⁿ at its final
step) for that reason, and `!` shows where even that was not enough.

**The microscopic zoom** — "a derivative is a microscopic zoom on how a function changes": press `z`
and the lower panel zooms 10× around x0 (`Z` zooms out). The axes read as offsets from x0 and f(x0).
A smooth f straightens into its tangent: the gap max|f − tangent| shrinks 100× for every 10× of zoom
(like w², by Taylor: f''·w²/2). Zoom on and f turns into a staircase: the dtype holds only so many x
and f values (float64 about 2e-16 apart relative to x0, float32 about 1e-7). That floor is the round-off
that ruins a finite difference when h is too small (demo 2); in float32 (`d`) it appears far sooner.

**Try**: press `]` a few times (bigger h) and watch forward drift from the others; press `d` for
float32; press `o` for f″ and watch forward and backward lose four more digits; type `abs(x)` and see
complex step refuse; type `log(x)` and see the gaps.

**Keys**

| key | action |
|---|---|
| `f` or `/` | edit the function (Enter applies, Esc returns, ↑/↓ history) |
| F2–F8, `p` | presets: sin, tutorial loss, sigmoid, x³−2x, wave packet, abs, log; `p` cycles |
| `[` `]` or `-` `+` | h down / up a quarter decade |
| `{` `}` | h down / up a decade |
| `e a w b c v i R` | toggle exact, autograd, forward, backward, central, five-point, complex-step, richardson |
| `o` | derivative order: f′ → f″ → f‴ (shared with Error vs h; also in the palette) |
| `←` `→` | move the tangent point x0 |
| `z` / `Z` | zoom the tangent panel 10× in / out around x0 (down to 1e-15 of x0) |
| `t` | on narrow terminals: show the error table or the tangent plot |
| `tab` | move between the panels (x range, N, h: type and press Enter) |
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
        ORDER_BINDING,
        Binding("z", "zoom(1)", "Zoom", key_display="z Z"),
        Binding("Z", "zoom(-1)", "Zoom out", show=False),
    ]
    # Below 110 columns the table and the tangent plot share one place; `t` switches between them.
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]

    def __init__(self) -> None:
        super().__init__(compute_compare)
        self.preview: CompareView | None = None  # the quick drawing shown until torch is loaded
        self.zoom = 0  # the tangent panel's zoom: x0 ± (half the domain) / 10^zoom

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
        zoom = min(self.zoom, deepest_zoom(lab.x_min, lab.x_max, lab.x0))
        return CompareRequest(
            lab.function, lab.x_min, lab.x_max, lab.points, lab.h, lab.x0, precision.dtype, precision.device, zoom, lab.order
        )

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
        slope = "[yellow]none (kink)[/]" if t.kink else shown(t.slope, ".6g")  # torch's 0 there is a convention (the notice)
        info = f"x0 = {t.x0:.4g}   f(x0) = {t.f0:.6g}\nf'(x0) = {slope}   secant = {shown(t.secant, '.6g')}"
        if t.order > 1:
            higher = f"{t.derivative:.6g}" if math.isfinite(t.derivative) else "undefined"
            info += f"   {derivative_name(t.order)}(x0) = {higher}"
        if t.zoom is not None:
            info += "\n" + zoom_text(t.zoom)
        self.query_one("#tangent-info", Static).update(info if math.isfinite(t.f0) else f"x0 = {t.x0:.4g}: f is undefined here")
        if not view.preview:
            caption = f"{derivative_name(view.order)} vs 50-digit reference, h = {view.tangent.h:.1e}"
            self.query_one(ErrorTable).show(view.rows, enabled, caption, view.order)

    def action_zoom(self, steps: int) -> None:
        lab = self.lab
        deepest = deepest_zoom(lab.x_min, lab.x_max, lab.x0)
        zoom = max(0, min(deepest, self.zoom + steps))
        if zoom == self.zoom:
            self.notify("as far in as it goes: the window is 1e-15 of x0" if steps > 0 else "zoomed out to the whole domain", timeout=3)
            return
        self.zoom = zoom
        self.refresh_from_state()

    def action_toggle_lower(self) -> None:
        self.toggle_class("-show-table")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # The table/tangent switch exists only where the two share one place.
        if action == "toggle_lower":
            return self.has_class("-narrow")
        return super().check_action(action, parameters)


def zoom_text(zoom: Zoom) -> str:
    """What the zoomed panel says: the window, the linearity gap and how it scales, or that the dtype's staircase shows."""
    gap = f"max|f − tangent| = {zoom.gap:.1e}"
    if zoom.staircase:
        return (
            f"window x0 ± {zoom.half_width:.1e} · {gap} · [yellow]staircase[/]: the dtype holds {plural(zoom.distinct_x, 'x value')} "
            f"and {plural(zoom.distinct_f, 'value')} of f here (round-off, as in Error vs h)"
        )
    if zoom.wider_gap > 0 and zoom.gap > 0:
        ratio = zoom.wider_gap / zoom.gap
        trend = "like w²: f is its tangent, up to f''·w²/2" if 30 < ratio < 300 else "no longer like w²: round-off"
        return f"window x0 ± {zoom.half_width:.1e} · {gap}, {ratio:.0f}× smaller than at 10× the width ({trend})"
    return f"window x0 ± {zoom.half_width:.1e} · {gap}"


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"
