"""`calc-tui bench`: derivative throughput beside raw torch, and the time of a full error-vs-h sweep."""

from __future__ import annotations

import argparse

from engine.cli.arguments import add_output, count, device_name
from engine.cli.output import Output

NAME = "bench"
MAX_POINTS = 10**8
HELP = "derivative throughput and sweep time on this machine"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    points = count(1, MAX_POINTS, "the benchmark holds several float64 arrays of N points at once (8 GB at this size)")
    parser.add_argument(
        "--n", type=points, default=1_000_000, metavar="N", help=f"points, e.g. 1e7 (default 1e6, at most {MAX_POINTS:.0e})"
    )
    parser.add_argument("--repeats", type=count(1), default=5, metavar="R", help="timed runs, the median kept (default 5)")
    parser.add_argument("--device", default="auto", type=device_name)
    add_output(parser)


def run(args: argparse.Namespace) -> Output:
    from engine.cli.bench_report import run_benchmarks
    from engine.devices import resolve_device

    report = run_benchmarks(args.n, resolve_device(args.device), args.repeats)
    return Output(report.table(), report.as_dict())
