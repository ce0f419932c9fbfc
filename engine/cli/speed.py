"""`calc-tui speed [EXPR]`: derivatives per second across N for each method, against the memory-bandwidth bound."""

from __future__ import annotations

import argparse
import math
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import TYPE_CHECKING, Any

from engine.cli.arguments import UserError, add_output, add_precision, count, positive
from engine.cli.output import Output

if TYPE_CHECKING:
    from engine.speed import SpeedReport

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


def table(report: SpeedReport) -> str:
    cache = f", last-level cache {report.cache_bytes / 2**20:.3g} MiB" if report.cache_bytes else ""
    lines = [
        f"f(x) = {report.expression}   {report.dtype} on {report.device} ({report.device_name}), {report.threads} threads{cache}",
        f"copy bandwidth {report.bandwidth_gbps:.3g} GB/s: at most {_rate(report.bound_per_second)} derivatives/s "
        f"(an elementwise derivative reads x and writes f'(x): {report.bytes_per_point} bytes a point)",
        "derivatives per second (median), its share of that bound, and the regime: o = call overhead, c = in cache, m = memory-bound",
        "",
    ]
    names = [method.name for method in report.methods]
    width = max(17, *(len(name) + 2 for name in names)) if names else 17
    lines.append(f"{'N':>13}" + "".join(f"{name:>{width}}" for name in names))
    for n in report.sizes:
        cells = []
        for method in report.methods:
            sample = method.at(n)
            cell = "-" if sample is None else f"{_rate(sample.per_second)} {sample.bound_fraction:4.0%} {REGIME_MARKS[sample.regime]}"
            cells.append(f"{cell:>{width}}")
        lines.append(f"{n:>13,}" + "".join(cells))
    for method in report.methods:
        if method.compile_s is not None:
            lines.append(f"{method.name}: compiling took {method.compile_s:.3g} s (not in the rates above)")
        if method.note:
            lines.append(f"{method.name}: note: {method.note}")
    lines += [f"{name}: unavailable: {reason}" for name, reason in report.unavailable.items()]
    lines += _skipped_lines(report)
    if report.cancelled:
        lines.append("cancelled: the sizes above are the ones measured before the stop")
    lines.append(f"measured in {report.elapsed_s:.3g} s")
    return "\n".join(lines)


def _skipped_lines(report: SpeedReport) -> list[str]:
    """One line per method and reason, with the sizes it covers."""
    grouped: dict[tuple[str, str], list[int]] = {}
    for skip in report.skipped:
        reason = "one call takes too long for the time a size may take (--max-seconds)" if skip.kind == "time" else skip.reason
        grouped.setdefault((skip.method, reason), []).append(skip.n)
    return [f"{method}: skipped N = {', '.join(f'{n:,}' for n in sizes)}: {reason}" for (method, reason), sizes in grouped.items()]
