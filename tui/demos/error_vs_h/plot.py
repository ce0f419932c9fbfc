"""The Error-vs-h views: the log-log error plot and the truncation-versus-round-off explanation."""

from __future__ import annotations

import math
from collections.abc import Sequence

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from engine.vocabulary import derivative_name, method_keys
from tui.demos.error_vs_h.compute import Extrapolated, SweepView
from tui.export import UNDEFINED, defined
from tui.style import METHOD_COLORS, hex_color
from tui.widgets.plotting import BasePlot, legend_entry, painted, plot_with_gaps

ERROR_FLOOR = 1e-17  # an error of exactly 0 has no place on a log axis: it is drawn here
ERROR_CEILING_EXPONENT = 2


def _log_errors(values: Sequence[float]) -> list[float]:
    """log10 of each error, zeros drawn at the floor, NaN (a gap) where the error is not finite."""
    return [math.log10(max(v, ERROR_FLOOR)) if math.isfinite(v) else math.nan for v in values]


def _power_ticks(low: int, high: int, max_ticks: int) -> tuple[list[float], list[str]]:
    stride = max(1, math.ceil((high - low + 1) / max(2, max_ticks)))
    exponents = [k for k in range(low, high + 1) if (high - k) % stride == 0]
    return [float(k) for k in exponents], [f"1e{k}" for k in exponents]


class ErrorPlot(BasePlot):
    """Log-log axes drawn by hand: x = log10(h), y = log10(error), ticks labelled 1e-8.

    (plotext's own log scale transforms its data in place on every build, and a
    Textual widget is built on every repaint.)
    """

    @painted
    def draw(self, view: SweepView, enabled: Sequence[str], h_now: float) -> None:
        plt = self.start(view.title)
        shown = [m for m in view.methods if m in enabled and view.methods[m].errors is not None]
        extrapolated = _drawable(view.richardson) if "richardson" in enabled else None
        if not shown and extrapolated is None:
            self.show_message(view.title, f"no method enabled: press {method_keys((*view.methods, 'richardson'))}")
            return
        x = [math.log10(h) for h in view.h]
        curves = {m: _log_errors(view.methods[m].errors or []) for m in shown}
        finite = [v for ys in curves.values() for v in ys if math.isfinite(v)]
        if extrapolated is not None:
            finite += _log_errors([extrapolated.error or 0.0, extrapolated.estimate or 0.0])
        legends = len(shown) + (extrapolated is not None)
        if not finite:
            self.show_message(view.title, "no finite error to draw")
            return
        # Errors above 1e2 say only "garbage"; past that the curves leave through the top.
        y_low, data_high = math.floor(min(finite)), min(math.ceil(max(finite)), ERROR_CEILING_EXPONENT)
        data_high = max(data_high, y_low + 1)
        # Headroom above the curves for the legend, which plotext puts in the top-left corner; a short
        # plot has no room for it, and the coloured table under it names the curves anyway.
        canvas_rows = max(4, self.size.height - 5)
        with_legend = canvas_rows >= 3 * (legends + 1)
        headroom = (legends + 0.5) * (data_high - y_low) / max(1, canvas_rows - legends - 1)
        y_high = data_high + (math.ceil(headroom) if with_legend else 0)
        box = (min(x), max(x), float(y_low), float(data_high))  # the curves stay below the legend's headroom
        look = self.look
        for method in shown:
            curve, color = view.methods[method], METHOD_COLORS[method]
            plot_with_gaps(plt, x, curves[method], color, box, look.curve_marker(method))
            if curve.theory is not None:
                # Every other point of the model, as dots: it reads as a dashed line beside the measured one.
                model = _log_errors(curve.theory)
                points = [(hx, e) for hx, e in zip(x[::2], model[::2], strict=True) if math.isfinite(e) and y_low <= e <= data_high]
                if points:
                    plt.scatter([p[0] for p in points], [p[1] for p in points], color=color, marker="." if look.ascii else "·")
            if curve.best_h is not None and curve.best_error is not None:
                plt.scatter([math.log10(curve.best_h)], _log_errors([curve.best_error]), color=color, marker="#" if look.ascii else "◆")
        if extrapolated is not None:
            self._draw_richardson(extrapolated, box, with_legend)
        for method in shown if with_legend else ():
            legend_entry(plt, x, curves[method], method, METHOD_COLORS[method], box, look.curve_marker(method))
        if box[0] <= math.log10(h_now) <= box[1]:
            plt.vertical_line(math.log10(h_now), color="gray")
        plt.xlim(box[0], box[1])
        plt.ylim(y_low, y_high)
        width, height = max(self.size.width, 20), max(self.size.height, 8)
        plt.xticks(*_power_ticks(math.floor(box[0]), math.ceil(box[1]), width // 8))
        plt.yticks(*_power_ticks(y_low, data_high, max(2, (height - 2 - legends) // 3)))
        plt.xlabel("h")

    def _draw_richardson(self, point: Extrapolated, box: tuple[float, float, float, float], with_legend: bool) -> None:
        """One point, since it picks its own h: its true error, with a bar up (or down) to the error it claims."""
        plt, look, color = self.plt, self.look, METHOD_COLORS["richardson"]
        x = math.log10(point.final_h or 1.0)
        if not box[0] <= x <= box[1]:
            return
        error, estimate = _log_errors([point.error or 0.0, point.estimate or 0.0])
        error, estimate = (min(max(v, box[2]), box[3]) for v in (error, estimate))
        plt.plot([x, x], [error, estimate], color=color, marker="|" if look.ascii else "│")
        plt.scatter([x], [estimate], color=color, marker="-" if look.ascii else "━")
        marker = "R" if look.plain_markers else "★"
        plt.scatter([x], [error], color=color, marker=marker, label="richardson (bar: its estimate)" if with_legend else None)


class Explanation(Static):
    """Truncation versus round-off, with this function's numbers filled in."""

    def show(self, view: SweepView, enabled: Sequence[str], h_now: float) -> None:
        # Small terminals get the numbers without the prose (the help screen has it all).
        roomy = self.screen.size.height >= 32
        wide = self.size.width >= 72 or self.size.width == 0
        heading = f"[b]Truncation vs round-off[/] for {derivative_name(view.order)} · {view.dtype}, eps = {view.eps:.1e} · {view.scope}"
        power = "h" if view.order == 1 else f"h^{view.order}"
        prose = (
            f"\nSmaller h cuts truncation (~ C·h^p) but the stencil's differences cancel digits: round-off grows like "
            f"eps·|f|/{power}. The sum is least at a sweet spot h*. Dots: model · ◆: measured best · grey: current h"
            + (" · ★: Richardson, bar to its own estimate." if "richardson" in enabled else ".")
        )
        intro = Text.from_markup(heading + (prose if roomy else ""))
        table = Table(box=None, padding=(0, 1), show_edge=False, expand=False)
        if wide:
            columns = [
                ("method", "left"),
                ("best h", "right"),
                ("error", "right"),
                ("model h*", "right"),
                ("scaling", "left"),
                ("at h now", "right"),
            ]
        else:
            columns = [("method", "left"), ("best h", "right"), ("error", "right"), ("h*", "right"), ("now", "right")]
        for column, justify in columns:
            table.add_column(column, justify=justify, no_wrap=True)  # type: ignore[arg-type]
        number = "{:.1e}" if wide else "{:.0e}"
        notes = []
        for method, curve in view.methods.items():
            if method not in enabled:
                continue
            name = Text(method, style=hex_color(method))
            if curve.errors is None:
                table.add_row(name, "n/a")
                notes.append(Text.assemble((method, hex_color(method)), f": {curve.reason or 'not applicable'}"))
                continue
            best_h, best = (
                (number.format(curve.best_h), number.format(curve.best_error))
                if curve.best_h is not None and curve.best_error is not None
                else ("—", "—")
            )
            model = number.format(curve.optimal_h) if curve.optimal_h is not None else "—"
            cells = [best_h, best, model, _short_rule(curve.rule), _error_at(view.h, curve.errors, h_now, number)]
            table.add_row(name, *(cells if wide else cells[:3] + cells[4:]))
        if "richardson" in enabled and view.richardson is not None:
            notes += _richardson_row(table, view.richardson, number, wide)
        if view.notice:
            notes.append(Text(view.notice, style="yellow"))
        self.update(Group(intro, table, *notes))


def _richardson_row(table: Table, point: Extrapolated, number: str, wide: bool) -> list[Text]:
    """Richardson in the table: where it ended, its true error and, where the model's h* goes, its own estimate."""
    name = Text("richardson", style=hex_color("richardson"))
    if point.final_h is None or point.error is None or point.estimate is None:
        table.add_row(name, "n/a")
        return [Text.assemble(("richardson", hex_color("richardson")), f": {point.reason or 'not applicable'}")]
    estimate = Text(f"est {number.format(point.estimate)}" + ("!" if point.too_optimistic else ""))
    if point.too_optimistic:
        estimate.stylize("bold yellow")
    scaling = f"own h, {point.evaluations} evals"
    table.add_row(name, number.format(point.final_h), number.format(point.error), estimate, *([scaling, ""] if wide else [""]))
    if point.too_optimistic:
        why = ": ! its estimate is over 10x too optimistic, or at a kink (see ? for why)"
        return [Text.assemble(("richardson", hex_color("richardson")), why)]
    return []


def _drawable(point: Extrapolated | None) -> Extrapolated | None:
    if point is None or point.final_h is None or point.error is None or point.estimate is None:
        return None
    return point


def _short_rule(rule: str) -> str:
    return rule.removeprefix("h* ~ ").replace("no cancellation: any h below ~ eps^(1/2) gives full precision", "flat below eps^(1/2)")


def _error_at(hs: Sequence[float], errors: Sequence[float], h: float, number: str = "{:.1e}") -> str:
    index = min(range(len(hs)), key=lambda i: abs(math.log10(hs[i]) - math.log10(h)))
    value = errors[index]
    return number.format(value) if defined(value) else UNDEFINED
