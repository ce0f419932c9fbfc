"""Demo 6, Speed: the measurement runs in the background with progress, Escape stops it and keeps what it measured,
reports are kept per f, device, dtype and compiled choice, and the numbers on screen are the report's.

Most tests replace `engine.speed.measure_speed` with a fake that reports made-up, fixed numbers at once (or waits
for the test), so they are fast and exact; one measures for real with a tiny request.
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Markdown

import engine.speed
import engine.speed.kernels
import tui.demos.speed.compute
import tui.loading
from engine.speed import MethodResult, Sample, Skip, SpeedReport, SpeedRequest, size_grid
from engine.speed.report import Bound, bound_at
from tests.tui_helpers import screen_text, settle, type_text
from tui.app import CalcApp
from tui.screens.help import HelpScreen

TINY = SpeedRequest(nmin=1000, nmax=10_000, per_decade=1, repeats=1, max_seconds=0.5)

# Made-up costs: (fixed seconds a call, seconds a point) for each method, eager and compiled.
COSTS = {
    "exact": (2e-6, 6e-9),
    "autograd": (30e-6, 25e-9),
    "vmap-grad": (250e-6, 30e-9),
    "central": (15e-6, 60e-9),
    "complex-step": (25e-6, 45e-9),
    "exact-compiled": (4e-6, 5e-9),
    "autograd-compiled": (40e-6, 20e-9),
    "vmap-grad-compiled": (10e-6, 6e-9),
    "central-compiled": (8e-6, 6e-9),
}
COMPILE_S = {"exact-compiled": 12.2, "autograd-compiled": 3.0, "vmap-grad-compiled": 0.5, "central-compiled": 1.7}
CACHE_BYTES = 32 * 2**20
FOOTPRINT = 48


MADE_UP_SIZES = size_grid(1000, 316_227_766, 2)


def made_up_bounds(speed: float = 1.0) -> tuple[Bound, ...]:
    """A copy of each N below main memory's 256 MiB: 30 GB/s where its two tensors fit in the 32 MiB cache, 12 GB/s
    beyond, as main memory's (all times `speed`), each with a 4% spread."""
    copies = tuple(
        Bound("cache", 8 * n, 30.0 * speed, 1.2 * speed, 5, n=n)
        if 16 * n <= CACHE_BYTES
        else Bound("memory", 8 * n, 12.0 * speed, 0.48 * speed, 5, n=n)
        for n in MADE_UP_SIZES
        if 8 * n < 256 * 2**20
    )
    return (*copies, Bound("memory", 256 * 2**20, 12.0 * speed, 0.48 * speed, 5))


def made_up_sample(method: str, n: int, bandwidth_gbps: float, speed: float = 1.0) -> Sample:
    overhead, per_point = COSTS[method]
    median = (overhead + n * per_point) / speed
    regime = "overhead" if overhead / speed >= 0.5 * median else "cache" if n * FOOTPRINT <= CACHE_BYTES else "memory"
    bound = bound_at(made_up_bounds(speed), n)  # x and f'(x) in the cache: 30 GB/s, else 12
    assert bound is not None
    gbps = n / median * 16 / 1e9
    return Sample(n, median, 0.05 * median, n / median, gbps, gbps / bound.gbps, regime, 5, 1, median, bound.place, bound_n=bound.n)


def made_up_report(request: SpeedRequest, device_name: str = "Made-up CPU 3000", speed: float = 1.0, largest: int = 10**7) -> SpeedReport:
    """A whole report with fixed numbers: sizes 1e3..3.16e8, time skips above `largest`, a memory skip at the top."""
    bandwidth = 12.0 * speed
    sizes = MADE_UP_SIZES
    methods, unavailable, skipped = [], {}, []
    for name in request.methods:
        if name not in COSTS:
            unavailable[name] = "torch.compile failed: made-up reason: no complex numbers in generated code"
            continue
        samples = tuple(made_up_sample(name, n, bandwidth, speed) for n in sizes if n <= largest)
        skipped += [
            Skip(n, name, "4 calls of about 0.4 s would take over the 1 s a size may take", "time")
            for n in sizes
            if largest < n < sizes[-1]
        ]
        skipped.append(Skip(sizes[-1], name, "needs about 15.2 GB (48 bytes a point); the budget is 12.1 GB", "memory"))
        overhead = COSTS[name][0] / speed
        methods.append(MethodResult(name, name, name.endswith("-compiled"), FOOTPRINT, overhead, COMPILE_S.get(name), samples))
    return SpeedReport(
        request=request,
        device=request.device,
        device_name=device_name,
        dtype=request.dtype,
        threads=request.threads or 2,
        bandwidth_gbps=bandwidth,
        cache_bytes=CACHE_BYTES,
        memory_budget_bytes=12_100_000_000,
        sizes=sizes,
        methods=tuple(methods),
        unavailable=unavailable,
        skipped=tuple(skipped),
        elapsed_s=14.2,
        bounds=made_up_bounds(speed),
        allocator="made-up malloc, huge pages",
    )


def with_broken_graph(report: SpeedReport, name: str) -> SpeedReport:
    """`name` traced as two graphs with one break, as dynamo reports torch.autograd.grad."""
    broken = {"graphs": 2, "graph_breaks": 1, "break_reasons": ("torch.autograd.grad",)}
    methods = tuple(replace(m, **broken) if m.name == name else m for m in report.methods)  # type: ignore[arg-type]
    return replace(report, methods=methods)


class FakeMeasure:
    """Stands in for `engine.speed.measure_speed`: made-up reports, progress and samples as the engine gives them.

    With `gate`, it reports one sample and then waits until the test opens the gate or the screen cancels.
    """

    def __init__(
        self,
        gate: threading.Event | None = None,
        devices: dict[str, tuple[str, float]] | None = None,
        linger: threading.Event | None = None,
        broken_graph: str | None = None,
    ) -> None:
        self.gate = gate
        self.broken_graph = broken_graph  # a compiled method whose graph breaks
        self.saw_cancel = False
        self.linger = linger  # once cancelled, wait for this before returning (else 0.3 s)
        self.devices = devices or {}
        self.requests: list[SpeedRequest] = []
        self.running = 0
        self.most_at_once = 0
        self.finished = threading.Event()
        self._lock = threading.Lock()

    def __call__(
        self, request: SpeedRequest, *, on_progress: Any = None, on_sample: Any = None, cancelled: Any = None, compiler: Any = None
    ) -> SpeedReport:
        with self._lock:
            self.requests.append(request)
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
        try:
            return self._measure(request, on_progress, on_sample, cancelled)
        finally:
            with self._lock:
                self.running -= 1
            self.finished.set()

    def _measure(self, request: SpeedRequest, on_progress: Any, on_sample: Any, cancelled: Callable[[], bool]) -> SpeedReport:
        name, speed = self.devices.get(request.device, ("Made-up CPU 3000", 1.0))
        report = made_up_report(request, name, speed)
        if self.broken_graph is not None:
            report = with_broken_graph(report, self.broken_graph)
        total = 1 + len(request.methods) * (1 + len(report.sizes))
        on_progress(0, total, "memory bandwidth (a large copy)")
        first = report.methods[0]
        on_progress(1 + len(request.methods), total, f"{first.name} at N = 1,000")
        on_sample(first.name, first.samples[0])
        if self.gate is not None:
            deadline = time.monotonic() + 20
            while not self.gate.is_set() and not cancelled() and time.monotonic() < deadline:
                time.sleep(0.01)
            if cancelled():
                self.saw_cancel = True
                # As the engine does, it stops only after the block it is timing.
                if self.linger is None:
                    time.sleep(0.3)
                else:
                    self.linger.wait(20)
                partial = replace(first, samples=first.samples[:1])
                return replace(report, methods=(partial,), skipped=(), cancelled=True, elapsed_s=1.5)
        for method in report.methods:
            for sample in method.samples:
                on_sample(method.name, sample)
        on_progress(total, total, "done")
        return report


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeMeasure:
    measure = FakeMeasure()
    monkeypatch.setattr(engine.speed, "measure_speed", measure)
    return measure


def table(app: CalcApp) -> dict[str, list[str]]:
    """The method table as drawn: {method: its cells}, from the line under the 'method' header."""
    rows: dict[str, list[str]] = {}
    lines = [line.split("▕")[-1] for line in screen_text(app).splitlines()]
    start = next(i for i, line in enumerate(lines) if line.split()[1:2] == ["method"] or line.split()[:1] == ["method"])
    for line in lines[start + 1 :]:
        cells = line.split()
        names = [c for c in cells if c in engine.speed.SPEED_METHODS]
        if not names:
            break
        rows[names[0]] = cells[cells.index(names[0]) + 1 :]
    return rows


HEADERS = ("N", "deriv/s", "GB/s", "bound", "spread", "overhead/call", "time/call at N", "compile", "graphs")


def table_columns(app: CalcApp) -> dict[str, dict[str, str]]:
    """The single-kind table as drawn, {method: {header: cell}}: cells are right-aligned under their headers."""
    lines = [line.split("▕")[-1] for line in screen_text(app).splitlines()]
    start = next(i for i, line in enumerate(lines) if " method " in f" {line} " and "deriv/s" in line)
    header = lines[start]
    ends = [(name, header.index(f" {name}") + 1 + len(name)) for name in HEADERS if f" {name}" in header]
    ends.sort(key=lambda item: item[1])
    rows: dict[str, dict[str, str]] = {}
    for line in lines[start + 1 :]:
        names = [c for c in line.split() if c in engine.speed.SPEED_METHODS]
        if not names:
            break
        cells, left = {}, line.index(names[0]) + len(names[0])
        for name, end in ends:
            cells[name] = line[left:end].strip()
            left = end
        rows[names[0]] = cells
    return rows


def three_digits(value: float) -> str:
    """How a rate reads: 3 significant digits and k, M or G."""
    for scale, prefix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if value >= scale:
            return f"{value / scale:.3g}{prefix}"
    return f"{value:.3g}"


async def wait_for(pilot: Pilot[int], text: str, seconds: float = 20) -> str:
    """Until `text` is on screen (the measurement runs in a thread); the screen's text."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        shown = screen_text(pilot.app)  # type: ignore[arg-type]
        if text in shown:
            return shown
        await pilot.pause(0.05)
    raise AssertionError(f"{text!r} never appeared on screen:\n{screen_text(pilot.app)}")  # type: ignore[arg-type]


async def test_a_real_tiny_measurement_shows_the_reports_numbers(pilot: Pilot[int], monkeypatch: pytest.MonkeyPatch) -> None:

    from engine.speed import machine
    from tui.demos.speed.compute import seconds

    monkeypatch.setattr(tui.demos.speed.compute, "MEASUREMENT", TINY)
    monkeypatch.setattr(machine, "bandwidth_tensor_bytes", lambda budget, cache: 2**20)
    app = pilot.app
    assert isinstance(app, CalcApp)
    await pilot.press("6")
    await settle(pilot)
    report = app.screen.view.report  # type: ignore[attr-defined]
    assert report.sizes == (1000, 10000) and not report.cancelled
    text = screen_text(app)
    assert "calc-tui — Speed · cpu · float64" in text
    cpu = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name"))
    threads = tui.loading.torch_threads  # "all cores": torch's own count (the other demos run on one thread)
    assert threads is not None and threads >= 1 and report.threads == threads
    assert f"{cpu} · {threads} thread" in text
    # The bound: the copy bandwidth over 16 bytes a point (read x, write f'(x) in float64): a copy of each N, main memory's.
    rates = sorted(report.bound_at(n).limit_gbps * 1e9 / 16 for n in report.sizes)
    if rates[-1] > rates[0]:
        assert f"bound: a copy of each N, up to {three_digits(rates[-1])}/s; main memory " in text
    else:  # tiny copies pay a call's fixed cost: main memory's copy may be the faster at every N
        assert "bound: main memory " in text
    assert f"main memory {three_digits(report.bandwidth_gbps * 1e9 / 16)}/s ({report.bandwidth_gbps:.3g} GB/s)" in text
    rows = table_columns(app)
    assert set(rows) == set(engine.speed.SPEED_METHODS)
    for method in report.methods:
        top, cells = method.samples[-1], rows[method.name]
        assert cells["N"] == three_digits(top.n)
        assert cells["deriv/s"] == three_digits(top.n / top.median_s) + ("!" if top.unreliable else "")
        applies = report.bound_at(top.n)
        share = top.n / top.median_s * 16 / 1e9 / applies.limit_gbps  # the bound is the copy's faster repeats
        assert cells["bound"] == ("over!" if share > 1 else f"{share:.0%}")
        assert cells["overhead/call"] == seconds(method.overhead_s)
        assert cells["time/call at N"] == seconds(top.median_s)
        if "GB/s" in cells:  # the first column to go where the table is too wide (a long reason, a "!")
            assert float(cells["GB/s"]) == pytest.approx(top.n / top.median_s * 16 / 1e9, rel=6e-3)
        if "spread" in cells:
            assert cells["spread"] == f"{top.iqr_s / top.median_s:.0%}"
    assert "measured in" in text


async def test_progress_while_measuring_escape_stops_and_keeps_the_partial_report(
    pilot: Pilot[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    gate, linger = threading.Event(), threading.Event()
    fake = FakeMeasure(gate, linger=linger)
    monkeypatch.setattr(engine.speed, "measure_speed", fake)
    app = pilot.app
    assert isinstance(app, CalcApp)
    await pilot.press("6")
    first_rate = three_digits(1000 / (2e-6 + 1000 * 6e-9))  # the made-up exact at N = 1,000
    await wait_for(pilot, "exact at N = 1,000 · Esc stops")
    text = await wait_for(pilot, first_rate)  # the curves grow a few times a second
    assert "measuring on cpu" in text and re.search(r"\b\d+%", text)  # the bar's percentage
    assert table(app)["exact"][:2] == ["1k", first_rate]  # the sample that arrived is drawn
    assert table(app)["autograd"][:2] == ["…", "…"]  # still to come
    await pilot.press("escape")
    await pilot.pause()
    assert "stopping after the current" in screen_text(app)
    linger.set()
    text = await wait_for(pilot, "cancelled after 1 measurement:")
    assert "CANCELLED" in text
    assert "Esc stops" not in text  # the progress bar is gone
    assert table(app)["exact"][:2] == ["1k", first_rate]  # kept
    assert len(fake.requests) == 1
    # Coming back does not measure again; m does.
    await pilot.press("1")
    await settle(pilot)
    await pilot.press("6")
    await settle(pilot)
    assert len(fake.requests) == 1 and "CANCELLED" in screen_text(app)
    gate.set()
    await pilot.press("m")
    await settle(pilot)
    assert len(fake.requests) == 2 and "CANCELLED" not in screen_text(app)
    assert table(app)["exact"][0] == "10M"


async def test_leaving_stops_a_measurement_and_one_measurement_runs_at_a_time(pilot: Pilot[int], monkeypatch: pytest.MonkeyPatch) -> None:
    gate = threading.Event()
    fake = FakeMeasure(gate)
    monkeypatch.setattr(engine.speed, "measure_speed", fake)
    app = pilot.app
    assert isinstance(app, CalcApp)
    await pilot.press("6")
    await wait_for(pilot, "Esc stops")
    await pilot.press("question_mark", "escape")  # help on top does not stop it
    await wait_for(pilot, "exact at N = 1,000 · Esc stops")
    await pilot.press("1")  # another demo: the measurement stops, so it does not share the CPU with this one
    await settle(pilot)
    assert app.current_mode == "compare" and "f'(x) for f(x) = sin(x)" in screen_text(app)
    await pilot.press("6")
    await wait_for(pilot, "cancelled after 1 measurement")  # what it had is kept, marked cancelled
    await pilot.press("m")
    await wait_for(pilot, "exact at N = 1,000 · Esc stops")
    await pilot.press("d")  # float32: the float64 measurement stops, then float32's starts
    await wait_for(pilot, "float32 on cpu")
    await wait_for(pilot, "exact at N = 1,000 · Esc stops")
    gate.set()
    await settle(pilot)
    assert [r.dtype for r in fake.requests] == ["float64", "float64", "float32"]
    assert fake.most_at_once == 1
    text = screen_text(app)
    assert "CANCELLED" not in text and "float32 on cpu" in text


async def settle_ui(pilot: Pilot[int]) -> None:
    """Until the shown demo's own computation is drawn (the speed measurement may still be waiting)."""
    for _ in range(100):
        await pilot.pause(0.05)
        screen = pilot.app.screen
        computation = getattr(screen, "computation", None)
        if computation is not None and not computation.busy:
            break


async def test_reports_are_kept_per_function_and_m_measures_again(pilot: Pilot[int], fake: FakeMeasure) -> None:
    app = pilot.app
    assert isinstance(app, CalcApp)
    await pilot.press("6")
    await settle(pilot)
    await pilot.press("f")
    await type_text(pilot, "cos(x)")
    await pilot.press("enter")
    await settle(pilot)
    assert [r.expression for r in fake.requests] == ["sin(x)", "cos(x)"]
    assert "f(x) = cos(x) · float64 on cpu" in screen_text(app)
    app.state.lab = replace(app.state.lab, function="sin(x)")  # back to sin (as Compare's input would do)
    await settle(pilot)
    assert len(fake.requests) == 2 and "f(x) = sin(x) · float64 on cpu" in screen_text(app)
    assert "reports kept: 2" in screen_text(app)
    await pilot.press("m")
    await settle(pilot)
    assert [r.expression for r in fake.requests] == ["sin(x)", "cos(x)", "sin(x)"]
    await pilot.press("T")  # one thread: another report
    await settle(pilot)
    assert fake.requests[-1].threads == 1 and "Made-up CPU 3000 · 1 thread ·" in screen_text(app)
    await pilot.press("T")  # all cores again: kept
    await settle(pilot)
    assert len(fake.requests) == 4 and "Made-up CPU 3000 · 2 threads ·" in screen_text(app)


async def test_c_cycles_eager_compiled_and_both_and_each_keeps_its_n(pilot: Pilot[int], fake: FakeMeasure) -> None:
    app = pilot.app
    assert isinstance(app, CalcApp)
    await pilot.press("6")
    await settle(pilot)
    assert "showing eager" in screen_text(app) and set(table(app)) == set(engine.speed.SPEED_METHODS)
    # exact at N = 1e7: 2 us + 1e7 x 6 ns = 60.002 ms a call, 167M/s, 2.67 GB/s: 22% of the 12 GB/s memory copy.
    assert table_columns(app)["exact"] == {
        "N": "10M",
        "deriv/s": "167M",
        "GB/s": "2.67",
        "bound": "22%",
        "spread": "5%",
        "overhead/call": "2 µs",
        "time/call at N": "60 ms",
    }
    await pilot.press("c")  # compiled alone: measured once, its own rows and N
    await settle(pilot)
    assert fake.requests[-1].methods == engine.speed.parse_speed_methods(",".join(engine.speed.SPEED_METHODS), compiled=True)
    text = screen_text(app)
    assert "showing compiled" in text
    rows = table(app)
    assert rows["exact"][:2] == ["10M", three_digits(1e7 / (4e-6 + 1e7 * 5e-9))]  # the made-up exact-compiled, not exact
    assert "12.2 s" in " ".join(rows["exact"])  # compile time, in its own column
    assert "torch.compile failed: made-up reason" in text
    await pilot.press("c")  # both: the same report, eager and compiled side by side, each with its N
    await settle(pilot)
    assert len(fake.requests) == 2 and "showing both" in screen_text(app)
    rows = table(app)
    header = next(line for line in screen_text(app).splitlines() if " method " in line and "compiled/s" in line)
    assert header.split("▕")[-1].split().count("N") == 2
    assert rows["exact"][:2] == ["10M", three_digits(1e7 / (2e-6 + 1e7 * 6e-9))]
    assert rows["exact"][3:6] == ["│", "10M", three_digits(1e7 / (4e-6 + 1e7 * 5e-9))]
    assert rows["complex-step"][4:6] == ["n/a", "—"]
    await pilot.press("c")  # eager again: the kept eager report, not a new measurement
    await settle(pilot)
    assert len(fake.requests) == 2 and "showing eager" in screen_text(app)


async def test_eager_and_compiled_side_by_side_say_which_compiled_rows_gain_little(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.tui_helpers import make_app, ready

    monkeypatch.setattr(engine.speed, "measure_speed", FakeMeasure())
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("6")
        await settle(pilot)
        await pilot.press("c", "c", "t")  # eager and compiled; the table in place of the plot
        await settle(pilot)
        text = " ".join(screen_text(app).split())
        # made-up rates at 10M: exact-compiled 5 ns a point against exact's 6; vmap-grad-compiled 6 against 30
        assert "exact, compiled: compiled, 1.20x eager at N = 10,000,000: less than the 1.5x that" in text
        assert "vmap-grad, compiled: compiled" not in text


async def test_the_compiled_view_fits_80x24_and_names_a_graph_break(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.tui_helpers import make_app, ready

    fake = FakeMeasure(broken_graph="central-compiled")
    monkeypatch.setattr(engine.speed, "measure_speed", fake)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("6")
        await settle(pilot)
        await pilot.press("c", "t")  # compiled alone; the table in place of the plot
        await settle(pilot)
        rows = table(app)
        assert set(rows) == {"exact", "autograd", "vmap-grad", "central", "complex-step"}
        assert rows["central"][0] == "10M" and rows["central"][1].endswith("!")  # its rate marked
        assert "central, compiled: not compiled: graph break (torch.autograd.grad)" in screen_text(app)


async def test_a_compiler_that_fails_gives_the_reason_in_the_row(pilot: Pilot[int], monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_compiler(kernel: object) -> object:
        raise RuntimeError("no compiler in this test")

    monkeypatch.setattr(tui.demos.speed.compute, "MEASUREMENT", replace(TINY, nmax=1000, methods=("exact",)))
    monkeypatch.setattr(tui.demos.speed.compute, "COMPILER", broken_compiler)
    monkeypatch.setattr(engine.speed.kernels, "compile_problem", lambda device: None)  # a C++ compiler or not, the fake is asked
    app = pilot.app
    assert isinstance(app, CalcApp)
    await pilot.press("6")
    await settle(pilot)
    await pilot.press("c")
    await settle(pilot)
    text = screen_text(app)
    assert "torch.compile failed: RuntimeError: no compiler in this test" in text
    assert app.failures == []


async def test_the_speed_up_of_cuda_over_the_cpu_when_both_are_measured(pilot: Pilot[int], monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeMeasure(devices={"cuda:0": ("Made-up GPU X1", 20.0), "cpu": ("Made-up CPU 3000", 1.0)})
    monkeypatch.setattr(engine.speed, "measure_speed", fake)
    app = pilot.app
    assert isinstance(app, CalcApp)
    await pilot.press("6")
    await settle(pilot)
    await pilot.press("s")
    assert "needs a CPU and a CUDA measurement" in screen_text(app)
    # As if this machine had a GPU: the shared state on cuda:0 (D cycles back to cpu).
    precision = app.state.precision
    app.state.precision = replace(precision, device="cuda:0", device_label="Made-up GPU X1", devices=("cpu", "cuda:0"))
    await settle(pilot)
    assert [r.device for r in fake.requests] == ["cpu", "cuda:0"]
    text = screen_text(app)
    assert "Made-up GPU X1 · 2 threads" in text and "also measured on Made-up CPU 3000" in text
    rows = table(app)
    # Every made-up time is 20 times shorter on the GPU: 20x at every N both measured.
    assert all(cells[-1] == "20×" for cells in rows.values()), rows
    await pilot.press("s")
    await settle(pilot)
    text = screen_text(app)
    assert "speed-up of Made-up GPU X1 over Made-up CPU 3000" in text and "same speed" in text and "10×" in text
    await pilot.press("D")  # to the CPU: its report is kept, and the speed-up reads the same way round
    await settle(pilot)
    assert len(fake.requests) == 2 and "speed-up of Made-up GPU X1 over Made-up CPU 3000" in screen_text(app)


async def test_help_explains_the_plot_and_every_key(pilot: Pilot[int], fake: FakeMeasure) -> None:
    app = pilot.app
    await pilot.press("6")
    await settle(pilot)
    await pilot.press("question_mark")
    await pilot.pause()
    assert isinstance(app.screen, HelpScreen)
    source = app.screen.query_one(Markdown).source
    assert "| key | action |" in source
    for words in ("backward pass", "fused", "read x and write f'(x)", "overhead", "cache", "memory", "A GPU", "`m`", "`Esc`", "`c`", "`s`"):
        assert words in source, words
    # What each column is, the step of the bound, and what a mark means.
    assert "**overhead/call** — the fixed cost of a call: the median time of a warm call at N = 8" in source
    assert "**time/call at N** — the median time of one call at the row's N" in source
    assert "a share above 100% of the bound" in source and "graph break" in source and "IQR / median" in source
    assert "| `c` | eager → compiled → both" in source


async def test_quitting_while_measuring_stops_the_measurement(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.tui_helpers import make_app, ready

    fake = FakeMeasure(threading.Event())
    monkeypatch.setattr(engine.speed, "measure_speed", fake)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("6")
        await wait_for(pilot, "Esc stops")
        await pilot.press("q")
    assert fake.finished.wait(5), "the measuring thread ran on after the app quit"
    assert fake.saw_cancel, "the measurement ended without being asked to stop"
    assert app.return_code == 0


@pytest.mark.expect_failures
async def test_a_measurement_that_fails_is_a_notice_and_the_app_goes_on(pilot: Pilot[int], monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("injected failure")

    monkeypatch.setattr(engine.speed, "measure_speed", broken)
    app = pilot.app
    assert isinstance(app, CalcApp)
    await pilot.press("6")
    await settle(pilot)
    text = screen_text(app)
    assert "speed measurement failed" in text and "RuntimeError: injected failure" in text
    assert "✗ the last computation failed" in text and "measuring on" not in text  # no progress bar left behind
    assert app.failures == ["RuntimeError: injected failure"]
    monkeypatch.setattr(engine.speed, "measure_speed", FakeMeasure())
    await pilot.press("m")
    await settle(pilot)
    assert table(app)["exact"][0] == "10M" and "the last computation failed" not in screen_text(app)


def test_skipped_sizes_are_marked_by_the_gravest_reason_and_summarised_by_kind() -> None:
    from tui.demos.speed.compute import ReportKey, engine_request, skip_marks, skip_summaries

    request = engine_request(ReportKey("sin(x)", "cpu", "float64", False))
    report = replace(
        made_up_report(request),
        skipped=(
            Skip(10**7, "autograd", "too slow", "time"),
            Skip(10**7, "exact", "ran out", "out-of-memory"),
            Skip(10**8, "exact", "needs 5 GB", "memory"),
            Skip(10**8, "central", "needs 6 GB", "memory"),
        ),
    )
    assert skip_marks(report) == ((10**7, "!"), (10**8, "m"))
    lines = [summary.describe() for summary in skip_summaries(report)]
    assert lines == [
        "m over the memory budget: exact, central at N = 100M (needs 5 GB)",
        "t too slow for the time a size may take: autograd at N = 10M (too slow)",
        "! ran out of memory: exact at N = 10M (ran out)",
    ]


def test_the_skip_summary_says_exactly_which_methods_at_which_n() -> None:
    """The issue's case: complex-step alone skipped from 3.16M, exact measured at 31.6M and skipped at 100M."""
    from tui.demos.speed.compute import ReportKey, engine_request, skip_summaries

    report = made_up_report(engine_request(ReportKey("sin(x)", "cpu", "float64", False)))
    sizes = report.sizes  # 1k ... 316M, two a decade
    skips = [Skip(n, "complex-step", "slow", "time") for n in sizes if 3_000_000 < n < sizes[-1]]
    skips += [Skip(n, name, "slow", "time") for name in ("autograd", "vmap-grad", "central") for n in sizes if 10**7 <= n < sizes[-1]]
    skips += [Skip(100_000_000, "exact", "slow", "time")]
    (summary,) = skip_summaries(replace(report, skipped=tuple(skips)))
    assert summary.describe() == (
        "t too slow for the time a size may take: complex-step at N = 3.16M…100M; "
        "autograd, vmap-grad, central at N = 10M…100M; exact at N = 100M (slow)"
    )
    gaps = [Skip(n, "exact", "slow", "time") for n in (3_162_278, 31_622_777, 100_000_000)]  # measured at 10M
    (summary,) = skip_summaries(replace(report, skipped=tuple(gaps)))
    assert summary.describe() == "t too slow for the time a size may take: exact at N = 3.16M, 31.6M, 100M (slow)"
    every = [Skip(n, m.name, "slow", "time") for m in report.methods for n in (sizes[-3], sizes[-1])]
    (summary,) = skip_summaries(replace(report, skipped=tuple(every)))
    assert summary.describe() == "t too slow for the time a size may take: every method at N = 31.6M, 316M (slow)"


def test_speeds_samples_read_back_from_the_export_match_hand_computed_values(tmp_path: Path) -> None:
    """Each column of the samples, methods and bounds exports against values computed here from the made-up costs."""
    import csv
    import json

    from tui.demos.speed.compute import ReportKey, SpeedView, engine_request
    from tui.export import write_data

    key = ReportKey("sin(x)", "cpu", "float64", False)
    report = made_up_report(engine_request(key))
    json_path, *csv_paths = write_data(tmp_path, "speed", {"demo": "speed"}, SpeedView(key, report).tables())
    document = json.loads(json_path.read_text())
    with next(p for p in csv_paths if p.name.endswith("-samples.csv")).open() as file:
        from_csv = list(csv.DictReader(file))
    columns = document["tables"]["samples"]["columns"]
    from_json = [dict(zip(columns, row, strict=True)) for row in document["tables"]["samples"]["rows"]]
    # exact at N = 1e5: 2 us + 1e5 x 6 ns = 602 us, its 1.6 MB in the 32 MiB cache: against the 30 GB/s cache copy.
    # exact at N = 1e7: 2 us + 60 ms, 160 MB: against the 12 GB/s memory copy. central at 1e7: 15 us + 600 ms.
    expected = {
        ("exact", 100_000): (602e-6, 1e5 / 602e-6, 1.6e6 / 602e-6 / 1e9, "cache"),
        ("exact", 10**7): (0.060002, 1e7 / 0.060002, 1.6e8 / 0.060002 / 1e9, "memory"),
        ("central", 10**7): (0.600015, 1e7 / 0.600015, 1.6e8 / 0.600015 / 1e9, "memory"),
    }
    bound_gbps = {"cache": 30.0, "memory": 12.0}
    for rows in (from_csv, from_json):
        by_key = {(row["method"], int(row["n"])): row for row in rows}
        for (method, n), (median_s, per_second, gbps, bound) in expected.items():
            row = by_key[(method, n)]
            assert float(row["median_s"]) == pytest.approx(median_s, rel=1e-12)
            assert float(row["per_second"]) == pytest.approx(per_second, rel=1e-12)
            assert float(row["gbps"]) == pytest.approx(gbps, rel=1e-12)
            assert row["bound"] == bound
            assert row["bound_n"] in (str(n), n)  # the copy of this N bounds it (CSV gives text, JSON a number)
            assert float(row["bound_fraction"]) == pytest.approx(gbps / bound_gbps[bound], rel=1e-12)
            assert float(row["iqr_s"]) == pytest.approx(0.05 * median_s, rel=1e-12)
            assert float(row["spread"]) == pytest.approx(0.05, rel=1e-12)
            assert row["regime"] == "memory" if n == 10**7 else "cache"
            assert row["unreliable"] in ("", None)
    methods = document["tables"]["methods"]
    exact = dict(zip(methods["columns"], methods["rows"][0], strict=True))
    assert exact["method"] == "exact" and exact["largest_n"] == 10**7
    assert exact["overhead_per_call_s"] == pytest.approx(2e-6) and exact["time_per_call_s"] == pytest.approx(0.060002)
    rows = document["tables"]["bounds"]["rows"]
    assert [(row[0], row[1], row[3]) for row in (rows[0], rows[-2], rows[-1])] == [
        (1000, "cache", 30.0),
        (31_622_777, "memory", 12.0),
        (None, "memory", 12.0),
    ]
    device = document["tables"]["device"]
    assert dict(zip(device["columns"], device["rows"][0], strict=True))["allocator"] == "made-up malloc, huge pages"


def test_a_cpu_report_pairs_with_a_cuda_one_of_the_same_function_dtype_and_choices() -> None:
    from tui.demos.speed.compute import ReportKey, counterpart, cuda_over_cpu, engine_request

    cpu, cuda = ReportKey("sin(x)", "cpu", "float32", False), ReportKey("sin(x)", "cuda:0", "float32", False)
    others = [ReportKey("cos(x)", "cuda:0", "float32", False), ReportKey("sin(x)", "cuda:0", "float64", False)]
    others += [ReportKey("sin(x)", "cuda:0", "float32", True), ReportKey("sin(x)", "cpu", "float32", False, threads=1)]
    reports = {key: made_up_report(engine_request(key)) for key in [cpu, *others]}
    assert counterpart(reports, cpu) is None
    reports[cuda] = made_up_report(engine_request(cuda), speed=8.0)
    assert counterpart(reports, cpu) == cuda and counterpart(reports, cuda) == cpu
    ratios = cuda_over_cpu(reports[cpu], reports[cuda])  # either way round: CUDA over the CPU
    assert set(ratios) == set(engine.speed.SPEED_METHODS)
    assert all(ratio == pytest.approx(8.0) for pairs in ratios.values() for _, ratio in pairs)


def test_the_bound_is_drawn_as_steps_each_copy_halfway_to_its_neighbours() -> None:
    from tui.demos.speed.compute import BoundStep, ReportKey, bound_steps, engine_request, partial_report

    key = ReportKey("sin(x)", "cpu", "float64", False)
    report = made_up_report(engine_request(key))
    # 30 GB/s copies up to N = 1e6 (16 MB in the 32 MiB cache), 12 GB/s from 3.16e6 on and from main memory; 16 bytes a
    # point: 1.875G/s, then 750M/s from halfway (in log N) between 1e6 and 3,162,278: sqrt(1e6 x 3,162,278) = 1,778,279.
    edge = math.sqrt(10**6 * 3_162_278)
    assert bound_steps(report) == (BoundStep("cache", None, edge, 1.875e9), BoundStep("memory", edge, None, 0.75e9))
    # A copy at 1e5 that stalled at 5 GB/s takes its faster neighbour's 30 GB/s; one at 3.16e6 that ran at 40, over its
    # neighbours, is believed: a step of its own from halfway to 1e6 to halfway to 1e7.
    stalled = tuple(replace(b, gbps=5.0) if b.n == 100_000 else replace(b, gbps=40.0) if b.n == 3_162_278 else b for b in report.bounds)
    low, high = edge, math.sqrt(3_162_278 * 10**7)
    assert bound_steps(replace(report, bounds=stalled)) == (
        BoundStep("cache", None, edge, 1.875e9),
        BoundStep("memory", low, high, 2.5e9),
        BoundStep("memory", high, None, 0.75e9),
    )
    assert bound_steps(replace(report, bounds=report.bounds[-1:])) == (BoundStep("memory", None, None, 0.75e9),)  # no copies of N
    assert bound_steps(partial_report(key, {}, "cpu")) == ()  # while measuring: no bound yet
