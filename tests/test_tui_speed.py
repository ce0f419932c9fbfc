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
import tui.compute.speed
from engine.speed import MethodResult, Sample, Skip, SpeedReport, SpeedRequest, size_grid
from engine.speed.report import Bound
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


def made_up_bounds(speed: float = 1.0) -> tuple[Bound, ...]:
    """A copy at 30 GB/s in the 32 MiB cache and 12 GB/s from memory (times `speed`), both with a 4% spread."""
    return (Bound("cache", 8 * 2**20, 30.0 * speed, 1.2 * speed, 5), Bound("memory", 256 * 2**20, 12.0 * speed, 0.48 * speed, 5))


def made_up_sample(method: str, n: int, bandwidth_gbps: float, speed: float = 1.0) -> Sample:
    overhead, per_point = COSTS[method]
    median = (overhead + n * per_point) / speed
    regime = "overhead" if overhead / speed >= 0.5 * median else "cache" if n * FOOTPRINT <= CACHE_BYTES else "memory"
    cache, memory = made_up_bounds(speed)
    bound = cache if n * 16 <= CACHE_BYTES else memory  # x and f'(x) in the cache: the cache copy is the bound
    gbps = n / median * 16 / 1e9
    return Sample(n, median, 0.05 * median, n / median, gbps, gbps / bound.gbps, regime, 5, 1, median, bound.place)


def made_up_report(request: SpeedRequest, device_name: str = "Made-up CPU 3000", speed: float = 1.0, largest: int = 10**7) -> SpeedReport:
    """A whole report with fixed numbers: sizes 1e3..3.16e8, time skips above `largest`, a memory skip at the top."""
    bandwidth = 12.0 * speed
    sizes = size_grid(1000, 316_227_766, 2)
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
    )


class FakeMeasure:
    """Stands in for `engine.speed.measure_speed`: made-up reports, progress and samples as the engine gives them.

    With `gate`, it reports one sample and then waits until the test opens the gate or the screen cancels.
    """

    def __init__(
        self,
        gate: threading.Event | None = None,
        devices: dict[str, tuple[str, float]] | None = None,
        linger: threading.Event | None = None,
    ) -> None:
        self.gate = gate
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
    import torch

    monkeypatch.setattr(tui.compute.speed, "MEASUREMENT", TINY)
    app = pilot.app
    assert isinstance(app, CalcApp)
    await pilot.press("6")
    await settle(pilot)
    report = app.screen.view.report  # type: ignore[attr-defined]
    assert report.sizes == (1000, 10000) and not report.cancelled
    text = screen_text(app)
    assert "calc-tui — Speed · cpu · float64" in text
    cpu = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name"))
    threads = torch.get_num_threads()
    assert f"{cpu} · {threads} thread" in text
    # The bound: the copy bandwidth over 16 bytes a point (read x, write f'(x) in float64).
    assert f"copy {report.bandwidth_gbps:.3g} GB/s → bound {three_digits(report.bandwidth_gbps * 1e9 / 16)}/s" in text
    rows = table(app)
    assert set(rows) == set(engine.speed.SPEED_METHODS)
    for method in report.methods:
        top = method.samples[-1]
        n, rate, gbps, bound = rows[method.name][:4]
        assert (n, rate) == (three_digits(top.n), three_digits(top.n / top.median_s))
        assert float(gbps) == pytest.approx(top.n / top.median_s * 16 / 1e9, rel=6e-3)
        assert bound == f"{top.n / top.median_s * 16 / 1e9 / report.bandwidth_gbps:.0%}"
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


async def test_compiled_rows_show_compile_time_apart_and_why_not(pilot: Pilot[int], fake: FakeMeasure) -> None:
    app = pilot.app
    assert isinstance(app, CalcApp)
    await pilot.press("6")
    await settle(pilot)
    await pilot.press("c")
    await settle(pilot)
    assert fake.requests[-1].methods == engine.speed.parse_speed_methods(",".join(engine.speed.SPEED_METHODS), compiled=True)
    rows = table(app)
    assert rows["exact"][-1] == "s" and rows["exact"][-2] == "12.2"  # compile time, in its own column
    assert "torch.compile failed: made-up reason" in screen_text(app)
    assert rows["complex-step"][-1] == "—"
    await pilot.press("c")  # eager again: the kept eager report, not a new measurement
    await settle(pilot)
    assert len(fake.requests) == 2 and "compiled off" in screen_text(app)


async def test_a_compiler_that_fails_gives_the_reason_in_the_row(pilot: Pilot[int], monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_compiler(kernel: object) -> object:
        raise RuntimeError("no compiler in this test")

    monkeypatch.setattr(tui.compute.speed, "MEASUREMENT", replace(TINY, nmax=1000, methods=("exact",)))
    monkeypatch.setattr(tui.compute.speed, "COMPILER", broken_compiler)
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
    assert math.isfinite(app.return_code or 0)


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
    from tui.compute.speed import ReportKey, engine_request, skip_marks, skip_summaries

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
        "m N = 100M, exact, central: over the memory budget (needs 5 GB)",
        "t N = 10M, autograd: too slow for the time a size may take (too slow)",
        "! N = 10M, exact: ran out of memory (ran out)",
    ]


def test_a_cpu_report_pairs_with_a_cuda_one_of_the_same_function_dtype_and_choices() -> None:
    from tui.compute.speed import ReportKey, counterpart, cuda_over_cpu, engine_request

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
