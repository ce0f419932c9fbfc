"""What the demos share: the 1-D function and its settings, the working dtype and device."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from engine.expression import Expression

STEP_METHODS = ("forward", "backward", "central", "five-point", "complex-step")
ALL_METHODS = ("exact", "autograd", *STEP_METHODS)

PRESETS_1D: tuple[tuple[str, str], ...] = (
    ("sin", "sin(x)"),
    ("tutorial loss", "0.3*sin(3*x) + 0.5*x^2"),
    ("sigmoid", "sigmoid(x)"),
    ("cubic", "x^3 - 2*x"),
    ("wave packet", "exp(-x^2)*sin(5x)"),
    ("abs", "abs(x)"),
    ("log", "log(x)"),
)


@dataclass
class Lab:
    """The 1-D derivative lab's settings, shared by Compare and Error vs h."""

    text: str = "sin(x)"
    x_min: float = -math.pi
    x_max: float = math.pi
    points: int = 400
    h: float = 1e-4
    methods: tuple[str, ...] = ALL_METHODS
    x0: float = 1.0
    history: list[str] = field(default_factory=lambda: ["sin(x)"])
    _parsed: Expression | None = field(default=None, repr=False)

    @property
    def expression(self) -> Expression:
        """The parsed function. SymPy is imported on first use, which the app does in the background."""
        if self._parsed is None or self._parsed.text != self.text:
            from engine.expression import parse_expression

            self._parsed = parse_expression(self.text)
        return self._parsed

    @expression.setter
    def expression(self, value: Expression) -> None:
        self.text, self._parsed = value.text, value

    @property
    def domain_text(self) -> tuple[str, str]:
        return _constant_text(self.x_min), _constant_text(self.x_max)


def _constant_text(value: float) -> str:
    for text, constant in (("pi", math.pi), ("-pi", -math.pi)):
        if value == constant:
            return text
    return f"{value:g}"


# The tutorial draws every method on the same curve: one colour per method, used by the
# toggles, the legends and the tables alike (RGB, readable on light and dark themes).
METHOD_COLORS: dict[str, tuple[int, int, int]] = {
    "exact": (230, 140, 20),
    "autograd": (40, 140, 255),
    "forward": (200, 70, 200),
    "backward": (140, 110, 255),
    "central": (30, 175, 90),
    "five-point": (0, 170, 190),
    "complex-step": (225, 60, 60),
}
METHOD_KEYS: dict[str, str] = {
    "exact": "e",
    "autograd": "a",
    "forward": "w",
    "backward": "b",
    "central": "c",
    "five-point": "v",
    "complex-step": "i",
}


def hex_color(method: str) -> str:
    r, g, b = METHOD_COLORS[method]
    return f"#{r:02x}{g:02x}{b:02x}"
