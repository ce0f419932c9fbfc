"""The `calc-tui` command line: headless `derive`, `sweep` and `bench`; no subcommand starts the TUI.

User errors (bad expression, number, method, device) exit with status 2 and one
line on stderr, never a traceback. torch is imported only once a subcommand
runs, so starting the TUI does not wait for it.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from engine.expression import ExpressionError, parse_number

DEFAULT_DERIVE_METHODS = "exact,autograd,forward,backward,central,five-point,complex-step"
DEFAULT_SWEEP_METHODS = "forward,backward,central,five-point,complex-step"
DTYPE_NAMES = ("float64", "float32", "float16", "bfloat16")


class UserError(Exception):
    """Something the user typed is wrong; the message says what."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _number(text: str) -> float:
    text = text.strip()  # a leading space may come from _protect_negative_values
    try:
        value = parse_number(text)
    except ExpressionError as error:
        raise argparse.ArgumentTypeError(f"bad number {text!r}: {error}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"bad number {text!r}: not finite")
    return value


def _positive(text: str) -> float:
    value = _number(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text.strip()!r} must be greater than 0")
    return value


def _count(minimum: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{text!r} must be at least {minimum}")
        return value

    return parse


def _domain(text: str) -> tuple[float, float]:
    text = text.strip()
    depth, cuts = 0, []
    for index, char in enumerate(text):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            cuts.append(index)
    if len(cuts) != 1:
        raise argparse.ArgumentTypeError(f"bad domain {text!r}: write two numbers A,B such as -pi,pi")
    cut = cuts[0]
    low, high = _number(text[:cut]), _number(text[cut + 1 :])
    if not low < high:
        raise argparse.ArgumentTypeError(f"bad domain {text!r}: the lower end {low:g} must be below the upper end {high:g}")
    return low, high


def _device_name(text: str) -> str:
    name = text.strip().lower()
    if name in ("auto", "cpu", "cuda") or (name.startswith("cuda:") and name[5:].isdigit()):
        return name
    raise argparse.ArgumentTypeError(f"unknown device {text!r}: use auto, cpu, cuda or cuda:N")


def _common(parser: argparse.ArgumentParser, methods: str) -> None:
    parser.add_argument("--methods", default=methods, help=f"comma-separated (default {methods})")
    parser.add_argument("--dtype", default="float64", choices=DTYPE_NAMES)
    parser.add_argument("--device", default="auto", type=_device_name, help="auto, cpu, cuda or cuda:N (default auto)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="calc-tui",
        description="A terminal lab for derivatives: exact, autograd, finite differences and the complex step. "
        "Without a subcommand it starts the interactive app.",
    )
    # Options of the app itself; a subcommand has its own, after its name.
    parser.add_argument("--device", dest="app_device", type=_device_name, help="device for the app: auto (default), cpu, cuda or cuda:N")
    parser.add_argument("--dtype", dest="app_dtype", choices=DTYPE_NAMES, help="working dtype the app starts with (default float64)")
    commands = parser.add_subparsers(dest="command", metavar="{derive,sweep,bench}")

    derive = commands.add_parser("derive", help="the derivative of EXPR at one point by every method")
    derive.add_argument("expression", metavar="EXPR", type=str.strip, help="a function of x, e.g. 'sin(x)' or 'x^3 - 2x'")
    derive.add_argument("--at", required=True, type=_number, metavar="X", help="the point (a number or constant, e.g. pi/4)")
    derive.add_argument("--h", type=_positive, default=1e-5, metavar="H", help="step for the step methods (default 1e-5)")
    _common(derive, DEFAULT_DERIVE_METHODS)

    sweep = commands.add_parser("sweep", help="error versus h for the step methods")
    sweep.add_argument("expression", metavar="EXPR", type=str.strip, help="a function of x, e.g. 'sin(x)'")
    where = sweep.add_mutually_exclusive_group(required=True)
    where.add_argument("--at", type=_number, metavar="X", help="error at one point")
    where.add_argument("--domain", type=_domain, metavar="A,B", help="max error over [A, B], e.g. -pi,pi")
    sweep.add_argument("--points", type=_count(2), default=400, metavar="N", help="points in the domain (default 400)")
    sweep.add_argument("--hmin", type=_positive, default=1e-16, metavar="H", help="smallest h (default 1e-16)")
    sweep.add_argument("--hmax", type=_positive, default=1e-1, metavar="H", help="largest h (default 1e-1)")
    sweep.add_argument("--per-decade", type=_count(1), default=4, metavar="K", help="h values per decade (default 4)")
    _common(sweep, DEFAULT_SWEEP_METHODS)

    bench = commands.add_parser("bench", help="derivative throughput and sweep time on this machine")
    bench.add_argument("--n", type=_count(1), default=1_000_000, metavar="N", help="points (default 1e6)")
    bench.add_argument("--repeats", type=_count(1), default=5, metavar="R", help="timed runs, best kept (default 5)")
    bench.add_argument("--device", default="auto", type=_device_name)
    bench.add_argument("--json", action="store_true")
    return parser


def _protect_negative_values(argv: Sequence[str]) -> list[str]:
    """argparse takes '-x^2' or '-3,3' for options; a leading space makes them plain values (parsing strips it)."""
    protected = []
    for token in argv:
        is_option = token.startswith("--") or token in ("-h",)
        protected.append(" " + token if token.startswith("-") and not is_option and len(token) > 1 else token)
    return protected


def main(argv: Sequence[str] | None = None, start_app: Callable[[str, str], int] | None = None) -> int:
    """Entry point; `start_app(device, dtype)` runs the TUI when no subcommand is given."""
    parser = build_parser()
    args = parser.parse_args(_protect_negative_values(sys.argv[1:] if argv is None else argv))
    if args.command is None:
        if start_app is None:
            parser.error("no subcommand given (derive, sweep or bench)")
        return start_app(args.app_device or "auto", args.app_dtype or "float64")
    if args.app_device is not None or args.app_dtype is not None:
        parser.error(f"--device and --dtype before '{args.command}' are for the app; put them after it: calc-tui {args.command} ... --dtype ...")
    try:
        from engine import commands  # torch is imported here, not before

        result = commands.run(args)
    except (UserError, ExpressionError, ValueError) as error:
        label = f"bad expression {args.expression!r}: " if isinstance(error, ExpressionError) else ""
        print(f"calc-tui: error: {label}{error}", file=sys.stderr)
        return 2
    print(json.dumps(_json_safe(result.data), indent=2) if args.json else result.text)
    return 0


def _json_safe(value: Any) -> Any:
    """NaN and infinities are not JSON: they become null."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: _json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(item) for item in value]
    return value
