"""The lesson's task checks as pure functions: for each task, the right answer is accepted and explained with its own
numbers, and wrong answers (the state short of the goal, a stale or missing view, the wrong demo) are refused with
what is still missing. The observations are what the app would read; none of this starts the app."""

from __future__ import annotations

import json
import math
from dataclasses import replace

import pytest

from tui.lesson import checks
from tui.lesson.observation import (
    BackpropSeen,
    CompareSeen,
    DescentSeen,
    LabState,
    LeafSeen,
    Observation,
    ObservationError,
    SpeedSeen,
    SweepSeen,
    observation_from_json,
)
from tui.lesson.steps import STEPS, step_number

GRID = tuple(10 ** (-k / 4) for k in range(4, 65))  # 1e-1 down to 1e-16, a quarter decade apart, as the sweep's


def sweep(dtype: str, best: float, model: float, eps: float) -> SweepSeen:
    """A V-shaped central curve with its lowest point at `best` (made-up numbers, each traceable in the text)."""
    errors = tuple(abs(math.log10(h) - math.log10(best)) * 1e-6 + 1e-9 for h in GRID)
    return SweepSeen(
        dtype=dtype,
        order=1,
        function="sin(x)",
        h=GRID,
        errors={"central": errors, "forward": errors},
        best_h={"central": best, "forward": best / 100},
        best_error={"central": 1e-9, "forward": 1e-8},
        model_h={"central": model},
        eps=eps,
    )


def compare(
    h: float = 1e-4, zoom: int = 0, secant: float = 0.54025, methods: tuple[str, ...] = ("exact", "autograd", "central")
) -> Observation:
    tangent_zoom = {"half_width": math.pi / 10**zoom, "gap": 4.2e-6, "wider_gap": 4.2e-4} if zoom else {}
    errors = {"exact": 0.0, "autograd": 1.1e-16, "central": 1.7e-9, "forward": 5.0e-5}
    return Observation(
        demo="compare",
        lab=LabState(h=h, methods=methods),
        compare=CompareSeen(
            h=h, zoom=zoom, slope=0.5403023058681398, secant=secant, errors={m: errors[m] for m in methods}, **tangent_zoom
        ),
    )


def descent(demo: str = "slope-field", **changes: object) -> Observation:
    seen = DescentSeen(
        demo=demo,
        function="0.3*sin(3*x) + 0.5*x^2",
        k=101,
        last=101,
        outcome="converged",
        arrows="descent",
        point=(-0.37882,),
        value=-0.2004,
        gradient_norm=8.7e-9,
        gradients="central" if demo == "gradient-field" else "autograd",
    )
    return Observation(demo=demo, descent=replace(seen, **changes))  # type: ignore[arg-type]


def backward(k: int) -> Observation:
    leaf = LeafSeen("x", runs_at=6, contributions=(0.8415, 0.2919), grad=1.1334, exact=1.1334)
    return Observation(demo="backprop", backprop=BackpropSeen(source="f(x)", function="x*sin(x)", k=k, steps=6, leaves=(leaf,)))


def network(losses: tuple[float, ...]) -> Observation:
    return Observation(demo="backprop", backprop=BackpropSeen(source="network", function="", k=0, steps=20, losses=losses))


# -- 1 the zoom ---------------------------------------------------------------------------------


def test_zooming_in_three_times_is_done_and_quotes_the_measured_gap() -> None:
    verdict = checks.zoomed_in(compare(zoom=3))
    assert verdict.done
    assert "x0 +/- 3.1e-03" in verdict.explanation and "within 4.2e-06" in verdict.explanation and "100x smaller" in verdict.explanation


@pytest.mark.parametrize(
    "observation", [compare(zoom=2), compare(zoom=0), replace(compare(zoom=3), demo="error-vs-h"), replace(compare(), compare=None)]
)
def test_zooming_less_or_elsewhere_is_not_done(observation: Observation) -> None:
    assert not checks.zoomed_in(observation).done


# -- 2 the secant ---------------------------------------------------------------------------------


def test_a_secant_within_1e_4_of_the_slope_is_done() -> None:
    verdict = checks.secant_meets_tangent(compare(h=1e-4, secant=0.54026))
    assert verdict.done and "4.2e-05 apart" in verdict.explanation


def test_a_secant_further_off_or_a_view_for_another_h_is_not_done() -> None:
    far = checks.secant_meets_tangent(compare(h=1e-3, secant=0.5398815))
    assert not far.done and "still 4.2e-04 off" in far.explanation
    stale = replace(compare(h=1e-4, secant=0.54026), lab=LabState(h=1e-5))  # h moved on; its view is not in yet
    assert not checks.secant_meets_tangent(stale).done


# -- 3 three ways ---------------------------------------------------------------------------------


def test_forward_switched_on_is_done_and_its_error_is_compared_with_central() -> None:
    verdict = checks.forward_drawn(compare(methods=("exact", "autograd", "central", "forward")))
    assert verdict.done and "forward 5.0e-05, 29412x central's" in verdict.explanation and "autograd 1.1e-16" in verdict.explanation


def test_forward_off_is_not_done() -> None:
    verdict = checks.forward_drawn(compare())
    assert not verdict.done and "press w" in verdict.explanation


# -- 4 h down to 1e-8 -----------------------------------------------------------------------------


def sweep_observation(h: float, dtype: str = "float64", seen: SweepSeen | None = None) -> Observation:
    seen = seen or sweep("float64", best=10**-5.25, model=7e-6, eps=2.2e-16)
    return Observation(demo="error-vs-h", dtype=dtype, lab=LabState(h=h, methods=("forward", "central")), sweep=seen)


def test_h_at_1e_8_is_done_and_the_errors_along_the_way_are_quoted() -> None:
    verdict = checks.shrunk_h(sweep_observation(1e-8))
    assert verdict.done
    assert "was 3.3e-06 at h = 1e-2, fell to 1.0e-09 at h = 5.6e-06" in verdict.explanation and "back up to 2.8e-06" in verdict.explanation


@pytest.mark.parametrize("h", [10**-7.75, 1e-2, 1e-9])
def test_h_anywhere_else_is_not_done(h: float) -> None:
    assert not checks.shrunk_h(sweep_observation(h)).done


def test_h_at_1e_8_without_the_sweep_or_on_another_demo_is_not_done() -> None:
    assert not checks.shrunk_h(replace(sweep_observation(1e-8), sweep=None)).done
    assert not checks.shrunk_h(replace(sweep_observation(1e-8), demo="compare")).done


# -- 5 float32's sweet spot ------------------------------------------------------------------------


FLOAT32 = sweep("float32", best=10**-2.5, model=4.6e-3, eps=1.2e-7)


@pytest.mark.parametrize("steps", [-1, 0, 1])
def test_a_mark_within_one_grid_step_of_float32s_best_h_is_done(steps: int) -> None:
    observation = replace(sweep_observation(10 ** ((-10 + steps) / 4), "float32", FLOAT32), earlier={"central_best_h_float64": 10**-5.25})
    verdict = checks.marked_best_h_float32(observation)
    assert verdict.done
    assert "best h in float32 is 3.2e-03" in verdict.explanation and "model's h* is 4.6e-03" in verdict.explanation
    assert "In float64 it was 5.6e-06: 562x larger now" in verdict.explanation
    assert "cube root of the eps ratio (815x)" in verdict.explanation  # (1.2e-7 / 2.2e-16)^(1/3)


@pytest.mark.parametrize("steps", [-2, 2, -20])
def test_a_mark_two_grid_steps_or_more_away_is_not_done(steps: int) -> None:
    verdict = checks.marked_best_h_float32(sweep_observation(10 ** ((-10 + steps) / 4), "float32", FLOAT32))
    assert not verdict.done and f"{abs(steps)} grid steps" in verdict.explanation


def test_the_right_h_in_float64_is_not_done() -> None:
    verdict = checks.marked_best_h_float32(sweep_observation(10**-2.5, "float64", replace(FLOAT32, dtype="float64")))
    assert not verdict.done and "press d" in verdict.explanation


def test_a_float64_sweep_still_on_screen_after_d_is_not_done() -> None:
    observation = sweep_observation(10**-2.5, "float32", sweep("float64", best=10**-2.5, model=7e-6, eps=2.2e-16))
    assert not checks.marked_best_h_float32(observation).done


# -- 6 and 7 descent ------------------------------------------------------------------------------


def test_descent_flipped_and_run_to_convergence_is_done() -> None:
    verdict = checks.slope_descended(descent())
    assert verdict.done and "Converged in 101 steps at (-0.3788)" in verdict.explanation


@pytest.mark.parametrize(
    ("changes", "missing"),
    [
        ({"arrows": "ascent"}, "press N"),
        ({"k": 40}, "step 40 of 101"),
        ({"outcome": "diverged"}, "ended diverged"),
    ],
)
def test_descent_short_of_the_goal_is_not_done(changes: dict[str, object], missing: str) -> None:
    verdict = checks.slope_descended(descent(**changes))
    assert not verdict.done and missing in verdict.explanation


def test_the_gradient_field_needs_central_differences() -> None:
    assert checks.field_descended(descent("gradient-field")).done
    verdict = checks.field_descended(descent("gradient-field", gradients="autograd"))
    assert not verdict.done and "press g" in verdict.explanation
    assert not checks.field_descended(descent("slope-field")).done  # the other demo's run is not this task's


# -- 8 and 9 backward() -----------------------------------------------------------------------------


def test_x_grad_after_its_accumulate_grad_ran_is_done_with_both_paths_quoted() -> None:
    verdict = checks.grad_holds_both_paths(backward(6))
    assert verdict.done and "x.grad = 0.8415 + 0.2919 = 1.1334" in verdict.explanation


def test_x_grad_before_its_accumulate_grad_ran_is_not_done() -> None:
    verdict = checks.grad_holds_both_paths(backward(5))
    assert not verdict.done and "runs at step 6" in verdict.explanation


def test_a_function_with_one_path_is_not_done() -> None:
    leaf = LeafSeen("x", runs_at=2, contributions=(1.0,), grad=1.0)
    observation = Observation(demo="backprop", backprop=BackpropSeen(source="f(x)", function="sin(x)", k=2, steps=2, leaves=(leaf,)))
    assert not checks.grad_holds_both_paths(observation).done


def test_two_sgd_steps_that_lower_the_loss_are_done() -> None:
    verdict = checks.network_learned(network((0.5, 0.4, 0.3)))
    assert verdict.done and "0.5 -> 0.4 -> 0.3" in verdict.explanation


@pytest.mark.parametrize("losses", [(0.5,), (0.5, 0.4), (0.5, 0.6, 0.7)])
def test_fewer_steps_or_a_rising_loss_is_not_done(losses: tuple[float, ...]) -> None:
    assert not checks.network_learned(network(losses)).done


# -- what the lesson keeps, the steps, and the JSON -------------------------------------------------


def test_the_first_numbers_seen_are_kept() -> None:
    first = checks.remembered({}, sweep_observation(1e-5))
    assert first["central_best_h_float64"] == pytest.approx(10**-5.25)
    later = checks.remembered(first, sweep_observation(1e-5, seen=sweep("float64", best=1e-3, model=1e-3, eps=2.2e-16)))
    assert later["central_best_h_float64"] == pytest.approx(10**-5.25)
    speed = Observation(demo="speed", speed=SpeedSeen("float64", "cpu", {"autograd": 5.8e7}, {"autograd": 10**7}))
    assert checks.remembered({}, speed)["autograd_per_second"] == 5.8e7


def test_the_lesson_has_8_to_12_steps_in_the_tutorials_order() -> None:
    assert 8 <= len(STEPS) <= 12
    demos = [step.demo for step in STEPS]
    assert demos.index("compare") < demos.index("error-vs-h") < demos.index("slope-field") < demos.index("gradient-field")
    assert demos.index("gradient-field") < demos.index("backprop") < demos.index("speed")
    assert all(step.task for step in STEPS if step.check is not None)


def test_a_step_number_must_be_one_of_the_steps() -> None:
    assert step_number("3") == 3
    for bad in ("0", "12", "x", "-1"):
        with pytest.raises(ValueError, match="step must be"):
            step_number(bad)


def test_an_observation_survives_json() -> None:
    observation = replace(sweep_observation(1e-8), descent=descent().descent, backprop=backward(6).backprop, earlier={"a": 1.0})
    assert observation_from_json(json.loads(json.dumps(observation.as_json()))) == observation


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "expected an object"),
        ({"lab": {"h": "small"}}, "lab.h: expected a number, got 'small'"),
        ({"lab": {"hh": 1}}, "lab: unknown field 'hh'"),
        ({"compare": {"h": 1e-4}}, "compare: missing field 'zoom'"),
        (
            {"backprop": {"source": "f(x)", "function": "x", "k": 1, "steps": 2, "leaves": [{"name": "x", "runs_at": True}]}},
            "runs_at: expected a whole number",
        ),
        ({"sweep": {"dtype": "float32", "order": 1, "function": "sin(x)", "h": [1, "a"]}}, r"sweep.h\[1\]: expected a number"),
    ],
)
def test_a_bad_observation_says_which_field_is_wrong(data: object, message: str) -> None:
    with pytest.raises(ObservationError, match=message):
        observation_from_json(data)


def test_the_sweep_steps_text_names_the_h_on_screen_not_the_one_it_started_at() -> None:
    from tui.lesson.steps import sweep_text

    assert "the grey line is the current h, now 1.0e-02." in sweep_text(sweep_observation(1e-2))
    moved = sweep_text(sweep_observation(1e-8))
    assert "the grey line is the current h, now 1.0e-08." in moved and "1.0e-02" not in moved
