"""The one line that stands in for the folded side panels: f, then h, x0, dtype... each in its place.

A long f must not push the other fields off the line (or the line off the screen): the fields keep their
room and f is shortened with an ellipsis to what is left, never below a readable minimum.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.markup import escape
from rich.text import Text

SEPARATOR = " · "
HINT = "[dim](\\ shows the panels)[/]"
ELLIPSIS = "…"
# Below this many cells a function is no longer recognisable: then fields at the end of the line give way instead.
MIN_FUNCTION_CELLS = 16


def cells(markup: str) -> int:
    return Text.from_markup(markup).cell_len


def shorten(text: str, width: int) -> str:
    """`text` cut to `width` cells, its end replaced by an ellipsis when it is cut."""
    if Text(text).cell_len <= width:
        return text
    cut = Text(text)
    cut.truncate(max(width - 1, 0))
    return cut.plain + ELLIPSIS


def fit_summary(label: str, function: str, fields: Sequence[str], width: int) -> str:
    """Markup for one line of `width` cells: `label = function · field · field ...` and the unfold hint if it fits.

    `fields` (markup) are in order of importance; the last ones are left out whole only when even a function
    shortened to MIN_FUNCTION_CELLS leaves no room for them.
    """
    room = width - 2  # the line's padding
    head = f"{label} = "
    kept = list(fields)
    while True:
        tail = "".join(SEPARATOR + field for field in kept)
        function_room = room - cells(head) - cells(tail)
        if function_room >= min(MIN_FUNCTION_CELLS, len(function)) or not kept:
            break
        kept.pop()
    line = f"{head}[b]{escape(shorten(function, max(function_room, 1)))}[/]{tail}"
    with_hint = f"{line} {HINT}"
    return with_hint if cells(with_hint) <= room else line
