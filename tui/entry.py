"""The `calc-tui` console script: headless subcommands go to the engine, no subcommand starts the app."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from engine.cli import main as cli_main


def _start_app(device: str, dtype: str) -> int:
    from tui.app import CalcApp  # Textual is imported only when the app is wanted

    app = CalcApp(device=device, dtype=dtype)
    app.run()
    return app.return_code or 0


def main(argv: Sequence[str] | None = None) -> int:
    return cli_main(argv, start_app=_start_app)


if __name__ == "__main__":
    sys.exit(main())
