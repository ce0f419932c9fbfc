"""`calc-tui serve` as a browser meets it: the page over HTTP, then the websocket until the app's first frame.

The server runs as a user starts it (`python -m tui serve --port P`), in its own process
group, so that it and the app it starts for the websocket are all ended afterwards.
textual-serve's protocol: the page names the websocket (ws://HOST:PORT/ws); the browser
opens it with ?width=&height=, and the app's terminal output arrives as binary messages.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("textual_serve", reason="calc-tui serve needs the web extra: pip install -e '.[web]' (the test extra has it)")
aiohttp = pytest.importorskip("aiohttp")

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT_S = 60  # a hang guard on a busy machine, not a benchmark
ESCAPE = re.compile(r"\x1b(\[[0-9;?<>=$]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[()][A-Z0-9]|[=>])")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def screen_text(stream: bytes) -> str:
    """What the app wrote, without its escape sequences."""
    return ESCAPE.sub("", stream.decode("utf-8", "replace"))


@pytest.fixture
def server() -> Iterator[tuple[subprocess.Popen[str], int]]:
    port = free_port()
    environment = {**os.environ, "PYTHONWARNINGS": "ignore", "CALC_TUI_CONFIG_DIR": str(ROOT / ".no-such-folder-for-settings")}
    process = subprocess.Popen(
        [sys.executable, "-m", "tui", "serve", "--port", str(port), "--no-config"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=environment,
        start_new_session=True,  # its own process group: the server and every app it started
    )
    try:
        yield process, port
    finally:
        with contextlib.suppress(ProcessLookupError):  # nothing left: everything ended by itself
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=TIMEOUT_S)


async def first_frame(port: int) -> tuple[str, str]:
    """The page, and the app's text once its first frame (the Compare demo) has arrived over the websocket."""
    deadline = time.monotonic() + TIMEOUT_S
    async with aiohttp.ClientSession() as session:
        while True:  # the server needs a moment to start listening
            try:
                async with session.get(f"http://127.0.0.1:{port}/") as response:
                    assert response.status == 200
                    page = await response.text()
                    break
            except aiohttp.ClientConnectionError:
                assert time.monotonic() < deadline, "the server did not start listening"
                await asyncio.sleep(0.2)
        received = b""
        async with session.ws_connect(f"ws://127.0.0.1:{port}/ws?width=100&height=30") as websocket:
            while "f'(x) for f(x) = sin(x)" not in screen_text(received):
                message = await websocket.receive(timeout=max(deadline - time.monotonic(), 0.1))
                assert message.type == aiohttp.WSMsgType.BINARY, (message.type, screen_text(received)[-500:])
                received += message.data
        return page, screen_text(received)


def test_the_page_loads_and_the_websocket_brings_the_apps_first_frame(server: tuple[subprocess.Popen[str], int]) -> None:
    process, port = server
    page, frame = asyncio.run(first_frame(port))
    assert f'data-session-websocket-url="ws://localhost:{port}/ws"' in page
    assert "calc-tui" in frame  # the header
    assert "f(x) = sin(x)" in frame  # the function panel
    process.send_signal(signal.SIGINT)  # as Ctrl+C in the terminal that started it
    stdout, stderr = process.communicate(timeout=TIMEOUT_S)
    assert process.returncode == 130, stderr
    url, tunnel = stdout.splitlines()[:2]
    assert url == f"calc-tui serve: the app is at http://localhost:{port} (a fresh app per browser tab; Ctrl+C stops the server)"
    assert re.fullmatch(rf"from a laptop: ssh -L {port}:localhost:{port} \S+   then open http://localhost:{port}", tunnel)
    assert stderr.strip().splitlines()[-1] == "calc-tui serve: stopped"
    assert "Traceback" not in stdout + stderr
    # The app quits when its websocket closes, once its background import of torch is done (seconds).
    assert not group_alive(process.pid, wait_s=30), "the app started for the websocket did not end"


def group_alive(group: int, wait_s: float) -> bool:
    """Whether any process of the group is still running after up to `wait_s` seconds."""
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return False
        time.sleep(0.1)
    return True


BROWSER_SHOT = ROOT / "scripts" / "browser-shot"


def chromium_path() -> str | None:
    import shutil

    return next((path for name in ("chromium", "chromium-browser", "google-chrome") if (path := shutil.which(name))), None)


@pytest.mark.skipif(chromium_path() is None, reason="no headless Chromium here (apt-get install chromium; .ci/run installs it)")
def test_in_a_real_headless_browser_the_page_shows_the_apps_first_frame(tmp_path: Path) -> None:
    """Chromium opens the page that `calc-tui serve` gives, the page's own websocket brings the app, and the
    terminal on the page gets its first frame: the Compare demo's title. (The script that makes docs/browser.png.)"""
    shot = tmp_path / "browser.png"
    done = subprocess.run(
        [sys.executable, str(BROWSER_SHOT), "--out", str(shot), "--size", "1024x640", "--expect", "Compare", "--timeout", "90"],
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S + 90,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    report = json.loads(done.stdout)
    assert report["first_frame"], "textual-serve never marked the page's first frame (-first-byte)"
    assert report["marker_seen"] and report["expected"] == {"Compare": True}, report["terminal_text_tail"]
    assert report["terminal_canvas"] and all(w > 500 and h > 300 for w, h in report["terminal_canvas"])
    header = shot.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", header[16:24]) == (1024, 640)
