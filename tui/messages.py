"""Messages between workers, panels and screens: small dataclasses, as Toolong does it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from textual.message import Message

if TYPE_CHECKING:
    from engine.expression import Expression


@dataclass
class TorchReady(Message):
    """torch is imported and the device resolved; results that need torch can be computed now."""

    device: str
    device_label: str
    dtypes: list[str]
    devices: list[str]
    warning: str | None = None


@dataclass
class TorchFailed(Message):
    reason: str


@dataclass
class FunctionApplied(Message):
    """The user pressed Enter on a function that parsed."""

    expression: Expression


@dataclass
class StepChanged(Message):
    """A log-grid value changed: the step h, or a learning rate (`name` says which)."""

    h: float
    name: str = "h"


@dataclass
class MethodsChanged(Message):
    methods: tuple[str, ...]


@dataclass
class DomainChanged(Message):
    x_min: float
    x_max: float
    points: int  # 0 where the panel has no N
    y_min: float | None = None  # for f(x, y)
    y_max: float | None = None


@dataclass
class Computed(Message):
    """A worker finished; `result` is whatever the screen's compute function returned."""

    request: int
    result: Any
