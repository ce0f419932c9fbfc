"""The compute layer without the app: each demo's request -> view function, and the runner's latest-wins rule."""

from __future__ import annotations

import math
import time

import pytest
from textual.pilot import Pilot

import engine.derive
from engine.vocabulary import METHOD_NAMES, STEP_METHOD_NAMES, h_on_grid
from tests.tui_helpers import settle
from tui.app import CalcApp
from tui.demos.compare.compute import PREVIEW, CompareRequest, compute_compare, preview_compare
from tui.demos.compare.screen import CompareScreen
from tui.demos.error_vs_h.compute import SweepRequest, compute_sweep
from tui.demos.gradient_field.compute import FieldRequest, compute_gradient_field
from tui.demos.slope_field.compute import SlopeRequest, compute_slope_field


def test_compare_view_has_every_method_the_errors_and_the_tangent() -> None:
    view = compute_compare(CompareRequest("sin(x)", -math.pi, math.pi, 41, 1e-4, 1.0, "float64", "cpu"))
    assert set(view.curves.curves) == set(METHOD_NAMES) and len(view.curves.x) == 41
    rows = {row.method: row for row in view.rows}
    # forward's error at h is h/2 |f''| at most: h/2 = 5e-5 (sin'' = -sin reaches 1 near pi/2 on this grid)
    assert rows["forward"].max_error == pytest.approx(5e-5, rel=0.01)
    assert rows["exact"].max_error < 2.3e-16 and rows["five-point"].evaluations == 4
    tangent = view.tangent
    assert (tangent.x0, tangent.f0, tangent.slope) == (1.0, math.sin(1.0), pytest.approx(math.cos(1.0), abs=1e-16))
    # the secant through x0 and x0 + h has slope cos(1) - h sin(1) / 2 to first order
    assert tangent.secant == pytest.approx(math.cos(1.0) - 1e-4 * math.sin(1.0) / 2, abs=1e-9)
    assert view.notice is None and view.dtype == "float64" and not view.preview


@pytest.mark.parametrize("order", [1, 2, 3])
def test_the_tangent_panel_carries_fs_taylor_polynomial_of_the_order(order: int) -> None:
    """At order 2 the panel bends with f: f(x0) + f'(x0) d + f''(x0) d^2/2; at order 3 one more term."""
    view = compute_compare(CompareRequest("exp(2*x)", -1.0, 1.0, 41, 1e-4, 0.25, "float64", "cpu", order=order))
    tangent = view.tangent
    e = math.exp(0.5)
    assert tangent.taylor == pytest.approx([4 * e, 8 * e][: order - 1], rel=1e-15)  # (2^k) e^(2 x0)
    d = 0.3
    expected = e * sum((2 * d) ** k / math.factorial(k) for k in range(order + 1))
    assert tangent.taylor_at(0.25 + d) == pytest.approx(expected, rel=1e-14)
    assert math.isnan(tangent.derivative) if order == 1 else tangent.derivative == pytest.approx(2**order * e, rel=1e-15)


def test_the_quick_preview_is_central_differences_of_f() -> None:
    view = preview_compare("exp(x)", 0.0, 1.0, 11, 1e-4, 0.37)
    assert view.preview and list(view.curves.curves) == [PREVIEW]
    assert max(abs(d - math.exp(x)) for x, d in zip(view.curves.x, view.curves.curves[PREVIEW], strict=True)) < 1e-9
    # the numbers under the tangent plot are at x0 itself, off the grid, as they will be once torch is loaded
    t = view.tangent
    assert t.x0 == 0.37 and t.f0 == pytest.approx(math.exp(0.37), rel=1e-15)
    assert t.slope == pytest.approx(math.exp(0.37), rel=1e-9)
    assert t.secant == pytest.approx((math.exp(0.3701) - math.exp(0.37)) / 1e-4, rel=1e-9)


def test_sweep_view_has_each_step_method_on_the_h_grid_and_the_model() -> None:
    view = compute_sweep(SweepRequest("sin(x)", -1.0, 1.0, 21, 0.0, False, "float64", "cpu"))
    assert list(view.methods) == list(STEP_METHOD_NAMES)
    assert len(view.h) == 61 and view.h[0] == pytest.approx(0.1) and view.eps == 2.0**-52
    # the h keys move along 10^(k/4): every value they reach between 1e-1 and 1e-16 is a sweep point
    grid = {round(math.log10(h) * 4) for h in view.h}
    assert grid == set(range(-64, -3)) and all(math.isclose(h, h_on_grid(round(math.log10(h) * 4))) for h in view.h)
    central = view.methods["central"]
    assert central.best_h is not None and 1e-6 < central.best_h < 1e-4 and central.optimal_h is not None
    assert view.scope == "max over 21 points"


def test_slope_field_view_has_the_loss_the_arrows_and_the_run() -> None:
    request = SlopeRequest("x^2", -2.0, 2.0, 1.5, 0.25, "central", 9, 100, "float64", "cpu")
    view = compute_slope_field(request)
    assert view.arrow_x == pytest.approx([-2 + 0.5 * i for i in range(9)])
    assert view.slopes == pytest.approx([2 * x for x in view.arrow_x], abs=1e-9)  # central differences of x^2 are exact
    path = view.path
    # x <- x - 0.25 * 2x halves x every step: 1.5, 0.75, 0.375, ...
    assert [p[0] for p in path.points[:4]] == [1.5, 0.75, 0.375, 0.1875]
    assert path.outcome == "converged"


def test_gradient_field_view_has_both_quivers_and_the_run() -> None:
    request = FieldRequest("x^2 + 3*y^2", -1.0, 1.0, -1.0, 1.0, 5, 3, (1.0, 1.0), 0.1, 0.0, 500, "float64", "cpu")
    view = compute_gradient_field(request)
    assert view.autograd.grad_x[2][4] == 2.0 and view.autograd.grad_y[2][4] == 6.0  # at (1, 1): (2x, 6y)
    assert view.central.grad_y[0][0] == pytest.approx(-6.0, abs=1e-8)
    assert view.max_difference is not None and view.max_difference < 1e-8 and view.undefined == 0
    assert view.path.points[1] == pytest.approx((0.8, 0.4))  # (1, 1) - 0.1 * (2, 6)


async def test_held_keys_coalesce_and_the_latest_request_is_what_is_drawn(pilot: Pilot[int], monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[float] = []
    real = engine.derive.derive

    def slow(*args: object, **kwargs: object) -> object:
        calls.append(float(args[2]))  # type: ignore[arg-type]
        time.sleep(0.5)  # a computation much slower than the key repeat, as on a big domain
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(engine.derive, "derive", slow)
    app = pilot.app
    assert isinstance(app, CalcApp)
    for _ in range(8):  # h from 1e-4 up two decades, faster than the computations finish
        await pilot.press("right_square_bracket")
    await settle(pilot)
    screen = app.screen
    assert isinstance(screen, CompareScreen) and screen.view is not None
    assert app.state.lab.h == pytest.approx(1e-2)
    assert screen.view.tangent.h == pytest.approx(1e-2)  # what is drawn is the last request, not an older one
    computed = sorted(set(calls))
    assert computed[-1] == pytest.approx(1e-2)
    assert len(computed) <= 3  # the first press, perhaps one in between, the last: the rest were skipped


def test_an_x0_the_dtype_moves_is_named_in_compare_and_error_vs_h() -> None:
    """bfloat16 holds 1e8 as 100139008: the tangent and the error at x0 are there, and the notes say so."""
    said = "x0 = 1e+08 is 1.00139e+08 in bfloat16, the nearest value it holds: every figure is at x0 = 1.00139e+08"
    view = compute_compare(CompareRequest("sin(x)", -1.0, 1.0, 21, 1e-3, 1e8, "bfloat16", "cpu"))
    assert view.notice is not None and said in view.notice.splitlines()
    assert view.tangent.x0 == 100139008.0
    swept = compute_sweep(SweepRequest("sin(x)", -1.0, 1.0, 21, 1e8, True, "bfloat16", "cpu"))
    assert swept.notice == said
    assert compute_sweep(SweepRequest("sin(x)", -1.0, 1.0, 21, 1e8, False, "bfloat16", "cpu")).notice is None  # over the domain
    held = compute_compare(CompareRequest("sin(x)", -1.0, 1.0, 21, 1e-1, 0.5, "bfloat16", "cpu"))
    assert held.notice is None and held.tangent.x0 == 0.5  # bfloat16 holds 0.5 exactly: nothing to say
