"""One checkbox per derivative method, in the method's plot colour, each with its own key."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Checkbox

from tui.messages import MethodsChanged
from tui.state import METHOD_KEYS, hex_color


class MethodToggles(Vertical):
    def __init__(self, methods: tuple[str, ...], enabled: tuple[str, ...], *, id: str | None = None) -> None:
        super().__init__(id=id, classes="panel toggles-panel")
        self.methods = methods
        self._enabled = enabled
        self.border_title = "methods"

    def compose(self) -> ComposeResult:
        for method in self.methods:
            label = f"[{hex_color(method)}]{method}[/] [dim]({METHOD_KEYS[method]})[/]"
            yield Checkbox(label, method in self._enabled, compact=True, id=f"toggle-{method}", name=method)

    @property
    def enabled(self) -> tuple[str, ...]:
        return tuple(box.name for box in self.query(Checkbox) if box.value and box.name)

    def toggle(self, method: str) -> None:
        if method in self.methods:
            self.query_one(f"#toggle-{method}", Checkbox).toggle()

    def set_enabled(self, methods: tuple[str, ...]) -> None:
        with self.prevent(Checkbox.Changed):
            for box in self.query(Checkbox):
                box.value = box.name in methods

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        event.stop()
        self.post_message(MethodsChanged(self.enabled))
