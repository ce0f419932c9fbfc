"""What the headless subcommands compute and print: a table for people, a dict for --json."""

from __future__ import annotations

import argparse
import math
from dataclasses import dataclass
from typing import Any

import torch

from engine.derive import derive
from engine.devices import describe_device, parse_dtype, resolve_device
from engine.expression import parse_expression
from engine.methods import METHODS, STEP_METHODS, parse_methods
from engine.sweep import h_grid, sweep


@dataclass(frozen=True)
class Output:
    text: str
    data: dict[str, Any]


def run(args: argparse.Namespace) -> Output:
    if args.command == "bench":
        from engine.bench import run_benchmarks

        return _bench_output(run_benchmarks(args.n, resolve_device(args.device), args.repeats))
    expression = parse_expression(args.expression)
    dtype = parse_dtype(args.dtype)
    device = resolve_device(args.device)
    if args.command == "derive":
        return _derive(expression, args, dtype, device)
    return _sweep(expression, args, dtype, device)


def _fmt(value: float | None, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:.{digits}e}"


def _derive(expression: Any, args: argparse.Namespace, dtype: torch.dtype, device: torch.device) -> Output:
    methods = parse_methods(args.methods, METHODS)
    result = derive(expression, torch.tensor([args.at], dtype=torch.float64), args.h, methods, dtype, device)
    reference = float(result.reference[0])
    rows: dict[str, dict[str, Any]] = {}
    lines = [
        f"f(x)  = {result.expression}",
        f"f'(x) = {result.derivative}",
        f"x = {args.at:.17g}   h = {result.h:.3g}   dtype = {result.dtype}   device = {describe_device(device)}",
        f"reference f'(x) = {reference:.17g}  (mpmath, 50 digits)",
        "",
        f"{'method':<14}{'value':>26}{'|error|':>12}",
    ]
    for name, item in result.results.items():
        if item.values is None:
            rows[name] = {"error": item.reason}
            lines.append(f"{name:<14}  {item.reason}")
            continue
        value, error = float(item.values[0]), float(item.abs_error[0])  # type: ignore[index]
        rows[name] = {"value": value, "abs_error": error}
        lines.append(f"{name:<14}{value:>26.17g}{_fmt(error, 2):>12}")
    if result.step_notice():
        lines.append(f"\nnote: {result.step_notice()}")
    if math.isnan(reference):
        lines.append(f"\nno 50-digit reference at x = {args.at:g} (f or f' undefined, not real, or out of range there): errors cannot be measured")
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
    return Output("\n".join(lines), data)


def _sweep(expression: Any, args: argparse.Namespace, dtype: torch.dtype, device: torch.device) -> Output:
    methods = parse_methods(args.methods, STEP_METHODS)
    if not args.hmin < args.hmax:
        raise ValueError(f"--hmin {args.hmin:g} must be below --hmax {args.hmax:g}")
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
        cells = "".join(f"{_fmt(errors[m][index], 2) if errors[m] else 'n/a':>{width}}" for m in methods)
        lines.append(f"{h:>10.2e} {cells}")
    lines.append("")
    lines.append(f"{'':<13}{'best h':>10}{'error':>11}{'theory h*':>12}{'error':>11}  rule")
    for m, r in result.methods.items():
        if r.errors is None:
            lines.append(f"{m:<13}{r.reason}")
            continue
        model = r.model
        lines.append(
            f"{m:<13}{_fmt(r.best_h, 1):>10}{_fmt(r.best_error, 1):>11}"
            f"{_fmt(model.optimal_h if model else None, 1):>12}{_fmt(model.optimal_error if model else None, 1):>11}"
            f"  {model.rule if model else r.reason}"
        )
    return Output("\n".join(lines), data)


def _bench_output(report: Any) -> Output:
    return Output(report.table(), report.as_dict())
