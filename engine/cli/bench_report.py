"""What `calc-tui bench` measures: derivative throughput beside raw torch, and the time of a full sweep.

A benchmark to read and report, not a test with a timing threshold. The
throughput rows are timed with the speed demo's timer (`engine.speed.machine`):
warm-up, blocks long enough to time, the median over repeats, the rows
interleaved so that none is favoured by when it ran. "engine autograd" is
`engine.methods.autograd`, the path the app's demos take; "speed autograd" is
the speed demo's kernel (`engine.speed.kernels`), which calls the lambdified
function without its wrapper.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import torch

from engine.compiled import compile_expression
from engine.devices import describe_device
from engine.expression import parse_expression
from engine.methods import autograd, central, exact
from engine.reference import clear_caches
from engine.speed.kernels import build_kernel
from engine.speed.machine import time_call
from engine.speed.report import quartiles
from engine.sweep import h_grid, sweep


@dataclass
class BenchReport:
    device: str
    n: int
    points_per_second: dict[str, float] = field(default_factory=dict)
    speed_autograd_per_second: float = 0.0
    sweep_ms: dict[str, float] = field(default_factory=dict)
    sweep_shape: str = ""

    @property
    def autograd_vs_raw(self) -> float:
        return self.points_per_second["engine autograd"] / self.points_per_second["raw torch.autograd.grad(sin)"]

    @property
    def speed_autograd_vs_raw(self) -> float:
        return self.speed_autograd_per_second / self.points_per_second["raw torch.autograd.grad(sin)"]

    def as_dict(self) -> dict[str, object]:
        return {**asdict(self), "autograd_vs_raw": self.autograd_vs_raw, "speed_autograd_vs_raw": self.speed_autograd_vs_raw}

    def table(self) -> str:
        lines = [f"device {self.device}, N = {self.n:,} float64 points, f = sin(x); median of the timed runs", ""]
        lines += [f"  {name:<32}{rate / 1e6:>10.1f} M points/s" for name, rate in self.points_per_second.items()]
        lines.append(f"  {'speed demo autograd':<32}{self.speed_autograd_per_second / 1e6:>10.1f} M points/s")
        lines.append(f"  engine autograd / raw torch       {self.autograd_vs_raw:>10.2f}x   (target >= 0.8x)")
        lines.append(f"  speed demo autograd / raw torch   {self.speed_autograd_vs_raw:>10.2f}x   (target >= 0.9x)")
        lines.append("")
        lines.append(f"sweep ({self.sweep_shape}):")
        lines += [f"  {name:<32}{ms:>10.1f} ms   (target < 200 ms)" for name, ms in self.sweep_ms.items()]
        return "\n".join(lines)


def _median_times(runs: dict[str, Callable[[], object]], device: torch.device, repeats: int) -> dict[str, float]:
    """Median of `repeats` timings of each run, one repeat of every run per round so that none is favoured by when it ran."""
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeats):
        for name, run in runs.items():
            times[name].append(time_call(run, device, 1).median_s)
    return {name: quartiles(values)[1] for name, values in times.items()}


def _raw_autograd(points: torch.Tensor) -> torch.Tensor:
    x = points.detach().requires_grad_(True)
    y = torch.sin(x)
    (grad,) = torch.autograd.grad(y, x, grad_outputs=torch.ones_like(y))
    return grad


def run_benchmarks(n: int, device: torch.device, repeats: int = 5) -> BenchReport:
    expression = parse_expression("sin(x)")
    points = torch.linspace(-math.pi, math.pi, n, dtype=torch.float64, device=device)
    report = BenchReport(device=describe_device(device), n=n)
    speed_autograd = build_kernel(compile_expression(expression), "autograd", torch.float64, device)
    runs: dict[str, Callable[[], object]] = {
        "raw torch.autograd.grad(sin)": lambda: _raw_autograd(points),
        "engine autograd": lambda: autograd(expression, points, 0.0, torch.float64, device).values,
        "engine exact": lambda: exact(expression, points, 0.0, torch.float64, device).values,
        "engine central": lambda: central(expression, points, 1e-5, torch.float64, device).values,
        "speed autograd": lambda: speed_autograd(points),
    }
    for name, seconds in _median_times(runs, device, repeats).items():
        if name == "speed autograd":
            report.speed_autograd_per_second = n / seconds
        else:
            report.points_per_second[name] = n / seconds

    domain = torch.linspace(-math.pi, math.pi, 400, dtype=torch.float64)
    hs = h_grid()
    report.sweep_shape = f"{len(hs)} h values x 400 points x 5 methods, with the 50-digit reference and the error model"

    def full_sweep() -> object:
        return sweep(expression, domain, hs, device=device)

    clear_caches()
    start = time.perf_counter()
    full_sweep()
    report.sweep_ms["cold (engine caches empty)"] = 1e3 * (time.perf_counter() - start)  # in a process torch has warmed
    report.sweep_ms["warm (compiled, reference cached)"] = 1e3 * _median_times({"sweep": full_sweep}, device, repeats)["sweep"]
    return report
