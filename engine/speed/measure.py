"""Derivatives per second across N for each method, against the device's copy bandwidth.

The order of work: the copy bandwidth at each N of the grid and once far
beyond the cache (the bound at N is the faster of the copy at N and main memory's); for compiled methods, dynamo's account
of their graphs (how many, and the breaks); each method at N = 8 (it must run
at all, torch.compile compiles at the first call, and the median of the calls
after it is the fixed cost per call); then size by size, every method at that size in turn, so the curves
grow together and noise that comes and goes hits all of them alike.

Before a method runs at a size its memory (bytes per point times N) is checked
against the budget, and its time (extrapolated from the size before) against
`max_seconds`; what would not fit is skipped with the reason. An out-of-memory
error that happens anyway is caught, reported, and the method stops growing.
Callbacks let a worker thread show progress and stop between measurements.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import torch

from engine.compiled import Compiled, compile_expression
from engine.devices import dtype_name, parse_dtype, resolve_device
from engine.expression import parse_expression
from engine.speed import kernels as kernel_module
from engine.speed.kernels import AUTOGRAD_TRACED_AS, Compiler, GraphCheck, Graphs, Kernel, Unavailable, footprint_bytes_per_point
from engine.speed.machine import (
    WALL,
    Cancelled,
    Stopwatch,
    Timing,
    available_bytes,
    bound_copies,
    cache_bytes,
    default_margin,
    device_name,
    load_average,
    measure_bandwidth,
    steady_allocator,
    time_call,
)
from engine.speed.report import (
    Bound,
    MethodResult,
    Sample,
    Skip,
    SpeedReport,
    SpeedRequest,
    base_method,
    bound_at,
    classify,
    is_compiled,
    main_memory,
    method_label,
    size_grid,
    unreliable_reason,
)

ProgressCallback = Callable[[int, int, str], None]  # (done, total, what runs next)
SampleCallback = Callable[[str, Sample], None]  # (method, the sample just measured)
CancelledCallback = Callable[[], bool]

NO_CODEGEN = "does not support code generation"  # inductor's warning when it falls back to eager operators
PROBE_N = 8  # the size at which each method is tried first: its time there is the fixed cost of a call
MIN_REPEATS = 3  # fewer repeats than asked where one call is long, but never fewer than this


def _first_line(error: BaseException, limit: int = 200) -> str:
    text = str(error).strip().splitlines()
    line = text[0] if text else type(error).__name__
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _is_out_of_memory(error: BaseException) -> bool:
    if isinstance(error, (torch.OutOfMemoryError, MemoryError)):
        return True
    text = str(error).lower()
    return isinstance(error, RuntimeError) and ("out of memory" in text or "can't allocate memory" in text)


@dataclass
class _Method:
    """A method while it is measured."""

    name: str
    kernel: Kernel
    footprint: int
    overhead_s: float = math.nan
    compile_s: float | None = None
    note: str = ""
    samples: list[Sample] = field(default_factory=list)
    out_of_memory_at: int | None = None
    graphs: Graphs | None = None
    no_codegen: str = ""

    def result(self) -> MethodResult:
        # Each figure judged against the same method's smaller sizes (a stall shows as a collapse of the rate).
        judged = tuple(replace(s, unreliable=unreliable_reason(s, self.samples[:index])) for index, s in enumerate(self.samples))
        return MethodResult(
            name=self.name,
            label=method_label(self.name),
            compiled=is_compiled(self.name),
            footprint_bytes_per_point=self.footprint,
            overhead_s=self.overhead_s,
            compile_s=self.compile_s,
            samples=judged,
            note=self.note,
            graphs=None if self.graphs is None else self.graphs.graphs,
            graph_breaks=None if self.graphs is None else self.graphs.breaks,
            break_reasons=() if self.graphs is None else self.graphs.reasons,
            operations=() if self.graphs is None else self.graphs.operations,
            no_codegen=self.no_codegen,
        )


class _Measurement:
    def __init__(
        self,
        request: SpeedRequest,
        compiled: Compiled,
        device: torch.device,
        dtype: torch.dtype,
        compiler: Compiler,
        on_progress: ProgressCallback | None,
        on_sample: SampleCallback | None,
        cancelled: CancelledCallback | None,
        stopwatch: Stopwatch = WALL,
        graph_check: GraphCheck | None = None,
    ) -> None:
        self.request, self.compiled, self.device, self.dtype, self.compiler = request, compiled, device, dtype, compiler
        self.on_progress, self.on_sample, self.cancelled_callback = on_progress, on_sample, cancelled
        self.stopwatch = stopwatch
        self.graph_check = graph_check or kernel_module.explain_graphs
        self.itemsize = torch.empty((), dtype=dtype).element_size()
        margin = request.memory_margin if request.memory_margin is not None else default_margin(device)
        self.budget = int(margin * available_bytes(device))
        self.cache = cache_bytes(device)
        self.bounds: tuple[Bound, ...] = ()
        self.graphs: dict[str, Graphs] = {}
        self.load_at_start = load_average()
        self.methods: list[_Method] = []
        self.unavailable: dict[str, str] = {}
        self.skipped: list[Skip] = []
        self.done = 0
        self.total = 0
        self.cancelled = False
        self.allocator = ""
        self.sizes = self._sizes()

    # --- sizes and progress -------------------------------------------------------------------

    def _sizes(self) -> tuple[int, ...]:
        request = self.request
        if request.nmax is not None:
            return size_grid(request.nmin, request.nmax, request.per_decade)
        leanest = min(footprint_bytes_per_point(self.compiled, name, self.itemsize) for name in request.methods)
        fits = self.budget // leanest
        if fits <= request.nmin:
            return (request.nmin,)  # it will be skipped for memory, with the reason
        return size_grid(request.nmin, fits, request.per_decade, include_ends=False) or (request.nmin,)

    def progress(self, label: str) -> None:
        if self.on_progress is not None:
            self.on_progress(self.done, self.total, label)

    def step_done(self) -> None:
        self.done += 1

    def stop_requested(self) -> bool:
        if not self.cancelled and self.cancelled_callback is not None and self.cancelled_callback():
            self.cancelled = True
        return self.cancelled

    # --- the steps ---------------------------------------------------------------------------------

    @property
    def bandwidth_gbps(self) -> float:
        """The main-memory bound (the largest copy): what a size's time is estimated from."""
        memory = main_memory(self.bounds)
        return memory.limit_gbps if memory is not None else math.nan

    def run(self) -> None:
        copies = bound_copies(self.budget, self.cache, self.sizes, self.itemsize)
        self.total = len(copies) + len(self.request.methods) + len(self.sizes) * len(self.request.methods)
        try:
            self.measure_bandwidth(copies)
            if self.request.compiles:
                self.check_graphs()
                torch.compiler.reset()  # explain's traces, and compiled kernels of earlier measurements, must not count
            for name in self.request.methods:
                self.prepare(name)
            for n in self.sizes:
                self.measure_size(n)
        except Cancelled:
            self.cancelled = True
        if not self.cancelled:
            self.done = self.total
            self.progress("done")

    def measure_bandwidth(self, copies: tuple[tuple[int | None, int], ...]) -> None:
        """Each copy in turn (bound_copies: one of each grid N, then main memory's), one step of progress each."""
        bounds = []
        for n, nbytes in copies:
            self.progress("copy bandwidth: " + (f"{n:,} points" if n is not None else "main memory (a large copy)"))
            if self.stop_requested():
                raise Cancelled
            # A copy moves two tensors: in the cache when both fit (main memory's reference copy never does).
            place = "cache" if n is not None and self.cache is not None and 2 * nbytes <= self.cache else "memory"
            bounds.append(
                measure_bandwidth(self.device, self.dtype, nbytes, self.request.repeats, self.stop_requested, self.stopwatch, place, n)
            )
            self.step_done()
        self.bounds = tuple(bounds)

    def check_graphs(self) -> None:
        """Dynamo's account of each compiled kernel (tracing only): one graph is one fused kernel, a break runs eager code."""
        probe = torch.linspace(0.1, 0.9, PROBE_N, dtype=self.dtype, device=self.device)
        for name in self.request.methods:
            if not is_compiled(name):
                continue
            self.progress(f"{name}: checking for graph breaks")
            if self.stop_requested():
                raise Cancelled
            try:
                kernel = kernel_module.build_kernel(self.compiled, name, self.dtype, self.device)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    self.graphs[name] = self.graph_check(kernel, probe)
            except Exception:  # noqa: BLE001 - unavailable or failing: prepare() says why in the row
                continue

    def prepare(self, name: str) -> None:
        """Build the kernel, run it once at PROBE_N (compiling it) and time the fixed cost of a call."""
        self.progress(f"{name}: compiling" if is_compiled(name) else f"{name}: first call")
        if self.stop_requested():
            raise Cancelled
        self.step_done()
        try:
            kernel = kernel_module.kernel_for(self.compiled, name, self.dtype, self.device, self.compiler)
            probe = torch.linspace(0.1, 0.9, PROBE_N, dtype=self.dtype, device=self.device)
            clock = self.stopwatch.clock
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                start = clock()
                kernel(probe)  # cold: compiling, lazy loading; not the cost of a call
                if self.device.type == "cuda":
                    torch.cuda.synchronize(self.device)
                first_call_s = clock() - start
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                overhead = time_call(lambda: kernel(probe), self.device, self.request.repeats, self.stop_requested, self.stopwatch)
        except Cancelled:
            raise
        except Unavailable as reason:
            self.unavailable[name] = str(reason)
            return
        except Exception as error:  # noqa: BLE001 - anything a compiler or an operator raises makes the row say why
            prefix = "torch.compile failed" if is_compiled(name) else "failed"
            self.unavailable[name] = f"{prefix}: {type(error).__name__}: {_first_line(error)}"
            return
        method = _Method(name, kernel, footprint_bytes_per_point(self.compiled, name, self.itemsize), overhead_s=overhead.median_s)
        if is_compiled(name):
            method.compile_s = first_call_s
            method.graphs = self.graphs.get(name)
        warned = next((_first_line(w.message) for w in caught if isinstance(w.message, Warning)), "")
        if is_compiled(name) and NO_CODEGEN in warned.lower():
            # Inductor falls back to eager operators (complex numbers on the CPU): one graph, but nothing fused.
            method.no_codegen = "the compiler generated no code for it (" + warned.split(".")[0].strip() + ")"
        elif method.graphs is not None and method.graphs.complex_ops:
            # The same fallback when inductor's compiled code came from its cache (no warning then): the graph says so.
            method.no_codegen = "the compiler generated no code for it (inductor has no code generation for complex operators)"
        traced_as = AUTOGRAD_TRACED_AS if is_compiled(name) and base_method(name) == "autograd" else ""
        method.note = "; ".join(part for part in (traced_as, warned) if part)
        self.methods.append(method)

    def measure_size(self, n: int) -> None:
        x: torch.Tensor | None = None
        for method in self.methods:
            self.progress(f"{method.name} at N = {n:,}")
            if self.stop_requested():  # checked after the label is shown, so a stop asked for on seeing it takes effect at once
                raise Cancelled
            self.step_done()
            skip = self.why_skip(method, n)
            if skip is None and x is None:
                try:
                    x = torch.linspace(0.1, 0.9, n, dtype=self.dtype, device=self.device)
                except (RuntimeError, MemoryError) as error:
                    skip = "out-of-memory", f"out of memory for the points themselves: {_first_line(error)}"
            if skip is not None:
                self.skipped.append(Skip(n, method.name, skip[1], skip[0]))
            elif x is not None:
                self.measure_one(method, x)
        self.step_done_for_unavailable()

    def step_done_for_unavailable(self) -> None:
        # Methods that could not run have no rows, but their share of the progress bar still passes with the size.
        self.done += len(self.request.methods) - len(self.methods)

    def measure_one(self, method: _Method, x: torch.Tensor) -> None:
        n = x.numel()
        repeats = self.repeats_for(method, n)
        kernel = method.kernel
        cuda = self.device.type == "cuda"
        if cuda:
            torch.cuda.reset_peak_memory_stats(self.device)
            before = torch.cuda.memory_allocated(self.device)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                timing = time_call(lambda: kernel(x), self.device, repeats, self.stop_requested, self.stopwatch)
        except Cancelled:
            raise
        except Exception as error:  # noqa: BLE001 - one size failing must not end the measurement
            if cuda:
                torch.cuda.empty_cache()
            if _is_out_of_memory(error):
                method.out_of_memory_at = n
                self.skipped.append(Skip(n, method.name, f"out of memory: {_first_line(error)}", "out-of-memory"))
            else:
                self.skipped.append(Skip(n, method.name, f"failed: {type(error).__name__}: {_first_line(error)}", "failed"))
            return
        if cuda:
            measured = (torch.cuda.max_memory_allocated(self.device) - before) / n + self.itemsize
            method.footprint = max(method.footprint, math.ceil(measured))
        sample = self.sample(method, n, timing)
        method.samples.append(sample)
        if self.on_sample is not None:
            self.on_sample(method.name, sample)

    def sample(self, method: _Method, n: int, timing: Timing) -> Sample:
        per_second = n / timing.median_s
        gbps = per_second * 2 * self.itemsize / 1e9  # read x, write f'(x)
        bound = bound_at(self.bounds, n)
        return Sample(
            n=n,
            median_s=timing.median_s,
            iqr_s=timing.iqr_s,
            per_second=per_second,
            gbps=gbps,
            bound_fraction=gbps / bound.limit_gbps if bound is not None else math.nan,
            regime=classify(n, timing.median_s, method.overhead_s, method.footprint, self.cache),
            repeats=timing.repeats,
            calls_per_repeat=timing.calls_per_repeat,
            warmup_s=timing.warmup_s,
            bound=bound.place if bound is not None else "memory",
            bound_n=bound.n if bound is not None else None,
        )

    # --- what may run --------------------------------------------------------------------------------

    def predicted_call_s(self, method: _Method, n: int) -> float:
        """A lower estimate of one call: the fixed cost, the last size scaled to this one, the bytes at full bandwidth."""
        guesses = [method.overhead_s, n * method.footprint / (self.bandwidth_gbps * 1e9)]
        if method.samples:
            last = method.samples[-1]
            guesses.append(last.median_s * n / last.n)
        return max(g for g in guesses if math.isfinite(g))

    def repeats_for(self, method: _Method, n: int) -> int:
        wanted = self.request.repeats
        call_s = self.predicted_call_s(method, n)
        if (1 + wanted) * call_s <= self.request.max_seconds:
            return wanted
        return max(min(MIN_REPEATS, wanted), math.floor(self.request.max_seconds / call_s) - 1)

    def why_skip(self, method: _Method, n: int) -> tuple[str, str] | None:
        """(kind, reason) when `method` must not run at `n`."""
        need = n * method.footprint
        if need > self.budget:
            return "memory", (
                f"needs about {need / 1e9:.3g} GB ({method.footprint} bytes a point); "
                f"the budget is {self.budget / 1e9:.3g} GB of the memory available"
            )
        if method.out_of_memory_at is not None and n > method.out_of_memory_at:
            return "out-of-memory", f"ran out of memory at N = {method.out_of_memory_at:,}"
        call_s = self.predicted_call_s(method, n)
        calls = 1 + self.repeats_for(method, n)
        if calls * call_s > self.request.max_seconds:
            return "time", f"{calls} calls of about {call_s:.2g} s would take over the {self.request.max_seconds:g} s a size may take"
        return None

    def report(self, elapsed_s: float) -> SpeedReport:
        return SpeedReport(
            request=self.request,
            device=str(self.device),
            device_name=device_name(self.device),
            dtype=dtype_name(self.dtype),
            threads=torch.get_num_threads(),
            bandwidth_gbps=self.bandwidth_gbps,
            cache_bytes=self.cache,
            memory_budget_bytes=self.budget,
            sizes=self.sizes,
            methods=tuple(method.result() for method in self.methods),
            unavailable=dict(self.unavailable),
            skipped=tuple(self.skipped),
            cancelled=self.cancelled,
            elapsed_s=elapsed_s,
            bounds=self.bounds,
            load_average=(self.load_at_start, load_average()),
            allocator=self.allocator,
        )


def measure_speed(
    request: SpeedRequest,
    *,
    on_progress: ProgressCallback | None = None,
    on_sample: SampleCallback | None = None,
    cancelled: CancelledCallback | None = None,
    compiler: Compiler | None = None,
    stopwatch: Stopwatch = WALL,
    graph_check: GraphCheck | None = None,
) -> SpeedReport:
    """Measure `request`; with `cancelled` returning True the report so far comes back, marked cancelled.

    `stopwatch` (clock, copy, CUDA events) and `graph_check` (dynamo's explain) are the real ones unless a test
    puts fakes with known answers in their place.

    Raises ExpressionError for bad text (f must be a function of x alone) and DeviceError for a device or
    dtype this torch lacks; everything that goes wrong once measuring has begun is in the report instead.
    """
    start = time.perf_counter()
    expression = parse_expression(request.expression)
    device, dtype = resolve_device(request.device), parse_dtype(request.dtype)
    measurement = _Measurement(
        request,
        compile_expression(expression),
        device,
        dtype,
        compiler or kernel_module.torch_compile,
        on_progress,
        on_sample,
        cancelled,
        stopwatch,
        graph_check,
    )
    threads = torch.get_num_threads()
    if request.threads is not None:
        torch.set_num_threads(request.threads)
    try:
        with steady_allocator(device) as measurement.allocator:
            measurement.run()
        return measurement.report(time.perf_counter() - start)
    finally:
        torch.set_num_threads(threads)
