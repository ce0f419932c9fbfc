"""The headless `calc-tui` command line: one module per subcommand, none of them importing torch until it runs.

The math lives in the `engine` modules beside this package; this package only
reads arguments and prints tables or JSON.

The entry point is `engine.cli.main.main`; nothing is imported here, so that a light module of this package
(`engine.cli.arguments`) does not bring in every subcommand.
"""
