"""What a speed measurement asks for and what it gives back: plain, torch-free dataclasses a screen can draw.

Everything here is floats, ints, strings and tuples, so the app can keep reports
per (expression, device, dtype), draw them and compare two devices without
importing torch. The measuring itself is in `engine.speed.measure`.

Accounting used for every GB/s figure: an elementwise derivative must at least
read x and write f'(x), so it moves `2 * itemsize` bytes per point; the copy
that measures the bandwidth moves the same two bytes-per-element (read the
source, write the destination). The bound on derivatives per second is
therefore the copy rate in elements per second, and a method's
`bound_fraction` is its rate divided by that bound.

The copy is measured at every N of the grid (two tensors of N points, the
footprint an elementwise derivative has at that N) and once far beyond the
last-level cache (main memory). The bound at N is the faster of the copy at N
and main memory's copy: no derivative can beat a copy of its own size, whatever
the cache hierarchy (a VM that reports a 480 MiB L3, a private L2 faster than
the shared L3), and a copy stalled by a busy machine cannot drag the bound
below main memory's. A share above 100% of that bound is not a result: the
sample is marked unreliable with the reason, as is a sample whose repeats
spread widely or whose rate collapses against a smaller N (a stall).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from engine.vocabulary import DTYPE_NAMES

# The derivative methods the speed demo times, in display order.
SPEED_METHODS: tuple[str, ...] = ("exact", "autograd", "vmap-grad", "central", "complex-step")
COMPILED_SUFFIX = "-compiled"
METHOD_LABELS: dict[str, str] = {
    "exact": "f'(x) evaluated",
    "autograd": "torch.autograd.grad",
    "vmap-grad": "torch.func.vmap(grad(f))",
    "central": "central difference",
    "complex-step": "complex step",
}
DTYPE_BYTES: dict[str, int] = {"float64": 8, "float32": 4, "float16": 2, "bfloat16": 2}

# Where the time of one call goes, from small N to large N.
REGIMES: tuple[str, ...] = ("overhead", "cache", "memory")
REGIME_TEXT: dict[str, str] = {
    "overhead": "bound by the fixed cost of a call (Python, dispatch, kernel launches): at least half the time does not depend on N",
    "cache": "the working set fits in the last-level cache: faster than main memory allows",
    "memory": "the working set is larger than the cache: every pass goes to main memory, and the bandwidth line is the limit "
    "(a method far below it is limited by arithmetic instead, as sin and cos are on a CPU with few cores)",
}
# Why a size was skipped: it would not fit, it would take too long, it ran out of memory anyway, or it failed.
SKIP_KINDS: tuple[str, ...] = ("memory", "time", "out-of-memory", "failed")
OVERHEAD_SHARE = 0.5  # a call is overhead-bound when the fixed cost is at least this share of its time
NOISE_LIMIT = 0.25  # a figure whose repeats spread (IQR / median) more than this is not to be believed
STALL_GAP = 0.8  # a copy below this share of main memory's and of a smaller copy's rate stalled
STALL_FACTOR = 8.0  # a rate this many times below the method's best at a smaller N is a stall, not a result
# Where a copy's two tensors lie: within the last-level cache, or beyond it in main memory.
BOUND_PLACES: tuple[str, ...] = ("cache", "memory")


def one_of(what: str, value: str, allowed: tuple[str, ...]) -> None:
    """A report's labels are a closed vocabulary: screens and the JSON's readers look them up."""
    if value not in allowed:
        raise ValueError(f"unknown {what} {value!r}: one of {', '.join(allowed)}")


def compiled_name(method: str) -> str:
    return method + COMPILED_SUFFIX


def is_compiled(name: str) -> bool:
    return name.endswith(COMPILED_SUFFIX)


def base_method(name: str) -> str:
    """`autograd-compiled` -> `autograd`."""
    return name.removesuffix(COMPILED_SUFFIX)


def method_label(name: str) -> str:
    label = METHOD_LABELS[base_method(name)]
    return f"{label}, torch.compile" if is_compiled(name) else label


ALL_SPEED_METHODS: tuple[str, ...] = SPEED_METHODS + tuple(compiled_name(m) for m in SPEED_METHODS)


def parse_speed_methods(text: str, compiled: bool = False) -> tuple[str, ...]:
    """`autograd,vmap-grad` -> those names; with `compiled`, each followed by its METHOD-compiled twin.

    Compiled names may also be given directly (`vmap-grad-compiled`). ValueError names the known methods.
    """
    names = [name.strip().lower() for name in text.split(",") if name.strip()]
    if not names:
        raise ValueError("no methods given")
    for name in names:
        if name not in ALL_SPEED_METHODS:
            raise ValueError(f"unknown method {name!r}: choose from {', '.join(SPEED_METHODS)} (or METHOD-compiled)")
    chosen: list[str] = []
    for name in names:
        chosen.append(name)
        if compiled and not is_compiled(name):
            chosen.append(compiled_name(name))
    return tuple(dict.fromkeys(chosen))


def size_grid(nmin: int, nmax: int, per_decade: int, include_ends: bool = True) -> tuple[int, ...]:
    """Sizes 10^(k / per_decade) between nmin and nmax, rounded to whole points; the ends too when `include_ends`."""
    if nmin < 1 or nmax < nmin or per_decade < 1:
        raise ValueError(f"bad size range {nmin}..{nmax} with {per_decade} per decade")
    first = math.ceil(math.log10(nmin) * per_decade - 1e-9)
    last = math.floor(math.log10(nmax) * per_decade + 1e-9)
    sizes = {round(10 ** (k / per_decade)) for k in range(first, last + 1)}
    sizes = {n for n in sizes if nmin <= n <= nmax}
    if include_ends:
        sizes |= {nmin, nmax}
    return tuple(sorted(sizes))


@dataclass(frozen=True)
class SpeedRequest:
    """What to measure. Hashable; `key` is what a caller caches the report under."""

    expression: str = "sin(x)"
    device: str = "cpu"  # cpu, cuda or cuda:N (auto is resolved by the caller)
    dtype: str = "float64"
    nmin: int = 1000
    nmax: int | None = None  # None: the largest size on the grid that fits the device's memory with a margin
    per_decade: int = 2
    methods: tuple[str, ...] = SPEED_METHODS
    repeats: int = 5
    max_seconds: float = 1.0  # the time one method may take at one size; larger sizes are skipped
    memory_margin: float | None = None  # share of the available memory a size may use; None: 0.5 on CPU, 0.8 on CUDA
    threads: int | None = None  # torch's intra-op threads while measuring; None: as torch is set (its default: one per core)

    def __post_init__(self) -> None:
        if self.dtype not in DTYPE_NAMES:
            raise ValueError(f"unknown dtype {self.dtype!r}: use one of {', '.join(DTYPE_NAMES)}")
        unknown = [name for name in self.methods if name not in ALL_SPEED_METHODS]
        if unknown or not self.methods:
            raise ValueError(f"unknown methods {unknown}: choose from {', '.join(ALL_SPEED_METHODS)}")
        if self.nmin < 1 or (self.nmax is not None and self.nmax < self.nmin):
            raise ValueError(f"--nmin {self.nmin} must be at least 1 and not above --nmax {self.nmax}")
        if self.per_decade < 1 or self.repeats < 1 or self.max_seconds <= 0 or (self.threads is not None and self.threads < 1):
            raise ValueError("per_decade, repeats and threads must be at least 1, max_seconds above 0")

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.expression, self.device, self.dtype)

    @property
    def compiles(self) -> bool:
        return any(is_compiled(name) for name in self.methods)


@dataclass(frozen=True)
class Bound:
    """The copy bandwidth measured with tensors of one size: the median over repeated blocks and its spread."""

    place: str  # one of BOUND_PLACES: "cache" (both tensors fit in the last-level cache) or "memory" (beyond it)
    tensor_bytes: int  # each of the two tensors of the copy
    gbps: float  # bytes read + written per second / 1e9, median over the repeats
    iqr_gbps: float  # the spread of that rate over the repeats
    repeats: int
    upper_gbps: float = math.nan  # the rate of the faster repeats (upper quartile): what the copy can do
    n: int | None = None  # the grid's N this copy is sized for (two tensors of n points); None: main memory's reference copy

    def __post_init__(self) -> None:
        one_of("bound place", self.place, BOUND_PLACES)

    @property
    def spread(self) -> float:
        return self.iqr_gbps / self.gbps if self.gbps > 0 else math.inf

    @property
    def limit_gbps(self) -> float:
        """The bound: the copy's upper-quartile rate. A busy machine only ever slows a copy down, so the faster repeats
        are nearer what memory allows; a median taken during a stall would make healthy figures look over the bound."""
        return self.upper_gbps if math.isfinite(self.upper_gbps) else self.gbps

    def as_dict(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "place": self.place,
            "tensor_bytes": self.tensor_bytes,
            "gbps": self.gbps,
            "upper_gbps": self.upper_gbps,
            "limit_gbps": self.limit_gbps,
            "iqr_gbps": self.iqr_gbps,
            "spread": self.spread,
            "repeats": self.repeats,
        }


@dataclass(frozen=True)
class Sample:
    """One method at one size: the time of one call (median and IQR over the repeats) and what it means."""

    n: int
    median_s: float
    iqr_s: float
    per_second: float  # derivatives per second: n / median_s
    gbps: float  # achieved, with 2 * itemsize bytes per point (see the module docstring)
    bound_fraction: float  # gbps over the limit of the bound that applies at n (`bound`: its copy's upper quartile)
    regime: str  # one of REGIMES
    repeats: int  # timed repeats (fewer than asked where one call is long, at least 3)
    calls_per_repeat: int  # small N: several calls per repeat, so each repeat is long enough to time
    warmup_s: float  # the first call at this size (allocation, lazy loading, a recompile would show here)
    bound: str = "memory"  # where the copy that bounds n lies (BOUND_PLACES): the copy at n, or main memory's
    unreliable: str = ""  # why this figure is not to be believed ("" when nothing says so)
    bound_n: int | None = None  # the N of the copy that bounds n (n itself, or a stalled copy's neighbour); None: main memory's

    def __post_init__(self) -> None:
        one_of("regime", self.regime, REGIMES)
        one_of("bound place", self.bound, BOUND_PLACES)

    @property
    def spread(self) -> float:
        """IQR / median of the time of a call: how much the repeats disagree."""
        return self.iqr_s / self.median_s if self.median_s > 0 else math.inf

    @property
    def exceeds_bound(self) -> bool:
        return self.bound_fraction > 1

    def as_dict(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "median_s": self.median_s,
            "time_per_call_s": self.median_s,
            "iqr_s": self.iqr_s,
            "spread": self.spread,
            "per_second": self.per_second,
            "gbps": self.gbps,
            "bound": self.bound,
            "bound_n": self.bound_n,
            "bound_fraction": self.bound_fraction,
            "regime": self.regime,
            "repeats": self.repeats,
            "calls_per_repeat": self.calls_per_repeat,
            "unreliable": self.unreliable,
        }


@dataclass(frozen=True)
class Skip:
    """A size a method did not run at, and why (memory, time, an out-of-memory error)."""

    n: int
    method: str
    reason: str
    kind: str = "memory"  # one of SKIP_KINDS: what a screen marks the size with

    def __post_init__(self) -> None:
        one_of("skip kind", self.kind, SKIP_KINDS)

    def as_dict(self) -> dict[str, Any]:
        return {"n": self.n, "method": self.method, "reason": self.reason, "kind": self.kind}


@dataclass(frozen=True)
class MethodResult:
    """One method's curve: its samples in increasing N, and what it costs besides."""

    name: str  # e.g. "autograd" or "vmap-grad-compiled"
    label: str
    compiled: bool
    footprint_bytes_per_point: int  # memory one call needs per point (estimate, raised by what CUDA measured)
    overhead_s: float  # median time of a call at N = 8: the fixed cost per call ("overhead/call")
    compile_s: float | None  # torch.compile's first call (tracing and code generation), apart from the run times
    samples: tuple[Sample, ...] = ()
    note: str = ""  # e.g. a compiler warning that explains a slow compiled row
    graphs: int | None = None  # compiled: the graphs dynamo traced (1 is one fused kernel); None when not checked
    graph_breaks: int | None = None  # compiled: where dynamo broke the graph and ran eager Python instead
    break_reasons: tuple[str, ...] = ()
    no_codegen: str = ""  # compiled: the compiler's word that it generated no code for the kernel (it runs eager ops)
    operations: tuple[str, ...] = ()  # compiled: the tensor operations dynamo traced, in order; empty when not checked

    def at(self, n: int) -> Sample | None:
        return next((s for s in self.samples if s.n == n), None)

    @property
    def not_compiled(self) -> str:
        """Why a compiled row is not a compiled kernel ("" when it is, or is eager): a graph break, or no code generated."""
        if not self.compiled:
            return ""
        if self.graph_breaks:
            why = self.break_reasons[0] if self.break_reasons else f"{self.graph_breaks} graph breaks"
            return f"not compiled: graph break ({why})"
        if self.no_codegen:
            return f"not compiled: {self.no_codegen}"
        return ""


# What fusing usually gives a compiled kernel over its eager twin at large N: less, and the row says why.
EXPECTED_COMPILE_GAIN = 1.5
# An eager twin at this share of its bound (a copy of its size) or more is already one pass near the copy's speed: little to fuse.
AT_THE_BOUND = 0.5


@dataclass(frozen=True)
class CompileGain:
    """A compiled method's rate over its eager twin's at the largest N both measured."""

    n: int
    ratio: float
    eager_share: float  # the eager twin's share of the bound at n
    operations: tuple[str, ...] = ()  # the compiled kernel's tensor operations, when dynamo's trace was checked

    @property
    def note(self) -> str:
        """Why a compiled row gains less than fusing usually gives ("" when it gains that much)."""
        if not self.ratio < EXPECTED_COMPILE_GAIN:
            return ""
        gain = f"compiled, {self.ratio:.2f}x eager at N = {self.n:,}"
        if self.eager_share >= AT_THE_BOUND:
            return f"{gain}: eager already runs at {self.eager_share:.0%} of the bound (a copy of its size), one pass with little to fuse"
        if len(self.operations) == 1:
            one = self.operations[0]
            return f"{gain}: the kernel is one operation ({one}), which eager torch already runs as one loop: nothing to fuse"
        return f"{gain}: less than the {EXPECTED_COMPILE_GAIN:g}x that fusing usually gives"

    def as_dict(self) -> dict[str, Any]:
        return {"n": self.n, "ratio": self.ratio, "eager_share": self.eager_share, "operations": list(self.operations), "note": self.note}


@dataclass(frozen=True)
class SpeedReport:
    """A whole measurement. `methods` holds every method that ran; `unavailable` the ones that could not, with why."""

    request: SpeedRequest
    device: str  # cpu or cuda:N
    device_name: str  # the CPU model or the GPU's name
    dtype: str
    threads: int
    bandwidth_gbps: float  # main-memory copy bandwidth (its limit), bytes read + written per second / 1e9: the least bound
    cache_bytes: int | None  # last-level cache (CPU) or L2 (GPU); None when unknown
    memory_budget_bytes: int  # what a size may use: the margin times the memory available at the start
    sizes: tuple[int, ...]
    methods: tuple[MethodResult, ...]
    unavailable: Mapping[str, str] = field(default_factory=dict)
    skipped: tuple[Skip, ...] = ()
    cancelled: bool = False
    elapsed_s: float = 0.0
    bounds: tuple[Bound, ...] = ()  # the copy at each N of the grid measured, then main memory's; empty: only bandwidth_gbps
    load_average: tuple[tuple[float, ...] | None, tuple[float, ...] | None] = (None, None)  # 1, 5, 15 min: start, end
    allocator: str = ""  # how memory was allocated while measuring (machine.steady_allocator); empty: not said

    @property
    def expression(self) -> str:
        return self.request.expression

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.request.expression, self.device, self.dtype)

    @property
    def bytes_per_point(self) -> int:
        """Bytes an elementwise derivative must move per point: read x, write f'(x)."""
        return 2 * DTYPE_BYTES[self.dtype]

    @property
    def bound_per_second(self) -> float:
        """The most derivatives per second this device's main memory allows: the bound at N beyond the cache."""
        return self.bandwidth_gbps * 1e9 / self.bytes_per_point

    def bound_at(self, n: int) -> Bound | None:
        """The bound that applies at n: the faster of the copy at n and main memory's copy."""
        return bound_at(self.bounds, n)

    @property
    def stalled_copies(self) -> tuple[Bound, ...]:
        """Copies that came out well below main memory's and a smaller copy's: the machine stalled them (warned about)."""
        return stalled_copies(self.bounds)

    def unreliable(self) -> tuple[tuple[str, Sample], ...]:
        """(method, sample) of every figure marked unreliable, in the order measured."""
        return tuple((m.name, s) for m in self.methods for s in m.samples if s.unreliable)

    def method(self, name: str) -> MethodResult | None:
        return next((m for m in self.methods if m.name == name), None)

    def compile_gain(self, name: str) -> CompileGain | None:
        """A compiled method against its eager twin at the largest N both measured; None for an eager method, a
        compiled row that is not compiled (it says so already), or no common N."""
        compiled = self.method(name)
        eager = self.method(base_method(name))
        if compiled is None or eager is None or not compiled.compiled or compiled.not_compiled:
            return None
        common = [(s, e) for s in compiled.samples for e in [eager.at(s.n)] if e is not None and e.per_second > 0]
        if not common:
            return None
        mine, theirs = max(common, key=lambda pair: pair[0].n)
        return CompileGain(mine.n, mine.per_second / theirs.per_second, theirs.bound_fraction, compiled.operations)

    def regime_spans(self) -> tuple[tuple[str, int, int], ...]:
        """(regime, first n, last n) runs over the sizes, by majority of the methods measured at each size."""
        spans: list[tuple[str, int, int]] = []
        for n in self.sizes:
            regimes = [s.regime for m in self.methods if (s := m.at(n)) is not None]
            if not regimes:
                continue
            regime = max(REGIMES, key=regimes.count)
            if spans and spans[-1][0] == regime:
                spans[-1] = (regime, spans[-1][1], n)
            else:
                spans.append((regime, n, n))
        return tuple(spans)

    def speedup(self, other: SpeedReport, method: str) -> tuple[tuple[int, float], ...]:
        """(n, this rate / other's rate) where both measured `method` at n: e.g. CUDA over CPU."""
        mine, theirs = self.method(method), other.method(method)
        if mine is None or theirs is None:
            return ()
        pairs = ((s, theirs.at(s.n)) for s in mine.samples)
        return tuple((s.n, s.per_second / t.per_second) for s, t in pairs if t is not None and t.per_second > 0)

    def as_dict(self) -> dict[str, Any]:
        """The `calc-tui speed --json` document."""
        return {
            "expression": self.expression,
            "device": self.device,
            "device_name": self.device_name,
            "dtype": self.dtype,
            "threads": self.threads,
            "bandwidth_gbps": self.bandwidth_gbps,
            "bounds": [b.as_dict() for b in self.bounds],
            "stalled_copies": [b.n for b in self.stalled_copies],
            "sizes": list(self.sizes),
            "methods": {m.name: [s.as_dict() for s in m.samples] for m in self.methods},
            "unavailable": dict(self.unavailable),
            "skipped": [s.as_dict() for s in self.skipped],
            "bytes_per_point": self.bytes_per_point,
            "bound_per_second": self.bound_per_second,
            "cache_bytes": self.cache_bytes,
            "memory_budget_bytes": self.memory_budget_bytes,
            "compile_s": {m.name: m.compile_s for m in self.methods if m.compile_s is not None},
            "graphs": {m.name: m.graphs for m in self.methods if m.graphs is not None},
            "graph_breaks": {m.name: m.graph_breaks for m in self.methods if m.graph_breaks is not None},
            "operations": {m.name: list(m.operations) for m in self.methods if m.operations},
            "not_compiled": {m.name: m.not_compiled for m in self.methods if m.not_compiled},
            "overhead_s": {m.name: m.overhead_s for m in self.methods},
            "overhead_per_call_s": {m.name: m.overhead_s for m in self.methods},
            "notes": {m.name: m.note for m in self.methods if m.note},
            "compile_gain": {m.name: gain.as_dict() for m in self.methods for gain in [self.compile_gain(m.name)] if gain is not None},
            "unreliable": [{"method": name, "n": s.n, "reason": s.unreliable} for name, s in self.unreliable()],
            "load_average": {"start": self.load_average[0], "end": self.load_average[1]},
            "allocator": self.allocator,
            "cancelled": self.cancelled,
            "elapsed_s": self.elapsed_s,
        }


def quartiles(values: Sequence[float]) -> tuple[float, float, float]:
    """(first quartile, median, third quartile), linearly interpolated; one value gives it three times."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("no values")

    def at(q: float) -> float:
        position = q * (len(ordered) - 1)
        low = math.floor(position)
        high = min(low + 1, len(ordered) - 1)
        return ordered[low] + (ordered[high] - ordered[low]) * (position - low)

    return at(0.25), at(0.5), at(0.75)


def classify(n: int, median_s: float, overhead_s: float, footprint_bytes_per_point: int, cache_bytes: int | None) -> str:
    """The regime of one sample: overhead if the fixed cost is half the time or more, else cache or memory by working set."""
    if overhead_s >= OVERHEAD_SHARE * median_s:
        return "overhead"
    if cache_bytes is not None and n * footprint_bytes_per_point <= cache_bytes:
        return "cache"
    return "memory"


def main_memory(bounds: Sequence[Bound]) -> Bound | None:
    """The reference copy far beyond the cache (the one not sized for a grid N)."""
    return next((bound for bound in bounds if bound.n is None), None)


def bound_at(bounds: Sequence[Bound], n: int) -> Bound | None:
    """The bound at n: the faster of the copy measured at n and main memory's (main memory's alone where no copy was
    measured at n: sizes whose tensors are as large as the reference copy's, or over the memory budget). A copy that
    stalled says nothing about n: the fastest of its neighbours (the copies at the sizes either side) stands in."""
    sized = _sized(bounds)
    options = [bound for bound in (next((b for b in sized if b.n == n), None), main_memory(bounds)) if bound is not None]
    if options and options[0] in stalled_copies(bounds):
        index = sized.index(options[0])
        options = [*sized[max(0, index - 1) : index], *sized[index + 1 : index + 2], *options[1:]]
    return max(options, key=lambda bound: bound.limit_gbps) if options else None


def _sized(bounds: Sequence[Bound]) -> list[Bound]:
    """The copies of grid Ns, smallest first."""
    return sorted((bound for bound in bounds if bound.n is not None), key=lambda bound: bound.tensor_bytes)


def stalled_copies(bounds: Sequence[Bound]) -> tuple[Bound, ...]:
    """Copies below STALL_GAP of a smaller copy's rate and of what follows them (the next larger copy, or main
    memory's, whichever is faster). A copy's rate rises with N while its fixed cost per call fades, then falls
    in steps as N leaves each cache level, and stays down: a dip below both sides is the machine, not the copy."""
    memory = main_memory(bounds)
    if memory is None:
        return ()
    sized = _sized(bounds)
    stalled = []
    for index, bound in enumerate(sized):
        fastest_before = max((smaller.limit_gbps for smaller in sized[:index]), default=0.0)
        after = max(memory.limit_gbps, sized[index + 1].limit_gbps if index + 1 < len(sized) else 0.0)
        if bound.limit_gbps < STALL_GAP * min(fastest_before, after):
            stalled.append(bound)
    return tuple(stalled)


def unreliable_reason(sample: Sample, smaller: Sequence[Sample]) -> str:
    """Why `sample` is not to be believed, given the same method's samples at smaller N; "" when nothing says so.

    Over the bound that applies: no elementwise derivative can move its bytes faster than a copy, so the timing is
    wrong. A wide spread: the repeats disagree. A collapse against a smaller N: a derivative's rate does not fall
    by STALL_FACTOR when N grows (the cache-to-memory step costs less than that); the machine stalled it.
    """
    reasons = []
    if sample.exceeds_bound:
        reasons.append(f"exceeds the bound ({sample.bound_fraction:.0%}; no derivative outruns a copy of its size): timing unreliable")
    if sample.spread > NOISE_LIMIT:
        reasons.append(f"repeats spread {sample.spread:.0%} of the median (IQR / median over {NOISE_LIMIT:.0%})")
    best = max(smaller, key=lambda s: s.per_second, default=None)
    if best is not None and sample.per_second * STALL_FACTOR < best.per_second:
        reasons.append(f"{best.per_second / sample.per_second:.0f}x below its rate at N = {best.n:,}: a stall, likely a busy machine")
    return "; ".join(reasons)
