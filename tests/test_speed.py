"""The speed engine: each kernel's derivative, the size grid, memory and time limits, out-of-memory, cancelling, the report.

Sizes are tiny and repeats few: these tests check what is measured and reported, never how fast anything is.
torch.compile is never run here; a fake compiler that raises stands in for one that cannot work.
"""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from engine.compiled import compile_expression
from engine.expression import parse_expression
from engine.speed import (
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
from engine.speed.kernels import Unavailable, build_kernel
from engine.speed.report import classify, quartiles

CPU = torch.device("cpu")
ISSUE_KEYS = {"expression", "device", "device_name", "dtype", "threads", "bandwidth_gbps", "sizes", "methods", "unavailable", "skipped"}
SAMPLE_KEYS = {"n", "median_s", "iqr_s", "per_second", "gbps", "bound_fraction"}
needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device (torch sees none)")


def tiny(**changes: object) -> SpeedRequest:
    settings: dict[str, object] = {"nmin": 1000, "nmax": 4000, "per_decade": 2, "repeats": 1, "methods": ("exact", "autograd")}
    settings.update(changes)
    return SpeedRequest(**settings)  # type: ignore[arg-type]


SMALL_COPIES = (("cache", 2**16), ("memory", 2**20))


@pytest.fixture(autouse=True)
def small_bandwidth_copy(monkeypatch: pytest.MonkeyPatch) -> None:
    """A 64 KiB and a 1 MiB copy instead of hundreds of MiB: these tests check the accounting, not the bandwidth."""
    monkeypatch.setattr(measure_module, "bound_tensor_bytes", lambda budget, cache: SMALL_COPIES)


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


# --- a whole measurement --------------------------------------------------------------------------------


def test_report_numbers_agree_with_each_other(report: SpeedReport) -> None:
    assert report.device == "cpu" and report.dtype == "float64" and report.expression == "sin(x)"
    assert report.threads == torch.get_num_threads()
    assert report.sizes == (1000, 3162, 4000)
    assert [m.name for m in report.methods] == list(SPEED_METHODS)
    assert report.bandwidth_gbps > 0 and report.bytes_per_point == 16
    assert [(b.place, b.tensor_bytes) for b in report.bounds] == list(SMALL_COPIES)
    for method in report.methods:
        assert [s.n for s in method.samples] == list(report.sizes), method.name
        assert method.overhead_s > 0 and method.compile_s is None
        for s in method.samples:
            bound = report.bound_at(s.n)
            assert bound is not None and bound.place == s.bound == "cache"  # 4,000 x 16 bytes fit in any cache
            assert s.per_second == pytest.approx(s.n / s.median_s)
            assert s.gbps == pytest.approx(s.per_second * 16 / 1e9)
            assert s.bound_fraction == pytest.approx(s.gbps / bound.gbps)
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
    assert done == sorted(done) and calls[-1][0] == calls[-1][1] == 1 + 2 + 3 * 2
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


def test_cpu_memory_and_machine_description() -> None:
    assert machine.available_bytes(CPU) > 0
    assert machine.device_name(CPU)
    assert machine.bandwidth_tensor_bytes(10**12, 32 * 2**20) == 256 * 2**20  # 8x a 32 MiB cache
    assert machine.bandwidth_tensor_bytes(10**12, None) == 64 * 2**20
    assert machine.bandwidth_tensor_bytes(40 * 2**20, 32 * 2**20) == 10 * 2**20  # a quarter of a small budget
    # The bound's two copies: half the cache in all (two tensors of a quarter each), and 8x the cache.
    assert machine.bound_tensor_bytes(10**12, 32 * 2**20) == (("cache", 8 * 2**20), ("memory", 256 * 2**20))
    assert machine.bound_tensor_bytes(10**12, None) == (("memory", 64 * 2**20),)
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
