"""Messages from the panels and the engine loader: small dataclasses, as Toolong does it."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message


@dataclass
class TorchReady(Message):
    """torch, SymPy and the engine are imported and the device resolved; results can be computed now."""

    device: str
    device_label: str
    dtypes: tuple[str, ...]
    devices: tuple[str, ...]
    warning: str | None = None


@dataclass
class TorchFailed(Message):
    reason: str


@dataclass
class ComputationFailed(Message):
    """A screen's computation raised; it bubbles up to the app, which shows the notice."""

    work: str  # what was being computed ("slope field")
    error: BaseException


@dataclass
class FunctionApplied(Message):
    """The user pressed Enter on a function that parsed."""

    text: str
    variables: tuple[str, ...]


@dataclass
class LogValueChanged(Message):
    """A value on the log grid changed: the step h or a learning rate (`name` says which)."""

    name: str
    value: float


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
