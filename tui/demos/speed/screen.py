"""Demo 6, Speed: derivatives per second against N for the lab's f, eager and compiled, against the memory-bandwidth bound."""

from __future__ import annotations

import math
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import ProgressBar, Static

from engine.speed import REGIME_TEXT, SpeedReport
from tui.demos.speed.compute import (
    VIEWS,
    ReportKey,
    SpeedMeasure,
    SpeedView,
    bound_steps,
    counterpart,
    cuda_over_cpu,
    for_view,
    is_cuda,
    measure,
    method_rows,
    partial_report,
    si,
    skip_summaries,
)
from tui.demos.speed.plot import SpeedPlot, SpeedTable
from tui.export import Table
from tui.presets import LAB_PRESETS, Preset
from tui.screens.base import DemoScreen
from tui.state import with_function
from tui.widgets.function_input import FunctionInput


class SpeedScreen(DemoScreen[SpeedMeasure, SpeedView]):
    CSS_PATH = "style.tcss"
    WORK = "speed measurement"
    HELP_PATH = "help.md"
    HELP_VALUES: ClassVar[dict[str, str]] = {f"regime_{name}": text for name, text in REGIME_TEXT.items()}
    PRESETS = LAB_PRESETS
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("m", "measure", "Measure"),
        Binding("c", "cycle_view", "Eager/compiled"),
        Binding("s", "toggle_speedup", "Speed-up"),
        Binding("t", "toggle_table", "Table"),
        Binding("T", "toggle_threads", "Threads", show=False),
        Binding("escape", "stop", "Stop", show=False),
    ]

    def __init__(self) -> None:
        super().__init__(long_compute=measure)
        self.reports: dict[ReportKey, SpeedReport] = {}  # every report measured this session, kept for coming back
        self._report_runs: dict[ReportKey, int] = {}  # the run (m presses) that made each kept report
        self._runs: dict[ReportKey, int] = {}  # the run asked for each key
        self.view_mode = VIEWS[0]  # eager, compiled or both (c cycles)
        self.threads: int | None = None  # None: torch's own count (one per core); 1 is steadier on a busy machine
        self.speedup_view = False
        self.measuring: SpeedMeasure | None = None  # the measurement whose progress and samples are shown
        self._live: SpeedReport | None = None  # its report so far
        self._progress = (0, 0, "")

    # -- layout ---------------------------------------------------------------------------------

    def compose_sidebar(self) -> ComposeResult:
        lab = self.state.lab
        yield FunctionInput(lab.function, history=lab.history)
        yield Static("", id="speed-panel", classes="panel")

    def compose_main(self) -> ComposeResult:
        with Vertical(id="main"):
            yield Static("", id="speed-info")
            with Horizontal(id="progress-row"):
                yield ProgressBar(id="progress", show_eta=False)
                yield Static("", id="progress-label")
            yield SpeedPlot(id="speed-plot")
            yield SpeedTable("", id="speed-table")

    # -- from the state to a measurement ------------------------------------------------------

    def key(self) -> ReportKey | None:
        precision = self.state.precision
        if precision.device is None:
            return None
        return ReportKey(self.state.lab.function, precision.device, precision.dtype, self.compiled, self.threads)

    @property
    def compiled(self) -> bool:
        """Whether the shown view needs the compiled rows measured."""
        return self.view_mode != "eager"

    def request(self) -> SpeedMeasure | None:
        """A measurement when this key has no kept report (or m asked again); None shows the kept one."""
        key = self.key()
        if key is None:
            return None
        run = self._runs.get(key, 0)
        kept = self.reports.get(key)
        if kept is not None and self._report_runs.get(key) == run and (any(m.samples for m in kept.methods) or not kept.cancelled):
            return None
        return SpeedMeasure(key, run, self.state.precision.device_label)

    def before_compute(self, request: SpeedMeasure) -> None:
        if self.computation.busy:
            # One measurement at a time: the one for a state no longer shown stops (its partial report is kept).
            self.computation.cancel()
        self.measuring = request
        self._live = None
        self._progress = (0, 0, "starting")

    # -- what the measuring thread sends ----------------------------------------------------------

    def progress(self, done: int, total: int, label: str) -> None:
        if self.measuring is not None:
            self._progress = (done, total, label)
            self.show_progress()

    def draw_partial(self, view: SpeedView) -> None:
        if self.measuring is not None and view.key == self.measuring.key:
            self._live = view.report
            self.show_measurement()

    def on_new_view(self, view: SpeedView) -> None:
        """A measurement ended (complete, or stopped with what it had): keep it for coming back."""
        self.reports[view.key] = view.report
        self._report_runs[view.key] = view.run
        if self.measuring is not None and self.measuring.key == view.key:
            self.measuring, self._live = None, None

    def failed(self, error: BaseException) -> None:
        self.measuring, self._live = None, None
        self.show_measurement()

    def suspended(self) -> None:
        # Leaving the demo stops a measurement (the other demos get the CPU back); help on top of it does not.
        if self.app.current_mode != "speed" and self.computation.busy:
            self.computation.cancel()

    def notice(self, view: SpeedView) -> str:
        report = view.report
        if report.cancelled:
            measured = sum(len(m.samples) for m in report.methods)
            what = f"{measured} measurement{'s' if measured != 1 else ''}"
            return f"[yellow]cancelled after {what}: kept, marked cancelled; m measures again[/]"
        return f"[dim]measured in {report.elapsed_s:.1f} s; m measures again[/]"

    # -- drawing ----------------------------------------------------------------------------------

    def show_state(self) -> None:
        lab = self.state.lab
        self.function_input.show(lab.function, lab.history)
        self.show_measurement()

    def draw(self, view: SpeedView) -> None:
        self.show_measurement()

    def shown_report(self) -> tuple[ReportKey | None, SpeedReport | None, bool]:
        """The current key, the report drawn for it (the samples so far while measuring it), and whether it is live."""
        key = self.key()
        if key is None:
            return None, None, False
        if self.measuring is not None and self.measuring.key == key:
            return key, self._live or partial_report(key, {}, self.state.precision.device_label), True
        return key, self.reports.get(key), False

    def show_measurement(self) -> None:
        key, report, live = self.shown_report()
        self.set_class(live, "-measuring")
        self.show_panel(key)
        plot, table, info = self.query_one(SpeedPlot), self.query_one(SpeedTable), self.query_one("#speed-info", Static)
        if key is None:
            info.update("")
            plot.show_message("derivatives per second", "loading torch…")
            table.update("")
            return
        title = f"derivatives per second · f(x) = {key.expression} · {key.dtype} on {key.device}"
        if report is None:
            info.update(f"[dim]{key.describe()}: not measured yet[/]")
            plot.show_message(title, "not measured yet: press m to measure (about 15 s; Esc stops)")
            table.update("")
            return
        other_key = None if live else counterpart(self.reports, key)
        other = self.reports.get(other_key) if other_key is not None else None
        info.update(self.describe(report, live, other))
        report = for_view(report, self.view_mode)
        other = for_view(other, self.view_mode) if other is not None else None
        speedups = cuda_over_cpu(report, other) if other is not None else {}
        if self.speedup_view and speedups:
            cuda, cpu = (report, other) if is_cuda(report.device) else (other, report)
            assert cuda is not None and cpu is not None
            plot.draw_speedup(speedups, f"speed-up of {cuda.device_name} over {cpu.device_name} · f(x) = {key.expression} · {key.dtype}")
        else:
            plot.draw_report(report, title + (" · CANCELLED" if report.cancelled else ""))
        notes = [f"{m.name}: {m.note}" for m in report.methods if m.note]
        if report.cancelled:
            notes.insert(0, "cancelled: a partial report (m measures again)")
        if report.unreliable():
            notes.insert(0, "! marks a figure not to be believed (why below): T measures with one thread, steadier on a busy machine")
        label = "GPU/CPU" if speedups else None
        table.show(method_rows(report, speedups), skip_summaries(report), self.state.look, label, notes)
        if live:
            self.show_progress()

    def describe(self, report: SpeedReport, live: bool, other: SpeedReport | None) -> str:
        """The line above the plot: what measured it (device, threads) and the bound, or what is being measured."""
        if live:
            return f"measuring on [b]{report.device_name}[/] · {report.dtype} · Esc stops; the rest of the app stays usable"
        steps = bound_steps(report)
        if steps and math.isfinite(report.bandwidth_gbps):
            # the copies' steps above main memory's floor (a step at the floor is main memory's, or a copy no faster)
            above = [step.per_second for step in steps if step.per_second > report.bound_per_second]
            memory = f"main memory [b]{si(report.bound_per_second)}/s[/] ({report.bandwidth_gbps:.3g} GB/s)"
            bound = f"bound: a copy of each N, up to [b]{si(max(above))}/s[/]; {memory}" if above else f"bound: {memory}"
        else:
            bound = "bandwidth not measured"
        threads = f"{report.threads} thread{'s' if report.threads != 1 else ''}"
        line = f"[b]{report.device_name}[/] · {threads} · took {report.elapsed_s:.1f} s\n{bound}"
        if other is not None:
            line += f"\n[dim]also measured on {other.device_name} ({other.device}): s plots the speed-up[/]"
        return line

    def show_progress(self) -> None:
        done, total, label = self._progress
        bar = self.query_one(ProgressBar)
        if total > 0:
            bar.update(total=total, progress=done)
        self.query_one("#progress-label", Static).update(f"{label} · Esc stops")

    def show_panel(self, key: ReportKey | None) -> None:
        lines = [
            f"showing [b]{self.view_mode}[/] [dim](c)[/]",
            f"threads [b]{'all cores' if self.threads is None else self.threads}[/] [dim](T)[/]",
        ]
        if key is not None:
            other = counterpart(self.reports, key)
            if other is not None:
                lines.append(f"{'speed-up' if self.speedup_view else 'throughput'} [dim](s)[/]: also on {other.device}")
        lines.append(f"[dim]reports kept: {len(self.reports)}[/]")
        self.query_one("#speed-panel", Static).update("\n".join(lines))

    def summary_details(self) -> list[str]:
        threads = [] if self.threads is None else [f"{self.threads} thread"]
        return [f"showing {self.view_mode}", *threads]

    def export_tables(self) -> dict[str, Table]:
        _key, report, _live = self.shown_report()
        return SpeedView(_key, report).tables() if report is not None and _key is not None else {}

    # -- keys -------------------------------------------------------------------------------------

    def action_measure(self) -> None:
        key = self.key()
        if key is None:
            self.notify("torch is still loading; measuring can start once it is ready", severity="warning")
            return
        if self.measuring is not None and self.computation.busy:
            self.notify("already measuring: Esc stops it", timeout=3)
            return
        self._runs[key] = self._runs.get(key, 0) + 1
        self.refresh_from_state()

    def action_stop(self) -> None:
        if self.measuring is None or not self.computation.busy:
            self.action_release_focus()
            return
        self.computation.cancel()
        self.set_status("[yellow]stopping after the current timing…[/]")

    def action_cycle_view(self) -> None:
        was_compiled = self.compiled
        self.view_mode = VIEWS[(VIEWS.index(self.view_mode) + 1) % len(VIEWS)]
        if self.compiled and not was_compiled:
            self.notify("compiled: each method also through torch.compile (seconds to compile each); c again shows both", timeout=4)
        self.refresh_from_state()

    def action_toggle_threads(self) -> None:
        self.threads = 1 if self.threads is None else None
        self.refresh_from_state()

    def action_toggle_speedup(self) -> None:
        key = self.key()
        other = counterpart(self.reports, key) if key is not None else None
        if not self.speedup_view and other is None:
            self.notify(
                "the speed-up needs a CPU and a CUDA measurement of the same f and dtype: press D to switch device and measure there",
                timeout=6,
            )
            return
        self.speedup_view = not self.speedup_view
        self.show_measurement()

    def action_toggle_table(self) -> None:
        self.toggle_class("-show-table")
        self.call_after_refresh(self.show_measurement)  # laid out at its new size

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # The plot and the table take turns only where the terminal is too short for both.
        if action == "toggle_table":
            return self.has_class("-short")
        return super().check_action(action, parameters)

    # -- the shared f ------------------------------------------------------------------------------

    def function_applied(self, text: str) -> None:
        self.state.lab = with_function(self.state.lab, text)

    def apply_preset(self, preset: Preset) -> None:
        self.state.lab = with_function(self.state.lab, preset.function)
