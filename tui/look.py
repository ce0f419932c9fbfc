"""How the screen is drawn for the terminal at hand: Unicode or plain ASCII, colour or none.

Over SSH from PuTTY, or in a font without braille and box drawing, `--ascii` (or
CALC_TUI_ASCII=1, or a terminal whose encoding is not UTF-8) draws every plot with
ASCII markers and puts everything else through `AsciiFilter`, so that no other
character reaches the terminal. `--no-color` (or NO_COLOR) leaves colour out: curves
are told apart by their marker letter and label, highlights use bold and reverse.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rich.console import Group
from rich.segment import Segment
from rich.table import Table
from rich.text import Span, Text
from textual.color import Color
from textual.content import Content
from textual.content import Span as ContentSpan
from textual.filter import LineFilter

if TYPE_CHECKING:
    from textual.visual import Visual
    from textual.widget import Widget

from engine.vocabulary import method


@dataclass(frozen=True)
class Look:
    ascii: bool = False
    color: bool = True
    sidebar: str = "auto"  # "auto" (folded below 100 columns), "shown" or "folded"

    @property
    def plain_markers(self) -> bool:
        """Curves drawn with one character per point, a letter per method, instead of braille lines in colour."""
        return self.ascii or not self.color

    def curve_marker(self, name: str) -> str:
        """The plotext marker of a method's curve (its key letter when colour cannot tell them apart)."""
        if not self.plain_markers:
            return "braille"
        try:
            return method(name).key
        except KeyError:
            return "." if self.ascii else "•"

    @property
    def line_marker(self) -> str:
        """The plotext marker of a plain line (f(x), a descent path)."""
        return "." if self.ascii else "braille" if self.color else "•"

    def describe(self) -> str:
        return f"{'ASCII' if self.ascii else 'Unicode'}, {'colour' if self.color else 'no colour'}"


def choose_look(ascii_flag: bool, no_color_flag: bool, environ: Mapping[str, str], encoding: str | None) -> Look:
    """The look for these options, environment and output encoding (what `calc-tui doctor` reports too)."""
    utf8 = (encoding or "").lower().replace("-", "") in ("utf8", "utf_8")
    ascii_mode = ascii_flag or environ.get("CALC_TUI_ASCII", "") not in ("", "0") or not utf8
    return Look(ascii=ascii_mode, color=not (no_color_flag or "NO_COLOR" in environ))


# What each non-ASCII character the app draws becomes in ASCII mode, one cell for one cell: this runs after layout
# (AsciiFilter), where a wider replacement would shift the rest of the row. Anything else becomes '?'.
ONE_CELL: dict[str, str] = {
    **dict.fromkeys("─━═╌┄╴╶╸╺▔▁", "-"),
    **dict.fromkeys("│┃║╎┆╵╷╹╻▏▕▎▍", "|"),
    **dict.fromkeys("┌┐└┘├┤┬┴┼╭╮╯╰╔╗╚╝╠╣╦╩╬┏┓┗┛┣┫┳┻╋", "+"),
    "▐": "[", "▌": "]", "█": "#", "▊": "#", "▉": "#", "▆": "#", "▅": "=", "▄": "_", "▃": "_", "▂": "_", "▀": "-",
    "→": ">", "↗": "/", "↑": "^", "↖": "\\", "←": "<", "↙": "/", "↓": "v", "↘": "\\", "⌫": "<",
    "·": ".", "•": "o", "●": "O", "◎": "@", "◆": "#", "×": "x", "✗": "x", "✓": "v", "⭘": "o",
    "−": "-", "–": "-", "—": "-", "÷": "/", "…": ".", "≈": "~", "≥": ">", "≤": "<", "²": "2", "³": "3", "π": "p",
    "∂": "d", "∇": "V", "Σ": "E", "▶": ">", "◀": "<", "▲": "^", "▼": "v", "►": ">", "◄": "<",
    "µ": "u", "μ": "u", "₀": "0", "₁": "1", "₂": "2",
    "\u00a0": " ",
}  # fmt: skip
# What keeps its meaning only in more than one cell: replaced in the text itself, before Textual lays it out
# (`widen`), so that `µs` reads `us`, `31.6M…316M` reads `31.6M...316M` and `≤20` reads `<=20`.
WIDER: dict[str, str] = {"…": "...", "≤": "<=", "≥": ">=", "²": "^2", "³": "^3", "π": "pi", "∇": "grad", "Σ": "sum"}
_BRAILLE = re.compile("[\u2800-\u28ff]")
_OTHER = re.compile(r"[^\x00-\x7f]")
_TABLE = str.maketrans(ONE_CELL)


def to_ascii(text: str) -> str:
    """`text` with every non-ASCII character replaced, one cell for one cell (a braille dot pattern becomes '.')."""
    if text.isascii():
        return text
    return _OTHER.sub("?", _BRAILLE.sub(".", text.translate(_TABLE)))


def _widened(plain: str) -> tuple[str, list[int]] | None:
    """`plain` with WIDER's replacements and where each old offset went (for the styles' spans), or None if none apply."""
    if not any(char in WIDER for char in plain):
        return None
    pieces, offsets, extra = [], [], 0
    for index, char in enumerate(plain):
        offsets.append(index + extra)
        piece = WIDER.get(char, char)
        pieces.append(piece)
        extra += len(piece) - 1
    offsets.append(len(plain) + extra)
    return "".join(pieces), offsets


def widen(text: str) -> str:
    """`text` with the replacements that need more than one cell (`…` -> `...`), for ASCII mode before layout."""
    widened = _widened(text)
    return widened[0] if widened else text


def widen_content(content: Content) -> Content:
    widened = _widened(content.plain)
    if widened is None:
        return content
    plain, at = widened
    return Content(plain, [ContentSpan(at[s.start], at[s.end], s.style) for s in content.spans])


def widen_rich(text: Text) -> Text:
    widened = _widened(text.plain)
    if widened is None:
        return text
    plain, at = widened
    spans = [Span(at[s.start], at[s.end], s.style) for s in text.spans]
    return Text(plain, text.style, justify=text.justify, overflow=text.overflow, no_wrap=text.no_wrap, end=text.end, spans=spans)


def _widen_renderable(renderable: object) -> object:
    """Rich text, tables and groups of them with their wider replacements made (tables and groups in place)."""
    if isinstance(renderable, str):
        return widen(renderable)
    if isinstance(renderable, Text):
        return widen_rich(renderable)
    if isinstance(renderable, Table):
        for column in renderable.columns:
            column.header = _widen_renderable(column.header)  # type: ignore[assignment]
            column._cells[:] = [_widen_renderable(cell) for cell in column._cells]  # type: ignore[misc]
        for part in ("title", "caption"):
            value = getattr(renderable, part)
            if value is not None:
                setattr(renderable, part, _widen_renderable(value))
    elif isinstance(renderable, Group):
        renderable.renderables[:] = [_widen_renderable(r) for r in renderable.renderables]  # type: ignore[misc]
    return renderable


_ASCII_APPS: weakref.WeakSet[object] = weakref.WeakSet()
# Textual's own visualize, kept when the first ASCII app wraps it: importing textual.widget here would pull in the
# whole of Textual, which the headless commands (calc-tui lesson --check) must not pay for.
_ORIGINAL_VISUALIZE: list[Any] = []


def _visualize(widget: Widget, obj: object, markup: bool = True) -> Visual:
    """Textual's visualize; for a widget of an app in ASCII mode, with the wider replacements made first."""
    from textual_plotext import PlotextPlot

    original = _ORIGINAL_VISUALIZE[0]
    try:
        ascii_app = widget.app in _ASCII_APPS
    except Exception:  # noqa: BLE001 - a widget outside a running app: nothing to change
        ascii_app = False
    if not ascii_app or isinstance(widget, PlotextPlot):  # a plot's canvas is laid out by plotext, cell by cell
        return original(widget, obj, markup)  # type: ignore[no-any-return]
    visual = original(widget, _widen_renderable(obj), markup)
    return widen_content(visual) if isinstance(visual, Content) else visual


def widen_text_in(app: object) -> None:
    """Every widget's text in `app` passes through the wider replacements before Textual lays it out.

    Textual has no public hook between a widget's text and its layout; `visualize` is that point (Static and every
    widget's render go through it), so this wraps it, for the apps registered here only.
    """
    import textual.visual
    import textual.widget
    import textual.widgets._static

    if not _ORIGINAL_VISUALIZE:
        _ORIGINAL_VISUALIZE.append(textual.visual.visualize)
    _ASCII_APPS.add(app)
    for module in (textual.widget, textual.widgets._static):
        setattr(module, "visualize", _visualize)  # noqa: B010 - a module's global, not an attribute mypy knows


class AsciiFilter(LineFilter):
    """The last line of defence of ASCII mode: no character above 127 reaches the terminal."""

    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        return [Segment(text if control else to_ascii(text), style, control) for text, style, control in segments]
