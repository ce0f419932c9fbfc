"""The `calc-tui` console script: headless subcommands go to the engine's CLI, no subcommand starts the app.

This module hands the engine's command line what belongs to the terminal side: the
app's options (--ascii, --no-color, --export-dir, --no-config beside --device and
--dtype), the `doctor` and `serve` subcommands, and how to build and run the app.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, NoReturn

from tui.options import AppOptions, add_app_options, add_look_options, build_app, run_app

if TYPE_CHECKING:
    from tui.app import CalcApp

APP_PACKAGES = ("textual", "plotext")  # named by --version after calc-tui and torch


def main(argv: Sequence[str] | None = None, run: Callable[[CalcApp], int] = run_app) -> int:
    """The console script; `run` runs the app built from the options (a test passes its own to look at the app)."""
    arguments = sys.argv[1:] if argv is None else list(argv)
    options = only_app_options(arguments)
    if options is not None:
        # `calc-tui [app options]`, the common case: the app at once, without the whole command line's parser.
        try:
            return run(build_app(options, os.environ, sys.stdout.encoding))
        except KeyboardInterrupt:
            from engine.cli.main import interrupted

            return interrupted()
    from engine.cli.main import Frontend
    from engine.cli.main import main as cli_main
    from tui import doctor, serve  # only for a subcommand: plain `calc-tui` skips their imports
    from tui.lesson import command as lesson

    def start_app(args: argparse.Namespace) -> int:
        return run(build_app(AppOptions.from_args(args, prefix="app_"), os.environ, sys.stdout.encoding))

    frontend = Frontend(
        start_app=start_app,
        app_options=lambda parser: add_look_options(parser, prefix="app_"),
        commands=(doctor, serve, lesson),
        packages=APP_PACKAGES,
    )
    return cli_main(arguments, frontend)


class _NotOnlyAppOptions(Exception):
    """The command line holds more than the app's own options: a subcommand, --help, --version or a mistake."""


class _AppOptionsParser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise _NotOnlyAppOptions(message)  # the whole parser reads the line again and says what is wrong


def only_app_options(arguments: Sequence[str]) -> AppOptions | None:
    """The app's options when the command line holds nothing else, else None.

    The whole parser (every subcommand, their modules, doctor and serve) costs about 10 ms before the first frame;
    `calc-tui --no-config` or `--ascii` needs only this one. Anything it cannot read goes to the whole parser, which
    then gives the usual message.
    """
    if not arguments:
        return AppOptions()
    parser = _AppOptionsParser(prog="calc-tui", add_help=False, allow_abbrev=False, exit_on_error=False)
    add_app_options(parser)
    try:
        args, rest = parser.parse_known_args(arguments)
    except (_NotOnlyAppOptions, argparse.ArgumentError):
        return None
    return None if rest else AppOptions.from_args(args)


if __name__ == "__main__":
    sys.exit(main())
