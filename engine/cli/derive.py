"""`calc-tui derive EXPR --at X`: the derivative at one point by every method, against the 50-digit reference.

--csv prints one row per method: method, value, abs_error, and error (why a method has no value).
"""

from __future__ import annotations

import argparse
import math
from typing import Any

from engine.cli.arguments import add_output, add_precision, number, positive
from engine.cli.output import Output, Rows, scientific
from engine.vocabulary import METHOD_NAMES, parse_methods

NAME = "derive"
HELP = "the derivative of EXPR at one point by every method"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("expression", metavar="EXPR", type=str.strip, help="a function of x, e.g. 'sin(x)' or 'x^3 - 2x'")
    parser.add_argument("--at", required=True, type=number, metavar="X", help="the point (a number or constant, e.g. pi/4)")
    parser.add_argument("--h", type=positive, default=1e-5, metavar="H", help="step for the step methods (default 1e-5)")
    default = ",".join(METHOD_NAMES)
    parser.add_argument("--methods", default=default, help=f"comma-separated (default {default})")
    add_precision(parser)
    add_output(parser, csv=True)


def run(args: argparse.Namespace) -> Output:
    import torch

    from engine.derive import derive
    from engine.devices import describe_device, parse_dtype, resolve_device
    from engine.expression import parse_expression

    expression = parse_expression(args.expression)
    methods = parse_methods(args.methods, METHOD_NAMES)
    dtype, device = parse_dtype(args.dtype), resolve_device(args.device)
    result = derive(expression, torch.tensor([args.at], dtype=torch.float64), args.h, methods, dtype, device)
    reference = float(result.reference[0])
    rows: dict[str, dict[str, Any]] = {}
    csv_rows: list[tuple[str, float | None, float | None, str | None]] = []
    lines = [
        f"f(x)  = {result.expression}",
        f"f'(x) = {result.derivative}",
        f"x = {args.at:.17g}   h = {result.h:.3g}   dtype = {result.dtype}   device = {describe_device(device)}",
        f"reference f'(x) = {reference:.17g}  (mpmath, 50 digits)",
        "",
        f"{'method':<14}{'value':>26}{'|error|':>12}",
    ]
    for name, item in result.results.items():
        if item.values is None or item.abs_error is None:
            rows[name] = {"error": item.reason}
            csv_rows.append((name, None, None, item.reason))
            lines.append(f"{name:<14}  {item.reason}")
            continue
        value, error = float(item.values[0]), float(item.abs_error[0])
        rows[name] = {"value": value, "abs_error": error}
        csv_rows.append((name, value, error, None))
        lines.append(f"{name:<14}{value:>26.17g}{scientific(error, 2):>12}")
    for notice in (result.undefined_notice(), result.step_notice()):
        if notice:
            lines.append(f"\nnote: {notice}")
    if math.isnan(reference):
        lines.append(
            f"\nno 50-digit reference at x = {args.at:g} (f or f' undefined, not real, or out of range there): errors cannot be measured"
        )
    data = {
        "expression": args.expression,
        "derivative": result.derivative,
        "x": args.at,
        "h": result.h,
        "dtype": result.dtype,
        "device": str(device),
        "reference": reference,
        "results": rows,
    }
    return Output("\n".join(lines), data, Rows(("method", "value", "abs_error", "error"), csv_rows))
