"""plotext's ANSI output as Rich Text, the same as Text.from_ansi gives and in a fraction of its time.

Every plot build ends in reading back the colour codes plotext wrote: Text.from_ansi decodes them one by one and
builds a new Style for each, about a quarter of a plot's build. plotext writes only SGR codes (colours and bold),
and a plot holds few distinct ones: each (style, code) pair is decoded once, by Rich's own decoder, and the text
is cut where the codes are. Anything else (a carriage return, an OSC link, a stray escape) is left to Text.from_ansi.
"""

from __future__ import annotations

import re

from rich.ansi import AnsiDecoder
from rich.style import Style
from rich.text import Span, Text

_SGR = re.compile(r"\x1b\[([0-9;]*)m")


def ansi_text(terminal_text: str) -> Text:
    """Text.from_ansi(terminal_text): equal text, spans and settings (tests/test_plotting.py compares them)."""
    pieces = _SGR.split(terminal_text)  # plain, codes, plain, codes, ..., plain
    plains = pieces[::2]
    if "\r" in terminal_text or any("\x1b" in plain for plain in plains):
        return Text.from_ansi(terminal_text)
    decoder = AnsiDecoder()
    after: dict[tuple[Style, str], Style] = {}
    style = Style.null()
    spans: list[Span] = []
    offset = 0
    for index, piece in enumerate(pieces):
        if index % 2:
            key = (style, piece)
            if key not in after:
                decoder.style = style
                decoder.decode_line(f"\x1b[{piece}m")
                after[key] = decoder.style
            style = after[key]
            continue
        if style:
            # from_ansi decodes line by line and joins the lines with an unstyled newline: no span covers one
            start = offset
            for line in piece.split("\n"):
                if line:
                    spans.append(Span(start, start + len(line), style))
                start += len(line) + 1
        offset += len(piece)
    return Text("".join(plains), spans=spans, end="\n", tab_size=8)
