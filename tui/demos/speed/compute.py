"""Demo 6's work: derivatives per second across N for the lab's f, measured by `engine.speed`, and what the screen shows of it.

Measuring is a long computation (about 15 s on a 2-core CPU by default; longer with
torch.compile), so it runs through the runner's `long_compute` path with progress and
cancelling. The rest of this module turns torch-free `SpeedReport`s into the rows,
marks and summaries the screen draws, so the widgets only format.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from engine.speed import (
    ALL_SPEED_METHODS,
    SPEED_METHODS,
    MethodResult,
    Sample,
    SpeedReport,
    SpeedRequest,
    method_label,
    parse_speed_methods,
)
from engine.speed.report import is_compiled, main_memory
from engine.vocabulary import format_seconds
from tui import loading
from tui.export import Table

if TYPE_CHECKING:
    from engine.speed.kernels import Compiler
    from tui.compute.runner import Reporter

# The measurement the demo asks for: the engine's defaults (1e3 up to what fits, 2 sizes a decade,
# 5 repeats, at most 1 s per method and size). Tests replace it with a tiny one.
MEASUREMENT = SpeedRequest()
# What compiles a kernel: None is the engine's torch.compile(dynamic=True); tests put a fake here.
COMPILER: Compiler | None = None


@dataclass(frozen=True)
class ReportKey:
    """What a report is kept under: coming back to the same f, device, dtype, compiled and threads choice shows it again."""

    expression: str
    device: str
    dtype: str
    compiled: bool
    threads: int | None = None  # torch's threads while measuring; None: as torch is set (one per core)

    def describe(self) -> str:
        compiled = ", eager and compiled" if self.compiled else ""
        threads = f", {self.threads} thread{'s' if self.threads != 1 else ''}" if self.threads is not None else ""
        return f"f(x) = {self.expression} · {self.dtype} on {self.device}{compiled}{threads}"


@dataclass(frozen=True)
class SpeedMeasure:
    """The screen's request: measure `key`. `run` counts the user's re-measures (m), so the same key can be asked again."""

    key: ReportKey
    run: int = 0
    device_label: str = ""  # for the partial reports shown while measuring


@dataclass(frozen=True)
class SpeedView:
    key: ReportKey
    report: SpeedReport
    run: int = 0  # the re-measure (m) it answers

    def tables(self) -> dict[str, Table]:
        return report_tables(self.report)


def engine_request(key: ReportKey) -> SpeedRequest:
    methods = parse_speed_methods(",".join(SPEED_METHODS), compiled=True) if key.compiled else SPEED_METHODS
    # "all cores": torch's own count, which the app lowers to one thread for the other demos (tui/loading.py)
    threads = key.threads if key.threads is not None else (MEASUREMENT.threads or loading.torch_threads)
    return replace(MEASUREMENT, expression=key.expression, device=key.device, dtype=key.dtype, methods=methods, threads=threads)


def measure(request: SpeedMeasure, reporter: Reporter) -> SpeedView:
    """Measure in this thread (a worker's): progress and the curves so far through `reporter`, Escape via `reporter.cancelled`.

    A cancelled measurement returns the report so far, marked cancelled (the engine raises nothing for it). The
    runner runs one measurement at a time, so torch's global thread count is never changed under another.
    """
    from engine.speed import measure_speed

    samples: dict[str, list[Sample]] = {}

    def sampled(method: str, sample: Sample) -> None:
        samples.setdefault(method, []).append(sample)
        reporter.partial(SpeedView(request.key, partial_report(request.key, samples, request.device_label), request.run))

    report = measure_speed(
        engine_request(request.key),
        on_progress=reporter.progress,
        on_sample=sampled,
        cancelled=lambda: reporter.cancelled,
        compiler=COMPILER,
    )
    return SpeedView(request.key, report, request.run)


# -- while measuring: the samples so far, drawn as a report -------------------------------------


def partial_report(key: ReportKey, samples: Mapping[str, Sequence[Sample]], device_label: str) -> SpeedReport:
    """The samples that have arrived, as a report without bandwidth (it comes with the whole report) for the same drawing code."""
    request = engine_request(key)
    methods = tuple(
        MethodResult(name, method_label(name), is_compiled(name), 0, math.nan, None, tuple(samples[name]))
        for name in request.methods
        if samples.get(name)
    )
    return SpeedReport(
        request=request,
        device=key.device,
        device_name=device_label,
        dtype=key.dtype,
        threads=0,
        bandwidth_gbps=math.nan,
        cache_bytes=None,
        memory_budget_bytes=0,
        # From the first size on, a decade at least: the axis does not jump about while the first samples come in.
        sizes=tuple(
            sorted({request.nmin, min(10 * request.nmin, request.nmax or 10 * request.nmin), *(s.n for m in methods for s in m.samples)})
        ),
        methods=methods,
        cancelled=False,
    )


# -- what is drawn: eager, compiled or both; the bound as a step -------------------------------------

VIEWS: tuple[str, ...] = ("eager", "compiled", "both")  # what `c` cycles through; eager and compiled each fit 80x24


def for_view(report: SpeedReport, view: str) -> SpeedReport:
    """The report with only the rows `view` shows: eager methods, compiled ones, or both (the whole report)."""
    if view == "both":
        return report

    def keep(name: str) -> bool:
        return is_compiled(name) == (view == "compiled")

    methods = tuple(name for name in report.request.methods if keep(name))
    if not methods:
        return report
    return replace(
        report,
        request=replace(report.request, methods=methods),
        methods=tuple(m for m in report.methods if keep(m.name)),
        unavailable={name: why for name, why in report.unavailable.items() if keep(name)},
        skipped=tuple(s for s in report.skipped if keep(s.method)),
    )


@dataclass(frozen=True)
class BoundStep:
    """One step of the bound: derivatives per second allowed for N from `low` to `high` (None: without end)."""

    place: str  # "cache" or "memory"
    low: float | None
    high: float | None
    per_second: float


def bound_steps(report: SpeedReport) -> tuple[BoundStep, ...]:
    """The bound over N as steps: each copy of a grid N holds from halfway (in log N) to its neighbours, main memory's
    beyond the last one; neighbours with the same bound (main memory's faster than both copies) are one step."""
    memory = main_memory(report.bounds)
    per_point = report.bytes_per_point
    if memory is None:
        rate = report.bound_per_second
        return (BoundStep("memory", None, None, rate),) if math.isfinite(rate) and rate > 0 else ()
    sized = sorted(b.n for b in report.bounds if b.n is not None)
    steps: list[BoundStep] = []
    low: float | None = None
    for index, n in enumerate(sized):
        bound = report.bound_at(n) or memory
        following = next((m for m in report.sizes if m > n), None) if index + 1 == len(sized) else sized[index + 1]
        high = math.sqrt(n * following) if following is not None else None
        place = "memory" if bound is memory else bound.place
        rate = bound.limit_gbps * 1e9 / per_point
        if steps and steps[-1].per_second == rate:
            steps[-1] = replace(steps[-1], high=high)
        else:
            steps.append(BoundStep(place, low, high, rate))
        low = high
    if not sized or low is not None:
        rate = memory.limit_gbps * 1e9 / per_point
        if steps and steps[-1].per_second == rate:
            steps[-1] = replace(steps[-1], high=None)
        else:
            steps.append(BoundStep("memory", low, None, rate))
    return tuple(steps)


# -- the table ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MethodRow:
    """One line of the table: a method at the largest N it reached, or why it could not run."""

    name: str
    n: int | None  # the largest N measured; None: no sample (unavailable, or skipped at every size)
    per_second: float
    gbps: float
    bound_fraction: float  # of the bound that applies at n
    overhead_s: float  # overhead/call: a warm call at N = 8, the fixed cost every call pays
    compile_s: float | None
    why_not: str = ""  # unavailable, or skipped everywhere: the reason
    note: str = ""
    speedup: float | None = None  # this device over the other one at the largest N both measured
    time_per_call_s: float = math.nan  # time/call at n: the median time of one call there
    spread: float = math.nan  # IQR / median of the repeats at n
    unreliable: str = ""  # why the figure at n is not to be believed ("" when nothing says so)
    exceeds_bound: bool = False  # faster than the copy at its size: a timing error, not a result
    graphs: int | None = None  # compiled: dynamo's graphs and graph breaks
    graph_breaks: int | None = None
    not_compiled: str = ""  # compiled row that is not one graph: why
    gain: str = ""  # compiled row that gains less than fusing usually gives over its eager twin: by how much, and why


def method_rows(report: SpeedReport, speedups: Mapping[str, Sequence[tuple[int, float]]] | None = None) -> tuple[MethodRow, ...]:
    """Every requested method in display order: its largest-N numbers, or the reason it has none ("" while it is still to come)."""
    rows = []
    for name in report.request.methods:
        result = report.method(name)
        speedup = (speedups or {}).get(name)
        last = speedup[-1][1] if speedup else None
        if result is None:
            why = report.unavailable.get(name) or ("cancelled before it ran" if report.cancelled else "")
            rows.append(MethodRow(name, None, math.nan, math.nan, math.nan, math.nan, None, why))
            continue
        if not result.samples:
            reasons = [s.reason for s in report.skipped if s.method == name]
            why = reasons[0] if reasons else ("cancelled before the first size" if report.cancelled else "")
            rows.append(
                MethodRow(
                    name,
                    None,
                    math.nan,
                    math.nan,
                    math.nan,
                    result.overhead_s,
                    result.compile_s,
                    why,
                    result.note,
                    graphs=result.graphs,
                    graph_breaks=result.graph_breaks,
                    not_compiled=result.not_compiled,
                )
            )
            continue
        top = max(result.samples, key=lambda s: s.n)
        rows.append(
            MethodRow(
                name,
                top.n,
                top.per_second,
                top.gbps,
                top.bound_fraction,
                result.overhead_s,
                result.compile_s,
                "",
                result.note,
                last,
                time_per_call_s=top.median_s,
                spread=top.spread,
                unreliable=top.unreliable,
                exceeds_bound=top.exceeds_bound,
                graphs=result.graphs,
                graph_breaks=result.graph_breaks,
                not_compiled=result.not_compiled,
                gain=gain.note if (gain := report.compile_gain(name)) is not None else "",
            )
        )
    return tuple(rows)


# -- skipped sizes --------------------------------------------------------------------------------

SKIP_MARKS = {"memory": "m", "time": "t", "out-of-memory": "!", "failed": "x"}
SKIP_WORDS = {
    "memory": "over the memory budget",
    "time": "too slow for the time a size may take",
    "out-of-memory": "ran out of memory",
    "failed": "failed",
}


@dataclass(frozen=True)
class SkipSummary:
    """One kind of skip: exactly which methods were skipped at which N, and one reason in full."""

    kind: str
    # (methods, their sizes as read: "10M, 31.6M", or a run of the grid "3.16M…316M"); methods with the same sizes share
    # one entry, named "every method" when they are all the methods measured.
    where: tuple[tuple[str, str], ...]
    example: str  # one reason in full, with its numbers

    def describe(self) -> str:
        who = "; ".join(f"{methods} at N = {sizes}" for methods, sizes in self.where)
        return f"{SKIP_MARKS[self.kind]} {SKIP_WORDS[self.kind]}: {who} ({self.example})"


def size_runs(sizes: Sequence[int], grid: Sequence[int]) -> str:
    """Sizes as a user reads them: runs of consecutive grid sizes as first…last, the rest one by one."""
    order = {n: index for index, n in enumerate(sorted(set(grid) | set(sizes)))}
    runs: list[list[int]] = []
    for n in sorted(sizes):
        if runs and order[n] == order[runs[-1][-1]] + 1:
            runs[-1].append(n)
        else:
            runs.append([n])
    parts = [
        si(run[0]) if len(run) == 1 else f"{si(run[0])}, {si(run[1])}" if len(run) == 2 else f"{si(run[0])}…{si(run[-1])}" for run in runs
    ]
    return ", ".join(parts)


def skip_summaries(report: SpeedReport) -> tuple[SkipSummary, ...]:
    """The skipped sizes grouped by why, in the engine's order of kinds, each method with exactly its sizes."""
    summaries = []
    for kind in SKIP_MARKS:
        skips = [s for s in report.skipped if s.kind == kind]
        if skips:
            by_sizes: dict[str, list[str]] = {}
            for method in dict.fromkeys(s.method for s in skips):
                by_sizes.setdefault(size_runs([s.n for s in skips if s.method == method], report.sizes), []).append(method)
            measured = [m.name for m in report.methods]
            where = tuple(
                ("every method" if len(measured) > 1 and sorted(methods) == sorted(measured) else ", ".join(methods), sizes)
                for sizes, methods in by_sizes.items()
            )
            summaries.append(SkipSummary(kind, where, skips[0].reason))
    return tuple(summaries)


def skip_marks(report: SpeedReport) -> tuple[tuple[int, str], ...]:
    """(n, mark) for each size where some method was skipped; the gravest kind wins (out of memory over memory over time)."""
    order = ("out-of-memory", "failed", "memory", "time")
    marks = {}
    for n in sorted({s.n for s in report.skipped}):
        kinds = {s.kind for s in report.skipped if s.n == n}
        marks[n] = SKIP_MARKS[next(k for k in order if k in kinds)]
    return tuple(marks.items())


# -- two devices ----------------------------------------------------------------------------------


def is_cuda(device: str) -> bool:
    return device.startswith("cuda")


def counterpart(reports: Mapping[ReportKey, SpeedReport], key: ReportKey) -> ReportKey | None:
    """The report on the other kind of device (CPU for a CUDA key, CUDA for a CPU key) with the same f, dtype and choices."""
    same = (key.expression, key.dtype, key.compiled, key.threads)
    for other in reports:
        if (other.expression, other.dtype, other.compiled, other.threads) == same and is_cuda(other.device) != is_cuda(key.device):
            return other
    return None


def cuda_over_cpu(a: SpeedReport, b: SpeedReport) -> dict[str, tuple[tuple[int, float], ...]]:
    """Per method, (n, CUDA rate / CPU rate) where both measured it: a GPU's speed-up, whichever of the two is shown."""
    cuda, cpu = (a, b) if is_cuda(a.device) else (b, a)
    ratios = {name: cuda.speedup(cpu, name) for name in ALL_SPEED_METHODS}
    return {name: pairs for name, pairs in ratios.items() if pairs}


# -- numbers as a user reads them -----------------------------------------------------------------


def si(value: float, unit: str = "") -> str:
    """3 significant digits with k, M, G: 55.0M, 1.2G, 3.16k (so the table's numbers can be read back)."""
    if not math.isfinite(value):
        return "—"
    for scale, prefix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= scale:
            return f"{value / scale:.3g}{prefix}{unit}"
    return f"{value:.3g}{unit}"


def seconds(value: float | None) -> str:
    """A duration a user can read: 26 µs, 1.6 ms, 12.3 s."""
    return format_seconds(value)


def report_tables(report: SpeedReport) -> dict[str, Table]:
    """The numbers of a report for `x` (export): one row per method, one per sample, one per skipped size."""
    rows = method_rows(report)
    return {
        "methods": Table(
            (
                "method",
                "largest_n",
                "per_second",
                "gbps",
                "bound_fraction",
                "overhead_per_call_s",
                "time_per_call_s",
                "spread",
                "compile_s",
                "graphs",
                "graph_breaks",
                "not_compiled",
                "unreliable",
                "unavailable",
            ),
            [
                (
                    r.name,
                    r.n,
                    r.per_second,
                    r.gbps,
                    r.bound_fraction,
                    r.overhead_s,
                    r.time_per_call_s,
                    r.spread,
                    r.compile_s,
                    r.graphs,
                    r.graph_breaks,
                    r.not_compiled,
                    r.unreliable,
                    r.why_not,
                )
                for r in rows
            ],
        ),
        "samples": Table(
            (
                "method",
                "n",
                "median_s",
                "iqr_s",
                "spread",
                "per_second",
                "gbps",
                "bound",
                "bound_n",
                "bound_fraction",
                "regime",
                "unreliable",
            ),
            [
                (
                    m.name,
                    s.n,
                    s.median_s,
                    s.iqr_s,
                    s.spread,
                    s.per_second,
                    s.gbps,
                    s.bound,
                    s.bound_n,
                    s.bound_fraction,
                    s.regime,
                    s.unreliable,
                )
                for m in report.methods
                for s in m.samples
            ],
        ),
        "bounds": Table(
            ("n", "place", "tensor_bytes", "gbps", "upper_gbps", "limit_gbps", "iqr_gbps", "spread", "repeats"),
            [(b.n, b.place, b.tensor_bytes, b.gbps, b.upper_gbps, b.limit_gbps, b.iqr_gbps, b.spread, b.repeats) for b in report.bounds],
        ),
        "skipped": Table(("n", "method", "kind", "reason"), [(s.n, s.method, s.kind, s.reason) for s in report.skipped]),
        "device": Table(
            (
                "device",
                "device_name",
                "dtype",
                "threads",
                "bandwidth_gbps",
                "bound_per_second",
                "cancelled",
                "elapsed_s",
                "load_average_start",
                "load_average_end",
                "allocator",
            ),
            [
                (
                    report.device,
                    report.device_name,
                    report.dtype,
                    report.threads,
                    report.bandwidth_gbps,
                    report.bound_per_second,
                    report.cancelled,
                    report.elapsed_s,
                    _load(report.load_average[0]),
                    _load(report.load_average[1]),
                    report.allocator,
                )
            ],
        ),
    }


def _load(load: tuple[float, ...] | None) -> float | None:
    """The 1-minute load average, or None where the system does not say."""
    return load[0] if load else None
