"""The lesson: the tutorial *Derivatives for ML* as steps through the demos, in the tutorial's order.

Each step says which demo it is on and the state it puts that demo in (`Setup`), what to
look at and what to try (`text`, which may quote numbers measured on screen), and its task
with the check that decides it (tui/lesson/checks.py). Nothing here touches the app.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from engine.vocabulary import METHOD_NAMES
from tui.lesson import checks
from tui.lesson.checks import Verdict, e, error_at, sweep_for
from tui.lesson.observation import Observation
from tui.state import TUTORIAL_LOSS

Check = Callable[[Observation], Verdict]


@dataclass(frozen=True)
class Setup:
    """The demo state a step starts from: fields of the shared slots, the dtype, and the demo's own settings."""

    lab: Mapping[str, object] = field(default_factory=dict)
    loss: Mapping[str, object] = field(default_factory=dict)
    surface: Mapping[str, object] = field(default_factory=dict)
    dtype: str = "float64"
    # The demo screen's own: zoom (Compare), arrows (the field demos), gradients (Gradient field), source (Backprop)
    screen: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Step:
    key: str
    title: str
    demo: str  # the app mode it is on
    setup: Setup
    text: Callable[[Observation], str]  # what to look at and try
    task: str = ""  # what to do, in one line ("" for a step to read)
    check: Check | None = None


SIN_LAB: Mapping[str, object] = {
    "function": "sin(x)",
    "x_min": -math.pi,
    "x_max": math.pi,
    "points": 400,
    "x0": 1.0,
    "order": 1,
    "methods": METHOD_NAMES,
}
SWEEP_METHODS = ("forward", "central")


def zoom_text(observation: Observation) -> str:
    seen = observation.compare
    if seen is not None and seen.half_width is not None:
        gap = f" Right now the window is x0 +/- {e(seen.half_width)} and the curve is {e(seen.gap)} away from its tangent."
    elif seen is not None:
        gap = f" Unzoomed, the panel reads f'(x0) = {seen.slope:.6g}: the tangent's slope."
    else:
        gap = ""
    return (
        "A derivative measures how fast f changes at one point. Look at the lower panel: sin(x) with its tangent "
        "line at x0 = 1. Press z to magnify 10x around x0 (Z backs out). Each zoom the curve looks straighter, and "
        "the panel reports how far it still bends away from the tangent." + gap
    )


def secant_text(observation: Observation) -> str:
    seen = observation.compare
    now = f" Now, at h = {e(seen.h)}, they differ by {e(abs(seen.secant - seen.slope))}." if seen is not None else ""
    return (
        "The tangent's slope is the limit of secants. The lower panel also draws the secant through x0 and x0 + h "
        "and prints both slopes under it. h starts large (0.1), so they disagree. Press [ to shrink h a quarter "
        "decade, { for a whole decade, and watch the secant swing onto the tangent." + now
    )


def methods_text(observation: Observation) -> str:
    seen = observation.compare
    table = (
        f" The table measures them against a 50-digit reference: autograd {e(seen.errors.get('autograd'))}, "
        f"central {e(seen.errors.get('central'))}."
        if seen is not None and seen.errors
        else ""
    )
    return (
        "The top plot draws sin'(x) three ways: SymPy's exact formula cos(x), torch.autograd, and the central "
        "difference with h = 1e-4. The curves lie on top of each other; their differences are far too small to "
        "see." + table + " The letters e a w b c v i R switch methods on and off."
    )


def sweep_text(observation: Observation) -> str:
    sweep = sweep_for(observation, observation.dtype)
    now = f" There central's measured error is {e(error_at(sweep, 'central', observation.lab.h))}." if sweep is not None else ""
    return (
        "This is the tutorial's first exercise. Error vs h plots the largest error over the domain against the "
        f"step h, for forward and central differences, on log-log axes; the grey line is the current h, now {e(observation.lab.h)}. "
        "Smaller h should mean a better answer..." + now
    )


def sweet_spot_text(observation: Observation) -> str:
    sweep = sweep_for(observation, "float64")
    best = observation.earlier.get("central_best_h_float64")
    if sweep is not None and "central" in sweep.best_h:
        best = sweep.best_h["central"]
        measured = (
            f" In float64 central's lowest point (the diamond) is at h = {e(best)}, error "
            f"{e(sweep.best_error.get('central'))}; the model (dotted) puts it at {e(sweep.model_h.get('central'))}."
        )
    else:
        measured = f" In float64 central's lowest point was at h = {e(best)}." if best else ""
    return (
        "Each curve has a sweet spot where truncation (falling with h) meets round-off (rising as h shrinks)."
        + measured
        + " Round-off scales with the dtype's eps. Press d to compute in float32 (eps 1.2e-7) and see where the "
        "lowest point goes."
    )


def slope_text(observation: Observation) -> str:
    seen = observation.descent
    where = (
        f" The run from x = 2.5, as shown: step {seen.k} of {seen.last}, |L'(x)| = {seen.gradient_norm:.3g}." if seen is not None else ""
    )
    return (
        "A loss curve with an arrow at each point, lying along the tangent and pointing uphill: the slope says "
        "which way L grows. Training wants the opposite way. In the lesson n turns the page, so flip the arrows "
        "with N (outside it, n flips them). Then space takes one step of gradient descent, x <- x - lr*L'(x), "
        "r runs them all and End jumps to the last." + where
    )


def field_text(observation: Observation) -> str:
    seen = observation.descent
    where = f" The run has {seen.last} steps and ends {seen.outcome}." if seen is not None else ""
    return (
        "The second exercise: for f(x, y) = x^2 + 3y^2 the gradient (2x, 6y) is a vector at every point of the "
        "plane, drawn as a quiver of arrows. Descent walks against them from the start point. The arrows come from "
        "autograd; g switches them, and the steps descent takes, to central differences, and they agree. N flips the "
        "arrows to descent." + where
    )


def backward_text(observation: Observation) -> str:
    seen = observation.backprop
    where = f" {seen.k} of {seen.steps} nodes have run." if seen is not None else ""
    return (
        "torch records every operation of f(x) = x*sin(x) as a node; backward() walks that graph from the output "
        "down, multiplying by each node's local derivative: the chain rule. x is used twice (by the product and "
        "by sin), so two gradients reach it, and .grad holds their sum. space runs one node, backspace goes back "
        "to the start; the panel under the graph writes each step as a product." + where
    )


def network_text(observation: Observation) -> str:
    seen = observation.backprop
    loss = f" The loss of this pass: {seen.losses[-1]:.4g}." if seen is not None and seen.losses else ""
    return (
        "A network is the same graph, bigger: L = (w2*tanh(w1*x + b1) + b2 - t)^2 on one data point. Its weights "
        "are the leaves, so backward() fills each weight's .grad through the layers, one chain-rule factor per "
        "layer. o takes one step of SGD, p <- p - lr*p.grad, and runs the next pass." + loss
    )


def speed_text(observation: Observation) -> str:
    seen = observation.speed
    if seen is not None and seen.rates:
        fastest = max(seen.rates, key=lambda name: seen.rates[name])
        rate = seen.rates.get("autograd")
        autograd = f" autograd: {rate:.3g} derivatives a second at N = {seen.sizes.get('autograd', 0):,}," if rate else ""
        measured = f" Measured here on {seen.device} in {seen.dtype}:{autograd} fastest {fastest} at {seen.rates[fastest]:.3g}."
    elif seen is not None and seen.cancelled:
        measured = " The measurement on screen was stopped before it finished: press m to measure, and its rates will be quoted here."
    else:
        measured = " The measurement is running (the bar shows how far); its rates will be quoted here."
    return (
        "Why derivatives must be fast: training takes one per parameter per step, millions of times a second. "
        "This demo counts derivatives per second against the number of points N for each method, up to what fits "
        "in memory." + measured + " Esc stops a measurement; m measures again."
    )


def end_text(observation: Observation) -> str:
    earlier = observation.earlier
    lines = []
    if "central_best_h_float64" in earlier:
        lines.append(f"central's best h: {e(earlier['central_best_h_float64'])} in float64")
    if "central_best_h_float32" in earlier:
        lines.append(f"{e(earlier['central_best_h_float32'])} in float32")
    if "autograd_per_second" in earlier:
        lines.append(f"autograd at {earlier['autograd_per_second']:.3g} derivatives a second")
    measured = " What you measured on this machine: " + "; ".join(lines) + "." if lines else ""
    return (
        "That is the tutorial's path: a derivative as a zoom, three ways to compute it, why h has a sweet spot, "
        "slopes as arrows that descent follows, and backward() as the chain rule." + measured + " Esc leaves the "
        "lesson and puts your own settings back; L opens it again at the step you reached. Each demo's ? explains "
        "more."
    )


STEPS: tuple[Step, ...] = (
    Step(
        "zoom",
        "A derivative is a zoom",
        "compare",
        Setup(lab={**SIN_LAB, "h": 1e-4}, screen={"zoom": 0, "lower": "tangent"}),
        zoom_text,
        "press z three times",
        checks.zoomed_in,
    ),
    Step(
        "secant",
        "Secant to tangent",
        "compare",
        Setup(lab={**SIN_LAB, "h": 1e-1}, screen={"zoom": 0, "lower": "tangent"}),
        secant_text,
        "shrink h until the secant's slope is within 1e-4 of f'(x0)",
        checks.secant_meets_tangent,
    ),
    Step(
        "three-ways",
        "sin'(x) three ways",
        "compare",
        Setup(lab={**SIN_LAB, "h": 1e-4, "methods": ("exact", "autograd", "central")}, screen={"zoom": 0, "lower": "table"}),
        methods_text,
        "switch forward differences on with w and compare the errors",
        checks.forward_drawn,
    ),
    Step(
        "shrink-h",
        "Shrinking h from 1e-2 to 1e-8",
        "error-vs-h",
        Setup(lab={**SIN_LAB, "h": 1e-2, "methods": SWEEP_METHODS}, screen={"scope": "domain"}),
        sweep_text,
        "press [ until h is 1e-8 and watch central's error turn back up",
        checks.shrunk_h,
    ),
    Step(
        "sweet-spot",
        "The sweet spot, in float32",
        "error-vs-h",
        Setup(lab={**SIN_LAB, "h": 1e-5, "methods": SWEEP_METHODS}, screen={"scope": "domain"}),
        sweet_spot_text,
        "in float32, move the marker to central's lowest point with [ ]",
        checks.marked_best_h_float32,
    ),
    Step(
        "slope-field",
        "Slopes as arrows, descent against them",
        "slope-field",
        Setup(
            loss={"function": TUTORIAL_LOSS, "x_min": -3.0, "x_max": 3.0, "start": 2.5, "learning_rate": 0.1, "method": "autograd"},
            screen={"arrows": "ascent"},
        ),
        slope_text,
        "flip the arrows with N and run descent to the minimum",
        checks.slope_descended,
    ),
    Step(
        "gradient-field",
        "The gradient as a field of arrows",
        "gradient-field",
        Setup(
            surface={
                "function": "x^2 + 3*y^2",
                "x_min": -2.0,
                "x_max": 2.0,
                "y_min": -2.0,
                "y_max": 2.0,
                "start": (-1.6, 1.4),
                "learning_rate": 0.1,
                "momentum": 0.0,
            },
            screen={"arrows": "ascent", "gradients": "autograd"},
        ),
        field_text,
        "press g for central differences, N for descent, then run to the minimum",
        checks.field_descended,
    ),
    Step(
        "backward",
        ".grad fills in during backward()",
        "backprop",
        Setup(lab={**SIN_LAB, "function": "x*sin(x)", "h": 1e-4}, screen={"source": "f(x)"}),
        backward_text,
        "step backward() with space until x.grad holds both paths",
        checks.grad_holds_both_paths,
    ),
    Step(
        "network",
        "The chain rule through layers",
        "backprop",
        Setup(lab={**SIN_LAB, "h": 1e-4}, screen={"source": "network"}),
        network_text,
        "take two SGD steps with o and watch the loss fall",
        checks.network_learned,
    ),
    Step("speed", "Millions of times a second", "speed", Setup(lab={**SIN_LAB, "h": 1e-4}), speed_text),
    Step("end", "Where to go from here", "compare", Setup(lab={**SIN_LAB, "h": 1e-4}, screen={"zoom": 0, "lower": "tangent"}), end_text),
)


def step_number(text: str) -> int:
    """A 1-based step number from the command line; ValueError says what is allowed."""
    try:
        number = int(text)
    except ValueError:
        raise ValueError(f"step must be a number from 1 to {len(STEPS)}, got {text!r}") from None
    if not 1 <= number <= len(STEPS):
        raise ValueError(f"step must be from 1 to {len(STEPS)}, got {number}")
    return number
