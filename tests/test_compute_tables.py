"""Each demo's export tables, straight from its compute function (no app): every named column against a value
computed here. Fast, so that scripts/mutation can run them for every mutant of the demos' compute modules (the app-level
read-back, with the screen, is tests/test_exports.py)."""

from __future__ import annotations

import math
import sys
from dataclasses import replace
from typing import Any

import pytest
import torch

from engine.vocabulary import METHOD_NAMES, STEP_METHOD_NAMES
from tui.compute.descent import PathView
from tui.demos.compare.compute import (
    ERROR_COLUMNS,
    CompareRequest,
    compute_compare,
    deepest_zoom,
    preview_compare,
    zoom_half_width,
)
from tui.demos.error_vs_h.compute import SweepRequest, compute_sweep
from tui.demos.gradient_field.compute import FieldRequest, compute_gradient_field
from tui.demos.slope_field.compute import SlopeRequest, compute_slope_field
from tui.export import Table

EPS = sys.float_info.epsilon
H = 1e-4
POINTS = 41
GRID = [-math.pi + 2 * math.pi * i / (POINTS - 1) for i in range(POINTS)]


def columns(table: Table) -> dict[str, list[Any]]:
    assert all(len(row) == len(table.columns) for row in table.rows)
    return {name: [row[i] for row in table.rows] for i, name in enumerate(table.columns)}


def close(a: float, b: float, abs_: float) -> bool:
    return math.isclose(a, b, rel_tol=0, abs_tol=abs_)


@pytest.fixture(scope="module")
def compare() -> Any:
    return compute_compare(CompareRequest("sin(x)", -math.pi, math.pi, POINTS, H, 1.0, "float64", "cpu"))


def test_compare_derivatives_are_each_methods_own_formula(compare: Any) -> None:
    table = columns(compare.tables()["derivatives"])
    assert list(table) == ["x", *METHOD_NAMES]
    assert all(close(x, g, 1e-15) for x, g in zip(table["x"], GRID, strict=True))
    formulas = {
        "exact": math.cos,
        "autograd": math.cos,
        "forward": lambda x: (math.sin(x + H) - math.sin(x)) / H,
        "backward": lambda x: (math.sin(x) - math.sin(x - H)) / H,
        "central": lambda x: (math.sin(x + H) - math.sin(x - H)) / (2 * H),
    }
    for method, formula in formulas.items():
        assert all(close(v, formula(x), 1e-10) for x, v in zip(GRID, table[method], strict=True)), method


def test_compare_errors_are_the_max_and_mean_of_each_methods_true_error(compare: Any) -> None:
    derivatives = columns(compare.tables()["derivatives"])
    errors = columns(compare.tables()["errors"])
    assert tuple(errors) == ERROR_COLUMNS and errors["method"] == list(METHOD_NAMES)
    for i, method in enumerate(errors["method"]):
        true = [abs(v - math.cos(x)) for x, v in zip(GRID, derivatives[method], strict=True)]
        assert math.isclose(errors["max_abs_error"][i], max(true), rel_tol=1e-6, abs_tol=1e-15), method
        assert math.isclose(errors["mean_abs_error"][i], sum(true) / len(true), rel_tol=1e-6, abs_tol=1e-15), method
        assert errors["not_applicable"][i] == ""
    evaluations = dict(zip(errors["method"], errors["evaluations"], strict=True))
    assert [evaluations[m] for m in ("forward", "backward", "central", "five-point", "complex-step")] == [2, 2, 2, 4, 1]
    estimates = dict(zip(errors["method"], errors["estimated_error"], strict=True))
    richardson = errors["method"].index("richardson")
    assert estimates["richardson"] >= errors["max_abs_error"][richardson] > 0 and estimates["central"] is None
    assert errors["too_optimistic"] == [False] * len(METHOD_NAMES)


def test_compare_tangent_row_names_each_number(compare: Any) -> None:
    tangent = columns(compare.tables()["tangent"])
    assert tangent["x0"] == [1.0] and tangent["h"] == [H] and tangent["f_x0"] == [math.sin(1.0)]
    assert close(tangent["exact_slope"][0], math.cos(1.0), 1e-15)
    assert close(tangent["secant_slope"][0], (math.sin(1.0 + H) - math.sin(1.0)) / H, 1e-10)
    assert close(tangent["exact_derivative"][0], math.cos(1.0), 1e-15)  # at order 1, the slope


def test_compare_tables_keep_only_the_enabled_methods_in_their_order(compare: Any) -> None:
    tables = compare.tables(("central", "exact"))
    assert tables["derivatives"].columns == ("x", "exact", "central")
    assert [row[0] for row in tables["errors"].rows] == ["exact", "central"]
    assert len(compare.tables(())["errors"].rows) == 0


def test_the_tangent_zooms_by_decades_down_to_the_smallest_window_float64_can_show(compare: Any) -> None:
    """x0 ± (half the domain) / 10^zoom, down to the last zoom still at least 1e-15 × max(1, |x0|) wide."""
    assert compare.tangent.zoom is None  # a request names no zoom: the whole domain
    assert zoom_half_width(-3.0, 3.0, 0) == 3.0 and zoom_half_width(-3.0, 5.0, 2) == 0.04
    assert deepest_zoom(-3.0, 3.0, 0.0) == 15  # 3e-15 is still wide enough, 3e-16 is not
    assert deepest_zoom(-1.0, 1.0, 0.0) == 15  # exactly 1e-15 wide at zoom 15: still shown
    assert deepest_zoom(-3.0, 3.0, 1000.0) == 12  # the window must stay 1e-15 × 1000 wide beside x0 = 1000


def test_the_quick_preview_is_f_its_slope_and_its_secant_in_plain_python() -> None:
    view = preview_compare("sin(x)", -2.0, 2.0, 5, 1e-3, 1.0)
    assert view.preview and view.dtype == "float64" and view.rows == () and view.notice is None
    assert view.curves.title == "f'(x) for f(x) = sin(x) (quick preview while torch loads)"
    assert list(view.curves.x) == [-2.0, -1.0, 0.0, 1.0, 2.0]
    tangent = view.tangent
    assert list(tangent.x) == [-2.0, -1.0, 0.0, 1.0, 2.0] and all(
        close(v, math.sin(x), 1e-15) for x, v in zip(tangent.x, tangent.values, strict=True)
    )
    assert (tangent.x0, tangent.h) == (1.0, 1e-3) and close(tangent.f0, math.sin(1.0), 1e-15)
    assert close(tangent.slope, math.cos(1.0), 1e-9)  # central differences, step 1e-5
    assert close(tangent.secant, (math.sin(1.001) - math.sin(1.0)) / 1e-3, 1e-9)


def test_the_tangent_zoomed_twice_is_the_window_pi_over_100_wide_around_x0() -> None:
    view = compute_compare(CompareRequest("sin(x)", -math.pi, math.pi, 41, 1e-4, 1.0, "float64", "cpu", zoom=2))
    zoom = view.tangent.zoom
    assert zoom is not None and zoom.level == 2 and zoom.half_width == math.pi / 100
    assert close(min(zoom.offsets), -zoom.half_width, 1e-12) and close(max(zoom.offsets), zoom.half_width, 1e-12)  # x - x0, rounded
    assert all(close(r, math.sin(1.0 + d) - math.sin(1.0), 1e-9) for d, r in zip(zoom.offsets, zoom.rises, strict=True))
    # f bends away from its tangent by about f''/2 d^2: sin(1)/2 (pi/100)^2 here, 100 times that 10 times wider
    assert close(zoom.gap, math.sin(1.0) / 2 * (math.pi / 100) ** 2, 0.02) and 80 < zoom.wider_gap / zoom.gap < 120
    assert zoom.distinct_x == zoom.distinct_f == len(zoom.offsets) and zoom.staircase is False


def test_one_zoom_already_zooms_and_a_deep_one_shows_the_staircase() -> None:
    """sin at x0 = 1.5 (f' = 0.07): 10^-14 of the domain spans 241 distinct x but only about 41 float64 values of f
    (the count depends on how this CPU's sin rounds, so only its size is checked)."""
    request = CompareRequest("sin(x)", -math.pi, math.pi, 41, 1e-4, 1.5, "float64", "cpu", zoom=1)
    once = compute_compare(request)
    assert list(once.tangent.x) == list(once.curves.x) and abs(once.tangent.values[0] - math.sin(-math.pi)) < 1e-15  # f
    assert once.tangent.zoom is not None and once.tangent.zoom.half_width == math.pi / 10
    deep = compute_compare(replace(request, zoom=14)).tangent.zoom
    assert deep is not None and deep.distinct_x == 241 and 20 < deep.distinct_f < 80 and deep.staircase is True


def test_each_error_row_keeps_its_flags_in_their_places() -> None:
    """sqrt on [0, 1]: the stencils that reach below 0 say why; Richardson's evaluations vary from point to point."""
    rows = {r.method: r for r in compute_compare(CompareRequest("sqrt(x)", 0.0, 1.0, 5, 1e-3, 0.5, "float64", "cpu")).rows}
    assert rows["central"].undefined_reason is not None and rows["central"].undefined_reason.startswith("f(x - h) = f(-0.001) is undefined")
    assert rows["forward"].undefined_reason is None
    assert all(r.varying is (m == "richardson") for m, r in rows.items())
    assert all(r.digits_lost == 0.0 for r in rows.values())


def test_a_kink_at_x0_off_the_grid_is_still_said() -> None:
    """abs at x0 = 0 with a 4-point grid that misses 0: the tangent panel's question finds the kink."""
    view = compute_compare(CompareRequest("abs(x)", -1.0, 1.0, 4, 1e-3, 0.0, "float64", "cpu"))
    assert view.notice is not None and view.notice.startswith(
        "f'(x) does not exist at x = 0: a kink, -1 from the left and 1 from the right"
    )


def test_compare_at_order_two_exports_the_second_derivative_beside_the_slope() -> None:
    view = compute_compare(CompareRequest("sin(x)", -1.0, 1.0, 5, 1e-3, 0.5, "float64", "cpu", order=2))
    tangent = columns(view.tables()["tangent"])
    assert close(tangent["exact_slope"][0], math.cos(0.5), 1e-15)
    assert close(tangent["exact_derivative"][0], -math.sin(0.5), 1e-15)


@pytest.fixture(scope="module")
def sweep() -> Any:
    return compute_sweep(SweepRequest("sin(x)", -math.pi, math.pi, POINTS, 1.0, False, "float64", "cpu"))


def test_sweep_errors_and_model_are_per_h_and_per_method(sweep: Any) -> None:
    tables = sweep.tables()
    errors, model = columns(tables["errors"]), columns(tables["model"])
    assert list(errors) == ["h", *STEP_METHOD_NAMES] and errors["h"] == model["h"] == list(sweep.h)
    for i, h in enumerate(errors["h"]):
        if 1e-6 <= h <= 1e-2:
            forward = max(abs((math.sin(x + h) - math.sin(x)) / h - math.cos(x)) for x in GRID)
            assert math.isclose(errors["forward"][i], forward, rel_tol=0.02), h
        if 1e-4 <= h <= 1e-2:
            central = max(abs((math.sin(x + h) - math.sin(x - h)) / (2 * h) - math.cos(x)) for x in GRID)
            assert math.isclose(errors["central"][i], central, rel_tol=0.02), h
        central_model = max(
            abs(math.cos(x)) * (h**2 / 6 + h**4 / 120) + EPS * (abs(math.sin(x)) + abs(x * math.cos(x)) / 2) / h for x in GRID
        )
        assert math.isclose(model["central"][i], central_model, rel_tol=1e-6), h


def test_the_sweep_says_where_its_error_is_taken(sweep: Any) -> None:
    """The heading's scope: the max over the grid, or the one point x0 (4 significant digits)."""
    assert sweep.scope == f"max over {POINTS} points"
    at_point = compute_sweep(SweepRequest("sin(x)", -math.pi, math.pi, POINTS, 1.23456, True, "float64", "cpu"))
    assert at_point.scope == "at x0 = 1.235"


def test_a_sweep_without_a_model_gives_the_reason_in_place_of_the_rule() -> None:
    view = compute_sweep(SweepRequest("log(x)", -2.0, -1.0, 5, 1.0, False, "float64", "cpu"))
    best = columns(view.tables()["best"])
    assert set(best["rule"]) == {"no error model: f or its derivatives are undefined at every point"}
    assert view.methods["central"].rule == best["rule"][0]


def test_sweep_best_is_the_lowest_error_and_its_h(sweep: Any) -> None:
    tables = sweep.tables()
    errors, best = columns(tables["errors"]), columns(tables["best"])
    assert best["method"] == list(STEP_METHOD_NAMES)
    for i, method in enumerate(best["method"]):
        lowest = min(v for v in errors[method] if v is not None)
        assert best["best_error"][i] == lowest and best["best_h"][i] == errors["h"][errors[method].index(lowest)], method
        assert best["not_applicable"][i] == ""
    rules = dict(zip(best["method"], best["rule"], strict=True))
    assert rules["forward"] == "h* ~ eps^(1/2)" and rules["central"] == "h* ~ eps^(1/3)" and rules["five-point"] == "h* ~ eps^(1/5)"
    optimal = dict(zip(best["method"], best["model_optimal_h"], strict=True))
    assert 1e-9 < optimal["forward"] < 1e-7 and 1e-6 < optimal["central"] < 1e-4  # eps^(1/2) and eps^(1/3), roughly


def test_sweep_richardson_row_keeps_error_and_estimate_apart(sweep: Any) -> None:
    richardson = columns(sweep.tables()["richardson"])
    assert len(richardson["final_h"]) == 1
    point = sweep.richardson
    assert richardson["final_h"] == [point.final_h] and 0 < point.final_h <= 0.05
    assert richardson["abs_error"] == [point.error] and richardson["error_estimate"] == [point.estimate]
    assert 0 < richardson["abs_error"][0] <= richardson["error_estimate"][0] < 1e-9  # honest on sin: error below estimate
    assert richardson["evaluations"][0] >= 4 and richardson["too_optimistic"] == [False]
    assert list(richardson) == ["final_h", "abs_error", "error_estimate", "too_optimistic", "evaluations", "not_applicable"]
    assert richardson["not_applicable"] == [""]
    assert sweep.title == "|error| of f'(x) vs h, f(x) = sin(x)"
    assert sweep.tables(("forward",))["richardson"].rows == []
    assert [row[0] for row in sweep.tables(("central", "forward"))["best"].rows] == ["forward", "central"]


def loss(x: float) -> float:
    return 0.3 * math.sin(3 * x) + 0.5 * x**2


def loss_slope(x: float) -> float:
    return 0.9 * math.cos(3 * x) + x


def test_slope_field_tables_are_the_loss_its_slope_and_the_run() -> None:
    view = compute_slope_field(SlopeRequest("0.3*sin(3*x) + 0.5*x^2", -3.0, 3.0, 2.5, 0.1, "central", 13, 4, "float64", "cpu"))
    tables = view.tables()
    curve, arrows, run = columns(tables["loss"]), columns(tables["arrows"]), columns(tables["descent"])
    assert len(curve["x"]) == 300 and all(close(v, loss(x), 1e-15) for x, v in zip(curve["x"], curve["L"], strict=True))
    assert len(arrows["x"]) == 13 and arrows["x"][0] == -3.0 and arrows["x"][-1] == 3.0
    assert all(close(v, loss(x), 1e-15) for x, v in zip(arrows["x"], arrows["L"], strict=True))
    assert all(close(s, loss_slope(x), 1e-8) for x, s in zip(arrows["x"], arrows["slope"], strict=True))  # central, h ~ 1e-5
    assert list(run) == ["k", "x", "f", "dx"] and run["k"] == [0, 1, 2, 3, 4]
    x = 2.5
    for k in run["k"]:
        assert close(run["x"][k], x, 1e-13) and close(run["f"][k], loss(x), 1e-13) and close(run["dx"][k], loss_slope(x), 1e-13)
        x -= 0.1 * loss_slope(x)


def test_gradient_field_tables_put_each_partial_in_its_column() -> None:
    request = FieldRequest("x^2 + 3*y^2", -2.0, 2.0, -1.0, 1.0, 5, 3, (-1.6, 0.8), 0.1, 0.5, 3, "float64", "cpu")
    tables = compute_gradient_field(request).tables()
    grid, run = columns(tables["gradient"]), columns(tables["descent"])
    assert grid["x"] == [-2.0, -1.0, 0.0, 1.0, 2.0] * 3 and grid["y"] == [-1.0] * 5 + [0.0] * 5 + [1.0] * 5
    for i, (x, y) in enumerate(zip(grid["x"], grid["y"], strict=True)):
        assert close(grid["autograd_dx"][i], 2 * x, 1e-15) and close(grid["autograd_dy"][i], 6 * y, 1e-15)
        assert close(grid["central_dx"][i], 2 * x, 1e-8) and close(grid["central_dy"][i], 6 * y, 1e-8)
    assert list(run) == ["k", "x", "y", "f", "dx", "dy"]
    (x, y), (vx, vy) = (-1.6, 0.8), (0.0, 0.0)
    for k in run["k"]:  # heavy ball: v <- 0.5 v + grad, p <- p - 0.1 v
        assert close(run["x"][k], x, 1e-13) and close(run["y"][k], y, 1e-13), k
        assert close(run["f"][k], x * x + 3 * y * y, 1e-13) and close(run["dx"][k], 2 * x, 1e-13) and close(run["dy"][k], 6 * y, 1e-13)
        vx, vy = 0.5 * vx + 2 * x, 0.5 * vy + 6 * y
        x, y = x - 0.1 * vx, y - 0.1 * vy
    assert len(run["k"]) == 4


def test_each_field_view_is_titled_and_drawn_on_its_own_grid() -> None:
    """The titles the plots show, and the central-difference check drawn on the same (5 x 3) grid as autograd's."""
    view = compute_gradient_field(FieldRequest("x^2 + 3*y^2", -2.0, 2.0, -1.0, 1.0, 5, 3, (-1.6, 0.8), 0.1, 0.0, 3, "float64", "cpu"))
    assert view.autograd.title == "grad f for f(x, y) = x^2 + 3*y^2 (autograd)"  # as typed
    assert view.central.title == "grad f for f(x, y) = x^2 + 3*y^2 (central differences)"
    for quiver in (view.autograd, view.central):
        assert quiver.x == [-2.0, -1.0, 0.0, 1.0, 2.0] and quiver.y == [-1.0, 0.0, 1.0]
    slope = compute_slope_field(SlopeRequest("0.3*sin(3*x) + 0.5*x^2", -3.0, 3.0, 2.5, 0.1, "five-point", 13, 4, "float64", "cpu"))
    assert slope.title == "L(x) = 0.3*sin(3*x) + 0.5*x^2 · arrows: slope by five-point"


def test_an_undefined_iterate_has_an_undefined_gradient() -> None:
    request = FieldRequest("x*y + log(x)", -2.0, 2.0, -2.0, 2.0, 3, 3, (-1.6, 1.4), 0.1, 0.0, 5, "float64", "cpu")
    view = compute_gradient_field(request)
    path = view.path
    assert path.outcome == "undefined" and math.isnan(path.values[0])
    assert all(math.isnan(g) for g in path.gradients[0])  # not (y + 1/x, x) = (0.775, -1.6)
    assert view.undefined == 6  # the grid's columns x = -2 and x = 0 (log of a negative number, and of 0)


def test_a_path_keeps_the_gradient_where_f_is_defined_only() -> None:
    class Run:
        points = torch.tensor([[1.0], [2.0]])
        values = torch.tensor([1.0, math.inf])
        gradients = torch.tensor([[3.0], [4.0]])
        outcome, reason = "diverged", "f is not finite"

    path = PathView.of(Run())  # type: ignore[arg-type]
    assert path.gradients[0] == (3.0,) and math.isnan(path.gradients[1][0])
    assert path.table(("x",)).rows[0] == (0, 1.0, 1.0, 3.0)


def test_oscillation_is_every_step_reversing_in_the_window() -> None:
    zigzag = PathView(tuple(((-1.0) ** k * (10 - k),) for k in range(10)), (0.0,) * 10, ((0.0,),) * 10, "max-steps", "")
    assert zigzag.oscillating(6) and zigzag.oscillating(9) and not zigzag.oscillating(5)
    one_way = PathView(tuple(((10 - k) * 1.0,) for k in range(10)), (0.0,) * 10, ((0.0,),) * 10, "max-steps", "")
    assert not one_way.oscillating(9)
    mostly = PathView(tuple(((-1.0) ** k * (10 - k) if k != 5 else 4.5,) for k in range(10)), (0.0,) * 10, ((0.0,),) * 10, "", "")
    assert not mostly.oscillating(9)  # one step in the window goes the same way as the one before


def path_along(*xs: float) -> PathView:
    return PathView(tuple((x,) for x in xs), (0.0,) * len(xs), ((0.0,),) * len(xs), "max-steps", "")


def test_oscillation_is_judged_on_the_steps_themselves() -> None:
    damped = path_along(0.0, 1.0, 0.5, 1.2, 0.9, 1.1, 1.0)  # steps +1, -0.5, +0.7, -0.3, +0.2, -0.1 round x = 1
    assert damped.oscillating(6) is True and damped.last == 6
    assert damped.oscillating(5) is False  # fewer steps than the window: not yet
    late = path_along(0.0, 1.0, 2.0, 1.5, 2.2, 1.9, 2.1, 2.0)  # one way, then six reversing steps up to k = 7
    assert late.oscillating(7) is True
    assert path_along(*[1.0] * 7).oscillating(6) is False  # stuck: no step reverses
    assert path_along(*[10 - 0.5 * k for k in range(7)]).oscillating(6) is False  # small steps one way


def test_an_undefined_iterate_of_a_surface_has_both_gradient_components_undefined() -> None:
    class Run:
        points = torch.tensor([[1.0, 2.0], [2.0, 3.0]])
        values = torch.tensor([1.0, math.nan])
        gradients = torch.tensor([[3.0, 5.0], [4.0, 6.0]])
        outcome, reason = "undefined", "f is not defined"

    path = PathView.of(Run())  # type: ignore[arg-type]
    assert path.gradients[0] == (3.0, 5.0) and len(path.gradients[1]) == 2 and all(math.isnan(g) for g in path.gradients[1])
    assert path.last == 1
