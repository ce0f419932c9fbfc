"""`calc-tui bench`: derivative throughput beside raw torch, and the time of a full error-vs-h sweep."""

from __future__ import annotations

import argparse

from engine.cli.arguments import add_output, count, device_name
from engine.cli.output import Output
from engine.cli.speed import size

NAME = "bench"
HELP = "derivative throughput and sweep time on this machine"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--n", type=size, default=1_000_000, metavar="N", help="points, e.g. 1e7 (default 1e6)")
    parser.add_argument("--repeats", type=count(1), default=5, metavar="R", help="timed runs, the median kept (default 5)")
    parser.add_argument("--device", default="auto", type=device_name)
    add_output(parser)


def run(args: argparse.Namespace) -> Output:
    from engine.cli.bench_report import run_benchmarks
    from engine.devices import resolve_device

    report = run_benchmarks(args.n, resolve_device(args.device), args.repeats)
    return Output(report.table(), report.as_dict())
