"""The presets of every demo, one type for all: a function, and for the descent demos where to start."""

from __future__ import annotations

from dataclasses import dataclass

from tui.state import TUTORIAL_LOSS


@dataclass(frozen=True)
class Preset:
    """A named function; descent demos also set their box, start point and learning rate from it."""

    name: str
    function: str
    x_range: tuple[float, float] | None = None
    y_range: tuple[float, float] | None = None
    start: tuple[float, ...] | None = None
    learning_rate: float | None = None


LAB_PRESETS: tuple[Preset, ...] = (
    Preset("sin", "sin(x)"),
    Preset("tutorial loss", TUTORIAL_LOSS),
    Preset("sigmoid", "sigmoid(x)"),
    Preset("cubic", "x^3 - 2*x"),
    Preset("wave packet", "exp(-x^2)*sin(5x)"),
    Preset("abs", "abs(x)"),
    Preset("log", "log(x)"),
)

LOSS_PRESETS: tuple[Preset, ...] = (
    Preset("tutorial loss", TUTORIAL_LOSS, (-3.0, 3.0), None, (2.5,), 0.1),
    Preset("two minima", "x^4 - 3*x^2 + x", (-2.0, 2.0), None, (1.5,), 0.02),
    Preset("wiggly bowl", "0.3*sin(5*x) + 0.5*x^2", (-3.0, 3.0), None, (2.5,), 0.05),
    Preset("parabola", "x^2", (-3.0, 3.0), None, (2.5,), 0.1),
    Preset("softplus", "softplus(x)", (-3.0, 3.0), None, (2.5,), 0.5),
    Preset("abs", "abs(x)", (-3.0, 3.0), None, (2.5,), 0.1),
    Preset("log-cosh", "log(cosh(x))", (-3.0, 3.0), None, (2.5,), 0.5),
)

SURFACE_PRESETS: tuple[Preset, ...] = (
    Preset("bowl", "x^2 + 3*y^2", (-2.0, 2.0), (-2.0, 2.0), (-1.6, 1.4), 0.1),
    Preset("saddle", "x^2 - y^2", (-2.0, 2.0), (-2.0, 2.0), (1.8, 0.05), 0.1),
    Preset("Rosenbrock", "(1-x)^2 + 100*(y-x^2)^2", (-2.0, 2.0), (-1.0, 3.0), (-1.5, 2.5), 1e-3),
    Preset("two minima", "(x^2-1)^2 + y^2", (-2.0, 2.0), (-1.5, 1.5), (0.2, 1.2), 0.05),
)
