"""Text in a Static, updated only when it changes."""

from __future__ import annotations

from textual.widgets import Static


def show_text(static: Static, text: str) -> None:
    """Update a Static only when its text changes: every update asks Textual for a new layout of the whole screen
    (5 ms at 120x40), and a key press shows the same dtype, order and empty error line again."""
    if static.content != text:
        static.update(text)
