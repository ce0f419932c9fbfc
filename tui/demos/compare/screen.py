"""Demo 1, Compare: sin'(x) by the true formula, autograd and finite differences, overlapping on one plot."""

from __future__ import annotations

import math
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical

from engine.syntax import ExpressionError
from engine.vocabulary import METHOD_NAMES, derivative_name
from tui.demos.compare.compute import PREVIEW, CompareRequest, CompareView, Zoom, compute_compare, deepest_zoom, preview_compare
from tui.demos.compare.plots import DerivativePlot, ErrorTable, TangentPlot
from tui.export import shown
from tui.screens.lab import ORDER_BINDING, STEP_BINDINGS, LabScreen, method_bindings
from tui.widgets.static_text import FieldLines


class CompareScreen(LabScreen[CompareRequest, CompareView]):
    CSS_PATH = "style.tcss"
    WORK = "derivatives"
    HELP_PATH = "help.md"
    METHODS = METHOD_NAMES
    HELP_VALUES: ClassVar[dict[str, str]] = {"methods": ", ".join(METHODS)}
    BINDINGS: ClassVar[list[BindingType]] = [
        *STEP_BINDINGS,
        *method_bindings(METHODS),
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
                    yield FieldLines(id="tangent-info")
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
        info = self.query_one("#tangent-info", FieldLines)
        if not math.isfinite(t.f0):
            info.show_rows([f"x0 = {t.x0:.4g}: f is undefined here"])
        else:
            values = [f"f'(x0) = {slope}", f"secant = {shown(t.secant, '.6g')}"]
            if t.order > 1:
                higher = f"{t.derivative:.6g}" if math.isfinite(t.derivative) else "undefined"
                values.append(f"{derivative_name(t.order)}(x0) = {higher}")
            zoomed = [[zoom_text(t.zoom)]] if t.zoom is not None else []
            info.show_rows([f"x0 = {t.x0:.4g}", f"f(x0) = {t.f0:.6g}"], values, *zoomed)
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
