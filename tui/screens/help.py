"""The help screen of the current demo: what it shows, what to try, every key. Escape closes it."""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown, Static


class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape,q,question_mark,f1", "dismiss", "Close help"),
        Binding("up,k", "scroll(-1)", "Scroll", show=False),
        Binding("down,j", "scroll(1)", "Scroll", show=False),
    ]

    def __init__(self, title: str, text: str) -> None:
        super().__init__()
        self._title = title
        self._text = text

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box") as box:
            box.border_title = self._title
            box.border_subtitle = "Esc closes"
            yield Markdown(self._text)
        yield Static("")

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)

    def action_scroll(self, direction: int) -> None:
        self.query_one("#help-box", VerticalScroll).scroll_relative(y=direction * 2, animate=False)


def keys_everywhere(demos: Sequence[str]) -> str:
    """The keys every demo shares, appended to each demo's own help."""
    return f"""
**Everywhere**

| key | action |
|---|---|
| `1`–`{len(demos)}` | the demos: {", ".join(demos)} |
| `L` | the lesson: the tutorial step by step beside the demos, its tasks checked (`n` / `p` turn the page, Esc leaves) |
| `d` / `D` | next dtype / next device |
| `x` / `X` | export the numbers on screen (CSV and JSON) / a screenshot (SVG) |
| `\\` | fold the panels into one summary line, or show them |
| `ctrl+p` | command palette: demos, presets, dtypes, derivative order, help |
| `?` / F1 | this help (Esc closes); `q` quits |
"""
