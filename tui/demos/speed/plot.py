"""The Speed demo's views: derivatives per second against N on log-log axes (with the bandwidth bound, the regimes
and the skipped sizes), the speed-up of CUDA over the CPU, and the table of each method at its largest N."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from rich.console import Group
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from engine.speed import SpeedReport
from engine.speed.report import base_method, compiled_name, is_compiled
from tui.demos.speed.compute import BoundStep, MethodRow, SkipSummary, bound_steps, seconds, si, skip_marks
from tui.look import Look
from tui.style import METHOD_COLORS
from tui.widgets.plotting import BasePlot, painted, plot_with_gaps

# The demo's methods in the colours the other demos use; vmap(grad) is this demo's own.
SPEED_COLORS: dict[str, tuple[int, int, int]] = {
    "exact": METHOD_COLORS["exact"],
    "autograd": METHOD_COLORS["autograd"],
    "vmap-grad": (0, 170, 190),
    "central": METHOD_COLORS["central"],
    "complex-step": METHOD_COLORS["complex-step"],
}
# Without colour a curve is its letter: lower case eager, upper case compiled.
SPEED_LETTERS: dict[str, str] = {"exact": "e", "autograd": "a", "vmap-grad": "v", "central": "c", "complex-step": "i"}
BOUND_COLOR = "gray"
SKIP_COLORS: dict[str, tuple[int, int, int]] = {"!": (230, 60, 60), "x": (230, 60, 60), "m": (210, 150, 30), "t": (210, 150, 30)}
UNRELIABLE_COLOR = (230, 60, 60)  # a figure not to be believed: "!" on its point
REGIME_SHORT = {"overhead": "ovh", "cache": "cache", "memory": "mem"}


def method_color(name: str) -> tuple[int, int, int]:
    return SPEED_COLORS[base_method(name)]


def method_letter(name: str) -> str:
    letter = SPEED_LETTERS[base_method(name)]
    return letter.upper() if is_compiled(name) else letter


def _decade_ticks(low: float, high: float, max_ticks: int, label: str = "{}") -> tuple[list[float], list[str]]:
    """Ticks at powers of ten between log10 bounds (half decades where fewer than two fit), thinned to fit, labelled 1k, 10M, ..."""
    for step in (1.0, 0.5, 0.25):
        first, last = math.ceil(low / step - 1e-9), math.floor(high / step + 1e-9)
        exponents = [k * step for k in range(first, last + 1)]
        if len(exponents) >= 2:
            break
    stride = max(1, math.ceil(len(exponents) / max(2, max_ticks)))
    exponents = exponents[::stride]
    return exponents, [label.format(si(10.0**k)) for k in exponents]


Box = tuple[float, float, float, float]  # x0, x1, y0, y1 in log10 units


class SpeedPlot(BasePlot):
    """Log-log axes drawn by hand (as ErrorPlot does): x = log10(N), y = log10(derivatives per second)."""

    @painted
    def draw_report(self, report: SpeedReport, title: str) -> None:
        curves = [(m.name, [s.n for s in m.samples], [s.per_second for s in m.samples]) for m in report.methods if m.samples]
        if not curves:
            message = "cancelled before the first size: m measures again" if report.cancelled else "no size measured yet"
            self.show_message(title, message)
            return
        steps = bound_steps(report)
        sizes = [*report.sizes, *(n for _, ns, _ in curves for n in ns)]
        rates = [r for _, _, rs in curves for r in rs if r > 0] + [step.per_second for step in steps if _in_range(step, sizes)]
        (x_low, x_high), (y_low, y_high) = _decades(sizes), _decades(rates)
        row = (y_high - y_low) / self._canvas_rows
        # A row above the curves for the regime names, one below them for the skipped sizes' marks.
        box = (x_low - 0.03 * (x_high - x_low), x_high + 0.03 * (x_high - x_low), y_low - 1.2 * row, y_high + 1.2 * row)
        plt = self.start(title)
        look = self.look
        self._bound(steps, box, row, y_high, look)
        self._regimes(report, box, y_high + 0.7 * row, look)
        self._curves(curves, box, look)
        shaky = [
            (math.log10(s.n), math.log10(s.per_second)) for m in report.methods for s in m.samples if s.unreliable and s.per_second > 0
        ]
        if shaky:
            plt.scatter([x for x, _ in shaky], [y for _, y in shaky], color=UNRELIABLE_COLOR, marker="!")
        for n, mark in skip_marks(report):
            plt.scatter([math.log10(n)], [y_low - 0.6 * row], color=SKIP_COLORS.get(mark, BOUND_COLOR), marker=mark)
        self._axes(box, (x_low, x_high), (y_low, y_high), "{}/s")

    @painted
    def draw_speedup(self, speedups: Mapping[str, Sequence[tuple[int, float]]], title: str) -> None:
        curves = [(name, [n for n, _ in pairs], [r for _, r in pairs]) for name, pairs in speedups.items() if pairs]
        if not curves:
            self.show_message(title, "no size was measured on both devices")
            return
        sizes = [n for _, ns, _ in curves for n in ns]
        ratios = [r for _, _, rs in curves for r in rs if r > 0] + [1.0]
        (x_low, x_high), (y_low, y_high) = _decades(sizes), _decades(ratios)
        row = (y_high - y_low) / self._canvas_rows
        box = (x_low - 0.03 * (x_high - x_low), x_high + 0.03 * (x_high - x_low), y_low - 0.5 * row, y_high + 0.5 * row)
        plt = self.start(title)
        look = self.look
        plot_with_gaps(plt, [box[0], box[1]], [0.0, 0.0], BOUND_COLOR, box, "=" if look.plain_markers else "braille")
        self._text_before("same speed", box[1], 0.6 * row, box)
        self._curves(curves, box, look)
        self._axes(box, (x_low, x_high), (y_low, y_high), "{}×" if not look.ascii else "{}x")

    # -- pieces ---------------------------------------------------------------------------------

    def _bound(self, steps: Sequence[BoundStep], box: Box, row: float, y_high: float, look: Look) -> None:
        """The bound as steps over N: a copy of each N, main memory's beyond; each step wide enough is labelled."""
        marker = "=" if look.plain_markers else "braille"
        previous: tuple[float, float] | None = None
        for step in steps:
            left = box[0] if step.low is None else max(box[0], math.log10(step.low))
            right = box[1] if step.high is None else min(box[1], math.log10(step.high))
            y = math.log10(step.per_second)
            if previous is not None and box[0] <= previous[0] <= box[1]:
                plot_with_gaps(self.plt, [previous[0], previous[0]], [previous[1], y], BOUND_COLOR, box, marker)  # the riser
            previous = (right, y)
            if right <= left:
                continue
            plot_with_gaps(self.plt, [left, right], [y, y], BOUND_COLOR, box, marker)
            label = f"{step.place} bound {si(step.per_second)}/s"
            if (right - left) * self._columns_per_unit(box) >= len(label) + 2:
                # Above the line, or below it where the regime names are right above.
                self._text_before(label, right, y + 0.6 * row if y + 1.5 * row < y_high else y - 0.6 * row, box)

    @property
    def _canvas_rows(self) -> int:
        """About how many rows plotext gives the data (the title, the frame and the tick labels take the rest)."""
        return max(4, self.size.height - 5)

    def _columns_per_unit(self, box: Box) -> float:
        """About how many columns a decade takes (the tick labels and the frame take about 12)."""
        return max(10, self.size.width - 12) / max(1e-9, box[1] - box[0])

    def _curves(self, curves: Sequence[tuple[str, Sequence[int], Sequence[float]]], box: Box, look: Look) -> None:
        """Each curve in its colour (its letter without colour), named by its letter at its last point.

        The table is the legend. Colour alone cannot tell a compiled curve from its eager twin, so a compiled
        curve carries its capital letter at every point. Letters that would land on one another move right.
        """
        plt = self.plt
        columns, rows = self._columns_per_unit(box), self._canvas_rows / max(1e-9, box[3] - box[2])
        width = (box[1] - box[0]) * columns
        taken: list[tuple[float, float]] = []
        lines = []
        for name, ns, values in curves:
            x = [math.log10(n) for n in ns]
            y = [math.log10(v) if v > 0 else math.nan for v in values]
            plot_with_gaps(plt, x, y, method_color(name), box, method_letter(name) if look.plain_markers else "braille")
            lines.append((name, [(a, b) for a, b in zip(x, y, strict=True) if math.isfinite(b)]))
        for name, points in lines:  # after every line, so that no line covers a letter
            placed = []
            for a, b in points if is_compiled(name) else points[-1:]:
                at, row = (a - box[0]) * columns, (b - box[2]) * rows
                # plotext rounds to cells its own way: anything closer than a cell may land on the same one. A letter
                # that would moves right, or left where the frame is near, to the nearest free place.
                shifts = sorted(range(-8, 9), key=lambda shift: (abs(shift), -shift))
                free = [
                    at + shift
                    for shift in shifts
                    if 0 <= at + shift <= width and not any(abs(at + shift - c) < 1 and abs(row - r) < 1 for c, r in taken)
                ]
                column = free[0] if free else at
                taken.append((column, row))
                placed.append((box[0] + column / columns, b))
            plt.scatter([p[0] for p in placed], [p[1] for p in placed], color=method_color(name), marker=method_letter(name))

    def _text_before(self, label: str, x_right: float, y: float, box: Box) -> None:
        """`label` ending just inside `x_right` (plotext would cut a right-aligned label at the frame)."""
        left = x_right - (len(label) + 2) / self._columns_per_unit(box)
        self.plt.text(label, max(box[0], left), y, color=BOUND_COLOR, alignment="left", background=self.canvas_color)

    def _regimes(self, report: SpeedReport, box: Box, y: float, look: Look) -> None:
        """Each regime's span named along the top, a dotted line between two spans (where the sizes change regime)."""
        spans = report.regime_spans()
        plt = self.plt
        columns = self._columns_per_unit(box)
        for index, (regime, first, last) in enumerate(spans):
            left = box[0] if index == 0 else (math.log10(spans[index - 1][2]) + math.log10(first)) / 2
            right = box[1] if index == len(spans) - 1 else (math.log10(last) + math.log10(spans[index + 1][1])) / 2
            if index > 0:
                rows = [box[2] + k * (box[3] - box[2]) / 12 for k in range(0, 13, 2)]
                plt.scatter([left] * len(rows), rows, color=BOUND_COLOR, marker=":" if look.plain_markers else "┊")
            room = (right - left) * columns
            label = regime if room >= len(regime) + 2 else REGIME_SHORT[regime] if room >= len(REGIME_SHORT[regime]) + 1 else regime[0]
            plt.text(label, (left + right) / 2, y, color=BOUND_COLOR, alignment="center", background=self.canvas_color)

    def _axes(self, box: Box, xs: tuple[float, float], ys: tuple[float, float], y_label: str) -> None:
        plt = self.plt
        plt.xlim(box[0], box[1])
        plt.ylim(box[2], box[3])
        width, height = max(self.size.width, 20), max(self.size.height, 8)
        plt.xticks(*_decade_ticks(xs[0], xs[1], width // 8))
        plt.yticks(*_decade_ticks(ys[0], ys[1], max(2, (height - 4) // 2), y_label))
        if height >= 16:  # a short plot gives the row to the curves
            plt.xlabel("N")


def _in_range(step: BoundStep, sizes: Sequence[int]) -> bool:
    """Whether the step covers any of the sizes drawn (a step off the axes must not stretch them)."""
    low, high = min(sizes), max(sizes)
    return (step.low is None or step.low <= high) and (step.high is None or step.high >= low)


def _decades(values: Sequence[float]) -> tuple[float, float]:
    """log10 limits around positive values, at least one decade wide."""
    low, high = math.log10(min(values)), math.log10(max(values))
    if high - low < 1:  # a single size or rate still gets a decade of room
        middle = (low + high) / 2
        return middle - 0.5, middle + 0.5
    return low, high


# The table's columns: (header, eager or compiled part, cell, priority): the highest priority number goes first when
# the table is wider than its place (0 stays). Every part keeps its own N: eager and compiled rates come from different N.
_SINGLE_COLUMNS = [
    ("N", "e", "n", 0),
    ("deriv/s", "e", "rate", 0),
    ("GB/s", "e", "gbps", 5),
    ("bound", "e", "bound", 0),
    ("spread", "e", "spread", 4),
    ("overhead/call", "e", "call", 2),
    ("time/call at N", "e", "time", 2),
]
_COMPILED_COLUMNS = [("compile", "e", "compile", 1), ("graphs", "e", "graphs", 1)]
_PAIRED_COLUMNS = [
    ("N", "e", "n", 0),
    ("eager/s", "e", "rate", 0),
    ("GB/s", "e", "gbps", 6),
    ("bound", "e", "bound", 1),
    ("spread", "e", "spread", 5),
    ("overhead/call", "e", "call", 4),
    ("time/call at N", "e", "time", 4),
    ("│", "e", "bar", 0),
    ("N", "c", "n", 0),
    ("compiled/s", "c", "rate", 0),
    ("GB/s", "c", "gbps", 6),
    ("bound", "c", "bound", 1),
    ("spread", "c", "spread", 5),
    ("overhead/call", "c", "call", 4),
    ("time/call at N", "c", "time", 4),
    ("compile", "c", "compile", 2),
    ("graphs", "c", "graphs", 3),
]
_EMPTY = ("n", "rate", "gbps", "bound", "spread", "call", "time", "compile", "graphs", "speedup")


def _cells(row: MethodRow | None, ascii_only: bool) -> dict[str, str]:
    times = "x" if ascii_only else "×"
    if row is None:
        return {**dict.fromkeys(_EMPTY, ""), "bar": "│"}
    graphs = "—" if row.graphs is None else f"{row.graphs}{'!' if row.graph_breaks else ''}"
    if row.n is None:
        cells = dict.fromkeys(("rate", "gbps", "bound", "spread", "time", "speedup"), "—" if row.why_not else "…")
        return {
            **cells,
            "n": "n/a" if row.why_not else "…",
            "call": seconds(row.overhead_s),
            "compile": seconds(row.compile_s),
            "graphs": graphs,
            "bar": "│",
        }
    # A share above the bound is a timing error, not a figure; any other reason to doubt marks the rate with "!".
    bound = "over!" if row.exceeds_bound else f"{row.bound_fraction:.0%}" if math.isfinite(row.bound_fraction) else "—"
    return {
        "n": si(row.n),
        "rate": si(row.per_second) + ("!" if row.unreliable or row.not_compiled else ""),
        "gbps": f"{row.gbps:.3g}",
        "bound": bound,
        "spread": f"{row.spread:.0%}" if math.isfinite(row.spread) else "—",
        "call": seconds(row.overhead_s),
        "time": seconds(row.time_per_call_s),
        "compile": seconds(row.compile_s),
        "graphs": graphs,
        "speedup": f"{row.speedup:.3g}{times}" if row.speedup is not None else "—",
        "bar": "│",
    }


class SpeedTable(Static):
    """Each method at the largest N it reached: rate, GB/s, share of the bound, cost of a call, compile time; then the notes.

    With compiled methods, a method's compiled twin shares its line (its numbers to the right of the bar), so the table
    stays five lines high on a small terminal.
    """

    def show(
        self, rows: Sequence[MethodRow], skips: Sequence[SkipSummary], look: Look, speedup_label: str | None, notes: Sequence[str] = ()
    ) -> None:
        by_name = {row.name: row for row in rows}
        bases = list(dict.fromkeys(base_method(row.name) for row in rows))
        paired = any(is_compiled(row.name) for row in rows) and not all(is_compiled(row.name) for row in rows)
        if paired:
            lines = [(base, by_name.get(base), by_name.get(compiled_name(base))) for base in bases]
            columns = list(_PAIRED_COLUMNS)
        else:  # one kind only (eager, or compiled alone): one row a method, in the first part
            lines = [(base_method(row.name), row, None) for row in rows]
            compiled_only = any(is_compiled(row.name) for row in rows)
            columns = [*_SINGLE_COLUMNS, *(_COMPILED_COLUMNS if compiled_only else [])]
        if speedup_label:
            columns.insert(columns.index(("│", "e", "bar", 0)) if paired else len(columns), (speedup_label, "e", "speedup", 1))
            if paired:
                columns.append((speedup_label, "c", "speedup", 1))
        cells = [(base, _cells(eager, look.ascii), _cells(compiled, look.ascii)) for base, eager, compiled in lines]
        table = self._table(columns, lines, cells, look)
        room = self.size.width or 80
        unbounded = self.app.console.options.update_width(10_000)  # Measurement clamps to the width it is given
        while Measurement.get(self.app.console, unbounded, table).maximum > room:
            worst = max(column[3] for column in columns)
            if worst == 0:
                break
            columns.pop(max(i for i, column in enumerate(columns) if column[3] == worst))  # the rightmost of the least important
            table = self._table(columns, lines, cells, look)
        reasons: list[Text] = []
        for base, eager, compiled in lines:
            style = _style(base, look)
            for row in (eager, compiled):
                if row is None:
                    continue
                label = base + (", compiled" if is_compiled(row.name) else "")
                unreliable = f"at N = {si(row.n)}: {row.unreliable}" if row.unreliable and row.n else ""
                for why in (row.why_not, row.not_compiled, unreliable, row.gain):
                    if why:
                        reasons.append(Text.assemble((f"{label}: ", f"bold {style}"), why))
        extra = [Text(note, style="dim") for note in notes] + reasons
        if skips:
            extra.append(Text("skipped (marked under the curves):", style="dim"))
            extra += [Text(summary.describe()) for summary in skips]
        self.update(Group(table, *extra))

    @staticmethod
    def _table(
        columns: Sequence[tuple[str, str, str, int]],
        lines: Sequence[tuple[str, MethodRow | None, MethodRow | None]],
        cells: Sequence[tuple[str, dict[str, str], dict[str, str]]],
        look: Look,
    ) -> Table:
        table = Table(box=None, padding=(0, 1), show_edge=False, expand=False)
        table.add_column("", no_wrap=True)
        table.add_column("method", no_wrap=True)
        for header, _part, _field, _priority in columns:
            table.add_column(header, justify="center" if header == "│" else "right", no_wrap=True)
        for (base, eager, compiled), (_, eager_cells, compiled_cells) in zip(lines, cells, strict=True):
            style = _style(base, look)
            letters = " ".join(method_letter(row.name) for row in (eager, compiled) if row is not None)
            values = [(eager_cells if part == "e" else compiled_cells)[field] for _header, part, field, _priority in columns]
            table.add_row(Text(letters, style=f"bold {style}"), Text(base, style=style), *values)
        return table


def _style(method: str, look: Look) -> str:
    return "#{:02x}{:02x}{:02x}".format(*method_color(method)) if look.color else ""
