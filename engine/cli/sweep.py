"""`calc-tui sweep EXPR`: error versus h for the step methods, beside the truncation + round-off model.

Limits, checked before anything is computed: at most MAX_POINTS points (each needs its
own 50-digit reference and error model, about 0.35 ms a point on a 2-core CPU, so
100,000 points take half a minute), at most MAX_CELLS points × h values, and no more
memory than MEMORY_SHARE of what the machine has free (about BYTES_PER_CELL bytes per
point and h value, measured). Inside the limits a progress bar is drawn on stderr when
stderr is a terminal. --csv prints one row per h with a column per method.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from engine.cli.arguments import UserError, add_output, add_precision, count, domain, number, positive
from engine.cli.derive import add_order
from engine.cli.output import Output, Rows, scientific
from engine.vocabulary import H_STEPS_PER_DECADE, STEP_METHOD_NAMES, derivative_name, parse_methods

if TYPE_CHECKING:
    import torch

    from engine.expression import Expression
    from engine.sweep import Sweep

NAME = "sweep"
HELP = "error versus h for the step methods"
MAX_POINTS = 100_000
MAX_CELLS = 10_000_000  # points × h values
DEFAULT_POINTS = 400
BYTES_PER_CELL = 400  # peak memory per point and h value: 335-360 bytes measured for one method, float32 or float64
MEMORY_SHARE = 0.5  # the machine is shared: a sweep may use half of the memory free now
EDGE_SLACK = 16  # a best error within this many eps of |f'| is round-off: a best h at the grid's edge then needs no note

Progress = Callable[[int, int, str], None]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("expression", metavar="EXPR", type=str.strip, help="a function of x, e.g. 'sin(x)'")
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--at", type=number, metavar="X", help="error at one point")
    where.add_argument("--domain", type=domain, metavar="A,B", help="max error over [A, B], e.g. -pi,pi")
    parser.add_argument(
        "--points", type=count(2), default=None, metavar="N", help=f"points in --domain (default 400, at most {MAX_POINTS:,}; 1e4 works)"
    )
    parser.add_argument("--hmin", type=positive, default=1e-16, metavar="H", help="smallest h (default 1e-16)")
    parser.add_argument("--hmax", type=positive, default=1e-1, metavar="H", help="largest h (default 1e-1)")
    parser.add_argument(
        "--per-decade", type=count(1), default=H_STEPS_PER_DECADE, metavar="K", help=f"h values per decade (default {H_STEPS_PER_DECADE})"
    )
    add_order(parser)
    default = ",".join(STEP_METHOD_NAMES)
    parser.add_argument("--methods", default=default, help=f"comma-separated (default {default})")
    add_precision(parser)
    add_output(parser, csv=True)


def h_count(h_max: float, h_min: float, per_decade: int) -> int:
    """How many h values engine.sweep.h_grid makes (its own formula), known before torch is imported."""
    return max(2, round(math.log10(h_max / h_min) * per_decade) + 1)


def check_size(points: int, h_values: int) -> None:
    """Refuse a sweep above the limits, naming the limit, before anything is computed."""
    if points > MAX_POINTS:
        raise UserError(
            f"--points {points:,} is above the limit of {MAX_POINTS:,}: every point needs its own 50-digit reference "
            f"and error model (about half a minute for {MAX_POINTS:,} points)"
        )
    if points * h_values > MAX_CELLS:
        raise UserError(
            f"{_points(points)} × {h_values:,} h values = {points * h_values:,} is above the limit of {MAX_CELLS:,}: "
            "use fewer --points, a smaller --per-decade or a narrower --hmin..--hmax"
        )


def check_memory(points: int, h_values: int, available: int) -> None:
    """Refuse a sweep whose estimated peak memory is above MEMORY_SHARE of `available` bytes, before allocating."""
    needed = points * h_values * BYTES_PER_CELL
    if needed > MEMORY_SHARE * available:
        raise UserError(
            f"{_points(points)} × {h_values:,} h values need about {needed / 2**30:.1f} GiB, more than "
            f"{MEMORY_SHARE:.0%} of the {available / 2**30:.1f} GiB free: use fewer --points or h values"
        )


def _points(count: int) -> str:
    return "1 point" if count == 1 else f"{count:,} points"


def run(args: argparse.Namespace) -> Output:
    methods = parse_methods(args.methods, STEP_METHOD_NAMES)
    if not args.hmin < args.hmax:
        raise UserError(f"--hmin {args.hmin:g} must be below --hmax {args.hmax:g}")
    if args.points is not None and args.domain is None:
        raise UserError(f"--points {args.points:,} counts the points of --domain; with --at the sweep is at x = {args.at:g} alone")
    args.points = args.points or DEFAULT_POINTS
    n_points = args.points if args.domain is not None else 1
    n_h = h_count(args.hmax, args.hmin, args.per_decade)
    check_size(n_points, n_h)
    from engine.expression import parse_expression

    expression = parse_expression(args.expression)  # a typing mistake is answered before torch is imported

    import torch

    from engine.devices import compute_on_one_thread, describe_device, dtype_name, held, parse_dtype, resolve_device, rounding_notice
    from engine.speed.machine import available_bytes
    from engine.sweep import h_grid

    dtype, device = parse_dtype(args.dtype), resolve_device(args.device)
    compute_on_one_thread()
    check_memory(n_points, n_h, available_bytes(torch.device("cpu")))  # the errors are gathered in float64 on the CPU
    if args.domain is not None:
        points = torch.linspace(args.domain[0], args.domain[1], args.points, dtype=torch.float64)
        where = f"max over {args.points} points in [{args.domain[0]:g}, {args.domain[1]:g}]"
        notes: tuple[str, ...] = ()
    else:
        points = torch.tensor([args.at], dtype=torch.float64)
        kept = held(args.at, dtype)
        where = f"at x = {args.at:g}" + ("" if f"{kept:g}" == f"{args.at:g}" else f" (held in {dtype_name(dtype)} as {kept:g})")
        notes = tuple(n for n in [rounding_notice(args.at, dtype)] if n)
    progress = terminal_progress if sys.stderr.isatty() else None
    hs = h_grid(args.hmax, args.hmin, args.per_decade)
    result = sweep_in_steps(expression, points, hs, methods, dtype, device, progress, args.order)
    from engine.derive import beyond_float64, beyond_notice

    as_held = points.to(device=device, dtype=dtype).to("cpu", torch.float64)
    notes += tuple(n for n in [beyond_notice(str(expression), as_held, beyond_float64(expression, as_held, args.order))] if n)
    if progress is not None:
        print("\r\033[K", end="", file=sys.stderr, flush=True)
    return _output(args, result, methods, where, device, describe_device(device), notes)


def sweep_in_steps(
    expression: Expression,
    points: torch.Tensor,
    hs: torch.Tensor,
    methods: tuple[str, ...],
    dtype: torch.dtype,
    device: torch.device,
    progress: Progress | None,
    order: int = 1,
) -> Sweep:
    """engine.sweep.sweep, one method at a time so that progress can be told; the same numbers as one call.

    The reference is computed first, at the points as the working dtype holds them, as sweep() does: it
    is cached by the engine (engine.reference), so each method's call finds it there.
    """
    import torch

    from engine.derive import reference_with_gaps
    from engine.sweep import sweep

    total = 2 + len(methods)
    if progress:
        progress(0, total, f"50-digit reference at {points.numel():,} points")
    reference_with_gaps(expression, points.to(device=device, dtype=dtype).flatten().to("cpu", torch.float64), order)
    results = {}
    for index, name in enumerate(methods, start=1):
        if progress:
            progress(index, total, name)
        results[name] = sweep(expression, points, hs, (name,), dtype, device, order).methods[name]
    if progress:
        progress(total - 1, total, "richardson")
    whole = sweep(expression, points, hs, (), dtype, device, order, richardson=True)
    return replace(whole, methods=results)


def terminal_progress(done: int, total: int, label: str) -> None:
    width = 24
    filled = width * done // max(total, 1)
    print(f"\r\033[Ksweep [{'#' * filled}{'.' * (width - filled)}] {done}/{total} {label}", end="", file=sys.stderr, flush=True)


def _largest_reference(result: Sweep) -> float:
    """The largest |derivative| at the sweep's points (as its dtype holds them), to 50 digits; 0 where none is known."""
    import torch

    from engine.derive import reference_with_gaps
    from engine.devices import parse_dtype

    held = result.points.to(parse_dtype(result.dtype)).to("cpu", torch.float64).flatten()
    reference = reference_with_gaps(result.expression, held, result.order).abs()
    known = reference[~torch.isnan(reference)]
    return float(known.max()) if known.numel() else 0.0


def _output(
    args: argparse.Namespace,
    result: Sweep,
    methods: tuple[str, ...],
    where: str,
    device: torch.device,
    label: str,
    notes: tuple[str, ...] = (),
) -> Output:
    hs = result.h.tolist()
    errors = {m: (r.errors.tolist() if r.errors is not None else None) for m, r in result.methods.items()}
    extrapolated = result.richardson
    data: dict[str, Any] = {
        "expression": args.expression,
        "order": result.order,
        "dtype": result.dtype,
        "device": str(device),
        "h": hs,
        "errors": {m: e if e is not None else {"error": result.methods[m].reason} for m, e in errors.items()},
        "best": {m: {"h": r.best_h, "error": r.best_error} for m, r in result.methods.items()},
        "theory": {
            m: {"optimal_h": r.model.optimal_h, "errors": r.model.errors.tolist()} if r.model else {"error": r.reason}
            for m, r in result.methods.items()
        },
        "richardson": (
            {
                "final_h": extrapolated.final_h,
                "error": extrapolated.error,
                "error_estimate": extrapolated.estimate,
                "evaluations": extrapolated.evaluations,
                "too_optimistic": extrapolated.too_optimistic,
            }
            if extrapolated is not None and extrapolated.reason is None
            else {"error": extrapolated.reason if extrapolated else "not run"}
        ),
    }
    width = 13
    name_of = derivative_name(result.order)
    lines = [f"|error| of {name_of}(x) for f(x) = {result.expression}, {where}, dtype {result.dtype}, device {label}", ""]
    lines.append(f"{'h':>10} " + "".join(f"{m:>{width}}" for m in methods))
    for index, h in enumerate(hs):
        cells = "".join(f"{scientific(column[index], 2) if column else 'n/a':>{width}}" for column in (errors[m] for m in methods))
        lines.append(f"{h:>10.2e} {cells}")
    lines.append("")
    lines.append(f"{'':<13}{'best h':>10}{'error':>11}{'theory h*':>12}{'error':>11}  rule")
    at_edge = []
    eps = _eps(result.dtype)
    # round-off is relative: an error within EDGE_SLACK eps of the derivative's size (12 for x^3 at 2) is already floor
    floor = EDGE_SLACK * eps * max(1.0, _largest_reference(result))
    for m, r in result.methods.items():
        if r.errors is None:
            lines.append(f"{m:<13}{r.reason}")
            continue
        # at the edge and still above round-off (x^2's central is exact at every h: no better h to find beyond)
        if r.best_h is not None and len(hs) > 1 and r.best_h in (hs[0], hs[-1]) and not (r.best_error or 0.0) <= floor:
            at_edge.append(m)
        model = r.model
        lines.append(
            f"{m:<13}{scientific(r.best_h, 1):>10}{scientific(r.best_error, 1):>11}"
            f"{scientific(model.optimal_h if model else None, 1):>12}{scientific(model.optimal_error if model else None, 1):>11}"
            f"  {model.rule if model else r.reason}"
        )
    if extrapolated is not None:
        if extrapolated.reason is None:
            flag = " (more than 10x too optimistic somewhere, or at a kink)" if extrapolated.too_optimistic else ""
            lines.append(
                f"{'richardson':<13}{scientific(extrapolated.final_h, 1):>10}{scientific(extrapolated.error, 1):>11}"
                f"  picks its own h; its error estimate {scientific(extrapolated.estimate, 1)}{flag}, "
                f"{extrapolated.evaluations} evaluations"
            )
        else:
            lines.append(f"{'richardson':<13}{extrapolated.reason}")
    if at_edge:
        bests = {result.methods[m].best_h for m in at_edge}
        edges = " or ".join(option for option, h in (("--hmax", max(hs)), ("--hmin", min(hs))) if h in bests)
        notes += (f"best h of {', '.join(at_edge)} is at the edge of the h grid: the true best may lie beyond it (widen {edges})",)
    lines += [f"\nnote: {note}" for note in notes]
    data["notes"] = list(notes)
    columns = [errors[m] or [None] * len(hs) for m in methods]  # a method that does not apply: an empty column
    csv_rows = [(h, *(column[index] for column in columns)) for index, h in enumerate(hs)]
    return Output("\n".join(lines), data, Rows(("h", *methods), csv_rows))


def _eps(dtype: str) -> float:
    import torch

    from engine.devices import parse_dtype

    return float(torch.finfo(parse_dtype(dtype)).eps)
