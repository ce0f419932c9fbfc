"""What the lesson's checks read: the shared state and the demos' computed views, as plain values.

The app builds an `Observation` from its state and the view on screen (tui/lesson/observe.py);
`calc-tui lesson --check N --json` reads one from JSON. The checks (tui/lesson/checks.py)
see only this, so each task is a pure function that a test can call without the app.
Every section that depends on a computation is None until that computation is on screen.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import MISSING, asdict, dataclass, field, fields
from typing import Any


class ObservationError(ValueError):
    """The JSON does not describe an observation; the message names the field and what is wrong."""


@dataclass(frozen=True)
class LabState:
    """The shared 1-D lab (Compare, Error vs h)."""

    function: str = "sin(x)"
    h: float = 1e-4
    order: int = 1
    methods: tuple[str, ...] = ()
    x0: float = 1.0


@dataclass(frozen=True)
class CompareSeen:
    """Compare's computed view: its tangent panel and the error table."""

    h: float  # the h the view was computed with
    zoom: int  # how many times z was pressed (0: the whole domain)
    slope: float  # the exact f'(x0)
    secant: float  # (f(x0+h) - f(x0)) / h
    half_width: float | None = None  # the zoomed window's half-width (None unzoomed)
    gap: float | None = None  # max |f - tangent| over that window
    wider_gap: float | None = None  # the same over the window 10x wider
    errors: Mapping[str, float] = field(default_factory=dict)  # each drawn method's max error against the reference


@dataclass(frozen=True)
class SweepSeen:
    """Error vs h's computed view for one dtype and order."""

    dtype: str
    order: int
    function: str
    h: tuple[float, ...]  # the grid, largest h first
    errors: Mapping[str, tuple[float, ...]] = field(default_factory=dict)  # measured max error per h
    best_h: Mapping[str, float] = field(default_factory=dict)  # each method's measured best h
    best_error: Mapping[str, float] = field(default_factory=dict)
    model_h: Mapping[str, float] = field(default_factory=dict)  # the truncation + round-off model's optimum
    eps: float = 2.220446049250313e-16


@dataclass(frozen=True)
class DescentSeen:
    """A field demo's descent run as shown: where the film is, how the run ends, which way the arrows point."""

    demo: str  # "slope-field" or "gradient-field"
    function: str
    k: int  # the step shown
    last: int  # the run's last step
    outcome: str  # converged, diverged, undefined, step limit
    arrows: str  # "ascent" or "descent"
    point: tuple[float, ...] = ()  # the iterate shown
    value: float = math.nan  # f there
    gradient_norm: float = math.nan  # |grad f| there
    gradients: str = "autograd"  # the gradient field's arrows: autograd or central


@dataclass(frozen=True)
class LeafSeen:
    name: str
    runs_at: int | None  # the step of backward() at which its AccumulateGrad runs (None: never reached)
    contributions: tuple[float, ...] = ()  # what each path adds to .grad
    grad: float | None = None  # .grad after the pass
    exact: float | None = None  # SymPy's derivative there


@dataclass(frozen=True)
class BackpropSeen:
    """Backprop's computed pass and the step shown."""

    source: str  # f(x), f(x, y) or network
    function: str
    k: int  # nodes of backward() run so far
    steps: int  # nodes in the pass
    leaves: tuple[LeafSeen, ...] = ()
    losses: tuple[float, ...] = ()  # network: the loss at each set of parameters so far


@dataclass(frozen=True)
class SpeedSeen:
    """Speed's report on screen: derivatives per second at the largest N of each method, or that it was stopped."""

    dtype: str
    device: str
    rates: Mapping[str, float] = field(default_factory=dict)
    sizes: Mapping[str, int] = field(default_factory=dict)
    cancelled: bool = False  # the report on screen was stopped (Esc) before it finished


@dataclass(frozen=True)
class Observation:
    demo: str = "compare"  # the demo on screen
    dtype: str = "float64"
    lab: LabState = field(default_factory=LabState)
    compare: CompareSeen | None = None
    sweep: SweepSeen | None = None
    descent: DescentSeen | None = None
    backprop: BackpropSeen | None = None
    speed: SpeedSeen | None = None
    # Numbers the lesson saw earlier in this session (e.g. central's best h in float64), to compare with.
    earlier: Mapping[str, float] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


# -- reading JSON, field by field, with messages that say where ------------------------------------


def _number(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ObservationError(f"{where}: expected a number, got {value!r}")
    return float(value)


def _integer(value: object, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ObservationError(f"{where}: expected a whole number, got {value!r}")
    return value


def _text(value: object, where: str) -> str:
    if not isinstance(value, str):
        raise ObservationError(f"{where}: expected a string, got {value!r}")
    return value


def _list(value: object, where: str) -> list[object]:
    if not isinstance(value, list):
        raise ObservationError(f"{where}: expected a list, got {value!r}")
    return value


def _object(value: object, where: str) -> dict[str, object]:
    if not isinstance(value, dict):
        raise ObservationError(f"{where}: expected an object, got {value!r}")
    return value


def _convert(value: object, kind: str, where: str) -> object:
    """One field's value by its annotation (the annotations are strings: `from __future__ import annotations`)."""
    optional = kind.endswith(" | None")
    kind = kind.removesuffix(" | None")
    if value is None and optional:
        return None
    if kind == "float":
        return _number(value, where)
    if kind == "int":
        return _integer(value, where)
    if kind == "str":
        return _text(value, where)
    if kind == "tuple[str, ...]":
        return tuple(_text(item, f"{where}[{i}]") for i, item in enumerate(_list(value, where)))
    if kind == "tuple[float, ...]":
        return tuple(_number(item, f"{where}[{i}]") for i, item in enumerate(_list(value, where)))
    if kind.startswith("Mapping[str, "):
        inner = kind.removeprefix("Mapping[str, ").removesuffix("]")
        return {str(key): _convert(item, inner, f"{where}.{key}") for key, item in _object(value, where).items()}
    if kind == "tuple[LeafSeen, ...]":
        return tuple(_build(LeafSeen, item, f"{where}[{i}]") for i, item in enumerate(_list(value, where)))
    if kind in _SECTIONS:
        return _build(_SECTIONS[kind], value, where)
    raise ObservationError(f"{where}: cannot read a {kind}")  # pragma: no cover - every annotation above is handled


def _build(cls: type[Any], data: object, where: str) -> Any:
    values = _object(data, where)
    known = {f.name: f for f in fields(cls)}
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise ObservationError(f"{where}: unknown field {unknown[0]!r} (known: {', '.join(known)})")
    missing = [f.name for f in known.values() if f.name not in values and f.default is MISSING and f.default_factory is MISSING]
    if missing:
        raise ObservationError(f"{where or 'observation'}: missing field {missing[0]!r}")
    arguments = {name: _convert(value, str(known[name].type), f"{where}.{name}" if where else name) for name, value in values.items()}
    return cls(**arguments)


_SECTIONS: dict[str, type[Any]] = {
    "LabState": LabState,
    "CompareSeen": CompareSeen,
    "SweepSeen": SweepSeen,
    "DescentSeen": DescentSeen,
    "BackpropSeen": BackpropSeen,
    "SpeedSeen": SpeedSeen,
}


def observation_from_json(data: object) -> Observation:
    """An Observation from decoded JSON; ObservationError names the first field that is wrong."""
    observation: Observation = _build(Observation, data, "")
    return observation
