"""`calc-tui speed [EXPR]`: derivatives per second across N for each method, against the memory-bandwidth bound."""

from __future__ import annotations

import argparse
import math
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from types import FrameType
from typing import TYPE_CHECKING, Any

from engine.cli.arguments import UserError, add_output, add_precision, count, positive
from engine.cli.output import Output
from engine.vocabulary import format_seconds

if TYPE_CHECKING:
    from engine.speed import Skip, SpeedReport
    from engine.speed.report import Bound

NAME = "speed"
HELP = "derivatives per second across N, eager and compiled, against the memory bandwidth"
MAX_SIZE = 10**12
REGIME_MARKS = {"overhead": "o", "cache": "c", "memory": "m"}


def size(text: str) -> int:
    """A number of points: 1000, 1e6 or 1_000_000; whole and at least 1."""
    text = text.strip()
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"bad size {text!r}: write a whole number such as 1000 or 1e6") from None
    if not math.isfinite(value) or value != int(value) or not 1 <= value <= MAX_SIZE:
        raise argparse.ArgumentTypeError(f"bad size {text!r}: a whole number of points from 1 to 1e12")
    return int(value)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from engine.speed.report import SPEED_METHODS, SpeedRequest

    defaults = SpeedRequest()
    parser.add_argument("expression", nargs="?", default="sin(x)", metavar="EXPR", type=str.strip, help="a function of x (default sin(x))")
    parser.add_argument("--nmin", type=size, default=defaults.nmin, metavar="N", help=f"smallest size (default {defaults.nmin:g})")
    parser.add_argument("--nmax", type=size, metavar="N", help="largest size (default: the largest that fits in memory with a margin)")
    parser.add_argument(
        "--per-decade", type=count(1), default=defaults.per_decade, metavar="K", help=f"sizes per decade (default {defaults.per_decade})"
    )
    methods = ",".join(SPEED_METHODS)
    parser.add_argument("--methods", default=methods, help=f"comma-separated, METHOD-compiled too (default {methods})")
    parser.add_argument("--compiled", action="store_true", help="also each method through torch.compile (METHOD-compiled)")
    parser.add_argument(
        "--repeats", type=count(1), default=defaults.repeats, metavar="R", help=f"timed repeats per size (default {defaults.repeats})"
    )
    parser.add_argument(
        "--max-seconds",
        type=positive,
        default=defaults.max_seconds,
        metavar="S",
        help=f"time one method may take at one size; longer sizes are skipped (default {defaults.max_seconds:g})",
    )
    parser.add_argument(
        "--threads", type=count(1), metavar="T", help="torch's CPU threads while measuring (default: torch's own, one per core)"
    )
    add_precision(parser)
    add_output(parser)


def run(args: argparse.Namespace) -> Output:
    from engine.expression import parse_expression
    from engine.speed import SpeedRequest, parse_speed_methods

    methods = parse_speed_methods(args.methods, compiled=args.compiled)
    if args.nmax is not None and args.nmax < args.nmin:
        raise UserError(f"--nmin {args.nmin:,} is above --nmax {args.nmax:,}")
    parse_expression(args.expression)  # a typing mistake is reported before torch is imported

    from engine.devices import resolve_device
    from engine.speed import measure_speed

    device = resolve_device(args.device)
    request = SpeedRequest(
        expression=args.expression,
        device=str(device),
        dtype=args.dtype,
        nmin=args.nmin,
        nmax=args.nmax,
        per_decade=args.per_decade,
        methods=methods,
        repeats=args.repeats,
        max_seconds=args.max_seconds,
        threads=args.threads,
    )
    progress = _terminal_progress if sys.stderr.isatty() else None
    with _interrupt_cancels() as interrupted:
        report = measure_speed(request, on_progress=progress, cancelled=interrupted)
    if progress is not None:
        print("\r\033[K", end="", file=sys.stderr, flush=True)
    shaky = warning(report)
    if shaky is not None:
        print(shaky, file=sys.stderr, flush=True)
    return Output(table(report), report.as_dict(), interrupted=report.cancelled)


def _terminal_progress(done: int, total: int, label: str) -> None:
    width = 24
    filled = width * done // max(total, 1)
    bar = "#" * filled + "." * (width - filled)
    print(f"\r\033[Kspeed [{bar}] {done}/{total} {label}", end="", file=sys.stderr, flush=True)


@contextmanager
def _interrupt_cancels() -> Iterator[Callable[[], bool]]:
    """Ctrl-C stops the measurement between two timings and the partial report is printed, as Escape does in the app."""
    stop = [False]

    def on_interrupt(_signal: int, _frame: FrameType | None) -> None:
        stop[0] = True

    try:
        previous: Any = signal.signal(signal.SIGINT, on_interrupt)
    except ValueError:  # not the main thread: leave Ctrl-C alone
        yield lambda: False
        return
    try:
        yield lambda: stop[0]
    finally:
        signal.signal(signal.SIGINT, previous)


def _rate(per_second: float) -> str:
    for scale, unit in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if per_second >= scale:
            return f"{per_second / scale:.3g}{unit}"
    return f"{per_second:.3g}"


def _seconds(value: float | None) -> str:
    return format_seconds(value, micro="us", missing="-")  # plain text: the CLI's output may not be UTF-8


def _bound_lines(report: SpeedReport) -> list[str]:
    """The copy at each N and main memory's: rate, spread, and the derivatives a second the bound at that N allows."""
    from engine.speed.report import main_memory

    if not report.bounds:
        return [f"copy bandwidth {report.bandwidth_gbps:.3g} GB/s: at most {_rate(report.bound_per_second)} derivatives/s"]
    lines = [
        "the bound at N: the faster of a copy of N points and main memory's copy (no",
        "elementwise derivative outruns a copy of its size). A copy's rate is its faster",
        "repeats' (upper quartile): a busy machine only ever slows a copy down.",
        f"{'copy of N':>13}{'GB/s':>8}{'median':>8}{'spread':>8}{'place':>8}{'bound deriv/s':>15}",
    ]
    stalled = report.stalled_copies
    memory = main_memory(report.bounds)
    for bound in report.bounds:
        name = f"{bound.n:,}" if bound.n is not None else "main memory"
        applies = report.bound_at(bound.n) if bound.n is not None else bound
        allowed = _rate(applies.limit_gbps * 1e9 / report.bytes_per_point) if applies is not None else "-"
        # where the bound at this N is not this copy's own rate, say whose it is
        source = "" if applies is None or applies is bound else " main memory's" if applies.n is None else f" N = {applies.n:,}'s"
        mark = " stalled!" if bound in stalled else ""
        lines.append(f"{name:>13}{bound.limit_gbps:>8.3g}{bound.gbps:>8.3g}{bound.spread:>8.0%}{bound.place:>8}{allowed:>15}{mark}{source}")
    if memory is not None:
        lines += [
            f"(main memory's copy: {memory.tensor_bytes / 2**20:,.0f} MiB a tensor, {memory.repeats} repeats; an elementwise",
            f"derivative reads x and writes f'(x): {report.bytes_per_point} bytes a point)",
        ]
    if stalled:
        lines += [
            f"the {_copies(stalled)} came out below a smaller copy's rate and the next one's:",
            "a stall; the faster copy beside it gives the bound there",
        ]
    return lines


def _copies(bounds: Sequence[Bound]) -> str:
    """'copy at N = 1,000', 'copies at N = 1,000, 3,162', 'copy from main memory': which copies a line is about."""
    sized = [f"{b.n:,}" for b in bounds if b.n is not None]
    parts = ([f"at N = {', '.join(sized)}"] if sized else []) + (["from main memory"] if len(sized) < len(bounds) else [])
    return f"cop{'ies' if len(bounds) > 1 else 'y'} {' and '.join(parts)}"


def table(report: SpeedReport) -> str:
    cache = f", last-level cache {report.cache_bytes / 2**20:.3g} MiB" if report.cache_bytes else ""
    memory = f"; memory: {report.allocator}" if report.allocator else ""
    lines = [
        f"f(x) = {report.expression}   {report.dtype} on {report.device} ({report.device_name})",
        f"{report.threads} thread{'s' if report.threads != 1 else ''}{cache}{memory}",
        *_bound_lines(report),
        "",
        "overhead/call: the median time of a call at N = 8, the fixed cost every call pays; compile: the first call",
    ]
    names = [method.name for method in report.methods]
    width = max(17, *(len(name) + 2 for name in names)) if names else 17
    lines.append(f"{'method':<{width}}{'overhead/call':>14}{'compile':>10}{'graphs':>8}{'breaks':>8}")
    for method in report.methods:
        graphs = "-" if method.graphs is None else str(method.graphs)
        breaks = "-" if method.graph_breaks is None else str(method.graph_breaks)
        compile_s = _seconds(method.compile_s) if method.compile_s is not None else "-"
        lines.append(f"{method.name:<{width}}{_seconds(method.overhead_s):>14}{compile_s:>10}{graphs:>8}{breaks:>8}")
    lines += [
        "",
        "time/call at N: the median time of one call at that N; spread: IQR / median of the repeats; share: of the bound at N",
        "regime: o = call overhead, c = in cache, m = memory-bound; ! = not to be believed, or not compiled (why below)",
        f"{'method':<{width}}{'N':>13}{'deriv/s':>10}{'time/call at N':>16}{'spread':>8}{'bound':>8}{'share':>7}{'regime':>8}",
    ]
    for method in report.methods:
        for sample in method.samples:
            share = "over!" if sample.exceeds_bound else f"{sample.bound_fraction:.0%}" if math.isfinite(sample.bound_fraction) else "-"
            rate = _rate(sample.per_second) + ("!" if sample.unreliable or method.not_compiled else "")
            lines.append(
                f"{method.name:<{width}}{sample.n:>13,}{rate:>10}{_seconds(sample.median_s):>16}{sample.spread:>8.0%}"
                f"{sample.bound:>8}{share:>7}{REGIME_MARKS[sample.regime]:>8}"
            )
    for name, sample in report.unreliable():
        lines.append(f"! {name} at N = {sample.n:,}: {sample.unreliable}")
    for method in report.methods:
        if method.not_compiled:
            lines.append(f"{method.name}: {method.not_compiled}: its figures are eager code plus the compiler's overhead")
        if method.note:
            lines.append(f"{method.name}: note: {method.note}")
        gain = report.compile_gain(method.name)
        if gain is not None and gain.note:
            lines.append(f"{method.name}: {gain.note}")
    lines += [f"{name}: unavailable: {reason}" for name, reason in report.unavailable.items()]
    lines += _skipped_lines(report)
    if report.cancelled:
        lines.append("cancelled: the sizes above are the ones measured before the stop")
    start, end = report.load_average
    load = f"; load average {start[0]:.2f} at the start, {end[0]:.2f} at the end" if start is not None and end is not None else ""
    lines.append(f"measured in {report.elapsed_s:.3g} s{load}")
    return "\n".join(lines)


SKIP_WHY = {
    "time": "one call takes too long for the time a size may take (--max-seconds)",
    "memory": "over the memory budget",
}


def _skipped_lines(report: SpeedReport) -> list[str]:
    """One line per method and kind of skip, naming exactly the sizes skipped, with the first reason in full."""
    grouped: dict[tuple[str, str], list[Skip]] = {}
    for skip in report.skipped:
        grouped.setdefault((skip.method, skip.kind), []).append(skip)
    lines = []
    for (method, kind), skips in grouped.items():
        sizes = ", ".join(f"{s.n:,}" for s in skips)
        why = SKIP_WHY.get(kind)
        reason = f"{why} ({skips[0].reason})" if why else skips[0].reason
        lines.append(f"{method}: skipped N = {sizes}: {reason}")
    return lines


def warning(report: SpeedReport) -> str | None:
    """One line for stderr when figures are not to be believed, or None."""
    from engine.speed.report import NOISE_LIMIT

    shaky = report.unreliable()
    noisy = [b for b in report.bounds if b.spread > NOISE_LIMIT]
    stalled = report.stalled_copies
    if not shaky and not noisy and not stalled:
        return None
    what = [f"{len(shaky)} figure{'s' if len(shaky) != 1 else ''} unreliable"] if shaky else []
    what += [f"the {_copies(noisy)} spread over {NOISE_LIMIT:.0%}"] if noisy else []
    what += [f"the {_copies(stalled)} stalled"] if stalled else []
    marked = " (marked !)" if shaky else ""
    advice = "try --threads 1 or a quieter machine" if report.threads != 1 else "try a quieter machine"
    return f"calc-tui speed: warning: {', '.join(what)}{marked}: the machine is busy; {advice}"
