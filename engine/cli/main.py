"""The `calc-tui` command line: headless subcommands, or the interactive app when none is given.

User errors (bad expression, number, method, device) exit with status 2 and one
line on stderr, never a traceback. Neither torch nor SymPy is imported before a
subcommand runs, so starting the app does not wait for them.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from types import ModuleType

from engine.cli import backprop, bench, derive, speed, sweep
from engine.cli.arguments import Parser, UserError, device_name
from engine.cli.output import json_safe
from engine.syntax import ExpressionError
from engine.vocabulary import DTYPE_NAMES

# Each subcommand is a module with NAME, HELP, add_arguments(parser) and run(args) -> Output.
COMMANDS: tuple[ModuleType, ...] = (derive, sweep, backprop, bench, speed)


def build_parser() -> Parser:
    parser = Parser(
        prog="calc-tui",
        description="A terminal lab for derivatives: exact, autograd, finite differences and the complex step. "
        "Without a subcommand it starts the interactive app.",
    )
    # Options of the app itself; a subcommand has its own, after its name.
    parser.add_argument("--device", dest="app_device", type=device_name, help="device for the app: auto (default), cpu, cuda or cuda:N")
    parser.add_argument("--dtype", dest="app_dtype", choices=DTYPE_NAMES, help="working dtype the app starts with (default float64)")
    names = ",".join(command.NAME for command in COMMANDS)
    subparsers = parser.add_subparsers(dest="command", metavar=f"{{{names}}}")
    for command in COMMANDS:
        command.add_arguments(subparsers.add_parser(command.NAME, help=command.HELP))
    return parser


def protect_negative_values(argv: Sequence[str]) -> list[str]:
    """argparse takes '-x^2' or '-3,3' for options; a leading space makes them plain values (parsing strips it)."""
    protected = []
    for token in argv:
        is_option = token.startswith("--") or token in ("-h",)
        protected.append(" " + token if token.startswith("-") and not is_option and len(token) > 1 else token)
    return protected


def main(argv: Sequence[str] | None = None, start_app: Callable[[str, str], int] | None = None) -> int:
    """Entry point; `start_app(device, dtype)` runs the TUI when no subcommand is given."""
    parser = build_parser()
    args = parser.parse_args(protect_negative_values(sys.argv[1:] if argv is None else argv))
    if args.command is None:
        if start_app is None:
            parser.error(f"no subcommand given ({', '.join(command.NAME for command in COMMANDS)})")
        return start_app(args.app_device or "auto", args.app_dtype or "float64")
    if args.app_device is not None or args.app_dtype is not None:
        parser.error(
            f"--device and --dtype before '{args.command}' are for the app; put them after it: calc-tui {args.command} ... --dtype ..."
        )
    command = next(command for command in COMMANDS if args.command == command.NAME)
    try:
        result = command.run(args)
    except (UserError, ExpressionError, ValueError) as error:
        label = f"bad expression {args.expression!r}: " if isinstance(error, ExpressionError) and hasattr(args, "expression") else ""
        print(f"calc-tui: error: {label}{error}", file=sys.stderr)
        return 2
    print(json.dumps(json_safe(result.data), indent=2) if args.json else result.text)
    return 0
