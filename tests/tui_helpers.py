"""Driving the app in tests: wait until torch is loaded and every worker is done, read the screen as a user sees it."""

from __future__ import annotations

import contextlib
import html
import io
import re

from rich.console import Console
from textual.content import Content
from textual.pilot import Pilot
from textual.widgets import Input, Static
from textual.worker import WorkerFailed

from tui.app import CalcApp


def make_app() -> CalcApp:
    return CalcApp(device="cpu", dtype="float64")


async def settle(pilot: Pilot[int]) -> None:
    """Until no worker runs and the messages they posted are handled (a result can start a new worker).

    A failed worker does not stop the test here: the app records it (app.failures) and the
    `pilot` fixture fails the test at the end unless the test is marked `expect_failures`.
    """
    app = pilot.app
    for _ in range(40):
        with contextlib.suppress(WorkerFailed):
            await app.workers.wait_for_complete()
        await pilot.pause()
        if not any(worker.is_running for worker in app.workers):
            break
    await pilot.pause()


async def ready(pilot: Pilot[int]) -> None:
    """Until torch is imported in the background and the first results are drawn."""
    app = pilot.app
    assert isinstance(app, CalcApp)
    for _ in range(600):
        if app.state.precision.ready:
            break
        await pilot.pause(0.05)
    assert app.state.precision.ready, "torch did not load"
    await settle(pilot)


async def still(pilot: Pilot[int]) -> None:
    """Ready for a screenshot: results drawn, no blinking cursor, no toast."""
    await ready(pilot)
    for widget in pilot.app.screen.query(Input):
        widget.cursor_blink = False
    pilot.app.clear_notifications()
    await pilot.pause()


_SVG_TEXT = re.compile(r'<text class="[^"]*" x="([\d.]+)" y="([\d.]+)" textLength="[\d.]+"[^>]*>(.*?)</text>')


def screen_text(app: CalcApp) -> str:
    """What the terminal shows, as plain text: read back from the app's own screenshot (what a user sees)."""
    svg = app.export_screenshot()
    width, height = app.size
    char_width, line_height, char_height = 20 * 0.61, 20 * 1.22, 20  # Rich's SVG export geometry
    rows = [[" "] * width for _ in range(height)]
    for x, y, text in _SVG_TEXT.findall(svg):
        column, row = round(float(x) / char_width), round((float(y) - char_height) / line_height)
        for offset, char in enumerate(html.unescape(text).replace("\u00a0", " ")):
            if 0 <= row < height and 0 <= column + offset < width:
                rows[row][column + offset] = char
    return "\n".join("".join(row).rstrip() for row in rows)


async def type_text(pilot: Pilot[int], text: str) -> None:
    for char in text:
        await pilot.press(char if char != " " else "space")


def widget_text(widget: Static) -> str:
    """The text of a Static's content (plain string, Content or a Rich renderable), laid out at its width."""
    content = widget.content
    if isinstance(content, (str, Content)):
        return str(widget.render())  # markup parsed, as drawn
    console = Console(width=max(widget.size.width, 60), file=io.StringIO(), record=True, color_system=None)
    console.print(content)
    return console.export_text()
