"""The headless `calc-tui` command line: one module per subcommand, none of them importing torch until it runs.

The math lives in the `engine` modules beside this package; this package only
reads arguments and prints tables or JSON.
"""

from engine.cli.main import main

__all__ = ["main"]
