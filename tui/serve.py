"""`calc-tui serve`: the app in a web browser, through textual-serve (the optional extra `calc-tui[web]`).

textual-serve runs `python -m tui [app options]` in a subprocess for each browser
tab and relays its terminal over a websocket. It listens on 127.0.0.1 unless --host
says otherwise: from a laptop, `ssh -L 8000:localhost:8000 HOST` forwards the port
and the app opens at http://localhost:8000. There is no password: --host 0.0.0.0
lets anyone who reaches the port run the app.
"""

from __future__ import annotations

import argparse
import getpass
import os
import shlex
import socket
import sys

from engine.cli.arguments import UserError
from tui.options import AppOptions, add_app_options

NAME = "serve"
HELP = "serve the app to a web browser (needs pip install 'calc-tui[web]'); reach it over SSH with ssh -L 8000:localhost:8000 HOST"
INSTALL_HINT = "calc-tui serve needs textual-serve: pip install 'calc-tui[web]' (or pip install 'textual-serve>=1.1,<2')"
LOOPBACK = ("127.0.0.1", "localhost", "::1")
EVERYWHERE = ("0.0.0.0", "::", "")


def port_number(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"bad port {text!r}: a whole number from 1 to 65535") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"bad port {text!r}: a whole number from 1 to 65535")
    return port


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: only this machine, reach it with ssh -L)"
    )
    parser.add_argument("--port", type=port_number, default=8000, help="port to listen on (default 8000)")
    add_app_options(parser)


def app_command(options: AppOptions) -> str:
    """The shell command textual-serve runs per browser tab: this Python, this package, these options."""
    return shlex.join([sys.executable, "-m", "tui", *options.argv()])


def public_url(host: str, port: int) -> str:
    """The address the page (and its websocket) is reached at: localhost for loopback, as an SSH tunnel's far end is."""
    if host in LOOPBACK:
        name = "localhost"
    elif host in EVERYWHERE:
        name = socket.getfqdn()
    else:
        name = f"[{host}]" if ":" in host else host
    return f"http://{name}:{port}"


def reach_lines(host: str, port: int) -> list[str]:
    """What to tell the user: the URL, and how to reach it from a laptop."""
    url = public_url(host, port)
    try:
        login = f"{getpass.getuser()}@{socket.gethostname()}"
    except (KeyError, OSError):  # no user name in a bare container
        login = socket.gethostname()
    lines = [f"calc-tui serve: the app is at {url} (a fresh app per browser tab; Ctrl+C stops the server)"]
    if host in LOOPBACK:
        lines.append(f"from a laptop: ssh -L {port}:localhost:{port} {login}   then open http://localhost:{port}")
    else:
        lines.append(f"listening on {host}: anyone who can reach port {port} can use the app (there is no password)")
    return lines


def run(args: argparse.Namespace) -> int:
    try:
        from textual_serve.server import Server
    except ImportError:
        raise UserError(INSTALL_HINT) from None

    class CalcServer(Server):
        def __init__(self, command: str, lines: list[str]) -> None:
            super().__init__(command, host=args.host, port=args.port, title="calc-tui", public_url=public_url(args.host, args.port))
            self.lines = lines

        async def on_startup(self, app: object) -> None:  # instead of textual-serve's banner
            print("\n".join(self.lines), flush=True)

    # The browser's terminal (xterm.js) is UTF-8 whatever this machine's locale says; the apps inherit this.
    os.environ["PYTHONIOENCODING"] = "utf-8"
    server = CalcServer(app_command(AppOptions.from_args(args)), reach_lines(args.host, args.port))
    try:
        server.serve()
    except OSError as error:
        raise UserError(f"cannot listen on {args.host}:{args.port}: {error.strerror or error}") from None
    print("calc-tui serve: stopped", file=sys.stderr)
    return 130
