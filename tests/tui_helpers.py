"""Driving the app in tests: wait until torch is loaded and every worker is done, read the screen as text."""

from __future__ import annotations

import io

from rich.console import Console
from textual.content import Content
from textual.pilot import Pilot
from textual.widgets import Input, Static
from textual.worker import WorkerFailed

from tui.app import CalcApp


def make_app() -> CalcApp:
    return CalcApp(device="cpu", dtype="float64")


async def settle(pilot: Pilot) -> None:
    """Until no worker runs and the messages they posted are handled (a result can start a new worker)."""
    app = pilot.app
    for _ in range(20):
        try:
            await app.workers.wait_for_complete()
        except WorkerFailed:
            pass  # the app turns it into a notice; tests check that
        await pilot.pause()
        if not any(worker.is_running for worker in app.workers):
            break
    await pilot.pause()


async def ready(pilot: Pilot) -> None:
    """Until torch is imported in the background and the first results are drawn."""
    app = pilot.app
    assert isinstance(app, CalcApp)
    for _ in range(600):
        if app.torch_ready:
            break
        await pilot.pause(0.05)
    assert app.torch_ready, "torch did not load"
    await settle(pilot)


async def still(pilot: Pilot) -> None:
    """Ready for a screenshot: results drawn, no blinking cursor, no toast."""
    await ready(pilot)
    for widget in pilot.app.screen.query(Input):
        widget.cursor_blink = False
    pilot.app.clear_notifications()
    await pilot.pause()


def screen_text(app: CalcApp) -> str:
    """What the terminal shows, as plain text."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


async def type_text(pilot: Pilot, text: str) -> None:
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
