"""The words the engine, the CLI and the app share: methods, dtypes, functions, variables and the h grid.

One torch-free, SymPy-free place, so that the parser, the first frame and the
command line can use it without paying for either import. Adding a function or a
method starts here; `tests/test_vocabulary.py` checks that every backend (the
SymPy walker, the numpy preview, the torch and mpmath namespaces, the method
table, the app's keys and colours) covers exactly these lists.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

VARIABLES: tuple[str, ...] = ("x", "y")
CONSTANT_NAMES: tuple[str, ...] = ("pi", "e")

# What users may call, with the number of arguments each takes.
FUNCTION_ARITY: dict[str, int] = {
    **dict.fromkeys(
        (
            "sin",
            "cos",
            "tan",
            "asin",
            "acos",
            "atan",
            "sinh",
            "cosh",
            "tanh",
            "exp",
            "log",
            "ln",
            "log10",
            "log2",
            "sqrt",
            "abs",
            "sign",
            "sigmoid",
            "relu",
            "softplus",
        ),
        1,
    ),
    "pow": 2,
}


# The derivatives the lab computes: the first, second and third.
ORDERS: tuple[int, ...] = (1, 2, 3)


def ordinal(order: int) -> str:
    return {1: "first", 2: "second", 3: "third"}.get(order, f"{order}th")


def derivative_name(order: int) -> str:
    """f', f'' or f''' (the n-th derivative's name on screen)."""
    return "f" + "'" * order


@dataclass(frozen=True)
class Method:
    """A way to compute f^(n)(x): its name, its key in the app, its cost and, for a step method, its accuracy."""

    name: str
    key: str  # toggles it in the app
    # evaluations of f per point at orders 1, 2, 3: None where the method has no such derivative,
    # 0 where it varies from point to point (Richardson reports its own)
    evaluations_by_order: tuple[int | None, int | None, int | None]
    accuracy: int | None  # p in truncation error ~ h^p; None for methods without a step of their own
    formula: str

    @property
    def has_step(self) -> bool:
        return self.accuracy is not None

    @property
    def evaluations(self) -> int:
        """Evaluations per point for the first derivative."""
        return self.evaluations_by_order[0] or 0

    def evaluations_at(self, order: int) -> int | None:
        return self.evaluations_by_order[order - 1]


# exact evaluates the n-th derivative's formula once; autograd runs f forward and n backward passes.
METHODS: tuple[Method, ...] = (
    Method("exact", "e", (1, 1, 1), None, "SymPy's f'(x), evaluated"),
    Method("autograd", "a", (1, 1, 1), None, "torch.autograd.grad through f"),
    Method("forward", "w", (2, 3, 4), 1, "(f(x+h) - f(x)) / h"),
    Method("backward", "b", (2, 3, 4), 1, "(f(x) - f(x-h)) / h"),
    Method("central", "c", (2, 3, 4), 2, "(f(x+h) - f(x-h)) / 2h"),
    Method("five-point", "v", (4, 5, 6), 4, "(f(x-2h) - 8f(x-h) + 8f(x+h) - f(x+2h)) / 12h"),
    Method("complex-step", "i", (1, 2, None), 2, "Im f(x+ih) / h"),
    Method("richardson", "R", (0, 0, 0), None, "central differences at h0, h0/2, h0/4, ... extrapolated to h = 0"),
)
METHOD_NAMES: tuple[str, ...] = tuple(m.name for m in METHODS)
STEP_METHOD_NAMES: tuple[str, ...] = tuple(m.name for m in METHODS if m.has_step)
_BY_NAME = {m.name: m for m in METHODS}


def method(name: str) -> Method:
    """The method called `name`; KeyError for an unknown name."""
    return _BY_NAME[name]


def method_keys(names: tuple[str, ...]) -> str:
    """The app's keys for these methods, as a sentence lists them: 'w, b, c, v, i or R'."""
    keys = [method(name).key for name in names]
    return ", ".join(keys[:-1]) + f" or {keys[-1]}" if len(keys) > 1 else "".join(keys)


def parse_methods(text: str, allowed: tuple[str, ...] = METHOD_NAMES) -> tuple[str, ...]:
    """`central,five-point` -> ('central', 'five-point'), rejecting unknown names with the list of known ones."""
    names = tuple(name.strip().lower() for name in text.split(",") if name.strip())
    if not names:
        raise ValueError("no methods given")
    for name in names:
        if name not in allowed:
            raise ValueError(f"unknown method {name!r}: choose from {', '.join(allowed)}")
    return tuple(dict.fromkeys(names))


# Working precisions, widest first; each is also the name of a torch dtype.
DTYPE_NAMES: tuple[str, ...] = ("float64", "float32", "float16", "bfloat16")

# The h grid: 10^(k / H_STEPS_PER_DECADE). The app's h keys move along it and the error-vs-h sweep
# samples it, so the app's marker for the current h always lands on a measured point.
H_STEPS_PER_DECADE = 4


def h_on_grid(k: int) -> float:
    """The k-th point of the h grid, 10^(k / H_STEPS_PER_DECADE) (k = -16 is 1e-4)."""
    return float(10 ** (k / H_STEPS_PER_DECADE))


# The microscopic zoom goes down to windows of this half-width, relative to max(1, |x0|): below it even
# float64 holds only a handful of x values.
SMALLEST_WINDOW = 1e-15


def smallest_half_width(x0: float) -> float:
    return SMALLEST_WINDOW * max(1.0, abs(x0))


def grid_index(h: float) -> int:
    """The index of the grid point nearest to h (in log scale)."""
    return round(math.log10(h) * H_STEPS_PER_DECADE)


def format_seconds(value: float | None, *, micro: str = "µs", missing: str = "—") -> str:
    """A duration in the unit that reads best: 26 µs, 1.6 ms, 12.3 s (`micro`, `missing`: the plain-text CLI's us, -)."""
    if value is None or not math.isfinite(value):
        return missing
    if value < 1e-3:
        return f"{value * 1e6:.3g} {micro}"
    if value < 1:
        return f"{value * 1e3:.3g} ms"
    return f"{value:.3g} s"
