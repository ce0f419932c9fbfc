"""Text in a Static, updated only when it changes."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from textual.content import Content
from textual.widgets import Static


def show_text(static: Static, text: str) -> None:
    """Update a Static only when its text changes: every update asks Textual for a new layout of the whole screen
    (5 ms at 120x40), and a key press shows the same dtype, order and empty error line again."""
    if static.content != text:
        static.update(text)


def pack_fields(fields: Sequence[str], width: int, gap: str = "   ") -> list[str]:
    """Lines of `fields` joined by `gap`, as many to a line as fit in `width` cells: a line breaks between fields,
    never inside one ("secant =" at the end of a line and its value on the next read as two readouts).
    A field wider than `width` has a line of its own (Textual wraps it between its words)."""
    lines: list[list[str]] = []
    used = 0
    for field in fields:
        size = Content.from_markup(field).cell_length
        if lines and lines[-1] and used + len(gap) + size <= width:
            lines[-1].append(field)
            used += len(gap) + size
        else:
            lines.append([field])
            used = size
    return [gap.join(line) for line in lines]


class FieldLines(Static):
    """Rows of `name = value` fields (markup allowed), each row wrapped between its fields to the widget's width."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id)
        self.rows: tuple[tuple[str, ...], ...] = ()

    def show_rows(self, *rows: Sequence[str]) -> None:
        self.rows = tuple(tuple(row) for row in rows)
        self._repack()

    def on_resize(self) -> None:
        self._repack()

    def _repack(self) -> None:
        width = self.content_region.width or sys.maxsize  # before the first layout: a row a line, until the resize
        show_text(self, "\n".join(line for row in self.rows for line in pack_fields(row, width)))
