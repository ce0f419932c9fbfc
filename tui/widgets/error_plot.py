"""The Error-vs-h views: the log-log error plot and the truncation-versus-round-off explanation."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from tui.state import METHOD_COLORS, hex_color
from tui.widgets.plotting import LabPlot, legend_entry, plot_with_gaps

ERROR_FLOOR = 1e-17  # an error of exactly 0 has no place on a log axis: it is drawn here


@dataclass(frozen=True)
class MethodCurve:
    errors: Sequence[float] | None
    best_h: float | None
    best_error: float | None
    theory: Sequence[float] | None
    optimal_h: float | None
    rule: str
    reason: str | None


@dataclass(frozen=True)
class SweepView:
    title: str
    h: Sequence[float]
    methods: dict[str, MethodCurve]
    dtype: str
    eps: float
    scope: str


def _log_errors(values: Sequence[float]) -> list[float]:
    """log10 of each error, zeros drawn at the floor, NaN (a gap) where the error is not finite."""
    return [math.log10(max(v, ERROR_FLOOR)) if math.isfinite(v) else math.nan for v in values]


def _power_ticks(low: int, high: int, max_ticks: int) -> tuple[list[float], list[str]]:
    stride = max(1, math.ceil((high - low + 1) / max(2, max_ticks)))
    exponents = [k for k in range(low, high + 1) if (high - k) % stride == 0]
    return [float(k) for k in exponents], [f"1e{k}" for k in exponents]


class ErrorPlot(LabPlot):
    """Log-log axes drawn by hand: x = log10(h), y = log10(error), ticks labelled 1e-8.

    (plotext's own log scale transforms its data in place on every build, and a
    Textual widget is built on every repaint.)
    """

    def draw(self, view: SweepView, enabled: Sequence[str], h_now: float) -> None:
        plt = self.start(view.title)
        shown = [m for m in view.methods if m in enabled and view.methods[m].errors is not None]
        if not shown:
            self.show_message(view.title, "no step method enabled: press w, b, c, v or i")
            return
        x = [math.log10(h) for h in view.h]
        curves = {m: _log_errors(view.methods[m].errors or []) for m in shown}
        finite = [v for ys in curves.values() for v in ys if math.isfinite(v)]
        if not finite:
            self.show_message(view.title, "no finite error to draw")
            return
        y_low, y_high = math.floor(min(finite)), math.ceil(max(finite))
        y_high = max(y_high, y_low + 1)
        # Headroom above the curves for the legend, which plotext puts in the top-left corner.
        canvas_rows = max(4, self.size.height - 5)
        y_high += math.ceil((len(shown) + 0.5) * (y_high - y_low) / max(1, canvas_rows - len(shown) - 1))
        box = (min(x), max(x), float(y_low), float(y_high))
        for method in shown:
            curve, color = view.methods[method], METHOD_COLORS[method]
            plot_with_gaps(plt, x, curves[method], color)
            if curve.theory is not None:
                # Every other point of the model, as dots: it reads as a dashed line beside the measured one.
                model = _log_errors(curve.theory)
                points = [(hx, e) for hx, e in zip(x[::2], model[::2]) if math.isfinite(e) and y_low <= e <= y_high]
                if points:
                    plt.scatter([p[0] for p in points], [p[1] for p in points], color=color, marker="·")
            if curve.best_h is not None and curve.best_error is not None:
                plt.scatter([math.log10(curve.best_h)], _log_errors([curve.best_error]), color=color, marker="◆")
        for method in shown:
            legend_entry(plt, x, curves[method], method, METHOD_COLORS[method], box)
        if box[0] <= math.log10(h_now) <= box[1]:
            plt.vertical_line(math.log10(h_now), color="gray")
        plt.xlim(box[0], box[1])
        plt.ylim(y_low, y_high)
        width, height = max(self.size.width, 20), max(self.size.height, 8)
        plt.xticks(*_power_ticks(math.floor(box[0]), math.ceil(box[1]), width // 8))
        plt.yticks(*_power_ticks(y_low, y_high, max(2, height // 3)))
        plt.xlabel("h")
        self.refresh()


class Explanation(Static):
    """Truncation versus round-off, with this function's numbers filled in."""

    def show(self, view: SweepView, enabled: Sequence[str], h_now: float) -> None:
        intro = Text.from_markup(
            f"[b]Truncation vs round-off[/] · {view.dtype}, eps = {view.eps:.1e} · {view.scope}\n"
            "Smaller h cuts truncation (~ C·h^p) but f(x+h) − f(x) cancels digits: round-off grows like "
            "eps·|f|/h. The sum is least at a sweet spot h*. Dots: model · ◆: measured best · grey: current h."
        )
        table = Table(box=None, padding=(0, 1), show_edge=False, expand=False)
        for column, justify in (("method", "left"), ("best h", "right"), ("error", "right"), ("model h*", "right"), ("scaling", "left"), (f"at h={h_now:.0e}", "right")):
            table.add_column(column, justify=justify, no_wrap=True)  # type: ignore[arg-type]
        for method, curve in view.methods.items():
            if method not in enabled:
                continue
            name = Text(method, style=hex_color(method))
            if curve.errors is None:
                table.add_row(name, Text(curve.reason or "not applicable", style="italic"))
                continue
            best_h, best = (f"{curve.best_h:.1e}", f"{curve.best_error:.1e}") if curve.best_h is not None and curve.best_error is not None else ("—", "—")
            model = f"{curve.optimal_h:.1e}" if curve.optimal_h is not None else "—"
            table.add_row(name, best_h, best, model, _short_rule(curve.rule), _error_at(view.h, curve.errors, h_now))
        self.update(Group(intro, table))


def _short_rule(rule: str) -> str:
    return rule.removeprefix("h* ~ ").replace("no cancellation: any h below ~ eps^(1/2) gives full precision", "flat below eps^(1/2)")


def _error_at(hs: Sequence[float], errors: Sequence[float], h: float) -> str:
    index = min(range(len(hs)), key=lambda i: abs(math.log10(hs[i]) - math.log10(h)))
    value = errors[index]
    return f"{value:.1e}" if math.isfinite(value) else "not finite"
