"""`calc-tui sweep EXPR`: error versus h for the step methods, beside the truncation + round-off model."""

from __future__ import annotations

import argparse
from typing import Any

from engine.cli.arguments import UserError, add_output, add_precision, count, domain, number, positive
from engine.cli.output import Output, scientific
from engine.vocabulary import H_STEPS_PER_DECADE, STEP_METHOD_NAMES, parse_methods

NAME = "sweep"
HELP = "error versus h for the step methods"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("expression", metavar="EXPR", type=str.strip, help="a function of x, e.g. 'sin(x)'")
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--at", type=number, metavar="X", help="error at one point")
    where.add_argument("--domain", type=domain, metavar="A,B", help="max error over [A, B], e.g. -pi,pi")
    parser.add_argument("--points", type=count(2), default=400, metavar="N", help="points in the domain (default 400)")
    parser.add_argument("--hmin", type=positive, default=1e-16, metavar="H", help="smallest h (default 1e-16)")
    parser.add_argument("--hmax", type=positive, default=1e-1, metavar="H", help="largest h (default 1e-1)")
    parser.add_argument(
        "--per-decade", type=count(1), default=H_STEPS_PER_DECADE, metavar="K", help=f"h values per decade (default {H_STEPS_PER_DECADE})"
    )
    default = ",".join(STEP_METHOD_NAMES)
    parser.add_argument("--methods", default=default, help=f"comma-separated (default {default})")
    add_precision(parser)
    add_output(parser)


def run(args: argparse.Namespace) -> Output:
    import torch

    from engine.devices import describe_device, parse_dtype, resolve_device
    from engine.expression import parse_expression
    from engine.sweep import h_grid, sweep

    expression = parse_expression(args.expression)
    methods = parse_methods(args.methods, STEP_METHOD_NAMES)
    dtype, device = parse_dtype(args.dtype), resolve_device(args.device)
    if not args.hmin < args.hmax:
        raise UserError(f"--hmin {args.hmin:g} must be below --hmax {args.hmax:g}")
    if args.domain is not None:
        points = torch.linspace(args.domain[0], args.domain[1], args.points, dtype=torch.float64)
        where = f"max over {args.points} points in [{args.domain[0]:g}, {args.domain[1]:g}]"
    else:
        points = torch.tensor([args.at], dtype=torch.float64)
        where = f"at x = {args.at:g}"
    result = sweep(expression, points, h_grid(args.hmax, args.hmin, args.per_decade), methods, dtype, device)
    hs = result.h.tolist()
    errors = {m: (r.errors.tolist() if r.errors is not None else None) for m, r in result.methods.items()}
    data: dict[str, Any] = {
        "expression": args.expression,
        "dtype": result.dtype,
        "device": str(device),
        "h": hs,
        "errors": {m: e if e is not None else {"error": result.methods[m].reason} for m, e in errors.items()},
        "best": {m: {"h": r.best_h, "error": r.best_error} for m, r in result.methods.items()},
        "theory": {
            m: {"optimal_h": r.model.optimal_h, "errors": r.model.errors.tolist()} if r.model else {"error": r.reason}
            for m, r in result.methods.items()
        },
    }
    width = 13
    lines = [f"|error| of f'(x) for f(x) = {result.expression}, {where}, dtype {result.dtype}, device {describe_device(device)}", ""]
    lines.append(f"{'h':>10} " + "".join(f"{m:>{width}}" for m in methods))
    for index, h in enumerate(hs):
        cells = "".join(f"{scientific(column[index], 2) if column else 'n/a':>{width}}" for column in (errors[m] for m in methods))
        lines.append(f"{h:>10.2e} {cells}")
    lines.append("")
    lines.append(f"{'':<13}{'best h':>10}{'error':>11}{'theory h*':>12}{'error':>11}  rule")
    for m, r in result.methods.items():
        if r.errors is None:
            lines.append(f"{m:<13}{r.reason}")
            continue
        model = r.model
        lines.append(
            f"{m:<13}{scientific(r.best_h, 1):>10}{scientific(r.best_error, 1):>11}"
            f"{scientific(model.optimal_h if model else None, 1):>12}{scientific(model.optimal_error if model else None, 1):>11}"
            f"  {model.rule if model else r.reason}"
        )
    return Output("\n".join(lines), data)
