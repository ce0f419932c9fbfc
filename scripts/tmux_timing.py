"""Timing a terminal program as a user sees it: run it in a detached tmux session and read the screen back.

Shared by scripts/first-paint and scripts/key-latency. Every session lives on a tmux server of its own
(a private socket), started before any clock runs, so that no timing includes tmux starting up.
"""

from __future__ import annotations

import os
import shlex
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv" / "bin" / "python").exists() else sys.executable
CALC_TUI = [PYTHON, "-m", "tui", "--no-config", "--device", "cpu"]
# The baseline: a Textual app that shows one word, and counts `]` presses (for key to frame).
BARE_APP = [
    PYTHON,
    "-c",
    "from textual.app import App\n"
    "from textual.widgets import Static\n"
    "class Bare(App):\n"
    "    BINDINGS = [('right_square_bracket', 'more')]\n"
    "    presses = 0\n"
    "    def compose(self):\n"
    "        yield Static('hello', id='word')\n"
    "    def action_more(self):\n"
    "        self.presses += 1\n"
    "        self.query_one('#word', Static).update(f'hello {self.presses}')\n"
    "Bare().run()\n",
]


def compile_project() -> None:
    """Write the project's bytecode before any clock runs, as pip does for an installed copy. Where
    PYTHONDONTWRITEBYTECODE is set (as on the machine these figures were first taken on), an editable checkout would
    otherwise compile its ~50 modules from source at every start: 40 ms of a first frame no user waits for twice."""
    subprocess.run([PYTHON, "-m", "compileall", "-q", str(ROOT / "tui"), str(ROOT / "engine")], check=True)


class Tmux:
    """A private tmux server; `with Tmux() as tmux:` starts it and ends it with every session on it."""

    def __init__(self) -> None:
        if shutil.which("tmux") is None:
            raise SystemExit("needs tmux (apt-get install tmux)")
        self.socket = f"calc-tui-timing-{os.getpid()}"
        self.sessions = 0

    def __enter__(self) -> Tmux:
        compile_project()
        self.run("new-session", "-d", "-s", "keepalive", "sleep 3600")  # the server, up before any clock
        return self

    def __exit__(self, *exc: object) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True, check=False)

    def run(self, *args: str) -> str:
        done = subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True, text=True, check=False)
        return done.stdout

    def start(self, command: Sequence[str], size: tuple[int, int], environ: Sequence[str] = ()) -> str:
        """Start `command` in a new session of `size` (columns, rows), with `environ` (NAME=value) added; its name."""
        self.sessions += 1
        name = f"s{self.sessions}"
        settings = ["XDG_CONFIG_HOME=/nonexistent-calc-tui-timing", "PYTHONWARNINGS=ignore", "TERM=xterm-256color", *environ]
        environment = shlex.join(["env", *settings])
        shell = f"cd {shlex.quote(str(ROOT))} && {environment} {shlex.join(command)}; sleep 30"
        self.run("new-session", "-d", "-s", name, "-x", str(size[0]), "-y", str(size[1]), shell)
        return name

    def screen(self, name: str) -> str:
        return self.run("capture-pane", "-p", "-t", name)

    def keys(self, name: str, *keys: str) -> None:
        self.run("send-keys", "-t", name, *keys)

    def kill(self, name: str) -> None:
        self.run("kill-session", "-t", name)


def wait_for(tmux: Tmux, name: str, marker: str, timeout_s: float, since: float | None = None) -> float | None:
    """Seconds from `since` (now) until the screen shows `marker`, polled every few milliseconds; None on timeout."""
    start = time.perf_counter() if since is None else since
    while time.perf_counter() - start < timeout_s:
        if marker in tmux.screen(name):
            return time.perf_counter() - start
        time.sleep(0.005)
    return None


BUSY = ("computing…", "loading torch")  # calc-tui's status while a computation runs: not settled yet


def settle(tmux: Tmux, name: str, quiet_s: float, timeout_s: float, since: float, before: str) -> tuple[float | None, str]:
    """After a key sent at `since` with the screen `before`: seconds until the last change of the screen, counted
    once it has stayed unchanged for `quiet_s` and says nothing is computing (None if it never changed within
    `timeout_s`), and that screen."""
    last_change: float | None = None
    current = before
    while True:
        now = time.perf_counter()
        screen = tmux.screen(name)
        if screen != current:
            current, last_change = screen, time.perf_counter()
        busy = any(word in current for word in BUSY)
        if last_change is not None and now - last_change >= quiet_s and not busy:
            return last_change - since, current
        if now - since > timeout_s:
            return (None if last_change is None else last_change - since), current
        time.sleep(0.003)


def wait_still(tmux: Tmux, name: str, quiet_s: float, timeout_s: float) -> str:
    """Until the screen has not changed for `quiet_s` seconds; that screen."""
    _, screen = settle(tmux, name, quiet_s, timeout_s, time.perf_counter(), "")
    return screen


def describe(values: Sequence[float]) -> str:
    ms = sorted(v * 1e3 for v in values)
    if not ms:
        return "(not measured)"
    return f"median {statistics.median(ms):7.1f} ms   min {ms[0]:7.1f}   max {ms[-1]:7.1f}   n={len(ms)}"


def load_note() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} CPUs"
