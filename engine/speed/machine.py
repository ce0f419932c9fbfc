"""The machine under the measurement: its name, threads, cache, free memory and copy bandwidth, and the timer.

Timing: on CUDA a block of calls is bracketed by CUDA events after a
synchronisation (the events measure what the GPU did, including the gaps while
Python was issuing launches; `elapsed_time` is in milliseconds); on the CPU by
`time.perf_counter`. The first call is a warm-up; short calls are repeated in
blocks long enough to time (`REPEAT_TARGET_S`), and the median and IQR are
taken over the blocks. The clock, the copy and the CUDA events are held by a
`Stopwatch`, so tests can put fakes with known durations in their place.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import math
import os
import platform
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

import engine
from engine.speed.report import Bound, quartiles

REPEAT_TARGET_S = 0.005  # a timed block of calls lasts at least this long
MAX_CALLS_PER_REPEAT = 100_000
CPU_MEMORY_MARGIN = 0.5  # the machine is shared: a size may use half of what is available
CUDA_MEMORY_MARGIN = 0.8
BANDWIDTH_MIN_BYTES = 64 * 2**20
BANDWIDTH_MAX_BYTES = 2**30
BOUND_MIN_REPEATS = 5  # each bound is the median of at least this many timed blocks
# Where Linux says what the machine is (parameters below, so tests can hand in files of their own).
CPUINFO = Path("/proc/cpuinfo")
CPU_CACHES = Path("/sys/devices/system/cpu/cpu0/cache")
MEMINFO = Path("/proc/meminfo")


def _copy(target: torch.Tensor, source: torch.Tensor) -> object:
    return target.copy_(source)


def _cuda_event() -> Any:
    return torch.cuda.Event(enable_timing=True)


@dataclass(frozen=True)
class Stopwatch:
    """What a measurement reads time from: the CPU's clock, the copy whose rate is the bound, CUDA's events."""

    clock: Callable[[], float] = field(default=time.perf_counter)
    copy: Callable[[torch.Tensor, torch.Tensor], object] = field(default=_copy)  # (target, source)
    event: Callable[[], Any] = field(default=_cuda_event)  # a CUDA event that records time; elapsed_time in ms


WALL = Stopwatch()


@dataclass(frozen=True)
class Timing:
    median_s: float  # one call
    iqr_s: float
    repeats: int
    calls_per_repeat: int
    warmup_s: float
    low_s: float = math.nan  # first quartile of one call's time
    high_s: float = math.nan  # third quartile


class Cancelled(Exception):
    """The caller asked to stop; raised between timed blocks."""


def device_name(device: torch.device, cpuinfo: Path = CPUINFO) -> str:
    """The GPU's name, or the CPU's model name from /proc/cpuinfo (the platform's processor string elsewhere)."""
    if device.type == "cuda":
        return str(torch.cuda.get_device_name(device))
    try:
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name") and ":" in line:
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "cpu"


def cache_bytes(device: torch.device, caches: Path = CPU_CACHES) -> int | None:
    """The GPU's L2, or the CPU's largest cache level (sysfs); None when this machine does not say."""
    if device.type == "cuda":
        size = getattr(torch.cuda.get_device_properties(device), "L2_cache_size", 0)
        return int(size) or None
    sizes: dict[int, int] = {}
    for index in caches.glob("index*"):
        try:
            level = int((index / "level").read_text())
            sizes[level] = _parse_size((index / "size").read_text())
        except (OSError, ValueError):
            continue
    return sizes[max(sizes)] if sizes else None


def _parse_size(text: str) -> int:
    text = text.strip().upper()
    scale = {"K": 2**10, "M": 2**20, "G": 2**30}.get(text[-1:], 1)
    return int(text.rstrip("KMG")) * scale


def available_bytes(device: torch.device, meminfo: Path = MEMINFO) -> int:
    """Memory free for our tensors now: MemAvailable on the CPU; on CUDA, free memory plus what torch's cache holds unused."""
    if device.type == "cuda":
        free, _total = torch.cuda.mem_get_info(device)
        cached = torch.cuda.memory_reserved(device) - torch.cuda.memory_allocated(device)
        return int(free + max(cached, 0))
    try:
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return 2**30  # nothing tells us: assume 1 GiB, and let an allocation failure be caught


def default_margin(device: torch.device) -> float:
    return CUDA_MEMORY_MARGIN if device.type == "cuda" else CPU_MEMORY_MARGIN


def _synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _block_seconds(call: Callable[[], object], device: torch.device, calls: int, stopwatch: Stopwatch = WALL) -> float:
    """Seconds for `calls` calls in a row, the device idle before and after."""
    _synchronize(device)
    if device.type == "cuda":
        stream = torch.cuda.current_stream(device)  # the stream the calls' kernels go to, on the device measured
        start, end = stopwatch.event(), stopwatch.event()
        start.record(stream)
        for _ in range(calls):
            call()
        end.record(stream)
        end.synchronize()
        return float(start.elapsed_time(end)) / 1e3  # CUDA events measure milliseconds
    begin = stopwatch.clock()
    for _ in range(calls):
        call()
    return stopwatch.clock() - begin


def time_call(
    call: Callable[[], object],
    device: torch.device,
    repeats: int,
    cancelled: Callable[[], bool] | None = None,
    stopwatch: Stopwatch = WALL,
) -> Timing:
    """Median and IQR of one call over `repeats` timed blocks, after a warm-up call; no garbage collection meanwhile."""
    collecting = gc.isenabled()
    gc.disable()  # as timeit does: a collection of the whole heap (SymPy, torch) would land in one block
    try:
        return _time_call(call, device, repeats, cancelled, stopwatch)
    finally:
        if collecting:
            gc.enable()


def _time_call(
    call: Callable[[], object], device: torch.device, repeats: int, cancelled: Callable[[], bool] | None, stopwatch: Stopwatch
) -> Timing:
    warmup_s = _block_seconds(call, device, 1, stopwatch)
    calls, block_s = 1, _block_seconds(call, device, 1, stopwatch)
    while block_s < REPEAT_TARGET_S and calls < MAX_CALLS_PER_REPEAT:
        # Grow the block until it is long enough to time; one slow call on a busy machine only stops it early.
        calls = min(MAX_CALLS_PER_REPEAT, math.ceil(calls * min(10.0, 1.5 * REPEAT_TARGET_S / max(block_s, 1e-9))))
        if cancelled is not None and cancelled():
            raise Cancelled
        block_s = _block_seconds(call, device, calls, stopwatch)
    times = [block_s / calls]  # the block that was long enough is the first repeat
    while len(times) < repeats:
        if cancelled is not None and cancelled():
            raise Cancelled
        times.append(_block_seconds(call, device, calls, stopwatch) / calls)
    low, median, high = quartiles(times)
    return Timing(median_s=median, iqr_s=high - low, repeats=len(times), calls_per_repeat=calls, warmup_s=warmup_s, low_s=low, high_s=high)


def bandwidth_tensor_bytes(budget_bytes: int, cache: int | None) -> int:
    """Large enough to leave the cache far behind (8x), within 64 MiB..1 GiB and a quarter of the budget for two tensors."""
    wanted = max(BANDWIDTH_MIN_BYTES, 8 * (cache or 0))
    return int(max(2**20, min(wanted, BANDWIDTH_MAX_BYTES, budget_bytes // 4)))


def bound_copies(budget_bytes: int, cache: int | None, sizes: Sequence[int], itemsize: int) -> tuple[tuple[int | None, int], ...]:
    """(N, bytes of each of the copy's two tensors): a copy at each N of the grid smaller than the main-memory copy
    (and within the budget), then the main-memory copy (N None). A copy of N points is what an elementwise
    derivative at N must at least do, in whichever cache level its footprint lands."""
    memory = bandwidth_tensor_bytes(budget_bytes, cache)
    at_sizes = tuple((n, n * itemsize) for n in sizes if n * itemsize < memory and 2 * n * itemsize <= budget_bytes)
    return (*at_sizes, (None, memory))


def measure_bandwidth(
    device: torch.device,
    dtype: torch.dtype,
    nbytes: int,
    repeats: int,
    cancelled: Callable[[], bool] | None = None,
    stopwatch: Stopwatch = WALL,
    place: str = "memory",
    n: int | None = None,
) -> Bound:
    """Copy bandwidth in GB/s, counting the bytes read and the bytes written (2 * nbytes per copy), median and spread;
    `n` is the grid's N the copy was sized for (None: main memory's reference copy)."""
    itemsize = torch.empty((), dtype=dtype).element_size()
    source = torch.ones(max(1, nbytes // itemsize), dtype=dtype, device=device)  # written once: its pages are real
    target = torch.empty_like(source)
    copy = stopwatch.copy
    timing = time_call(lambda: copy(target, source), device, max(BOUND_MIN_REPEATS, repeats), cancelled, stopwatch)
    moved = 2 * source.numel() * itemsize
    # The rate's quartiles are the time's, inverted: the fastest quarter of the blocks gives the highest rates.
    median, fast, slow = (moved / seconds / 1e9 for seconds in (timing.median_s, timing.low_s, timing.high_s))
    return Bound(place, source.numel() * itemsize, median, fast - slow, timing.repeats, upper_gbps=fast, n=n)


M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameters
KEPT_BLOCK_BYTES = 2**30  # while measuring, freed blocks up to this size stay in the heap
GLIBC_DYNAMIC_CEILING = (32 * 2**20, 64 * 2**20)  # mmap and trim thresholds where glibc's own adjustment tops out


def _glibc() -> Any:
    if platform.libc_ver()[0] != "glibc":
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None
    return libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None


def huge_pages() -> bool:
    """Whether torch advises its CPU buffers of 2 MiB and more onto transparent huge pages (and the kernel heeds it)."""
    try:
        mode = Path("/sys/kernel/mm/transparent_hugepage/enabled").read_text()
    except OSError:
        return False
    return engine.TORCH_HUGE_PAGES and ("[madvise]" in mode or "[always]" in mode)


@contextmanager
def steady_allocator(device: torch.device) -> Iterator[str]:
    """While measuring on the CPU, freed tensors stay in the process's heap; yields how memory is allocated.

    glibc returns a freed block over its mmap threshold to the kernel and trims the top of its heap, so a call
    that makes MiBs of temporaries (autograd and central differences at N = 1e6) takes fresh, zeroed pages on
    most calls, and how many depends on where the previous call's blocks landed: their rates swung by 30-40%
    between runs and within one. Kept in the heap, the blocks are reused from call to call, as CUDA's caching
    allocator reuses GPU memory, and the figures are the derivative's. Afterwards the thresholds go to the ceiling
    glibc's own adjustment reaches in a long-running process, and the heap is trimmed.
    """
    libc = _glibc() if device.type == "cpu" else None
    if device.type == "cuda":
        yield "CUDA caching allocator"
        return
    pages = ", huge pages" if huge_pages() else ""
    if libc is None or not (libc.mallopt(M_MMAP_THRESHOLD, KEPT_BLOCK_BYTES) and libc.mallopt(M_TRIM_THRESHOLD, KEPT_BLOCK_BYTES)):
        yield f"the C library's malloc{pages}"
        return
    try:
        yield f"glibc, freed blocks up to {KEPT_BLOCK_BYTES // 2**30} GiB kept{pages}"
    finally:
        libc.mallopt(M_MMAP_THRESHOLD, GLIBC_DYNAMIC_CEILING[0])
        libc.mallopt(M_TRIM_THRESHOLD, GLIBC_DYNAMIC_CEILING[1])
        libc.malloc_trim(0)


def load_average() -> tuple[float, ...] | None:
    """The machine's load over 1, 5 and 15 minutes; None where the system does not say."""
    try:
        return tuple(round(value, 2) for value in os.getloadavg())
    except (OSError, AttributeError):
        return None
