"""How the app is started: the options of `calc-tui [options]`, `calc-tui serve` and `calc-tui doctor`, their
parsers, and the app built from them.

Their own module, so that the console script (`tui.entry`) and the subcommands that describe or start the
app (`tui.doctor`, `tui.serve`) all import it, and none of them imports another: no import circle.
"""

from __future__ import annotations

import argparse
import gc
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from engine.vocabulary import DTYPE_NAMES
from tui.export import DEFAULT_DIRECTORY

if TYPE_CHECKING:
    from tui.app import CalcApp


@dataclass(frozen=True)
class AppOptions:
    """How the app is started: what `calc-tui [options]` and `calc-tui serve [options]` pass to CalcApp."""

    device: str = "auto"
    dtype: str | None = None  # None: the remembered dtype, else float64
    ascii: bool = False
    no_color: bool = False
    export_dir: Path = DEFAULT_DIRECTORY
    no_config: bool = False

    @classmethod
    def from_args(cls, args: argparse.Namespace, prefix: str = "") -> AppOptions:
        """From parsed arguments whose destinations start with `prefix` ('app_' for the options before a subcommand)."""

        def get(name: str) -> object:
            return getattr(args, prefix + name)

        return cls(
            device=str(get("device") or "auto"),
            dtype=str(get("dtype")) if get("dtype") else None,
            ascii=bool(get("ascii")),
            no_color=bool(get("no_color")),
            export_dir=Path(str(get("export_dir"))),
            no_config=bool(get("no_config")),
        )

    def argv(self) -> list[str]:
        """The command-line options that start the app with these settings (what `serve` runs per browser tab)."""
        words = [] if self.device == "auto" else ["--device", self.device]
        words += ["--dtype", self.dtype] if self.dtype else []
        words += ["--ascii"] if self.ascii else []
        words += ["--no-color"] if self.no_color else []
        words += [] if self.export_dir == DEFAULT_DIRECTORY else ["--export-dir", str(self.export_dir)]
        return words + (["--no-config"] if self.no_config else [])


def add_look_options(parser: argparse.ArgumentParser, prefix: str = "") -> list[argparse.Action]:
    """--ascii, --no-color, --export-dir and --no-config, stored under `prefix` + their names."""
    return [
        parser.add_argument(
            "--ascii",
            dest=prefix + "ascii",
            action="store_true",
            help="only ASCII: no braille, box drawing or arrows (also CALC_TUI_ASCII=1, or an output encoding that is not UTF-8)",
        ),
        parser.add_argument(
            "--no-color", dest=prefix + "no_color", action="store_true", help="no colour: methods told apart by letter (also NO_COLOR)"
        ),
        parser.add_argument(
            "--export-dir",
            dest=prefix + "export_dir",
            type=Path,
            default=DEFAULT_DIRECTORY,
            metavar="DIR",
            help=f"where x (data) and X (screenshot) write their files, created if missing (default ./{DEFAULT_DIRECTORY})",
        ),
        parser.add_argument(
            "--no-config", dest=prefix + "no_config", action="store_true", help="start clean: neither read nor remember settings"
        ),
    ]


def add_app_options(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    """Every app option, --device and --dtype too, for a subcommand that starts the app (serve)."""
    from engine.cli.arguments import device_name

    return [
        parser.add_argument("--device", type=device_name, default="auto", help="device for the app: auto (default), cpu, cuda or cuda:N"),
        parser.add_argument(
            "--dtype", choices=DTYPE_NAMES, help="working dtype the app starts with (default: the one it remembers, else float64)"
        ),
        *add_look_options(parser),
    ]


def build_app(options: AppOptions, environ: Mapping[str, str], encoding: str | None, lesson: bool = False) -> CalcApp:
    """The app these options describe, in this environment (NO_COLOR, CALC_TUI_ASCII) and output encoding
    (`lesson`: with the lesson open, for `calc-tui lesson`)."""
    # No garbage collection until the engine is loaded (tui.loading.load_engine turns it back on, and freezes what
    # the imports left): collections while importing Textual and the app cost 10-20 ms of the first frame.
    gc.disable()
    from tui.app import CalcApp  # Textual is imported only when the app is wanted
    from tui.look import choose_look
    from tui.settings import SettingsFile, default_path

    return CalcApp(
        device=options.device,
        dtype=options.dtype,
        look=choose_look(options.ascii, options.no_color, environ, encoding),
        settings=None if options.no_config else SettingsFile(default_path()),
        export_dir=options.export_dir,
        lesson=lesson,
    )


def run_app(app: CalcApp) -> int:
    app.run()
    return app.return_code or 0
