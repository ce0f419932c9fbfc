"""The lesson's tasks, checked: pure functions from what the app shows (an Observation) to a verdict.

A task is done when the state and the computed views say so, never because some text was
typed: h = 1e-8 is read from the lab, the best h from Error vs h's sweep, the leaf from
Backprop's pass. Each verdict explains itself with the numbers in the observation, so the
explanation a learner reads quotes what they just produced. The app and
`calc-tui lesson --check` call the same functions.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from engine.vocabulary import grid_index
from tui.lesson.observation import LeafSeen, Observation, SweepSeen

ZOOM_TARGET = 3  # presses of z: the window x0 ± pi/1000
SECANT_TOLERANCE = 1e-4  # the secant's slope within this of f'(x0)
SHRUNK_H = 1e-8  # the end of the tutorial's sweep from 1e-2
NETWORK_PASSES = 3
FLOAT64_EPS = 2.220446049250313e-16  # the network's losses: the first pass and two SGD steps


@dataclass(frozen=True)
class Verdict:
    done: bool
    explanation: str  # done: what the numbers say; not done: what is still missing


def e(value: float | None) -> str:
    """A measured number in the lesson's texts: 1.2e-05."""
    return "?" if value is None or not math.isfinite(value) else f"{value:.1e}"


def not_yet(why: str) -> Verdict:
    return Verdict(False, why)


def on_demo(observation: Observation, demo: str, title: str, key: str) -> Verdict | None:
    """Not done while another demo is on screen (None: it is this one)."""
    if observation.demo != demo:
        return not_yet(f"this task is on the {title} demo: press {key}")
    return None


# -- the derivative as a zoom, and the slope of the tangent ---------------------------------------


def zoomed_in(observation: Observation) -> Verdict:
    away = on_demo(observation, "compare", "Compare", "1")
    if away:
        return away
    seen = observation.compare
    if seen is None:
        return not_yet("the tangent panel is still being computed")
    if seen.zoom < ZOOM_TARGET or seen.half_width is None or seen.gap is None:
        return not_yet(f"zoomed {seen.zoom} of {ZOOM_TARGET} times: press z")
    ratio = f", {seen.wider_gap / seen.gap:.0f}x smaller than at 10x the width (like w^2)" if seen.wider_gap and seen.gap > 0 else ""
    return Verdict(
        True,
        f"In the window x0 +/- {e(seen.half_width)} the curve stays within {e(seen.gap)} of its tangent{ratio}. "
        f"That is the derivative: close enough, f is a straight line, and its slope is f'(x0) = {seen.slope:.6g}.",
    )


def secant_meets_tangent(observation: Observation) -> Verdict:
    away = on_demo(observation, "compare", "Compare", "1")
    if away:
        return away
    seen = observation.compare
    if seen is None or seen.h != observation.lab.h:
        return not_yet("the secant is being computed for the new h")
    gap = abs(seen.secant - seen.slope)
    if not gap < SECANT_TOLERANCE:
        return not_yet(f"h = {e(seen.h)}: the secant's slope is still {e(gap)} off f'(x0); press [ or {{ to shrink h")
    start = observation.earlier.get("secant_gap_start")
    before = f" (at h = 1.0e-01 it was {e(start)} off)" if start else ""
    return Verdict(
        True,
        f"At h = {e(seen.h)} the secant's slope is {seen.secant:.8f} and the tangent's is {seen.slope:.8f}: "
        f"{e(gap)} apart{before}. The forward difference's error is about h*|f''|/2, so it falls as fast as h does.",
    )


def forward_drawn(observation: Observation) -> Verdict:
    away = on_demo(observation, "compare", "Compare", "1")
    if away:
        return away
    if "forward" not in observation.lab.methods:
        return not_yet("forward differences are off: press w")
    seen = observation.compare
    if seen is None or "forward" not in seen.errors:
        return not_yet("the error table is being computed")
    errors = seen.errors
    central, forward = errors.get("central"), errors["forward"]
    ratio = f", {forward / central:.0f}x central's" if central else ""
    return Verdict(
        True,
        f"Max error over the domain against the 50-digit reference: autograd {e(errors.get('autograd'))}, "
        f"central {e(central)}, forward {e(forward)}{ratio}. Autograd differentiates the formula itself, so only "
        f"rounding is left; central's error shrinks like h^2, forward's only like h (h = {e(seen.h)}).",
    )


# -- why h has a sweet spot -----------------------------------------------------------------------


def error_at(sweep: SweepSeen, method: str, h: float) -> float | None:
    """The measured error of `method` at the grid point nearest to h."""
    errors = sweep.errors.get(method)
    if not errors or not sweep.h:
        return None
    index = min(range(len(sweep.h)), key=lambda i: abs(math.log10(sweep.h[i]) - math.log10(h)))
    return errors[index]


def sweep_for(observation: Observation, dtype: str) -> SweepSeen | None:
    sweep = observation.sweep
    if sweep is None or sweep.dtype != dtype or sweep.order != 1 or sweep.function != observation.lab.function:
        return None
    return sweep


def shrunk_h(observation: Observation) -> Verdict:
    away = on_demo(observation, "error-vs-h", "Error vs h", "2")
    if away:
        return away
    h = observation.lab.h
    if grid_index(h) != grid_index(SHRUNK_H):
        return not_yet(f"h is {e(h)}: press [ (a quarter decade) or {{ (a decade) until it is 1.0e-08")
    sweep = sweep_for(observation, observation.dtype)
    if sweep is None or "central" not in sweep.best_h:
        return not_yet("the sweep is being computed")
    start, now = error_at(sweep, "central", 1e-2), error_at(sweep, "central", h)
    best_h, best = sweep.best_h["central"], sweep.best_error.get("central")
    return Verdict(
        True,
        f"Central's error was {e(start)} at h = 1e-2, fell to {e(best)} at h = {e(best_h)}, and is back up to "
        f"{e(now)} at h = 1e-8. Going left, the truncation error (~h^2) shrinks; but f(x+h) and f(x-h) then share "
        f"more leading digits, and their difference keeps only rounding noise (~eps/h): round-off takes over.",
    )


def marked_best_h_float32(observation: Observation) -> Verdict:
    away = on_demo(observation, "error-vs-h", "Error vs h", "2")
    if away:
        return away
    if observation.dtype != "float32":
        return not_yet(f"the dtype is {observation.dtype}: press d until it is float32")
    sweep = sweep_for(observation, "float32")
    if sweep is None or "central" not in sweep.best_h:
        return not_yet("the float32 sweep is being computed")
    h, best_h = observation.lab.h, sweep.best_h["central"]
    off = grid_index(h) - grid_index(best_h)
    if abs(off) > 1:
        side = "smaller" if off < 0 else "larger"
        return not_yet(f"h = {e(h)} is {abs(off)} grid steps {side} than the lowest point of central's curve: move it with [ ]")
    model = sweep.model_h.get("central")
    shift = (sweep.eps / FLOAT64_EPS) ** (1 / 3)
    before = observation.earlier.get("central_best_h_float64")
    moved = f" In float64 it was {e(before)}: {best_h / before:.0f}x larger now." if before else ""
    return Verdict(
        True,
        f"You marked h = {e(h)}; central's measured best h in float32 is {e(best_h)} (error "
        f"{e(sweep.best_error.get('central'))}), and the model's h* is {e(model)}.{moved} float32's eps is "
        f"{e(sweep.eps)} instead of 2.2e-16: round-off (eps/h) is larger at every h, so the balance with "
        f"truncation (h^2) moves to a larger h, by about the cube root of the eps ratio ({shift:.0f}x).",
    )


# -- slope fields, descent, the gradient as a field of arrows --------------------------------------


def descended(observation: Observation, demo: str, title: str, key: str) -> Verdict:
    away = on_demo(observation, demo, title, key)
    if away:
        return away
    seen = observation.descent
    if seen is None:
        return not_yet("the run is being computed")
    if seen.arrows != "descent":
        return not_yet("the arrows still point uphill: press N to flip them")
    if seen.k < seen.last:
        return not_yet(f"step {seen.k} of {seen.last}: press r to run, or End")
    if seen.outcome != "converged":
        return not_yet(f"the run ended {seen.outcome}: press backspace, change lr with [ ] and run again")
    point = ", ".join(f"{v:.4f}" for v in seen.point)
    return Verdict(
        True,
        f"Converged in {seen.last} steps at ({point}), where f = {seen.value:.4f} and the gradient is {e(seen.gradient_norm)}. "
        "Each step went against the arrow of steepest ascent, by lr times the slope: long steps where it is steep, "
        "short ones as it flattens.",
    )


def slope_descended(observation: Observation) -> Verdict:
    return descended(observation, "slope-field", "Slope field", "3")


def field_descended(observation: Observation) -> Verdict:
    seen = observation.descent
    if observation.demo == "gradient-field" and seen is not None and seen.gradients != "central":
        return not_yet("the arrows are by autograd: press g for central differences")
    return descended(observation, "gradient-field", "Gradient field", "4")


# -- backward(): .grad and the chain rule ---------------------------------------------------------


def two_paths(leaves: tuple[LeafSeen, ...]) -> LeafSeen | None:
    return next((leaf for leaf in leaves if len(leaf.contributions) > 1 and leaf.runs_at is not None), None)


def grad_holds_both_paths(observation: Observation) -> Verdict:
    away = on_demo(observation, "backprop", "Backprop", "5")
    if away:
        return away
    seen = observation.backprop
    if seen is None or seen.source != "f(x)":
        return not_yet("this task is on f(x): press s until the source is f(x)")
    leaf = two_paths(seen.leaves)
    if leaf is None or leaf.runs_at is None:
        return not_yet(f"no leaf of {seen.function} is reached by two paths: press F2 for x*sin(x)")
    if seen.k < leaf.runs_at:
        return not_yet(f"{seen.k} of {seen.steps} nodes have run; {leaf.name}'s AccumulateGrad runs at step {leaf.runs_at}: press space")
    terms = " + ".join(f"{c:.4f}" for c in leaf.contributions)
    exact = f"; SymPy's derivative there is {leaf.exact:.4f}" if leaf.exact is not None else ""
    return Verdict(
        True,
        f"{leaf.name}.grad = {terms} = {leaf.grad:.4f}: {leaf.name} is used twice, each use sends the gradient "
        f"back along its own path (the chain rule, node by node), and AccumulateGrad adds them{exact}.",
    )


def network_learned(observation: Observation) -> Verdict:
    away = on_demo(observation, "backprop", "Backprop", "5")
    if away:
        return away
    seen = observation.backprop
    if seen is None or seen.source != "network":
        return not_yet("this task is on the tiny network: press s until the source is network")
    if len(seen.losses) < NETWORK_PASSES:
        return not_yet(f"{len(seen.losses) - 1} SGD steps taken of {NETWORK_PASSES - 1}: press o")
    first, last = seen.losses[0], seen.losses[-1]
    if not last < first:
        return not_yet(f"the loss went from {first:.4g} to {last:.4g}, not down: lower lr with [ and press o again")
    losses = " -> ".join(f"{loss:.4g}" for loss in seen.losses)
    return Verdict(
        True,
        f"The loss went {losses}. Each backward() carried dL/dL = 1 down through the square, the output layer and "
        "tanh to every weight's .grad, one chain-rule factor per layer, and each SGD step moved the weights against it.",
    )


# -- numbers the lesson keeps from earlier steps ----------------------------------------------------


def remembered(earlier: Mapping[str, float], observation: Observation) -> dict[str, float]:
    """The numbers worth quoting later that this observation shows (first seen wins: the learner's own start)."""
    found: dict[str, float] = {}
    sweep = observation.sweep
    if sweep is not None and sweep.order == 1:
        for method in ("central", "forward"):
            if method in sweep.best_h:
                found[f"{method}_best_h_{sweep.dtype}"] = sweep.best_h[method]
    compare = observation.compare
    if compare is not None and compare.h == 1e-1 and observation.lab.order == 1:
        found["secant_gap_start"] = abs(compare.secant - compare.slope)
    speed = observation.speed
    if speed is not None and "autograd" in speed.rates:
        found["autograd_per_second"] = speed.rates["autograd"]
    return {**found, **earlier}
