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
from typing import TYPE_CHECKING

from tui.options import AppOptions, add_look_options, build_app, run_app

if TYPE_CHECKING:
    from tui.app import CalcApp

APP_PACKAGES = ("textual", "plotext")  # named by --version after calc-tui and torch


def main(argv: Sequence[str] | None = None, run: Callable[[CalcApp], int] = run_app) -> int:
    """The console script; `run` runs the app built from the options (a test passes its own to look at the app)."""
    arguments = sys.argv[1:] if argv is None else list(argv)
    if not arguments:
        # Plain `calc-tui`, the common case: the app at once, without building the command line's parser.
        try:
            return run(build_app(AppOptions(), os.environ, sys.stdout.encoding))
        except KeyboardInterrupt:
            from engine.cli.main import interrupted

            return interrupted()
    from engine.cli.main import Frontend
    from engine.cli.main import main as cli_main
    from tui import doctor, serve  # only for a subcommand: plain `calc-tui` skips their imports

    def start_app(args: argparse.Namespace) -> int:
        return run(build_app(AppOptions.from_args(args, prefix="app_"), os.environ, sys.stdout.encoding))

    frontend = Frontend(
        start_app=start_app,
        app_options=lambda parser: add_look_options(parser, prefix="app_"),
        commands=(doctor, serve),
        packages=APP_PACKAGES,
    )
    return cli_main(arguments, frontend)


if __name__ == "__main__":
    sys.exit(main())
