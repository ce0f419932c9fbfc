"""One checkbox per derivative method, in the method's plot colour, each with its own key."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Checkbox

from engine.vocabulary import method
from tui.messages import MethodsChanged
from tui.style import hex_color


class MethodToggles(Vertical):
    def __init__(self, methods: tuple[str, ...], enabled: tuple[str, ...], *, id: str | None = None) -> None:
        super().__init__(id=id, classes="panel toggles-panel")
        self.methods = methods
        self._enabled = enabled
        self.border_title = "methods"

    def compose(self) -> ComposeResult:
        for name in self.methods:
            label = f"[{hex_color(name)}]{name}[/] [dim]({method(name).key})[/]"
            yield Checkbox(label, name in self._enabled, compact=True, id=f"toggle-{name}", name=name)

    @property
    def enabled(self) -> tuple[str, ...]:
        return tuple(box.name for box in self.query(Checkbox) if box.value and box.name)

    def toggle(self, name: str) -> None:
        if name in self.methods:
            self.query_one(f"#toggle-{name}", Checkbox).toggle()

    def show(self, methods: tuple[str, ...]) -> None:
        """Tick the boxes of `methods` (without announcing it)."""
        with self.prevent(Checkbox.Changed):
            for box in self.query(Checkbox):
                box.value = box.name in methods

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        event.stop()
        self.post_message(MethodsChanged(self.enabled))
