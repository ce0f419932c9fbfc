"""What the demos share, held once: frozen settings objects in one observable store.

Each slot is a frozen dataclass; a change replaces the whole object
(`state.lab = replace(state.lab, h=1e-5)`), so any screen can compare what it
last computed with what the state says now. Screens watch the slots (Textual
reactives) and, when they come back into view, redraw from the current state:
no version counters, and the state module imports neither the app nor a screen.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import TypeVar

from textual.dom import DOMNode
from textual.reactive import reactive

from engine.vocabulary import METHOD_NAMES, grid_index, h_on_grid
from tui.look import Look

TUTORIAL_LOSS = "0.3*sin(3*x) + 0.5*x^2"
HISTORY_LENGTH = 50
H_BOUNDS = (1e-20, 1.0)
LEARNING_RATE_BOUNDS = (1e-5, 10.0)
POINT_STEPS = 40  # the arrow keys move a point (x0, a start) by about 1/40 of its range


# -- transitions: the next value of a setting from the current one -----------------------------------------------
# Key actions call these on the state itself (never on a widget's copy of it), so a burst of presses counts every one.


def shifted_on_grid(value: float, steps: int, bounds: tuple[float, float]) -> float:
    """`value` moved `steps` points along the log grid (quarter decades, snapping to it first), kept within `bounds`."""
    low, high = bounds
    return min(high, max(low, h_on_grid(grid_index(value) + steps)))


def nice_step(width: float, divisions: int = POINT_STEPS) -> float:
    """The largest 1, 2 or 5 x 10^k at most width / divisions: its multiples print as short decimals (1.1, not 1.09956)."""
    raw = width / divisions
    exponent = math.floor(math.log10(raw))
    mantissa = next(m for m in (5, 2, 1) if m * 10.0**exponent <= raw * (1 + 1e-12))
    return float(f"{mantissa}e{exponent}")


def moved_on_grid(value: float, direction: int, low: float, high: float, divisions: int = POINT_STEPS) -> float:
    """`value` moved to the next multiple of a nice step in `direction` (from a value on the grid, one step), kept in [low, high].

    The grid holds every short decimal a user starts from (1, 0.5, 2.5), so the keys always lead back to it.
    """
    if not (math.isfinite(low) and math.isfinite(high)) or high <= low:
        return value
    step = nice_step(high - low, divisions)
    mantissa, exponent = f"{step:e}".split("e")
    quotient = value / step
    if abs(quotient - round(quotient)) < 1e-9:
        index = round(quotient) + direction
    else:
        index = math.floor(quotient) + 1 if direction > 0 else math.ceil(quotient) - 1
    return min(high, max(low, float(f"{index * round(float(mantissa))}e{int(exponent)}")))


@dataclass(frozen=True)
class Lab:
    """The 1-D derivative lab: f(x) and its settings, shared by Compare, Error vs h and Backprop."""

    function: str = "sin(x)"
    x_min: float = -math.pi
    x_max: float = math.pi
    points: int = 400
    h: float = 1e-4
    methods: tuple[str, ...] = METHOD_NAMES  # the methods drawn (every method is computed)
    x0: float = 1.0
    order: int = 1  # the derivative Compare and Error vs h compute: 1, 2 or 3 (f', f'', f''')
    history: tuple[str, ...] = ("sin(x)",)

    def shift_h(self, steps: int) -> Lab:
        """h moved `steps` quarter decades (4 steps: a decade)."""
        return replace(self, h=shifted_on_grid(self.h, steps, H_BOUNDS))

    def move_x0(self, direction: int) -> Lab:
        return replace(self, x0=moved_on_grid(self.x0, direction, self.x_min, self.x_max))


@dataclass(frozen=True)
class Loss:
    """The slope-field demo's loss L(x), its range and the descent run on it."""

    function: str = TUTORIAL_LOSS
    x_min: float = -3.0
    x_max: float = 3.0
    start: float = 2.5
    learning_rate: float = 0.1
    method: str = "autograd"  # what the arrows' slopes come from
    history: tuple[str, ...] = (TUTORIAL_LOSS,)

    def shift_learning_rate(self, steps: int) -> Loss:
        return replace(self, learning_rate=shifted_on_grid(self.learning_rate, steps, LEARNING_RATE_BOUNDS))

    def move_start(self, direction: int) -> Loss:
        return replace(self, start=moved_on_grid(self.start, direction, self.x_min, self.x_max, divisions=30))


@dataclass(frozen=True)
class Surface:
    """The gradient-field demo's f(x, y), its box and the descent run across it."""

    function: str = "x^2 + 3*y^2"
    x_min: float = -2.0
    x_max: float = 2.0
    y_min: float = -2.0
    y_max: float = 2.0
    start: tuple[float, float] = (-1.6, 1.4)
    learning_rate: float = 0.1
    momentum: float = 0.0
    history: tuple[str, ...] = ("x^2 + 3*y^2",)

    def shift_learning_rate(self, steps: int) -> Surface:
        return replace(self, learning_rate=shifted_on_grid(self.learning_rate, steps, LEARNING_RATE_BOUNDS))

    def move_start_along(self, axis: int, direction: int) -> Surface:
        """The start moved along x (axis 0) or y (axis 1) to the next nice multiple, inside the box."""
        low, high = (self.x_min, self.x_max) if axis == 0 else (self.y_min, self.y_max)
        moved = list(self.start)
        moved[axis] = moved_on_grid(moved[axis], direction, low, high)
        return replace(self, start=(moved[0], moved[1]))


@dataclass(frozen=True)
class Precision:
    """Where and in what dtype the numbers are computed; `device` is None until torch is loaded."""

    dtype: str = "float64"
    device: str | None = None
    device_label: str = "loading torch…"
    dtypes: tuple[str, ...] = ("float64",)
    devices: tuple[str, ...] = field(default_factory=tuple)

    @property
    def ready(self) -> bool:
        return self.device is not None


Slot = TypeVar("Slot", Lab, Loss, Surface)


def with_function(slot: Slot, text: str) -> Slot:
    """The slot with `text` applied and remembered at the end of its history."""
    history = (*tuple(entry for entry in slot.history if entry != text)[-(HISTORY_LENGTH - 1) :], text)
    return replace(slot, function=text, history=history)


def with_history(slot: Slot, earlier: tuple[str, ...]) -> Slot:
    """The slot with remembered functions before its own in the history (its function stays the last entry)."""
    if not earlier:
        return slot
    return replace(slot, history=(*(entry for entry in earlier if entry not in slot.history), *slot.history)[-HISTORY_LENGTH:])


class SharedState(DOMNode):
    """The one store of what the demos share. Screens `watch` its reactives; nothing here knows about screens."""

    lab: reactive[Lab] = reactive(Lab, init=False)
    loss: reactive[Loss] = reactive(Loss, init=False)
    surface: reactive[Surface] = reactive(Surface, init=False)
    precision: reactive[Precision] = reactive(Precision, init=False)
    look: reactive[Look] = reactive(Look, init=False)

    SLOTS = ("lab", "loss", "surface", "precision", "look")


def shared_state(node: DOMNode) -> SharedState:
    """The app's shared state, from any node of the app."""
    state = getattr(node.app, "state", None)
    if not isinstance(state, SharedState):
        raise RuntimeError("this app has no SharedState")
    return state
