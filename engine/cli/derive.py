"""`calc-tui derive EXPR --at X [--order N]`: the derivative at one point by every method, against the 50-digit reference.

--csv prints one row per method: method, value, abs_error, error_estimate, final_h, evaluations (Richardson's own),
and error (why a method has no value, or why its value is undefined where f is defined). The JSON adds
undefined_reason where a value is undefined although f is defined, and digits_lost where exact or autograd lose
digits against the 50-digit reference beyond rounding (a formula that cancels in floating point).
"""

from __future__ import annotations

import argparse
import math
from typing import TYPE_CHECKING, Any

from engine.cli.arguments import add_output, add_precision, number, positive
from engine.cli.output import Output, Rows, scientific
from engine.vocabulary import METHOD_NAMES, ORDERS, derivative_name, parse_methods

if TYPE_CHECKING:
    import torch  # imported when a command runs: --help stays quick

NAME = "derive"
HELP = "the derivative (or the second or third) of EXPR at one point by every method"


# Round-off grows like eps / h^n: central's best step in float64 is near eps^(1/(2+n)).
DEFAULT_STEP = {1: 1e-5, 2: 1e-4, 3: 1e-3}


def add_order(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--order", type=int, choices=ORDERS, default=1, metavar="N", help="1, 2 or 3: f', f'' or f''' (default 1)")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("expression", metavar="EXPR", type=str.strip, help="a function of x, e.g. 'sin(x)' or 'x^3 - 2x'")
    parser.add_argument("--at", required=True, type=number, metavar="X", help="the point (a number or constant, e.g. pi/4)")
    parser.add_argument(
        "--h",
        type=positive,
        default=None,
        metavar="H",
        help="step for the step methods (default near central's best in float64: 1e-5, 1e-4, 1e-3 at orders 1, 2, 3)",
    )
    add_order(parser)
    default = ",".join(METHOD_NAMES)
    parser.add_argument("--methods", default=default, help=f"comma-separated (default {default})")
    add_precision(parser)
    add_output(parser, csv=True)


def run(args: argparse.Namespace) -> Output:
    import torch

    from engine.derive import derive
    from engine.devices import compute_on_one_thread, describe_device, parse_dtype, resolve_device, rounding_notice
    from engine.expression import parse_expression

    expression = parse_expression(args.expression)
    methods = parse_methods(args.methods, METHOD_NAMES)
    dtype, device = parse_dtype(args.dtype), resolve_device(args.device)
    compute_on_one_thread()
    h = args.h if args.h is not None else DEFAULT_STEP[args.order]
    result = derive(expression, torch.tensor([args.at], dtype=torch.float64), h, methods, dtype, device, args.order)
    name_of = derivative_name(args.order)
    x_held = float(result.points[0])
    reference = float(result.reference[0])
    rows: dict[str, dict[str, Any]] = {}
    csv_rows: list[tuple[str, float | None, float | None, float | None, float | None, int | None, str | None]] = []
    lines = [
        f"f(x)  = {result.expression}",
        f"{name_of}(x) = {result.derivative}",
        f"x = {_point(args.at, x_held, result.dtype)}   h = {_point(h, result.h, result.dtype)}   "
        f"dtype = {result.dtype}   device = {describe_device(device)}",
        f"reference {name_of}(x) = {_reference(reference, result.beyond_float64)}  (mpmath, 50 digits)",
        "",
        f"{'method':<14}{'value':>26}{'|error|':>12}{'estimate':>11}",
    ]
    for name, item in result.results.items():
        if item.values is None or item.abs_error is None:
            rows[name] = {"error": item.reason}
            csv_rows.append((name, None, None, None, None, None, item.reason))
            lines.append(f"{name:<14}  {item.reason}")
            continue
        value, error = float(item.values[0]), float(item.abs_error[0])
        rows[name] = {"value": value, "abs_error": error}
        shown_value = f"{value:.17g}" if math.isfinite(value) else "undefined"
        line = f"{name:<14}{shown_value:>26}{scientific(error, 2):>12}"
        why = item.undefined_reason
        if why:
            rows[name]["undefined_reason"] = why
        unchecked = not why and math.isnan(reference) and math.isfinite(value)
        if unchecked:
            rows[name]["unchecked"] = True
        if item.loses_digits:
            rows[name]["digits_lost"] = round(item.digits_lost, 1)
            rows[name]["relative_error"] = item.relative_error
            line += f"{'':>11}   ({item.rounding_loss} to rounding: the formula cancels or rounds away in {result.dtype})"
        if item.error_estimate is not None and item.final_h is not None:
            estimate, final_h = float(item.error_estimate[0]), float(item.final_h[0])
            rows[name] |= {
                "error_estimate": estimate,
                "final_h": final_h,
                "evaluations": item.evaluations,
                "too_optimistic": item.too_optimistic,
            }
            flag = "  (too optimistic)" if item.too_optimistic else ""
            ended = f"ended at h = {final_h:.2g}" if math.isfinite(final_h) else "found no step"
            line += f"{scientific(estimate, 2):>11}   {ended} after {item.evaluations} evaluations{flag}"
            csv_rows.append((name, value, error, estimate, final_h, item.evaluations, why))
        else:
            csv_rows.append((name, value, error, None, None, None, why))
        if unchecked:  # after Richardson's estimate, which no reference checks here either
            gap = "" if item.error_estimate is not None else f"{'':>11}"
            line += f"{gap}   (unchecked: no reference here, and {name_of} may not exist)"
        lines.append(line)
        if why:
            lines.append(f"{'':<14}  undefined: {why}")
    notices = (rounding_notice(args.at, dtype), result.undefined_notice(), result.kink_notice(), result.step_notice(), result.skew_notice())
    for notice in notices:
        if notice:
            lines.append(f"\nnote: {notice}")
    if math.isnan(reference):
        lines.append(
            f"\nno 50-digit reference at x = {args.at:g} (f or {name_of} undefined, not real, or out of range there): "
            "errors cannot be measured"
        )
    data = {
        "expression": args.expression,
        "order": args.order,
        "derivative": result.derivative,
        "x": args.at,
        "x_held": x_held,  # x as the dtype holds it: where every value and the reference are
        "h": result.h,
        "dtype": result.dtype,
        "device": str(device),
        "reference": reference,
        "results": rows,
    }
    columns = ("method", "value", "abs_error", "error_estimate", "final_h", "evaluations", "error")
    return Output("\n".join(lines), data, Rows(columns, csv_rows))


def _reference(value: float, beyond: torch.Tensor | None) -> str:
    """The 50-digit reference as float64 prints it; in words where it has no float64 value."""
    if math.isfinite(value):
        return f"{value:.17g}"
    return "beyond float64's range" if beyond is not None and bool(beyond.any()) else "undefined"


def _point(typed: float, kept: float, dtype: str) -> str:
    """x as typed, and as the dtype holds it where they differ (every figure is at the held one)."""
    if kept == typed or (math.isnan(kept) and math.isnan(typed)):
        return _shortest(typed)
    return f"{_shortest(typed)} (held in {dtype} as {_shortest(kept)})"


def _shortest(x: float) -> str:
    """The shortest digits that read back as x (0.3, not 0.29999999999999999), as %g would write them."""
    return f"{x:g}" if float(f"{x:g}") == x else repr(x)
