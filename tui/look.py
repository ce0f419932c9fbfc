"""How the screen is drawn for the terminal at hand: Unicode or plain ASCII, colour or none.

Over SSH from PuTTY, or in a font without braille and box drawing, `--ascii` (or
CALC_TUI_ASCII=1, or a terminal whose encoding is not UTF-8) draws every plot with
ASCII markers and puts everything else through `AsciiFilter`, so that no other
character reaches the terminal. `--no-color` (or NO_COLOR) leaves colour out: curves
are told apart by their marker letter and label, highlights use bold and reverse.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from rich.segment import Segment
from textual.color import Color
from textual.filter import LineFilter

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


# What each non-ASCII character the app draws becomes in ASCII mode; anything else becomes '?'.
_ASCII: dict[str, str] = {
    **dict.fromkeys("─━═╌┄╴╶╸╺▔▁", "-"),
    **dict.fromkeys("│┃║╎┆╵╷╹╻▏▕▎▍", "|"),
    **dict.fromkeys("┌┐└┘├┤┬┴┼╭╮╯╰╔╗╚╝╠╣╦╩╬┏┓┗┛┣┫┳┻╋", "+"),
    "▐": "[", "▌": "]", "█": "#", "▊": "#", "▉": "#", "▆": "#", "▅": "=", "▄": "_", "▃": "_", "▂": "_", "▀": "-",
    "→": ">", "↗": "/", "↑": "^", "↖": "\\", "←": "<", "↙": "/", "↓": "v", "↘": "\\", "⌫": "<x",
    "·": ".", "•": "o", "●": "O", "◎": "@", "◆": "#", "×": "x", "✗": "x", "✓": "v", "⭘": "o",
    "−": "-", "–": "-", "—": "-", "÷": "/", "…": "...", "≈": "~", "≥": ">=", "≤": "<=", "²": "^2", "³": "^3", "π": "pi",
    "∂": "d", "∇": "grad", "Σ": "sum", "▶": ">", "◀": "<", "▲": "^", "▼": "v", "►": ">", "◄": "<",
    "\u00a0": " ",
}  # fmt: skip
_BRAILLE = re.compile("[\u2800-\u28ff]")
_OTHER = re.compile(r"[^\x00-\x7f]")
_TABLE = str.maketrans({char: text for char, text in _ASCII.items() if len(text) == 1})
_LONGER = {char: text for char, text in _ASCII.items() if len(text) > 1}


def to_ascii(text: str) -> str:
    """`text` with every non-ASCII character replaced, one cell for one cell (a braille dot pattern becomes '.')."""
    if text.isascii():
        return text
    text = _BRAILLE.sub(".", text.translate(_TABLE))
    # Replacements longer than one character are cut to one, so that columns stay where Textual laid them out.
    return _OTHER.sub(lambda match: _LONGER.get(match.group(), "?")[0], text)


class AsciiFilter(LineFilter):
    """The last line of defence of ASCII mode: no character above 127 reaches the terminal."""

    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        return [Segment(text if control else to_ascii(text), style, control) for text, style, control in segments]
