"""The lesson's text pane: a narrow column beside the live demo, or above it on narrow terminals (where \\ folds it
to one line, as the demos' panels fold)."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Static

NARROW = 100  # below this width the pane sits above the demo (the demo's own panels fold there too)


class LessonPane(VerticalScroll):
    """What the step says, its task and whether it is done; → ← turn the page while it has the focus."""

    DEFAULT_CSS = """
    LessonPane {
        width: 40;
        height: 1fr;
        padding: 0 1;
        border-left: vkey $foreground 30%;
        scrollbar-size-vertical: 1;
    }
    LessonPane.-above {
        width: 1fr;
        height: auto;
        max-height: 8;
        border-left: none;
        border-bottom: hkey $foreground 30%;
    }
    LessonPane.-above.-folded {
        max-height: 2;
    }
    LessonPane:focus {
        border-left: vkey $accent;
    }
    LessonPane.-above:focus {
        border-left: none;
        border-bottom: hkey $accent;
    }
    LessonPane #lesson-text {
        width: 1fr;
        height: auto;
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("right", "app.lesson_next", "Next step", show=False),
        Binding("left", "app.lesson_previous", "Previous step", show=False),
    ]

    def __init__(self, above: bool) -> None:
        super().__init__(id="lesson-pane", classes="-above" if above else "")
        self.above = above  # above the demo (narrow terminals) or beside it; a pane moves by being mounted anew
        self.text = ""
        self.body = Static("", id="lesson-text")  # held, so that the text can be set before the pane is composed

    def compose(self) -> ComposeResult:
        yield self.body

    def show(self, text: Text, folded: bool) -> None:
        self.set_class(self.above and folded, "-folded")
        if text.plain != self.text:
            self.text = text.plain
            self.body.update(text)
