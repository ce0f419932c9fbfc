"""The speed engine: each kernel's derivative, the size grid, memory and time limits, out-of-memory, cancelling, the report.

Sizes are tiny and repeats few: these tests check what is measured and reported, never how fast anything is.
torch.compile is never run here; a fake compiler that raises stands in for one that cannot work.
"""

from __future__ import annotations

import itertools
import math
import platform
import resource
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import torch

from engine.compiled import compile_expression
from engine.expression import parse_expression
from engine.speed import (
    ALL_SPEED_METHODS,
    SPEED_METHODS,
    MethodResult,
    Sample,
    Skip,
    SpeedReport,
    SpeedRequest,
    machine,
    measure_speed,
    parse_speed_methods,
    size_grid,
)
from engine.speed import kernels as kernel_module
from engine.speed import measure as measure_module
from engine.speed.kernels import Graphs, Unavailable, build_kernel
from engine.speed.report import Bound, CompileGain, bound_at, classify, quartiles, stalled_copies, unreliable_reason

CPU = torch.device("cpu")
ISSUE_KEYS = {"expression", "device", "device_name", "dtype", "threads", "bandwidth_gbps", "sizes", "methods", "unavailable", "skipped"}
SAMPLE_KEYS = {"n", "median_s", "iqr_s", "per_second", "gbps", "bound_fraction"}
needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device (torch sees none)")


def tiny(**changes: object) -> SpeedRequest:
    settings: dict[str, object] = {"nmin": 1000, "nmax": 4000, "per_decade": 2, "repeats": 1, "methods": ("exact", "autograd")}
    settings.update(changes)
    return SpeedRequest(**settings)  # type: ignore[arg-type]


MEMORY_COPY_BYTES = 2**20


@pytest.fixture(autouse=True)
def small_bandwidth_copy(monkeypatch: pytest.MonkeyPatch) -> None:
    """A 1 MiB main-memory copy instead of hundreds of MiB: these tests check the accounting, not the bandwidth."""
    monkeypatch.setattr(machine, "bandwidth_tensor_bytes", lambda budget, cache: MEMORY_COPY_BYTES)


@pytest.fixture
def report() -> SpeedReport:
    return measure_speed(tiny(methods=SPEED_METHODS))


# --- the kernels compute f'(x) ------------------------------------------------------------------------


def _points(dtype: torch.dtype = torch.float64) -> torch.Tensor:
    return torch.linspace(-2.0, 2.0, 33, dtype=dtype)


@pytest.mark.parametrize("method", SPEED_METHODS)
def test_every_kernel_gives_cos_for_sin(method: str) -> None:
    x = _points()
    kernel = build_kernel(compile_expression(parse_expression("sin(x)")), method, torch.float64, CPU)
    tolerance = 1e-9 if method == "central" else 1e-15  # central's h = eps^(1/3): error ~ h^2 / 6
    torch.testing.assert_close(kernel(x), torch.cos(x), rtol=0, atol=tolerance)


@pytest.mark.parametrize("method", SPEED_METHODS)
def test_every_kernel_differentiates_a_composite(method: str) -> None:
    x = _points()
    kernel = build_kernel(compile_expression(parse_expression("exp(-x^2)*sin(5x)")), method, torch.float64, CPU)
    expected = torch.exp(-(x**2)) * (5 * torch.cos(5 * x) - 2 * x * torch.sin(5 * x))  # by hand
    torch.testing.assert_close(kernel(x), expected, rtol=0, atol=1e-8 if method == "central" else 1e-13)


@pytest.mark.parametrize("method", ["exact", "autograd", "central"])
def test_kernels_of_a_constant_give_zero_of_the_points_shape(method: str) -> None:
    x = _points()
    result = build_kernel(compile_expression(parse_expression("3")), method, torch.float64, CPU)(x)
    assert result.shape == x.shape
    assert torch.equal(result, torch.zeros_like(x))


def test_the_memory_a_call_needs_grows_with_the_operations_of_what_it_evaluates() -> None:
    """Words a point: exact holds x and f'(x) plus one per operation of f' (x*cos(x) + sin(x): 4); the others hold
    their fixed tensors plus one or two per operation of f (x*sin(x): 2)."""
    compiled = compile_expression(parse_expression("x*sin(x)"))
    assert kernel_module.operation_count(compiled.gradient[0]) == 4 and kernel_module.operation_count(compiled.expression.sympy) == 2
    words = {"exact": 2 + 4, "autograd": 4 + 2 * 2, "vmap-grad": 4 + 2 * 2, "central": 6 + 2, "complex-step": 5 + 2 * 2}
    for method, count in words.items():
        assert kernel_module.footprint_bytes_per_point(compiled, method, 8) == 8 * count, method
        assert kernel_module.footprint_bytes_per_point(compiled, f"{method}-compiled", 4) == 4 * count, method


def test_a_constant_f_keeps_its_wrapper_and_an_unknown_method_is_named() -> None:
    compiled = compile_expression(parse_expression("3"))
    probe = _points()
    assert kernel_module.bare(compiled.function, probe) is compiled.function  # the bare lambda gives 3, not a tensor
    assert torch.equal(build_kernel(compiled, "central", torch.float64, CPU)(probe), torch.zeros_like(probe))
    with pytest.raises(ValueError, match=r"^unknown speed method 'secant'$"):
        build_kernel(compiled, "secant", torch.float64, CPU)


def test_float32_kernels_stay_in_float32() -> None:
    x = _points(torch.float32)
    for method in SPEED_METHODS:
        result = build_kernel(compile_expression(parse_expression("sin(x)")), method, torch.float32, CPU)(x)
        assert result.dtype == torch.float32, method
        torch.testing.assert_close(result, torch.cos(x), rtol=0, atol=2e-3 if method == "central" else 1e-6)


def test_complex_step_says_why_it_cannot_apply() -> None:
    with pytest.raises(Unavailable, match="not complex-analytic"):
        build_kernel(compile_expression(parse_expression("abs(x)")), "complex-step", torch.float64, CPU)
    with pytest.raises(Unavailable, match="no complex type for bfloat16"):
        build_kernel(compile_expression(parse_expression("sin(x)")), "complex-step", torch.bfloat16, CPU)


def test_importing_the_speed_types_does_not_import_torch() -> None:
    """A screen can hold requests and reports before torch has loaded."""
    code = "import sys, engine.speed; assert 'torch' not in sys.modules, 'torch was imported'"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=Path(__file__).parent.parent)
    assert done.returncode == 0, done.stderr


# --- sizes, methods, statistics, regimes ----------------------------------------------------------------


def test_size_grid() -> None:
    assert size_grid(1000, 100_000, 2) == (1000, 3162, 10_000, 31_623, 100_000)
    assert size_grid(1000, 100_000, 1) == (1000, 10_000, 100_000)
    assert size_grid(5000, 20_000, 1) == (5000, 10_000, 20_000)  # the ends asked for are measured too
    assert size_grid(5000, 20_000, 1, include_ends=False) == (10_000,)
    assert size_grid(10**7, 10**7, 3) == (10**7,)
    with pytest.raises(ValueError, match="bad size range"):
        size_grid(10, 5, 1)


def test_parse_speed_methods() -> None:
    assert parse_speed_methods("autograd, vmap-grad") == ("autograd", "vmap-grad")
    assert parse_speed_methods("exact,autograd", compiled=True) == ("exact", "exact-compiled", "autograd", "autograd-compiled")
    assert parse_speed_methods("vmap-grad-compiled") == ("vmap-grad-compiled",)
    with pytest.raises(ValueError, match="unknown method 'forward'"):
        parse_speed_methods("forward")


def test_request_rejects_what_cannot_be_measured() -> None:
    with pytest.raises(ValueError, match="unknown methods"):
        SpeedRequest(methods=("magic",))
    with pytest.raises(ValueError, match="not above"):
        SpeedRequest(nmin=10, nmax=5)
    assert SpeedRequest(expression="x^2", device="cpu", dtype="float32").key == ("x^2", "cpu", "float32")


def test_quartiles() -> None:
    assert quartiles([5.0, 1.0, 3.0, 2.0, 4.0]) == (2.0, 3.0, 4.0)
    assert quartiles([1.0, 2.0]) == (1.25, 1.5, 1.75)
    assert quartiles([7.0]) == (7.0, 7.0, 7.0)


def test_classify_regimes() -> None:
    cache = 32 * 2**20
    assert classify(1000, median_s=30e-6, overhead_s=25e-6, footprint_bytes_per_point=48, cache_bytes=cache) == "overhead"
    assert classify(100_000, median_s=1e-3, overhead_s=25e-6, footprint_bytes_per_point=48, cache_bytes=cache) == "cache"
    assert classify(10**7, median_s=0.1, overhead_s=25e-6, footprint_bytes_per_point=48, cache_bytes=cache) == "memory"
    assert classify(100_000, median_s=1e-3, overhead_s=25e-6, footprint_bytes_per_point=48, cache_bytes=None) == "memory"


def _sample(n: int, per_second: float, regime: str) -> Sample:
    return Sample(n, n / per_second, 0.0, per_second, per_second * 16 / 1e9, per_second * 16 / 10e9, regime, 3, 1, 0.0)


def _report(device: str, rates: dict[int, float], regimes: dict[int, str]) -> SpeedReport:
    samples = tuple(_sample(n, rate, regimes[n]) for n, rate in rates.items())
    method = MethodResult("autograd", "torch.autograd.grad", False, 48, 1e-5, None, samples)
    return SpeedReport(SpeedRequest(), device, "test", "float64", 2, 10.0, None, 10**9, tuple(rates), (method,))


def test_regime_spans_and_speedup_between_devices() -> None:
    regimes = {1000: "overhead", 10_000: "overhead", 100_000: "cache", 10**6: "memory"}
    cpu = _report("cpu", {1000: 1e7, 10_000: 5e7, 100_000: 1e8, 10**6: 1e8}, regimes)
    gpu = _report("cuda:0", {1000: 1e6, 10_000: 1e7, 100_000: 1e9, 10**6: 1e10}, regimes)
    assert cpu.regime_spans() == (("overhead", 1000, 10_000), ("cache", 100_000, 100_000), ("memory", 10**6, 10**6))
    assert gpu.speedup(cpu, "autograd") == ((1000, 0.1), (10_000, 0.2), (100_000, 10.0), (10**6, 100.0))
    assert gpu.speedup(cpu, "vmap-grad") == ()
    assert cpu.bound_per_second == 10.0e9 / 16  # 10 GB/s, 16 bytes a float64 point


def test_a_compiled_row_that_gains_little_over_eager_says_by_how_much_and_why() -> None:
    """Rates at the same N: exact-compiled 1.32x exact, with exact at 80% of the bound; vmap-grad-compiled 2.5x; a
    compiled row that is not compiled has no gain (it says so already); an eager row has none."""
    bound = 10e9 / 16  # the _sample bound: 10 GB/s over 16 bytes a point
    eager = (_sample(10**5, 0.5 * bound, "cache"), _sample(10**7, 0.8 * bound, "memory"))
    compiled = (_sample(10**5, 0.9 * bound, "cache"), _sample(10**7, 1.056 * bound, "memory"), _sample(10**8, bound, "memory"))
    vmap = (_sample(10**7, 0.2 * bound, "memory"),)
    vmap_compiled = (_sample(10**7, 0.5 * bound, "memory"),)
    methods = (
        MethodResult("exact", "f'(x)", False, 16, 1e-5, None, eager),
        MethodResult("exact-compiled", "f'(x), compiled", True, 16, 1e-5, 2.0, compiled, graphs=1, graph_breaks=0, operations=("cos",)),
        MethodResult("vmap-grad", "vmap", False, 16, 1e-5, None, vmap),
        MethodResult("vmap-grad-compiled", "vmap, compiled", True, 16, 1e-5, 2.0, vmap_compiled, graphs=1, graph_breaks=0),
        MethodResult("autograd", "autograd", False, 16, 1e-5, None, vmap),
        MethodResult("autograd-compiled", "autograd, compiled", True, 16, 1e-5, 2.0, vmap, graphs=2, graph_breaks=1),
    )
    report = SpeedReport(SpeedRequest(), "cpu", "test", "float64", 1, 10.0, None, 10**9, (10**5, 10**7, 10**8), methods)
    gain = report.compile_gain("exact-compiled")
    assert gain is not None and (gain.n, gain.eager_share) == (10**7, 0.8) and gain.ratio == pytest.approx(1.32)
    assert gain.note == (
        "compiled, 1.32x eager at N = 10,000,000: eager already runs at 80% of the bound (a copy of its size), one pass with little to fuse"
    )
    vmap_gain = report.compile_gain("vmap-grad-compiled")
    assert vmap_gain is not None and vmap_gain.ratio == pytest.approx(2.5) and vmap_gain.note == ""
    assert report.compile_gain("autograd-compiled") is None and report.compile_gain("exact") is None
    assert report.as_dict()["compile_gain"] == {"exact-compiled": gain.as_dict(), "vmap-grad-compiled": vmap_gain.as_dict()}
    assert gain.operations == ("cos",) and report.as_dict()["operations"] == {"exact-compiled": ["cos"]}
    slow = CompileGain(10**7, 1.2, 0.1)
    assert slow.note == "compiled, 1.20x eager at N = 10,000,000: less than the 1.5x that fusing usually gives"


# --- a whole measurement --------------------------------------------------------------------------------


def test_report_numbers_agree_with_each_other(report: SpeedReport) -> None:
    assert report.device == "cpu" and report.dtype == "float64" and report.expression == "sin(x)"
    assert report.threads == torch.get_num_threads()
    assert report.sizes == (1000, 3162, 4000)
    assert [m.name for m in report.methods] == list(SPEED_METHODS)
    assert report.bandwidth_gbps > 0 and report.bytes_per_point == 16
    # A copy of each N (two tensors of N float64 points), then main memory's.
    assert [(b.n, b.tensor_bytes) for b in report.bounds] == [(1000, 8000), (3162, 25_296), (4000, 32_000), (None, MEMORY_COPY_BYTES)]
    memory = report.bounds[-1]
    for method in report.methods:
        assert [s.n for s in method.samples] == list(report.sizes), method.name
        assert method.overhead_s > 0 and method.compile_s is None
        for s in method.samples:
            bound = report.bound_at(s.n)
            copy = next(b for b in report.bounds if b.n == s.n)
            # The faster of the copy at N and main memory's: a tiny copy's fixed cost may make it the slower.
            assert bound is not None and bound.place == s.bound and bound.limit_gbps == max(copy.limit_gbps, memory.limit_gbps)
            assert s.per_second == pytest.approx(s.n / s.median_s)
            assert s.gbps == pytest.approx(s.per_second * 16 / 1e9)
            assert s.bound_fraction == pytest.approx(s.gbps / bound.limit_gbps)
            assert s.iqr_s >= 0 and s.regime in ("overhead", "cache", "memory")
    assert not report.unavailable and not report.skipped and not report.cancelled


def test_json_has_the_issue_keys(report: SpeedReport) -> None:
    data = report.as_dict()
    assert set(data) >= ISSUE_KEYS
    assert data["sizes"] == [1000, 3162, 4000]
    assert set(data["methods"]) == set(SPEED_METHODS)
    for samples in data["methods"].values():
        assert [s["n"] for s in samples] == data["sizes"]
        assert all(set(s) >= SAMPLE_KEYS for s in samples)


def test_threads_are_set_for_the_measurement_and_restored() -> None:
    before = torch.get_num_threads()
    result = measure_speed(tiny(nmax=1000, methods=("exact",), threads=1))
    assert result.threads == 1
    assert torch.get_num_threads() == before


def _faults_reallocating(nbytes: int, times: int = 4) -> int:
    """The page faults of allocating and filling `nbytes`, each block freed before the next, after two warm-ups."""
    for _ in range(2):
        torch.empty(nbytes, dtype=torch.uint8).fill_(1)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(times):
        torch.empty(nbytes, dtype=torch.uint8).fill_(1)
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="the heap is kept through glibc's mallopt")
def test_freed_cpu_tensors_are_reused_while_measuring_and_given_back_after() -> None:
    nbytes = 48 * 2**20  # over glibc's highest mmap threshold (32 MiB), under its trim threshold then (64 MiB)
    with machine.steady_allocator(CPU) as allocator:
        kept = _faults_reallocating(nbytes)
    after = _faults_reallocating(nbytes)
    assert allocator.startswith("glibc, freed blocks up to 1 GiB kept")
    assert kept < 64, kept  # the freed block comes back with its pages (four allocations: 49,152 pages of 4 KiB)
    assert after >= 4 * nbytes // (2 * 2**20), after  # a page (4 KiB, or 2 MiB huge) at a time again, each time
    with machine.steady_allocator(torch.device("cuda")) as allocator:
        assert allocator == "CUDA caching allocator"


def test_float32_points_move_four_bytes_each_way() -> None:
    result = measure_speed(tiny(dtype="float32", nmax=1000, methods=("central",)))
    (sample,) = result.methods[0].samples
    assert result.bytes_per_point == 8
    assert sample.gbps == pytest.approx(sample.per_second * 8 / 1e9)


def test_progress_counts_up_to_the_total_and_samples_arrive_as_measured() -> None:
    calls: list[tuple[int, int, str]] = []
    arrived: list[tuple[str, int]] = []
    result = measure_speed(tiny(), on_progress=lambda *call: calls.append(call), on_sample=lambda name, s: arrived.append((name, s.n)))
    done = [call[0] for call in calls]
    assert done == sorted(done) and calls[-1][0] == calls[-1][1] == 4 + 2 + 3 * 2  # 3 copies and main memory's, 2 methods
    assert any("autograd at N = 3,162" in call[2] for call in calls)
    assert arrived == [(m.name, s.n) for n in result.sizes for m in result.methods for s in m.samples if s.n == n]


def test_cancel_returns_what_was_measured_so_far() -> None:
    calls: list[str] = []

    def on_progress(done: int, total: int, label: str) -> None:
        calls.append(label)

    result = measure_speed(tiny(nmax=10**5), on_progress=on_progress, cancelled=lambda: any("N = 3,162" in label for label in calls))
    assert result.cancelled
    assert [s.n for s in result.methods[0].samples] == [1000]
    assert result.as_dict()["cancelled"] is True


def test_a_compiler_that_fails_makes_the_row_unavailable_not_a_crash() -> None:
    def broken(kernel: object) -> object:
        raise RuntimeError("no compiler in this test\nsecond line")

    result = measure_speed(tiny(methods=("autograd", "autograd-compiled")), compiler=broken)  # type: ignore[arg-type]
    assert result.unavailable == {"autograd-compiled": "torch.compile failed: RuntimeError: no compiler in this test"}
    assert [m.name for m in result.methods] == ["autograd"]
    assert len(result.methods[0].samples) == 3


def test_a_kernel_is_compiled_once_with_dynamic_shapes_and_the_compiled_one_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    # One compile for every N: without dynamic shapes torch.compile would recompile at each new size, in the timing.
    asked: list[tuple[object, dict[str, object]]] = []

    def compiled(x: torch.Tensor) -> torch.Tensor:
        return x

    def fake_compile(kernel: object, **options: object) -> object:
        asked.append((kernel, options))
        return compiled

    monkeypatch.setattr(torch, "compile", fake_compile)
    kernel = build_kernel(compile_expression(parse_expression("sin(x)")), "exact", torch.float64, CPU)
    assert kernel_module.torch_compile(kernel) is compiled
    assert asked == [(kernel, {"dynamic": True})]


def test_no_cpp_compiler_is_said_before_trying(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("shutil.which", lambda name: None)
    monkeypatch.delenv("CXX", raising=False)

    def must_not_run(kernel: object) -> object:
        raise AssertionError("compiled although there is no compiler")

    result = measure_speed(tiny(methods=("exact-compiled",)), compiler=must_not_run)  # type: ignore[arg-type]
    assert result.unavailable["exact-compiled"].startswith("no C++ compiler found")


def test_sizes_that_do_not_fit_are_skipped_with_the_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(measure_module, "available_bytes", lambda device: 400_000)  # a budget of 200 kB at the CPU's margin
    result = measure_speed(tiny(nmax=10_000, per_decade=1, methods=("exact", "central")))
    exact, central = result.methods
    assert (exact.footprint_bytes_per_point, central.footprint_bytes_per_point) == (8 * 3, 8 * 7)  # cos: 1 op; sin: 1 op
    assert [s.n for s in exact.samples] == [1000]  # 10,000 x 24 bytes = 240 kB > 200 kB
    assert [s.n for s in central.samples] == [1000]
    assert {(s.n, s.method, s.kind) for s in result.skipped} == {(10_000, "exact", "memory"), (10_000, "central", "memory")}
    assert all("the budget is 0.0002 GB" in s.reason for s in result.skipped)


def test_default_largest_size_is_the_largest_that_fits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(measure_module, "available_bytes", lambda device: 10_000_000)  # budget 5 MB
    result = measure_speed(SpeedRequest(nmin=1000, per_decade=1, repeats=1, methods=("exact",)))
    assert result.sizes == (1000, 10_000, 100_000)  # 100,000 x 24 B = 2.4 MB fits, 1e6 x 24 B does not
    assert result.memory_budget_bytes == 5_000_000


def test_a_size_over_the_time_budget_is_skipped() -> None:
    result = measure_speed(tiny(max_seconds=1e-9))
    assert {s.kind for s in result.skipped} == {"time"}
    assert len(result.skipped) == 6 and all(not m.samples for m in result.methods)
    assert "would take over the 1e-09 s a size may take" in result.skipped[0].reason


def test_out_of_memory_is_caught_reported_and_the_rest_goes_on(monkeypatch: pytest.MonkeyPatch) -> None:
    real = kernel_module.kernel_for

    def kernel_for(compiled, method, dtype, device, compiler):  # type: ignore[no-untyped-def]
        kernel = real(compiled, method, dtype, device, compiler)
        if method != "autograd":
            return kernel

        def short_of_memory(x: torch.Tensor) -> torch.Tensor:
            if x.numel() >= 3000:
                raise torch.cuda.OutOfMemoryError("Tried to allocate 2.00 GiB")
            return kernel(x)

        return short_of_memory

    monkeypatch.setattr(kernel_module, "kernel_for", kernel_for)
    result = measure_speed(tiny(nmax=10_000))
    assert [s.n for s in result.methods[0].samples] == [1000, 3162, 10_000]  # exact goes on
    assert [s.n for s in result.methods[1].samples] == [1000]
    skipped = {(s.n, s.kind): s.reason for s in result.skipped}
    assert skipped == {
        (3162, "out-of-memory"): "out of memory: Tried to allocate 2.00 GiB",
        (10_000, "out-of-memory"): "ran out of memory at N = 3,162",
    }


def test_no_memory_for_the_points_themselves_skips_each_method_at_that_n_and_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    linspace = torch.linspace

    def short_of_memory(start: float, end: float, steps: int, **options: Any) -> torch.Tensor:
        if steps >= 3000:
            raise RuntimeError("DefaultCPUAllocator: can't allocate memory: you tried to allocate 25296 bytes.\nmore")
        return linspace(start, end, steps, **options)

    monkeypatch.setattr(torch, "linspace", short_of_memory)
    result = measure_speed(tiny(nmax=10_000))
    assert [[s.n for s in method.samples] for method in result.methods] == [[1000], [1000]]
    reason = "out of memory for the points themselves: DefaultCPUAllocator: can't allocate memory: you tried to allocate 25296 bytes."
    assert [(s.n, s.method, s.kind, s.reason) for s in result.skipped] == [
        (n, method, "out-of-memory", reason) for n in (3162, 10_000) for method in ("exact", "autograd")
    ]


def test_the_bound_copies_are_sized_from_the_memory_budget_the_cache_and_the_grid(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[tuple[int, int | None, tuple[int, ...], int]] = []
    real = machine.bound_copies

    def bound_copies(budget: int, cache: int | None, sizes: Sequence[int], itemsize: int) -> tuple[tuple[int | None, int], ...]:
        asked.append((budget, cache, tuple(sizes), itemsize))
        return real(budget, cache, sizes, itemsize)

    monkeypatch.setattr(measure_module, "bound_copies", bound_copies)
    monkeypatch.setattr(measure_module, "available_bytes", lambda device: 8_000_000_000)
    monkeypatch.setattr(measure_module, "cache_bytes", lambda device: 32_000_000)
    report = measure_speed(tiny(memory_margin=0.25, dtype="float32"))
    assert asked == [(2_000_000_000, 32_000_000, (1000, 3162, 4000), 4)]
    assert [(b.n, b.place, b.tensor_bytes) for b in report.bounds] == [
        (1000, "cache", 4000),
        (3162, "cache", 12_648),
        (4000, "cache", 16_000),
        (None, "memory", MEMORY_COPY_BYTES),
    ]


def test_allocation_failures_on_the_cpu_count_as_out_of_memory() -> None:
    assert measure_module._is_out_of_memory(RuntimeError("DefaultCPUAllocator: can't allocate memory: you tried to allocate 8 GB"))
    assert measure_module._is_out_of_memory(MemoryError())
    assert not measure_module._is_out_of_memory(RuntimeError("sin is not implemented for 'Half'"))


def test_cuda_memory_counts_free_memory_and_torchs_unused_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "mem_get_info", lambda device=None: (3_000_000_000, 8_000_000_000))
    monkeypatch.setattr(torch.cuda, "memory_reserved", lambda device=None: 1_000_000_000)
    monkeypatch.setattr(torch.cuda, "memory_allocated", lambda device=None: 400_000_000)
    assert machine.available_bytes(torch.device("cuda:0")) == 3_600_000_000
    assert machine.default_margin(torch.device("cuda:0")) == 0.8


def test_cpu_memory_and_machine_description(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.undo()  # the real main-memory copy size, not small_bandwidth_copy's
    assert machine.available_bytes(CPU) > 0
    assert machine.device_name(CPU)
    assert machine.bandwidth_tensor_bytes(10**12, 32 * 2**20) == 256 * 2**20  # 8x a 32 MiB cache
    assert machine.bandwidth_tensor_bytes(10**12, None) == 64 * 2**20
    assert machine.bandwidth_tensor_bytes(40 * 2**20, 32 * 2**20) == 10 * 2**20  # a quarter of a small budget
    # A copy of each N smaller than main memory's copy (8x the cache), then that one.
    sizes = (10**6, 10**7, 3 * 10**7, 4 * 10**7)  # float64: 8 MB, 80 MB, 240 MB, 320 MB a tensor
    assert machine.bound_copies(10**12, 32 * 2**20, sizes, 8) == (
        (10**6, 8 * 10**6),
        (10**7, 8 * 10**7),
        (3 * 10**7, 24 * 10**7),
        (None, 256 * 2**20),  # 268 MB: 4e7 points would be larger
    )
    assert machine.bound_copies(10**12, None, sizes, 8) == ((10**6, 8 * 10**6), (None, 64 * 2**20))
    load = machine.load_average()
    assert load is None or (len(load) == 3 and all(value >= 0 for value in load))


def test_skip_round_trips_to_json() -> None:
    assert Skip(10, "autograd", "why", "time").as_dict() == {"n": 10, "method": "autograd", "reason": "why", "kind": "time"}


def test_a_function_of_y_is_refused() -> None:
    from engine.syntax import ExpressionError

    with pytest.raises(ExpressionError):
        measure_speed(tiny(expression="x*y"))


@needs_cuda
def test_cuda_measurement_names_the_card() -> None:
    result = measure_speed(tiny(device="cuda", dtype="float32"))
    assert result.device.startswith("cuda") and result.device_name == torch.cuda.get_device_name(0)
    assert all(len(m.samples) == 3 for m in result.methods)
    assert all(math.isfinite(s.per_second) for m in result.methods for s in m.samples)


# --- a fake machine: durations and byte counts chosen here, every figure checked against a hand computation -----

# The fake copy reads one tensor and writes the other: 40 GB/s while both fit in the fake 1 MB cache, 10 GB/s beyond.
# So a copy of 4,000 float64 points moves 64,000 bytes in 1.6 us, main memory's (1 MiB a tensor) 2,097,152 in 209.7152 us.
CACHE_GBPS, MEMORY_GBPS = 40.0, 10.0
FAKE_CACHE_BYTES = 1_000_000  # N up to 62,500 float64 points (16 bytes each: x and f'(x)) copies at the cache's rate


def copy_seconds(tensor_bytes: int) -> float:
    moved = 2 * tensor_bytes
    return moved / ((CACHE_GBPS if moved <= FAKE_CACHE_BYTES else MEMORY_GBPS) * 1e9)


COLD_S = 0.25  # the first call of every kernel: compiling, lazy loading; never the cost of a call

Cost = Callable[[int, int], float]  # (n, how many calls at this n before this one) -> seconds


def linear(overhead_s: float, per_point_s: float) -> Cost:
    return lambda n, _index: overhead_s + n * per_point_s


class FakeMachine:
    """A clock that moves only when a fake kernel or the fake copy runs, by the durations the test chose."""

    def __init__(self, costs: dict[str, Cost]) -> None:
        self.now = 0.0
        self.costs = costs
        self.calls: dict[tuple[str, int], int] = {}
        self.threads_seen: set[int] = set()
        self.stopwatch = machine.Stopwatch(clock=lambda: self.now, copy=self.copy)

    def copy(self, target: torch.Tensor, source: torch.Tensor) -> None:
        self.now += copy_seconds(source.numel() * source.element_size())

    def kernel_for(self, compiled: Any, method: str, dtype: torch.dtype, device: torch.device, compiler: object) -> object:
        build_kernel(compiled, method, dtype, device)  # the real kernel is built, so Unavailable is raised where it applies
        first = [True]

        def kernel(x: torch.Tensor) -> torch.Tensor:
            n = x.numel()
            index = self.calls.get((method, n), 0)
            self.calls[(method, n)] = index + 1
            self.now += self.costs[method](n, index) + (COLD_S if first[0] else 0.0)
            first[0] = False
            self.threads_seen.add(torch.get_num_threads())
            return x

        return kernel


@pytest.fixture
def fake_machine(monkeypatch: pytest.MonkeyPatch) -> Callable[[dict[str, Cost]], FakeMachine]:
    def make(costs: dict[str, Cost]) -> FakeMachine:
        fake = FakeMachine(costs)
        monkeypatch.setattr(kernel_module, "kernel_for", fake.kernel_for)
        monkeypatch.setattr(measure_module, "cache_bytes", lambda device: FAKE_CACHE_BYTES)
        return fake

    return make


def fake_measure(fake: FakeMachine, request: SpeedRequest, **options: Any) -> SpeedReport:
    return measure_speed(request, stopwatch=fake.stopwatch, **options)


def test_the_bound_counts_bytes_read_and_written_at_both_sizes(fake_machine: Callable[[dict[str, Cost]], FakeMachine]) -> None:
    fake = fake_machine({"exact": linear(10e-6, 2e-9)})
    report = fake_measure(fake, tiny(methods=("exact",), nmax=1000))
    cache, memory = report.bounds
    assert (cache.n, cache.place, cache.tensor_bytes, memory.n, memory.place, memory.tensor_bytes) == (
        1000,
        "cache",
        8000,
        None,
        "memory",
        2**20,
    )
    assert cache.gbps == pytest.approx(CACHE_GBPS, rel=1e-9)
    assert memory.gbps == pytest.approx(MEMORY_GBPS, rel=1e-9)
    assert report.bandwidth_gbps == pytest.approx(MEMORY_GBPS, rel=1e-9)
    assert cache.iqr_gbps == pytest.approx(0.0, abs=1e-6) and cache.repeats >= 5  # the same time every block: no spread
    assert report.bound_per_second == pytest.approx(10e9 / 16, rel=1e-9)  # 625M float64 derivatives a second
    data = report.as_dict()
    assert [(b["n"], b["place"], b["gbps"]) for b in data["bounds"]] == [
        (1000, "cache", pytest.approx(40.0)),
        (None, "memory", pytest.approx(10.0)),
    ]


def test_rates_and_shares_against_the_bound_that_applies_at_each_n(fake_machine: Callable[[dict[str, Cost]], FakeMachine]) -> None:
    # exact: 10 us a call plus 2 ns a point. N = 10,000: 30 us; N = 100,000: 210 us.
    fake = fake_machine({"exact": linear(10e-6, 2e-9)})
    report = fake_measure(fake, tiny(methods=("exact",), nmin=10_000, nmax=100_000, per_decade=1, repeats=3))
    small, large = report.methods[0].samples
    assert (small.n, large.n) == (10_000, 100_000)
    assert small.median_s == pytest.approx(30e-6, rel=1e-9)
    assert large.median_s == pytest.approx(210e-6, rel=1e-9)
    assert small.per_second == pytest.approx(333_333_333.3, rel=1e-9)  # 10,000 / 30 us
    assert small.gbps == pytest.approx(5.333_333_333, rel=1e-9)  # x 16 bytes (8 read, 8 written)
    # 160 kB fit in the 1 MB cache: against the 40 GB/s cache copy. 1.6 MB do not: against the 10 GB/s memory copy.
    assert (small.bound, large.bound) == ("cache", "memory")
    assert small.bound_fraction == pytest.approx(0.133_333_333, rel=1e-8)  # 5.33 / 40
    assert large.gbps == pytest.approx(7.619_047_619, rel=1e-9)  # 100,000 / 210 us x 16
    assert large.bound_fraction == pytest.approx(0.761_904_762, rel=1e-8)  # 7.62 / 10
    assert not small.unreliable and not large.unreliable
    assert small.iqr_s == pytest.approx(0.0, abs=1e-15)


def test_the_overhead_per_call_is_a_warm_call_at_n_8_not_the_cold_first_one(
    fake_machine: Callable[[dict[str, Cost]], FakeMachine],
) -> None:
    fake = fake_machine({"exact": linear(10e-6, 2e-9), "autograd": linear(40e-6, 5e-9)})
    report = fake_measure(fake, tiny(nmax=1000))
    exact, autograd = report.methods
    assert exact.overhead_s == pytest.approx(10.016e-6, rel=1e-9)  # 10 us + 8 points x 2 ns; the first call took 0.25 s more
    assert autograd.overhead_s == pytest.approx(40.04e-6, rel=1e-9)
    assert report.as_dict()["overhead_per_call_s"] == {"exact": pytest.approx(10.016e-6), "autograd": pytest.approx(40.04e-6)}
    (sample,) = exact.samples
    assert sample.median_s == pytest.approx(12e-6, rel=1e-9)  # time/call at N = 1,000: 10 us + 2 us
    assert sample.regime == "overhead"  # 10 us of 12 us does not depend on N
    assert sample.as_dict()["time_per_call_s"] == pytest.approx(12e-6, rel=1e-9)
    assert not report.skipped


def test_the_median_and_iqr_of_scripted_repeats(fake_machine: Callable[[dict[str, Cost]], FakeMachine]) -> None:
    # At N = 100,000 each call lasts over 5 ms, so each repeat is one call: the warm-up, then 12, 10, 30, 11, 13 ms.
    script = [0.050, 0.012, 0.010, 0.030, 0.011, 0.013]
    fake = fake_machine({"exact": lambda n, index: script[index] if n == 100_000 else 1e-6})
    report = fake_measure(fake, tiny(methods=("exact",), nmin=100_000, nmax=100_000, repeats=5))
    (sample,) = report.methods[0].samples
    assert (sample.repeats, sample.calls_per_repeat) == (5, 1)
    assert sample.median_s == pytest.approx(0.012)  # of 10, 11, 12, 13, 30
    assert sample.iqr_s == pytest.approx(0.002)  # 13 - 11
    assert sample.warmup_s == pytest.approx(0.050)
    assert sample.per_second == pytest.approx(100_000 / 0.012)
    assert sample.spread == pytest.approx(1 / 6) and not sample.unreliable  # under the 25% that marks noise


def test_widely_spread_repeats_are_marked_unreliable(fake_machine: Callable[[dict[str, Cost]], FakeMachine]) -> None:
    script = [0.010, 0.010, 0.010, 0.030, 0.030, 0.010]
    fake = fake_machine({"exact": lambda n, index: script[index] if n == 100_000 else 1e-6})
    report = fake_measure(fake, tiny(methods=("exact",), nmin=100_000, nmax=100_000, repeats=5))
    (sample,) = report.methods[0].samples
    assert sample.median_s == pytest.approx(0.010) and sample.iqr_s == pytest.approx(0.020)  # of 10, 10, 10, 30, 30
    assert sample.unreliable == "repeats spread 200% of the median (IQR / median over 25%)"
    assert report.as_dict()["unreliable"] == [{"method": "exact", "n": 100_000, "reason": sample.unreliable}]


def test_a_share_above_the_bound_is_reported_as_a_failure_not_a_figure(fake_machine: Callable[[dict[str, Cost]], FakeMachine]) -> None:
    # 10,000 points in 2 us: 160 kB in 2 us is 80 GB/s, twice what the cache copy manages.
    fake = fake_machine({"exact": linear(0.0, 0.2e-9)})
    report = fake_measure(fake, tiny(methods=("exact",), nmin=10_000, nmax=10_000, repeats=3))
    (sample,) = report.methods[0].samples
    assert sample.bound == "cache" and sample.bound_fraction == pytest.approx(2.0, rel=1e-9)
    assert sample.exceeds_bound
    assert sample.unreliable == "exceeds the bound (200%; no derivative outruns a copy of its size): timing unreliable"


def test_a_rate_that_collapses_against_a_smaller_n_is_a_stall(fake_machine: Callable[[dict[str, Cost]], FakeMachine]) -> None:
    # 1,000 points in 10 us (100M/s); 10,000 in 10 ms (1M/s, a stall); 100,000 in 1 ms (100M/s again).
    times = {8: 1e-6, 1000: 10e-6, 10_000: 10e-3, 100_000: 1e-3}
    fake = fake_machine({"exact": lambda n, _index: times[n]})
    report = fake_measure(fake, tiny(methods=("exact",), nmin=1000, nmax=100_000, per_decade=1, repeats=3))
    reasons = {s.n: s.unreliable for s in report.methods[0].samples}
    assert reasons == {1000: "", 10_000: "100x below its rate at N = 1,000: a stall, likely a busy machine", 100_000: ""}


def test_the_time_budget_scales_the_last_size_by_n_and_no_size_runs_past_it(
    fake_machine: Callable[[dict[str, Cost]], FakeMachine],
) -> None:
    # 100 ns a point: 0.1 s a call at N = 1e6, 1 s at 1e7. With 3 repeats a size takes a warm-up and 3 calls.
    fake = fake_machine({"exact": linear(0.0, 100e-9)})
    started: list[tuple[str, float]] = []
    report = fake_measure(
        fake,
        tiny(methods=("exact",), nmin=1000, nmax=10**7, per_decade=1, repeats=3, max_seconds=0.5),
        on_progress=lambda done, total, label: started.append((label, fake.now)),
    )
    assert [s.n for s in report.methods[0].samples] == [1000, 10_000, 100_000, 10**6]
    assert [(s.n, s.kind) for s in report.skipped] == [(10**7, "time")]
    # 0.1 s at 1e6, scaled by 10: about 1 s a call, 4 calls.
    assert report.skipped[0].reason == "4 calls of about 1 s would take over the 0.5 s a size may take"
    spans = [(label, later - now) for (label, now), (_, later) in itertools.pairwise(started) if " at N = " in label]
    assert [label for label, _ in spans] == [f"exact at N = {n:,}" for n in (1000, 10_000, 100_000, 10**6, 10**7)]
    assert all(seconds <= 0.5 for _, seconds in spans), spans
    assert dict(spans)["exact at N = 1,000,000"] == pytest.approx(0.4)  # what was predicted: 4 calls of 0.1 s


def test_the_default_largest_n_is_where_the_leanest_method_still_fits(
    fake_machine: Callable[[dict[str, Cost]], FakeMachine], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A budget of 5 MB (half of 10 MB available). exact needs 24 bytes a point (fits up to 208,333 points),
    # central 56 (up to 89,285): the grid goes to 100,000 for exact, and central is skipped there.
    monkeypatch.setattr(measure_module, "available_bytes", lambda device: 10_000_000)
    fake = fake_machine({"exact": linear(1e-6, 1e-9), "central": linear(2e-6, 3e-9)})
    report = fake_measure(fake, SpeedRequest(nmin=1000, per_decade=1, repeats=1, methods=("central", "exact")))
    assert report.sizes == (1000, 10_000, 100_000)
    assert [(s.n, s.method, s.kind) for s in report.skipped] == [(100_000, "central", "memory")]


def test_threads_asked_for_are_the_threads_the_kernels_run_with(fake_machine: Callable[[dict[str, Cost]], FakeMachine]) -> None:
    before = torch.get_num_threads()
    asked = 1 if before != 1 else 2
    fake = fake_machine({"exact": linear(1e-6, 1e-9)})
    report = fake_measure(fake, tiny(methods=("exact",), nmax=1000, threads=asked))
    assert fake.threads_seen == {asked}
    assert report.threads == asked and report.as_dict()["threads"] == asked
    assert torch.get_num_threads() == before


def test_compiled_rows_carry_their_graphs_and_a_graph_break_says_not_compiled(
    fake_machine: Callable[[dict[str, Cost]], FakeMachine],
) -> None:
    fake = fake_machine({"exact-compiled": linear(5e-6, 1e-9), "vmap-grad-compiled": linear(5e-6, 1e-9)})
    checked: list[int] = []

    def graph_check(kernel: object, probe: torch.Tensor) -> Graphs:
        checked.append(probe.numel())
        broken = len(checked) == 2  # the second compiled method: vmap-grad-compiled
        return Graphs(2, 1, ("torch.autograd.grad",)) if broken else Graphs(1, 0, operations=("cos",))

    report = fake_measure(fake, tiny(methods=("exact-compiled", "vmap-grad-compiled"), nmax=1000), graph_check=graph_check)
    exact, vmap = report.methods
    assert (exact.graphs, exact.graph_breaks, exact.not_compiled, exact.operations) == (1, 0, "", ("cos",))
    assert (vmap.graphs, vmap.graph_breaks) == (2, 1)
    assert vmap.not_compiled == "not compiled: graph break (torch.autograd.grad)"
    assert exact.compile_s == pytest.approx(COLD_S + 5.008e-6, rel=1e-9)  # the cold first call
    data = report.as_dict()
    assert data["graphs"] == {"exact-compiled": 1, "vmap-grad-compiled": 2}
    assert data["graph_breaks"] == {"exact-compiled": 0, "vmap-grad-compiled": 1}
    assert data["not_compiled"] == {"vmap-grad-compiled": "not compiled: graph break (torch.autograd.grad)"}


def test_dynamo_breaks_the_graph_of_autograd_grad_but_not_of_the_compiled_kernels() -> None:
    """The real torch._dynamo.explain (tracing only, nothing compiled to C++): which kernels are one graph."""
    compiled = compile_expression(parse_expression("sin(x)"))
    probe = torch.linspace(0.1, 0.9, 8, dtype=torch.float64)
    eager_autograd = kernel_module.explain_graphs(build_kernel(compiled, "autograd", torch.float64, CPU), probe)
    assert eager_autograd.breaks >= 1 and "torch.autograd.grad" in eager_autograd.reasons
    for method in ("autograd-compiled", "vmap-grad-compiled", "exact-compiled"):
        kernel = build_kernel(compiled, method, torch.float64, CPU)
        graphs = kernel_module.explain_graphs(kernel, probe)
        assert (graphs.graphs, graphs.breaks, graphs.reasons, graphs.complex_ops) == (1, 0, (), False), method
        assert "cos" in graphs.operations or method != "exact-compiled", method
        torch.testing.assert_close(kernel(probe), torch.cos(probe), rtol=0, atol=1e-15)
    # f' of sin is one operation, cos: nothing for a compiler to fuse. The reverse mode has the forward's sin too.
    assert kernel_module.explain_graphs(build_kernel(compiled, "exact-compiled", torch.float64, CPU), probe).operations == ("cos",)
    assert len(kernel_module.explain_graphs(build_kernel(compiled, "vmap-grad-compiled", torch.float64, CPU), probe).operations) > 1
    # The complex step is one graph too, but of complex operators, which inductor does not generate code for.
    complex_step = kernel_module.explain_graphs(build_kernel(compiled, "complex-step-compiled", torch.float64, CPU), probe)
    assert (complex_step.graphs, complex_step.breaks, complex_step.complex_ops) == (1, 0, True)


def test_load_average_is_reported_at_the_start_and_the_end(
    fake_machine: Callable[[dict[str, Cost]], FakeMachine], monkeypatch: pytest.MonkeyPatch
) -> None:
    loads = iter([(1.5, 1.0, 0.5), (3.25, 1.5, 0.75)])
    monkeypatch.setattr(measure_module, "load_average", lambda: next(loads))
    fake = fake_machine({"exact": linear(1e-6, 1e-9)})
    report = fake_measure(fake, tiny(methods=("exact",), nmax=1000))
    assert report.as_dict()["load_average"] == {"start": (1.5, 1.0, 0.5), "end": (3.25, 1.5, 0.75)}


# --- CUDA events report milliseconds -------------------------------------------------------------------------


class FakeEvent:
    """A CUDA event pair whose elapsed time is 12.5 ms per block, as CUDA events say it: in milliseconds."""

    def record(self, stream: object = None) -> None:
        pass

    def synchronize(self) -> None:
        pass

    def elapsed_time(self, end: FakeEvent) -> float:
        return 12.5


def test_cuda_event_milliseconds_become_seconds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "synchronize", lambda device=None: None)
    monkeypatch.setattr(torch.cuda, "current_stream", lambda device=None: None)
    stopwatch = machine.Stopwatch(event=FakeEvent)
    calls: list[int] = []
    seconds = machine._block_seconds(lambda: calls.append(1), torch.device("cuda:0"), 4, stopwatch)
    assert seconds == pytest.approx(0.0125) and len(calls) == 4
    timing = machine.time_call(lambda: None, torch.device("cuda:0"), 3, stopwatch=stopwatch)
    assert timing.median_s == pytest.approx(0.0125) and timing.calls_per_repeat == 1  # 12.5 ms is long enough to time


def test_the_bound_at_n_is_the_faster_of_the_copy_at_n_and_main_memorys_and_a_stalled_copy_is_named() -> None:
    memory = Bound("memory", 2**20, 10.0, 0.2, 5)
    small, fast, stalled, beyond = (
        Bound("cache", 8000, 6.0, 0.1, 5, n=1000),  # its fixed cost per call: slower than memory, but no smaller copy
        Bound("cache", 80_000, 40.0, 1.0, 5, n=10_000),
        Bound("cache", 800_000, 2.0, 0.1, 5, n=100_000),  # below memory's and a smaller copy's: a stall
        Bound("memory", 8 * 10**6, 9.0, 0.1, 5, n=10**6),  # a little below memory's: no stall
    )
    bounds = (small, fast, stalled, beyond, memory)
    assert bound_at(bounds, 10_000) is fast and bound_at(bounds, 1000) is memory
    assert bound_at(bounds, 100_000) is fast  # stalled: the faster of its neighbours (and main memory) stands in
    assert bound_at(bounds, 10**6) is memory and bound_at(bounds, 5000) is memory  # no copy measured at 5,000
    assert bound_at((), 1000) is None and bound_at((fast,), 10_000) is fast  # no main-memory copy: the copy alone
    assert stalled_copies(bounds) == (stalled,) and stalled_copies(bounds[:-1]) == ()  # nothing to compare with
    # Just below STALL_GAP of both is a stall; at it, not.
    assert (
        stalled_copies((fast, replace(stalled, gbps=7.99), memory)) != ()
        and stalled_copies((fast, replace(stalled, gbps=8.0), memory)) == ()
    )
    assert fast.spread == pytest.approx(0.025)
    # A dip that stays above main memory's is a stall too: below a smaller copy and the next larger one.
    dip = (replace(small, gbps=20.0), replace(fast, gbps=80.0), replace(stalled, gbps=20.0), replace(beyond, gbps=80.0), memory)
    assert stalled_copies(dip) == (dip[2],) and bound_at(dip, 100_000) is dip[1]
    falling = (replace(fast, gbps=90.0), replace(stalled, gbps=28.0), replace(beyond, gbps=28.0), memory)  # left a cache
    assert stalled_copies(falling) == () and bound_at(falling, 100_000) is falling[1]


def test_a_compiled_kernel_the_compiler_generated_no_code_for_says_not_compiled(
    fake_machine: Callable[[dict[str, Cost]], FakeMachine], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Inductor on complex numbers: one graph, no break, but eager operators run (its warning says so)."""
    import warnings

    fake = fake_machine({"complex-step-compiled": linear(5e-6, 1e-9), "exact-compiled": linear(5e-6, 1e-9)})
    plain_kernel_for = fake.kernel_for

    def warning_kernel_for(compiled: object, method: str, dtype: torch.dtype, device: torch.device, compiler: object) -> object:
        kernel = plain_kernel_for(compiled, method, dtype, device, compiler)
        if method != "complex-step-compiled":
            return kernel
        first = [True]

        def warns(x: torch.Tensor) -> object:
            if first[0]:
                first[0] = False
                message = "Torchinductor does not support code generation for complex operators. Performance may be worse than eager."
                warnings.warn(message, UserWarning, stacklevel=1)
            return kernel(x)  # type: ignore[operator]

        return warns

    monkeypatch.setattr(kernel_module, "kernel_for", warning_kernel_for)
    report = fake_measure(
        fake, tiny(methods=("exact-compiled", "complex-step-compiled"), nmax=1000), graph_check=lambda kernel, probe: Graphs(1, 0)
    )
    exact, complex_step = report.methods
    assert exact.not_compiled == ""
    assert complex_step.not_compiled == (
        "not compiled: the compiler generated no code for it (Torchinductor does not support code generation for complex operators)"
    )
    assert report.as_dict()["not_compiled"] == {"complex-step-compiled": complex_step.not_compiled}


def test_the_bound_is_the_copys_faster_repeats_with_its_median_and_spread() -> None:
    """A 1 MiB copy timed at 20 ms (warm-up), then 10, 8, 20, 9, 11 ms: each block one copy of 2 x 1 MiB moved."""
    durations = iter([0.020, 0.010, 0.008, 0.020, 0.009, 0.011])
    now = [0.0]

    def copy(target: torch.Tensor, source: torch.Tensor) -> None:
        now[0] += next(durations)

    stopwatch = machine.Stopwatch(clock=lambda: now[0], copy=copy)
    bound = machine.measure_bandwidth(CPU, torch.float64, 2**20, 5, stopwatch=stopwatch, place="memory")
    assert (bound.place, bound.tensor_bytes, bound.repeats) == ("memory", 2**20, 5)
    assert bound.gbps == pytest.approx(2_097_152 / 0.010 / 1e9)  # the median block: 10 ms
    assert bound.upper_gbps == pytest.approx(2_097_152 / 0.009 / 1e9)  # the faster quartile: 9 ms
    assert bound.limit_gbps == bound.upper_gbps
    assert bound.iqr_gbps == pytest.approx(2_097_152 / 0.009 / 1e9 - 2_097_152 / 0.011 / 1e9)
    sample = Sample(1000, 1e-6, 0.0, 1e9, 0.21, 0.0, "cache", 3, 1, 0.0)
    assert bound_at((bound,), sample.n) is bound


def test_complex_operators_in_the_graph_say_not_compiled_when_no_warning_comes(
    fake_machine: Callable[[dict[str, Cost]], FakeMachine],
) -> None:
    """Inductor loads compiled code from its cache without warning again: the graph's complex operators tell."""
    fake = fake_machine({"complex-step-compiled": linear(5e-6, 1e-9), "exact-compiled": linear(5e-6, 1e-9)})

    def graph_check(kernel: object, probe: torch.Tensor) -> Graphs:
        return Graphs(1, 0, (), complex_ops=kernel is not None and getattr(kernel, "__name__", "") == "complex_step")

    report = fake_measure(fake, tiny(methods=("exact-compiled", "complex-step-compiled"), nmax=1000), graph_check=graph_check)
    exact, complex_step = report.methods
    assert exact.not_compiled == ""
    assert (
        complex_step.not_compiled
        == "not compiled: the compiler generated no code for it (inductor has no code generation for complex operators)"
    )


def test_progress_labels_and_counts_with_a_method_that_cannot_run(fake_machine: Callable[[dict[str, Cost]], FakeMachine]) -> None:
    """abs(x) has no complex step: its share of the bar still passes with each size, so the bar ends full."""
    fake = fake_machine({"exact": linear(10e-6, 2e-9)})
    calls: list[tuple[int, int, str]] = []
    report = fake_measure(
        fake,
        tiny(expression="abs(x)", methods=("exact", "complex-step"), nmax=10_000, per_decade=1),
        on_progress=lambda *c: calls.append(c),
    )
    assert report.unavailable == {"complex-step": "not applicable: f has a kink or jump (abs, sign, relu), so it is not complex-analytic"}
    assert calls == [  # three copies (1,000, 10,000, main memory), two methods, two sizes of two methods
        (0, 9, "copy bandwidth: 1,000 points"),
        (1, 9, "copy bandwidth: 10,000 points"),
        (2, 9, "copy bandwidth: main memory (a large copy)"),
        (3, 9, "exact: first call"),
        (4, 9, "complex-step: first call"),
        (5, 9, "exact at N = 1,000"),
        (7, 9, "exact at N = 10,000"),
        (9, 9, "done"),
    ]


def test_fewer_repeats_where_a_call_is_long_and_the_block_grows_until_it_is_long_enough(
    fake_machine: Callable[[dict[str, Cost]], FakeMachine],
) -> None:
    # 100 ns a point: 10 ms a call at 1e5, 100 ms at 1e6. 5 repeats and a warm-up at 1e6 would take 0.6 s > 0.55 s:
    # floor(0.55 / 0.1) - 1 = 4 repeats, 0.5 s in all.
    fake = fake_machine({"exact": linear(0.0, 100e-9)})
    report = fake_measure(fake, tiny(methods=("exact",), nmin=100_000, nmax=10**6, per_decade=1, repeats=5, max_seconds=0.55))
    small, large = report.methods[0].samples
    assert (small.repeats, large.repeats) == (5, 4)
    assert (small.calls_per_repeat, large.calls_per_repeat) == (1, 1)
    # At 1e7 a call would take 1 s: never fewer than 3 repeats, so 4 calls, over the 0.55 s: skipped.
    fake = fake_machine({"exact": linear(0.0, 100e-9)})
    report = fake_measure(fake, tiny(methods=("exact",), nmin=10**6, nmax=10**7, per_decade=1, repeats=5, max_seconds=0.55))
    assert [s.reason for s in report.skipped] == ["4 calls of about 1 s would take over the 0.55 s a size may take"]
    # Durations that are powers of two, so the fake clock adds them exactly. At N = 1,000 a call takes 2^-13 s
    # (122 us): blocks of 1 and 10 calls are under the 5 ms a block must last, then ceil(10 x 0.0075 / (10 x 2^-13))
    # = ceil(61.44) = 62 calls (7.6 ms). At N = 8, 2^-20 s: 1, 10, 100, 1000, then ceil(7864.32) = 7,865 calls.
    fake = fake_machine({"exact": lambda n, _index: 2.0**-13 if n == 1000 else 2.0**-20})
    tiny_report = fake_measure(fake, tiny(methods=("exact",), nmin=1000, nmax=1000, repeats=1))
    (sample,) = tiny_report.methods[0].samples
    assert sample.calls_per_repeat == 62 and sample.median_s == 2.0**-13
    assert fake.calls[("exact", 8)] == 1 + 1 + 1 + 10 + 100 + 1000 + 7865  # cold, warm-up, then the growing blocks
    assert tiny_report.methods[0].overhead_s == 2.0**-20


def test_a_budget_too_small_for_the_smallest_size_measures_nothing_and_says_why(
    fake_machine: Callable[[dict[str, Cost]], FakeMachine], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(measure_module, "available_bytes", lambda device: 20_000)  # a 10 kB budget: 1,000 x 24 bytes do not fit
    fake = fake_machine({"exact": linear(1e-6, 1e-9)})
    report = fake_measure(fake, SpeedRequest(nmin=1000, per_decade=1, repeats=1, methods=("exact",)))
    assert report.sizes == (1000,)
    assert [(s.n, s.kind) for s in report.skipped] == [(1000, "memory")]
    assert report.skipped[0].reason == "needs about 2.4e-05 GB (24 bytes a point); the budget is 1e-05 GB of the memory available"
    assert report.memory_budget_bytes == 10_000 and not report.methods[0].samples


def test_a_long_failure_message_is_cut_to_one_line_of_200_characters(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(kernel_module, "compile_problem", lambda device: None)  # a C++ compiler or not, the fake is asked

    def broken(kernel: object) -> object:
        raise RuntimeError("x" * 300 + "\nsecond line")

    report = measure_speed(tiny(methods=("exact-compiled",), nmax=1000), compiler=broken, graph_check=lambda k, p: Graphs(1, 0))  # type: ignore[arg-type]
    reason = report.unavailable["exact-compiled"]
    assert reason == "torch.compile failed: RuntimeError: " + "x" * 199 + "…"


def test_garbage_collection_is_off_while_timing_and_back_after() -> None:
    import gc

    seen: list[bool] = []
    machine.time_call(lambda: seen.append(gc.isenabled()), CPU, 2, stopwatch=machine.Stopwatch(clock=iter(range(1000)).__next__))
    assert seen and not any(seen)
    assert gc.isenabled()


def test_the_report_names_the_machine_and_how_long_it_took(fake_machine: Callable[[dict[str, Cost]], FakeMachine]) -> None:
    fake = fake_machine({"exact": linear(1e-6, 1e-9)})
    report = fake_measure(fake, tiny(methods=("exact",), nmax=1000, dtype="float32"))
    assert (report.device, report.dtype, report.device_name) == ("cpu", "float32", machine.device_name(CPU))
    assert report.cache_bytes == FAKE_CACHE_BYTES and report.bytes_per_point == 8
    assert 0 < report.elapsed_s < 120 and not report.cancelled


def test_graphs_are_checked_for_every_compiled_method_whatever_comes_before_it(
    fake_machine: Callable[[dict[str, Cost]], FakeMachine],
) -> None:
    """An eager method, and a compiled one that cannot be built (abs has no complex step), come first."""
    fake = fake_machine({"exact": linear(5e-6, 1e-9), "exact-compiled": linear(5e-6, 1e-9), "autograd-compiled": linear(5e-6, 1e-9)})
    labels: list[str] = []
    report = fake_measure(
        fake,
        tiny(expression="abs(x)", methods=("exact", "complex-step-compiled", "exact-compiled", "autograd-compiled"), nmax=1000),
        graph_check=lambda kernel, probe: Graphs(1, 0),
        on_progress=lambda done, total, label: labels.append(label),
    )
    assert [(m.name, m.graphs, m.graph_breaks) for m in report.methods] == [
        ("exact", None, None),
        ("exact-compiled", 1, 0),
        ("autograd-compiled", 1, 0),
    ]
    assert list(report.unavailable) == ["complex-step-compiled"]
    assert labels[2:7] == [
        "complex-step-compiled: checking for graph breaks",
        "exact-compiled: checking for graph breaks",
        "autograd-compiled: checking for graph breaks",
        "exact: first call",
        "complex-step-compiled: compiling",
    ]
    notes = {m.name: m.note for m in report.methods}
    assert notes == {
        "exact": "",
        "exact-compiled": "",
        "autograd-compiled": "compiled as torch.func.grad(sum of f): dynamo cannot trace torch.autograd.grad",
    }


def test_a_size_whose_calls_take_exactly_the_time_allowed_runs(fake_machine: Callable[[dict[str, Cost]], FakeMachine]) -> None:
    # Every call 1/16 s: a warm-up and 3 repeats take exactly the 0.25 s a size may take, which is allowed.
    fake = fake_machine({"exact": lambda n, _index: 2.0**-4})
    report = fake_measure(fake, tiny(methods=("exact",), nmin=1000, nmax=1000, repeats=3, max_seconds=0.25))
    (sample,) = report.methods[0].samples
    assert sample.repeats == 3 and not report.skipped


def test_the_bytes_to_move_bound_the_time_before_any_size_has_run(fake_machine: Callable[[dict[str, Cost]], FakeMachine]) -> None:
    # 1e6 points x 24 bytes at the 10 GB/s memory copy: at least 2.4 ms a call, 4.8 ms for a warm-up and 1 repeat.
    fake = fake_machine({"exact": linear(1e-6, 0.0)})  # the fake call itself would take 1 us: only the bytes can tell
    report = fake_measure(fake, tiny(methods=("exact",), nmin=10**6, nmax=10**6, repeats=1, max_seconds=0.004))
    assert [(s.kind, s.reason) for s in report.skipped] == [
        ("time", "2 calls of about 0.0024 s would take over the 0.004 s a size may take")
    ]


def test_the_default_grid_falls_back_to_the_smallest_size_when_no_grid_point_fits(
    fake_machine: Callable[[dict[str, Cost]], FakeMachine], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(measure_module, "available_bytes", lambda device: 96_000)  # 48 kB: up to 2,000 points of 24 bytes
    fake = fake_machine({"exact": linear(1e-6, 1e-9)})
    report = fake_measure(fake, SpeedRequest(nmin=1500, per_decade=1, repeats=1, methods=("exact",)))
    assert report.sizes == (1500,)  # no power of ten between 1,500 and 2,000
    assert [s.n for s in report.methods[0].samples] == [1500]


def test_failures_of_an_eager_method_and_at_one_size_are_reported(
    fake_machine: Callable[[dict[str, Cost]], FakeMachine], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = fake_machine({"exact": linear(1e-6, 1e-9)})
    plain = fake.kernel_for

    def kernel_for(compiled: Any, method: str, dtype: torch.dtype, device: torch.device, compiler: object) -> object:
        if method == "central":
            raise RuntimeError("no central here\nmore")
        kernel = plain(compiled, method, dtype, device, compiler)

        def fails_at_large_n(x: torch.Tensor) -> object:
            if x.numel() >= 10_000:
                raise ValueError("bad size")
            return kernel(x)  # type: ignore[operator]

        return fails_at_large_n

    monkeypatch.setattr(kernel_module, "kernel_for", kernel_for)
    report = fake_measure(fake, tiny(methods=("exact", "central"), nmax=10_000, per_decade=1))
    assert report.unavailable == {"central": "failed: RuntimeError: no central here"}
    assert [s.n for s in report.methods[0].samples] == [1000]
    assert [s.as_dict() for s in report.skipped] == [
        {"n": 10_000, "method": "exact", "reason": "failed: ValueError: bad size", "kind": "failed"}
    ]


def test_the_cache_bound_applies_while_x_and_its_derivative_fit(fake_machine: Callable[[dict[str, Cost]], FakeMachine]) -> None:
    # 50,000 float64 points: x and f'(x) are 800 kB, in the 1 MB cache (24 bytes a point would not be).
    fake = fake_machine({"exact": linear(10e-6, 2e-9)})
    report = fake_measure(fake, tiny(methods=("exact",), nmin=50_000, nmax=50_000, repeats=3))
    (sample,) = report.methods[0].samples
    assert sample.bound == "cache"
    assert sample.bound_fraction == pytest.approx(50_000 / 110e-6 * 16 / 1e9 / 40.0, rel=1e-9)


def test_the_first_line_of_an_error_is_kept_whole_up_to_200_characters() -> None:
    assert measure_module._first_line(RuntimeError("y" * 200 + "\nrest")) == "y" * 200
    assert measure_module._first_line(RuntimeError("y" * 201)) == "y" * 199 + "…"
    assert measure_module._first_line(RuntimeError("")) == "RuntimeError"
    assert measure_module._is_out_of_memory(RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB"))


# --- what the machine says about itself --------------------------------------------------------------------


def test_the_cpu_is_named_from_cpuinfo_and_its_largest_cache_read_from_sysfs(tmp_path: Path) -> None:
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nmodel name\t: Made-up CPU 3000: 8 cores\nflags\t: fpu\n")
    assert machine.device_name(CPU, cpuinfo) == "Made-up CPU 3000: 8 cores"
    cpuinfo.write_text("processor\t: 0\nmodel name without a colon\n")
    assert machine.device_name(CPU, cpuinfo) == (platform.processor() or platform.machine() or "cpu")
    caches = tmp_path / "cache"
    for index, (level, size) in enumerate([("1", "48K"), ("1", "32K"), ("2", "1024K"), ("3", "32768K")]):
        (caches / f"index{index}").mkdir(parents=True)
        (caches / f"index{index}" / "level").write_text(level + "\n")
        (caches / f"index{index}" / "size").write_text(size + "\n")
    (caches / "index9").mkdir()  # a level without its files is passed over
    assert machine.cache_bytes(CPU, caches) == 32 * 2**20
    assert machine.cache_bytes(CPU, tmp_path / "nothing") is None
    if Path("/sys/devices/system/cpu/cpu0/cache/index0").exists():
        assert (machine.cache_bytes(CPU) or 0) >= 2**15  # this machine's, from the real files


def test_cache_sizes_read_as_sysfs_writes_them() -> None:
    assert [machine._parse_size(t) for t in ("48K", "2M", "1G", "512", " 32768K\n")] == [48 * 2**10, 2 * 2**20, 2**30, 512, 32 * 2**20]


def test_available_memory_is_memavailable_from_meminfo(tmp_path: Path) -> None:
    meminfo = tmp_path / "meminfo"
    meminfo.write_text("MemTotal:       16000000 kB\nMemFree:         1000000 kB\nMemAvailable:    8000000 kB\n")
    assert machine.available_bytes(CPU, meminfo) == 8_000_000 * 1024
    assert machine.default_margin(CPU) == 0.5


def test_without_meminfo_the_free_pages_are_counted_and_without_them_one_gib_is_assumed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pages = {"SC_AVPHYS_PAGES": 1000, "SC_PAGE_SIZE": 4096}
    monkeypatch.setattr(machine.os, "sysconf", lambda name: pages[name])
    assert machine.available_bytes(CPU, tmp_path / "no-meminfo") == 4_096_000

    def unknown(name: str) -> int:
        raise ValueError(f"unrecognized configuration name {name}")

    monkeypatch.setattr(machine.os, "sysconf", unknown)
    assert machine.available_bytes(CPU, tmp_path / "no-meminfo") == 2**30


def test_a_cpu_nothing_names_is_called_cpu(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(machine.platform, "processor", lambda: "")
    monkeypatch.setattr(machine.platform, "machine", lambda: "")
    assert machine.device_name(CPU, tmp_path / "no-cpuinfo") == "cpu"
    if Path("/proc/cpuinfo").exists() and "model name" in Path("/proc/cpuinfo").read_text():
        assert machine.device_name(CPU) not in ("", "cpu")  # this machine's model name, from the real file


def test_a_cuda_card_is_named_and_its_l2_is_its_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    class Properties:
        L2_cache_size = 50 * 2**20

    monkeypatch.setattr(torch.cuda, "get_device_name", lambda device=None: "Made-up GPU X1")
    monkeypatch.setattr(torch.cuda, "get_device_properties", lambda device=None: Properties())
    cuda = torch.device("cuda:0")
    assert machine.device_name(cuda) == "Made-up GPU X1"
    assert machine.cache_bytes(cuda) == 50 * 2**20
    Properties.L2_cache_size = 0
    assert machine.cache_bytes(cuda) is None


def test_bound_copies_keep_to_their_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.undo()  # the real main-memory copy size, not small_bandwidth_copy's
    assert machine.bandwidth_tensor_bytes(10**13, 2**30) == 2**30  # 8 GiB wanted: at most 1 GiB
    assert machine.bandwidth_tensor_bytes(2**20, None) == 2**20  # never under 1 MiB
    # A copy of N is skipped where its tensors are as large as main memory's copy, or the two are over the budget.
    assert machine.bound_copies(10**12, None, (2**23 - 1, 2**23), 8) == ((2**23 - 1, 2**26 - 8), (None, 2**26))
    assert machine.bound_copies(2 * 10**6, None, (125_000, 125_001), 8) == ((125_000, 10**6), (None, 2**20))


def test_the_load_average_is_rounded_to_two_places(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(machine.os, "getloadavg", lambda: (1.2345, 0.5, 12.0))
    assert machine.load_average() == (1.23, 0.5, 12.0)

    def unknown() -> tuple[float, float, float]:
        raise OSError("no load average here")

    monkeypatch.setattr(machine.os, "getloadavg", unknown)
    assert machine.load_average() is None


def test_timing_stops_between_blocks_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [0.0]

    def short_call() -> None:  # 2^-20 s: the block grows, and the stop is seen while it grows
        now[0] += 2.0**-20

    def long_call() -> None:  # 2^-6 s: one call is a block, and the stop is seen between the repeats
        now[0] += 2.0**-6

    stopwatch = machine.Stopwatch(clock=lambda: now[0])
    for call in (short_call, long_call):
        with pytest.raises(machine.Cancelled):
            machine.time_call(call, CPU, 5, cancelled=lambda: True, stopwatch=stopwatch)
    timing = machine.time_call(long_call, CPU, 3, cancelled=lambda: False, stopwatch=stopwatch)
    assert (timing.median_s, timing.repeats, timing.calls_per_repeat, timing.warmup_s) == (2.0**-6, 3, 1, 2.0**-6)


def test_a_block_exactly_as_long_as_the_target_is_long_enough() -> None:
    """Every block reads exactly REPEAT_TARGET_S on the clock: one call a block, never grown."""
    ticks = itertools.cycle([0.0, machine.REPEAT_TARGET_S])
    timing = machine.time_call(lambda: None, CPU, 3, stopwatch=machine.Stopwatch(clock=lambda: next(ticks)))
    assert (timing.calls_per_repeat, timing.median_s, timing.repeats) == (1, machine.REPEAT_TARGET_S, 3)


# --- what the kernels need -----------------------------------------------------------------------------------


def test_footprints_per_point_of_each_method() -> None:
    """Tensors alive at the peak of a call, per point, in float64: sin(x) is one operation, so is its derivative cos(x)."""
    compiled = compile_expression(parse_expression("sin(x)"))
    footprints = {m: kernel_module.footprint_bytes_per_point(compiled, m, 8) for m in (*SPEED_METHODS, "exact-compiled")}
    assert footprints == {
        "exact": 8 * (2 + 1),
        "autograd": 8 * (4 + 2),
        "vmap-grad": 8 * (4 + 2),
        "central": 8 * (6 + 1),
        "complex-step": 8 * (5 + 2),
        "exact-compiled": 8 * (2 + 1),
    }
    # Every method but exact counts the operations of f itself (exact counts those of f').
    composite = compile_expression(parse_expression("exp(-x^2)*sin(5x)"))
    ops_f = kernel_module.operation_count(composite.expression.sympy)
    assert kernel_module.footprint_bytes_per_point(composite, "central", 4) == 4 * (6 + ops_f)
    assert kernel_module.operation_count(parse_expression("3").sympy) == 1  # a constant still has one pass


def test_a_missing_compiler_is_found_before_trying(monkeypatch: pytest.MonkeyPatch) -> None:
    found: set[str] = set()
    monkeypatch.setattr("shutil.which", lambda name: f"/usr/bin/{name}" if name in found else None)
    monkeypatch.delenv("CXX", raising=False)
    assert kernel_module.compile_problem(CPU) == "no C++ compiler found: torch.compile on the CPU needs g++ or clang++ (or CXX set to one)"
    for name in ("g++", "c++", "clang++"):
        found.clear()
        found.add(name)
        assert kernel_module.compile_problem(CPU) is None, name
    found.clear()
    found.add("my-cxx")
    monkeypatch.setenv("CXX", "my-cxx")
    assert kernel_module.compile_problem(CPU) is None
    monkeypatch.setattr(kernel_module.importlib.util, "find_spec", lambda name: None)
    assert kernel_module.compile_problem(torch.device("cuda:0")) == "triton is not installed: torch.compile on CUDA needs it"


def test_dynamos_reasons_are_cut_to_their_cause() -> None:
    assert kernel_module._break_reason("using `torch.autograd.grad` with trace_autograd_ops=False\n  Explanation: ...") == (
        "torch.autograd.grad"
    )
    assert kernel_module._break_reason("first line\nsecond") == "first line"
    assert kernel_module._break_reason("z" * 121) == "z" * 119 + "…"
    assert kernel_module._break_reason("z" * 120) == "z" * 120
    assert kernel_module._break_reason("  ") == "unknown"


def test_a_function_that_does_not_map_points_to_points_keeps_its_wrapper() -> None:
    """3 lambdifies to a number, not a tensor of the points' shape: the wrapper that broadcasts it stays."""
    constant = compile_expression(parse_expression("3"))
    probe = torch.linspace(0.1, 0.9, 8, dtype=torch.float64)
    assert kernel_module.bare(constant.function, probe) is constant.function
    sine = compile_expression(parse_expression("sin(x)"))
    assert kernel_module.bare(sine.function, probe) is sine.function._function
    assert kernel_module.bare(sine.function, probe.to(torch.float32)) is sine.function._function


# --- the report as a user reads it ---------------------------------------------------------------------------


def test_method_labels_and_names() -> None:
    from engine.speed import method_label
    from engine.speed.report import base_method, compiled_name, is_compiled

    assert [method_label(m) for m in SPEED_METHODS] == [
        "f'(x) evaluated",
        "torch.autograd.grad",
        "torch.func.vmap(grad(f))",
        "central difference",
        "complex step",
    ]
    assert method_label("vmap-grad-compiled") == "torch.func.vmap(grad(f)), torch.compile"
    assert compiled_name("central") == "central-compiled" and base_method("central-compiled") == "central"
    assert is_compiled("exact-compiled") and not is_compiled("exact")


def test_the_json_document_of_a_made_up_report() -> None:
    sample = Sample(10_000, 30e-6, 3e-6, 1e4 / 30e-6, 1e4 / 30e-6 * 16 / 1e9, 0.5, "cache", 5, 10, 40e-6, "cache", "", 10_000)
    method = MethodResult("exact-compiled", "f'(x) evaluated, torch.compile", True, 24, 5e-6, 1.5, (sample,), "a note", 1, 0, (), "no code")
    bounds = (Bound("cache", 160_000, 40.0, 4.0, 5, 44.0, 10_000), Bound("memory", 2**20, 10.0, 1.0, 5, 11.0))
    report = SpeedReport(
        SpeedRequest(methods=("exact-compiled", "autograd")),
        "cpu",
        "Made-up CPU",
        "float64",
        2,
        11.0,
        1_000_000,
        5_000_000,
        (10_000,),
        (method,),
        {"autograd": "failed: why"},
        (Skip(20_000, "exact-compiled", "too slow", "time"),),
        False,
        1.25,
        bounds,
        ((1.0, 2.0, 3.0), (1.5, 2.0, 3.0)),
        "made-up malloc",
    )
    assert report.as_dict() == {
        "expression": "sin(x)",
        "device": "cpu",
        "device_name": "Made-up CPU",
        "dtype": "float64",
        "threads": 2,
        "bandwidth_gbps": 11.0,
        "bounds": [
            {
                "n": 10_000,
                "place": "cache",
                "tensor_bytes": 160_000,
                "gbps": 40.0,
                "upper_gbps": 44.0,
                "limit_gbps": 44.0,
                "iqr_gbps": 4.0,
                "spread": 0.1,
                "repeats": 5,
            },
            {
                "n": None,
                "place": "memory",
                "tensor_bytes": 2**20,
                "gbps": 10.0,
                "upper_gbps": 11.0,
                "limit_gbps": 11.0,
                "iqr_gbps": 1.0,
                "spread": 0.1,
                "repeats": 5,
            },
        ],
        "stalled_copies": [],
        "sizes": [10_000],
        "methods": {
            "exact-compiled": [
                {
                    "n": 10_000,
                    "median_s": 30e-6,
                    "time_per_call_s": 30e-6,
                    "iqr_s": 3e-6,
                    "spread": pytest.approx(0.1),
                    "per_second": 1e4 / 30e-6,
                    "gbps": 1e4 / 30e-6 * 16 / 1e9,
                    "bound": "cache",
                    "bound_n": 10_000,
                    "bound_fraction": 0.5,
                    "regime": "cache",
                    "repeats": 5,
                    "calls_per_repeat": 10,
                    "unreliable": "",
                }
            ]
        },
        "unavailable": {"autograd": "failed: why"},
        "skipped": [{"n": 20_000, "method": "exact-compiled", "reason": "too slow", "kind": "time"}],
        "bytes_per_point": 16,
        "bound_per_second": 11.0e9 / 16,
        "cache_bytes": 1_000_000,
        "memory_budget_bytes": 5_000_000,
        "compile_s": {"exact-compiled": 1.5},
        "graphs": {"exact-compiled": 1},
        "graph_breaks": {"exact-compiled": 0},
        "operations": {},  # none traced in this made-up report
        "not_compiled": {"exact-compiled": "not compiled: no code"},
        "overhead_s": {"exact-compiled": 5e-6},
        "overhead_per_call_s": {"exact-compiled": 5e-6},
        "notes": {"exact-compiled": "a note"},
        "compile_gain": {},  # no eager twin measured
        "unreliable": [],
        "load_average": {"start": (1.0, 2.0, 3.0), "end": (1.5, 2.0, 3.0)},
        "allocator": "made-up malloc",
        "cancelled": False,
        "elapsed_s": 1.25,
    }
    assert report.bound_at(10_000) == bounds[0] and report.bound_at(100_000) == bounds[1]  # no copy measured at 100,000
    assert report.method("exact-compiled") is method and report.method("autograd") is None
    assert method.at(10_000) is sample and method.at(20_000) is None


def test_the_reasons_to_doubt_a_figure_and_where_they_start() -> None:

    def at(n: int, per_second: float, spread: float = 0.0, share: float = 0.5) -> Sample:
        median = n / per_second
        return Sample(n, median, spread * median, per_second, per_second * 16 / 1e9, share, "cache", 5, 1, 0.0, "cache")

    assert unreliable_reason(at(1000, 1e8, spread=0.25, share=1.0), []) == ""  # exactly at the limits: believed
    assert unreliable_reason(at(10_000, 1e8 / 8), [at(1000, 1e8)]) == ""  # 8x below: the cache-to-memory step can cost that
    both = unreliable_reason(at(10_000, 1e6, spread=0.5, share=1.25), [at(1000, 1e8), at(3162, 5e7)])
    assert both == (
        "exceeds the bound (125%; no derivative outruns a copy of its size): timing unreliable; "
        "repeats spread 50% of the median (IQR / median over 25%); "
        "100x below its rate at N = 1,000: a stall, likely a busy machine"
    )


def test_requests_that_cannot_be_measured_say_why() -> None:
    with pytest.raises(ValueError, match="unknown dtype 'float8'"):
        SpeedRequest(dtype="float8")
    for bad in ({"per_decade": 0}, {"repeats": 0}, {"max_seconds": 0.0}, {"threads": 0}):
        with pytest.raises(ValueError, match="per_decade, repeats and threads must be at least 1, max_seconds above 0"):
            SpeedRequest(**bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="must be at least 1"):
        SpeedRequest(nmin=0)
    assert SpeedRequest(threads=1, max_seconds=0.001, repeats=1, per_decade=1).compiles is False
    assert SpeedRequest(methods=("exact", "exact-compiled")).compiles


def test_no_points_are_allocated_for_a_size_every_method_skips(
    fake_machine: Callable[[dict[str, Cost]], FakeMachine], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The points of a size that does not fit are never made: making them is what would run out of memory."""
    made: list[int] = []
    real_linspace = torch.linspace

    def linspace(start: float, end: float, steps: int, **kwargs: Any) -> torch.Tensor:
        made.append(steps)
        return real_linspace(start, end, steps, **kwargs)

    monkeypatch.setattr(measure_module.torch, "linspace", linspace)
    monkeypatch.setattr(measure_module, "available_bytes", lambda device: 100_000)  # 50 kB: 1,000 x 24 bytes fit, 10,000 do not
    fake = fake_machine({"exact": linear(1e-6, 1e-9)})
    report = fake_measure(fake, tiny(methods=("exact",), nmax=10_000, per_decade=1))
    assert [(s.n, s.kind) for s in report.skipped] == [(10_000, "memory")]
    assert 10_000 not in made and made.count(1000) == 1


# --- the report's arithmetic at its edges ---------------------------------------------------------------------------


def test_the_smallest_sizes_and_a_grid_point_at_the_top_are_kept() -> None:
    assert size_grid(1, 10, 1) == (1, 10)
    assert size_grid(10, 1000, 1, include_ends=False) == (10, 100, 1000)  # 10**3 is a grid point, not only an end
    assert SpeedRequest(nmin=1, nmax=1).nmin == 1


def test_each_refusal_says_what_was_asked_and_what_is_allowed() -> None:
    with pytest.raises(ValueError, match=r"^bad size range 10\.\.5 with 1 per decade$"):
        size_grid(10, 5, 1)
    with pytest.raises(ValueError, match=r"^no methods given$"):
        parse_speed_methods(" , ")
    choices = ", ".join(SPEED_METHODS)
    with pytest.raises(ValueError, match=rf"^unknown method 'forward': choose from {choices} \(or METHOD-compiled\)$"):
        parse_speed_methods("forward")
    with pytest.raises(ValueError, match=rf"^unknown methods \['magic'\]: choose from {', '.join(ALL_SPEED_METHODS)}$"):
        SpeedRequest(methods=("magic",))
    with pytest.raises(ValueError, match=r"^unknown dtype 'float8': use one of float64, float32"):
        SpeedRequest(dtype="float8")
    with pytest.raises(ValueError, match=r"^--nmin 10 must be at least 1 and not above --nmax 5$"):
        SpeedRequest(nmin=10, nmax=5)
    with pytest.raises(ValueError, match=r"^per_decade, repeats and threads must be at least 1, max_seconds above 0$"):
        SpeedRequest(repeats=0)
    with pytest.raises(ValueError, match=r"^no values$"):
        quartiles([])


def test_quartiles_interpolate_between_values_like_numpy() -> None:
    assert quartiles([4.0, 1.0, 3.0, 2.0]) == (1.75, 2.5, 3.25)  # numpy.quantile's linear method
    assert quartiles([10.0, 0.0, 20.0]) == (5.0, 10.0, 15.0)


def test_the_regime_and_bound_boundaries_belong_where_the_docstrings_say() -> None:
    # a fixed cost of exactly half the call is overhead-bound; a working set of exactly the cache is in the cache
    assert classify(10, median_s=2e-6, overhead_s=1e-6, footprint_bytes_per_point=16, cache_bytes=10**6) == "overhead"
    assert classify(62_500, median_s=1e-3, overhead_s=1e-6, footprint_bytes_per_point=16, cache_bytes=10**6) == "cache"
    copy, memory = Bound("cache", 10**6, 20.0, 1.0, 5, 20.0, 125_000), Bound("memory", 2**20, 20.0, 1.0, 5, 20.0)
    assert bound_at((copy, memory), 125_000) is copy  # a tie: the copy at N
    assert stalled_copies((replace(copy, upper_gbps=16.0), memory)) == ()  # no smaller copy: a fixed cost, not a stall
    flat = Bound("memory", 2**20, 0.0, 0.0, 5, 0.0)
    assert flat.spread == math.inf and Sample(8, 0.0, 0.0, 0.0, 0.0, 0.0, "overhead", 3, 1, 0.0).spread == math.inf


def test_a_report_reads_its_own_bounds_and_starts_neither_cancelled_nor_timed() -> None:
    cache, memory = Bound("cache", 4000, 40.0, 1.0, 5, 40.0, 1000), Bound("memory", 2**20, 20.0, 1.0, 5, 20.0)
    report = SpeedReport(SpeedRequest(expression="x^2"), "cpu", "test", "float32", 1, 20.0, 8000, 10**9, (10,), (), bounds=(cache, memory))
    assert report.key == ("x^2", "cpu", "float32")
    assert report.bytes_per_point == 8  # float32: 4 bytes read, 4 written
    assert report.bound_at(1000) is cache and report.bound_at(1001) is memory
    document = report.as_dict()
    assert (document["cancelled"], document["elapsed_s"], document["load_average"]) == (False, 0.0, {"start": None, "end": None})
    half = replace(report, dtype="float16")
    assert half.bytes_per_point == 4 and replace(report, dtype="bfloat16").bytes_per_point == 4


def test_regime_spans_run_across_a_size_a_method_missed_and_speedup_needs_both_rates() -> None:
    regimes = {1000: "overhead", 10_000: "overhead", 100_000: "overhead", 10**6: "memory"}
    cpu = _report("cpu", {1000: 1e7, 100_000: 5e7, 10**6: 1e8}, regimes)
    cpu = replace(cpu, sizes=(1000, 10_000, 100_000, 10**6))  # nothing measured at 10,000
    assert cpu.regime_spans() == (("overhead", 1000, 100_000), ("memory", 10**6, 10**6))
    three = _report("cpu", {1000: 1e7, 10_000: 2e7, 100_000: 3e7}, regimes)
    assert three.regime_spans() == (("overhead", 1000, 100_000),)
    stalled = _report("cuda:0", {1000: 1e7, 100_000: 5e7, 10**6: 1e8}, regimes)
    no_rate = Sample(10**6, 1.0, 0.0, 0.0, 0.0, 0.0, "memory", 3, 1, 0.0)
    stalled = replace(stalled, methods=(replace(stalled.methods[0], samples=(*stalled.methods[0].samples[:2], no_rate)),))
    assert [n for n, _ in cpu.speedup(stalled, "autograd")] == [1000, 100_000]  # no rate at 10**6 on the other side
    assert _report("cpu", {}, {}).speedup(cpu, "autograd") == ()


def test_compile_gain_edges() -> None:
    assert CompileGain(10**7, 1.5, 0.1).note == ""  # the expected gain exactly is enough
    assert "eager already runs at 50% of the bound" in CompileGain(10**7, 1.2, 0.5).note
    gain = CompileGain(10**7, 1.2, 0.1)
    assert gain.as_dict() == {"n": 10**7, "ratio": 1.2, "eager_share": 0.1, "operations": [], "note": gain.note}
    one = CompileGain(10**7, 1.31, 0.08, ("cos",))
    assert one.note == (
        "compiled, 1.31x eager at N = 10,000,000: the kernel is one operation (cos),"
        " which eager torch already runs as one loop: nothing to fuse"
    )
    assert CompileGain(10**7, 1.31, 0.08, ("sin", "cos")).note.endswith("less than the 1.5x that fusing usually gives")
    assert CompileGain(10**7, 1.6, 0.08, ("cos",)).note == ""


def test_a_rate_ten_times_below_a_smaller_n_is_a_stall() -> None:
    smaller = [_sample(10**5, 1e8, "cache")]
    assert "10x below its rate at N = 100,000" in unreliable_reason(_sample(10**6, 1e7, "memory"), smaller)
    assert unreliable_reason(_sample(10**6, 2e7, "memory"), smaller) == ""


def test_a_report_label_outside_its_vocabulary_is_refused() -> None:
    with pytest.raises(ValueError, match=r"^unknown skip kind 'disk': one of memory, time, out-of-memory, failed$"):
        Skip(10, "exact", "no room", kind="disk")
    with pytest.raises(ValueError, match=r"^unknown regime 'compute': one of overhead, cache, memory$"):
        Sample(8, 1e-6, 0.0, 8e6, 0.1, 0.01, "compute", 3, 1, 0.0)
    with pytest.raises(ValueError, match=r"^unknown bound place 'l2': one of cache, memory$"):
        Bound("l2", 2**16, 10.0, 1.0, 5, 10.0)
    for kind in ("memory", "time", "out-of-memory", "failed"):
        assert Skip(10, "exact", "why", kind=kind).as_dict()["kind"] == kind
