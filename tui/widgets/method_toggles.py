"""One checkbox per derivative method, in the method's plot colour, each with its own key."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.style import Style
from textual.widgets import Checkbox

from engine.vocabulary import method
from tui.messages import MethodsChanged
from tui.style import hex_color

ON_GLYPH = "X"
OFF_GLYPH = " "  # an empty box: Textual draws the same X for off and on, told apart by colour alone


class MethodCheckbox(Checkbox):
    """A checkbox whose off state has its own glyph (`▐ ▌`, `[ ]` in ASCII) and a dimmed label, so that a method
    turned off by accident does not look like one that is on, with or without colour."""

    def __init__(self, name: str, value: bool, *, id: str | None = None) -> None:
        super().__init__(self.label_for(name, value), value, compact=True, id=id, name=name)

    @staticmethod
    def label_for(name: str, value: bool) -> str:
        key = method(name).key
        return f"[{hex_color(name)}]{name}[/] [dim]({key})[/]" if value else f"[dim]{name} ({key})[/]"

    def watch_value(self) -> None:
        if self.name:
            self.label = self.label_for(self.name, self.value)
        super().watch_value()

    @property
    def _button(self) -> Content:
        button_style = self.get_visual_style("toggle--button")
        side_style = Style(foreground=button_style.background, background=self.background_colors[1])
        return Content.assemble(
            (self.BUTTON_LEFT, side_style),
            (ON_GLYPH if self.value else OFF_GLYPH, button_style),
            (self.BUTTON_RIGHT, side_style),
        )


class MethodToggles(Vertical):
    def __init__(self, methods: tuple[str, ...], enabled: tuple[str, ...], *, id: str | None = None) -> None:
        super().__init__(id=id, classes="panel toggles-panel")
        self.methods = methods
        self._enabled = enabled
        self.border_title = "methods"

    def compose(self) -> ComposeResult:
        for name in self.methods:
            yield MethodCheckbox(name, name in self._enabled, id=f"toggle-{name}")

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
