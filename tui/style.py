"""How methods look on screen: one colour per method, used by the toggles, the legends and the tables alike."""

from __future__ import annotations

# RGB, readable on light and dark themes.
METHOD_COLORS: dict[str, tuple[int, int, int]] = {
    "exact": (230, 140, 20),
    "autograd": (40, 140, 255),
    "forward": (200, 70, 200),
    "backward": (140, 110, 255),
    "central": (30, 175, 90),
    "five-point": (0, 170, 190),
    "complex-step": (225, 60, 60),
    "richardson": (235, 110, 170),
}


def hex_color(method: str) -> str:
    r, g, b = METHOD_COLORS[method]
    return f"#{r:02x}{g:02x}{b:02x}"
