"""The footer: the screen's keys that fit on one line, in the order the screen declares them, then `? more`.

Textual's own Footer cuts the last key mid-word on a narrow terminal; this one
drops whole keys instead and says where the rest are (the help screen lists every key).
"""

from __future__ import annotations

from rich.text import Text
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Static

from tui.look import to_ascii
from tui.state import shared_state

HELP_ACTION = "app.help"
ASCII_KEYS = {"⌫": "bksp", "← →": "<- ->", "←↑↓→": "arrows", "\\": "\\"}
MORE = "? more"


class KeyFooter(Static):
    DEFAULT_CSS = """
    KeyFooter {
        dock: bottom;
        height: 1;
        background: $footer-background;
        color: $footer-foreground;
        padding: 0 1;
    }
    """

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)
        self.show_keys()

    def _bindings_changed(self, screen: Screen[object]) -> None:
        if self.is_attached and screen is self.screen:
            self.show_keys()

    def on_resize(self) -> None:
        self.show_keys()

    def items(self) -> list[tuple[str, str, str]]:
        """(key as shown, what it does, action) for each shown binding, one per action, in declaration order."""
        seen: set[str] = set()
        items = []
        for active in self.screen.active_bindings.values():
            binding: Binding = active.binding
            if not binding.show or binding.action in seen:
                continue
            seen.add(binding.action)
            key = self.app.get_key_display(binding)
            if shared_state(self).look.ascii:
                key = ASCII_KEYS.get(key, key)
            items.append((key, binding.description, binding.action))
        return items

    def keys_text(self, width: int) -> Text:
        items = self.items()
        look = shared_state(self).look
        key_style = "bold reverse" if not look.color else f"bold {self.app.theme_variables.get('footer-key-foreground', 'yellow')}"
        fits = sum(len(key) + len(label) + 3 for key, label, _ in items) <= width
        if not fits:  # '? more' at the end stands for the help key
            items = [item for item in items if item[2] != HELP_ACTION]
        text, used = Text(no_wrap=True, overflow="crop"), 0
        for index, (key, label, _) in enumerate(items):
            piece = len(key) + len(label) + 3
            room = width - (0 if fits else len(MORE) + 1)
            if used + piece > room:
                break
            if index:
                text.append("  ")
            text.append(key, style=key_style)
            text.append(f" {label}")
            used += piece
        if not fits:
            text.append("  " if used else "")
            text.append("?", style=key_style)
            text.append(" more")
        if look.ascii:
            text = Text(to_ascii(text.plain), no_wrap=True, overflow="crop", spans=text.spans)
        return text

    def show_keys(self) -> None:
        if self.is_attached and self.size.width:
            self.update(self.keys_text(self.size.width - 2))
