"""The one-line error under an input: hidden while there is nothing to say."""

from __future__ import annotations

from textual.widgets import Static

from tui.widgets.static_text import show_text


class InlineError(Static):
    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id, classes="inline-error -empty", markup=False)

    def show(self, message: str) -> None:
        show_text(self, f"✗ {message}" if message else "")
        self.set_class(not message, "-empty")

    def clear(self) -> None:
        self.show("")

    @property
    def message(self) -> str:
        return str(self.content)
