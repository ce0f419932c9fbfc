"""The `calc-tui` command line: headless subcommands, or the interactive app when none is given.

User errors (bad expression, number, method, device, a size above a limit) exit
with status 2 and one line on stderr, never a traceback; Ctrl-C ends any command
with status 130 and one line. Neither torch nor SymPy is imported before a
subcommand runs, so starting the app does not wait for them.

This package knows nothing of the terminal app: tui/entry.py hands in a `Frontend`
with its own subcommands (doctor, serve), its options and how to start it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from engine.cli import backprop, bench, derive, speed, sweep
from engine.cli.arguments import Parser, SubcommandParser, UserError, device_name
from engine.cli.output import Output, csv_text, json_safe
from engine.syntax import QUOTE_WIDTH, ExpressionError, quote
from engine.vocabulary import DTYPE_NAMES

INTERRUPTED = 130  # 128 + SIGINT, what a shell reports for a command ended by Ctrl-C
BROKEN_PIPE = 141  # 128 + SIGPIPE: the reader went away (`calc-tui sweep ... | head`)


class Command(Protocol):
    """A subcommand: a module (or object) with these four names."""

    NAME: str
    HELP: str

    def add_arguments(self, parser: argparse.ArgumentParser) -> None: ...

    def run(self, args: argparse.Namespace) -> Output | int: ...  # an int: it printed its own output, this is the exit status


# The engine's subcommands, one module each; tui/entry.py adds doctor and serve through a Frontend.
COMMANDS: tuple[Command, ...] = (derive, sweep, backprop, bench, speed)


@dataclass(frozen=True)
class Frontend:
    """What the interactive side adds to the command line (tui/entry.py)."""

    start_app: Callable[[argparse.Namespace], int]  # run when no subcommand is given
    app_options: Callable[[argparse.ArgumentParser], list[argparse.Action]] | None = None  # beside --device and --dtype
    commands: tuple[Command, ...] = ()
    packages: tuple[str, ...] = ()  # named by --version after torch


def package_version(name: str) -> str:
    """The installed version of a distribution, from its metadata (nothing is imported)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def version_line(packages: Sequence[str] = ()) -> str:
    """'calc-tui 0.1.0 (torch 2.13.0+cpu, textual 8.2.8, plotext 5.3.2, Python 3.11.7)'."""
    others = ", ".join(f"{name} {package_version(name)}" for name in ("torch", *packages))
    return f"calc-tui {package_version('calc-tui')} ({others}, Python {platform.python_version()})"


class _Version(argparse.Action):
    """--version, worked out only when asked for (reading package metadata costs a few milliseconds each)."""

    def __init__(self, option_strings: Sequence[str], dest: str, packages: Sequence[str] = (), **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)
        self.packages = tuple(packages)

    def __call__(
        self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any, option_string: str | None = None
    ) -> None:
        print(version_line(self.packages))
        parser.exit(0)


def build_parser(frontend: Frontend | None = None) -> Parser:
    """The whole command line; `parser.app_options` are the options that belong to the app (an error before a subcommand)."""
    parser = Parser(
        prog="calc-tui",
        description="A terminal lab for derivatives: exact, autograd, finite differences and the complex step. "
        "Without a subcommand it starts the interactive app.",
        # A subcommand's options pass through this parser first: an abbreviation (bench's --n) must not be read as
        # one of the app's options (--no-color, --no-config).
        allow_abbrev=False,
    )
    parser.add_argument("--version", action=_Version, packages=frontend.packages if frontend else (), help="print the versions and exit")
    # Options of the app itself; a subcommand has its own, after its name.
    parser.app_options = [
        parser.add_argument(
            "--device",
            dest="app_device",
            metavar="DEVICE",
            type=device_name,
            help="device for the app: auto (default), cpu, cuda or cuda:N",
        ),
        parser.add_argument(
            "--dtype",
            dest="app_dtype",
            choices=DTYPE_NAMES,
            help="working dtype the app starts with (default: the one it remembers, else float64)",
        ),
    ]
    if frontend is not None and frontend.app_options is not None:
        parser.app_options += frontend.app_options(parser)
    commands = all_commands(frontend)
    names = ",".join(command.NAME for command in commands)
    subparsers = parser.add_subparsers(dest="command", metavar=f"{{{names}}}", parser_class=SubcommandParser)
    for command in commands:
        subparsers.add_parser(command.NAME, help=command.HELP, fill=command.add_arguments)
    return parser


def all_commands(frontend: Frontend | None) -> tuple[Command, ...]:
    return COMMANDS + (frontend.commands if frontend else ())


def protect_negative_values(argv: Sequence[str]) -> list[str]:
    """argparse takes '-x^2' or '-3,3' for options; a leading space makes them plain values (parsing strips it)."""
    protected = []
    for token in argv:
        is_option = token.startswith("--") or token in ("-h",)
        protected.append(" " + token if token.startswith("-") and not is_option and len(token) > 1 else token)
    return protected


def main(argv: Sequence[str] | None = None, frontend: Frontend | None = None) -> int:
    """Entry point; `frontend.start_app(args)` runs the TUI when no subcommand is given. Returns the exit status."""
    try:
        return _main(sys.argv[1:] if argv is None else argv, frontend)
    except KeyboardInterrupt:
        return interrupted()
    except BrokenPipeError:
        # Nobody reads stdout any more; point it at /dev/null so that the interpreter's final flush is quiet too.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return BROKEN_PIPE


def _main(argv: Sequence[str], frontend: Frontend | None) -> int:
    parser = build_parser(frontend)
    parser.check_options_before(argv, [command.NAME for command in all_commands(frontend)])
    args = parser.parse_args(protect_negative_values(argv))
    if args.command is None:
        if frontend is None:
            parser.error(f"no subcommand given ({', '.join(command.NAME for command in COMMANDS)})")
        return frontend.start_app(args)
    given = [action.option_strings[0] for action in parser.app_options if getattr(args, action.dest) != action.default]
    if given:
        parser.error(
            f"the options {', '.join(given)} before '{args.command}' are for the app; {args.command}'s own options go after its name"
        )
    command = next(command for command in all_commands(frontend) if args.command == command.NAME)
    try:
        try:
            result = command.run(args)
        finally:
            if "engine.devices" in sys.modules:  # a command's one thread does not outlive it (main runs in tests too)
                sys.modules["engine.devices"].restore_threads()
    except (UserError, ExpressionError, ValueError) as error:
        label = ""
        if isinstance(error, ExpressionError) and hasattr(args, "expression"):
            text = str(args.expression)
            size = f" ({len(text):,} characters)" if len(text) > QUOTE_WIDTH else ""  # quoted in part: say how long it is
            label = f"bad expression {quote(text, error.column)}{size}: "
        print(f"calc-tui: error: {label}{error}", file=sys.stderr)
        return 2
    if isinstance(result, int):
        return result
    if getattr(args, "csv", False) and result.rows is not None:
        sys.stdout.write(csv_text(result.rows))
    else:
        print(json.dumps(json_safe(result.data), indent=2) if args.json else result.text)
    sys.stdout.flush()  # a closed pipe is reported here, inside main, not at exit
    return interrupted() if result.interrupted else 0


def interrupted() -> int:
    """Ctrl-C: one line on stderr (after wiping a progress bar), status 130."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C while saying so changes nothing
    wipe = "\r\033[K" if sys.stderr.isatty() else ""
    print(f"{wipe}calc-tui: interrupted", file=sys.stderr, flush=True)
    return INTERRUPTED
