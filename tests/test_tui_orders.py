"""The derivative order (o: f' -> f'' -> f''') shared by Compare and Error vs h, and Richardson's row and point."""

from __future__ import annotations

import math

import pytest
import torch
from textual.widgets import Input, Static

from engine.derive import derive
from engine.expression import parse_expression
from tests.test_tui_compare import apply_function, rows
from tests.test_tui_error_vs_h import open_error_demo
from tests.tui_helpers import screen_text, settle, type_text, widget_text
from tui.demos.compare.plots import ErrorTable, TangentPlot
from tui.demos.compare.screen import CompareScreen
from tui.demos.error_vs_h.plot import ErrorPlot, Explanation

SECOND = "f''"
THIRD = "f'''"


async def test_o_cycles_the_order_and_every_panel_says_which_derivative(pilot) -> None:
    app = pilot.app
    assert app.state.lab.order == 1
    await pilot.press("o")
    await settle(pilot)
    assert app.state.lab.order == 2
    text = screen_text(app)
    assert "f''(x) for f(x) = sin(x)" in text  # the plot's title
    assert "derivative f''(x) (o)" in text  # the panel
    assert "f'' vs 50-digit reference" in text  # the table's caption
    assert "f''(x0) = -0.841471" in text  # sin''(1) = -sin(1), under the tangent
    await pilot.press("o")
    await settle(pilot)
    assert app.state.lab.order == 3 and "f'''(x) for f(x) = sin(x)" in screen_text(app)
    await pilot.press("o")
    await settle(pilot)
    assert app.state.lab.order == 1 and "f'(x) for f(x) = sin(x)" in screen_text(app)


async def test_second_derivative_table_is_the_engines_and_counts_each_stencils_evaluations(pilot) -> None:
    app = pilot.app
    await pilot.press("o")
    await settle(pilot)
    table = rows(app)
    lab = app.state.lab
    grid = torch.linspace(lab.x_min, lab.x_max, lab.points, dtype=torch.float64)
    expected = derive(parse_expression("sin(x)"), grid, lab.h, order=2).results
    for name in ("forward", "central", "five-point", "complex-step"):
        assert float(table[name]["max|err|"]) == pytest.approx(expected[name].max_error, rel=0.06), name  # printed to 2 digits
    # central's f'' at h = 1e-4: truncation h^2/12 ~ 1e-9 is buried under round-off 4 eps / h^2 ~ 1e-8
    assert 3e-9 < float(table["central"]["max|err|"]) < 1e-7
    assert table["forward"]["evals"] == "3" and table["central"]["evals"] == "3" and table["five-point"]["evals"] == "5"
    assert table["autograd"]["evals"] == "1+2bwd"  # f, then two backward passes
    exact = next(line for line in widget_text(app.screen.query_one(ErrorTable)).splitlines() if line.lstrip().startswith("exact"))
    assert exact.split()[-2:] == ["1", SECOND]  # one evaluation of the formula of f''


async def test_at_order_3_complex_step_says_why_it_has_no_third_derivative(pilot) -> None:
    app = pilot.app
    await pilot.press("o", "o")
    await settle(pilot)
    assert rows(app)["complex-step"]["max|err|"] == "n/a"
    text = " ".join(screen_text(app).split())
    assert "complex-step: not applicable" in text and "no third" in text


async def test_the_order_is_shared_with_error_vs_h_and_moves_the_sweet_spot(pilot) -> None:
    app = pilot.app
    await pilot.press("o")
    await settle(pilot)
    screen = await open_error_demo(pilot)
    assert screen.view is not None and screen.view.order == 2
    assert "|error| of f''(x) vs h" in screen.query_one(ErrorPlot).plt.build()
    assert "for f''" in widget_text(screen.query_one(Explanation))
    central = screen.view.methods["central"]
    assert central.best_h is not None and 3e-5 < central.best_h < 4e-4  # near eps^(1/4), not eps^(1/3) ~ 1e-5
    assert central.rule == "h* ~ eps^(1/4)"
    await pilot.press("o")  # here too, and back in Compare it is the same order
    await settle(pilot)
    assert screen.view.order == 3
    await pilot.press("1")
    await settle(pilot)
    assert "f'''(x) for f(x)" in screen_text(app)


async def test_the_palette_sets_the_order(pilot) -> None:
    app = pilot.app
    await pilot.press("ctrl+p")
    await pilot.pause()
    await type_text(pilot, "Derivative order 3")
    await pilot.pause(0.5)  # the palette searches asynchronously
    await pilot.press("enter")
    await settle(pilot)
    assert app.state.lab.order == 3
    assert "f'''(x) for f(x) = sin(x)" in screen_text(app)


async def test_richardson_shows_its_estimate_beside_its_true_error(pilot) -> None:
    app = pilot.app
    richardson = rows(app)["richardson"]
    error, estimate = float(richardson["max|err|"]), float(richardson["est.err"])
    assert error < 1e-12  # ~1e-13 on sin in float64
    assert error <= estimate < 100 * error  # honest and not uselessly pessimistic
    assert richardson["evals"].startswith("≤")  # it uses what each point needs
    assert "!" not in richardson["est.err"]


async def test_an_estimate_that_lies_at_a_kink_is_marked(pilot) -> None:
    """With 401 points the grid has x = -2.8e-16: Richardson's first steps straddle the kink at 0 and agree on 0."""
    app = pilot.app
    await apply_function(pilot, "abs(x)")
    assert "!" not in rows(app)["richardson"]["est.err"]  # 400 points: none near enough to 0 for it to lie
    points = app.screen.query_one("#n-points", Input)
    points.value = "401"
    points.focus()
    await pilot.press("enter")
    await settle(pilot)
    assert app.state.lab.points == 401
    richardson = rows(app)["richardson"]
    assert richardson["est.err"].endswith("!")
    assert float(richardson["max|err|"]) > 10 * float(richardson["est.err"].rstrip("!"))
    assert "richardson: ! its estimate is over 10x too optimistic" in " ".join(widget_text(app.screen.query_one(ErrorTable)).split())


async def test_at_a_kink_the_tangent_panel_says_there_is_no_derivative(pilot) -> None:
    """abs'(0) does not exist: torch and SymPy say 0 (sign(0) = 0), and the screen must not pass that off as f'(x0)."""
    app = pilot.app
    await apply_function(pilot, "abs(x)")
    assert "f'(x0) = 1 " in screen_text(app)
    while app.state.lab.x0 > 0:
        await pilot.press("left")
        await settle(pilot)
    assert app.state.lab.x0 == 0.0
    screen = app.screen
    assert isinstance(screen, CompareScreen)
    assert " ".join(widget_text(screen.query_one("#tangent-info", Static)).split()) == "x0 = 0 f(x0) = 0 f'(x0) = none (kink) secant = 1"
    status = " ".join(screen.status_text.split())
    assert status.startswith("f'(x) does not exist at x = 0: a kink, -1 from the left and 1 from the right.")
    await pilot.press("o")  # f'' = 2 DiracDelta(x): undefined at the kink, said in words
    await settle(pilot)
    assert "f''(x0) = undefined" in widget_text(screen.query_one("#tangent-info", Static))
    for _ in range(2):
        await pilot.press("o")
        await settle(pilot)
    await pilot.press("right")
    await settle(pilot)
    assert "f'(x0) = 1 " in widget_text(screen.query_one("#tangent-info", Static))
    assert "does not exist" not in screen.status_text


async def test_r_hides_richardson_and_its_estimate_column(pilot) -> None:
    app = pilot.app
    await pilot.press("R")
    await settle(pilot)
    assert "richardson" not in app.state.lab.methods
    assert "richardson" not in rows(app) and "est.err" not in screen_text(app)
    assert "mean|err|" in screen_text(app)  # the mean is back where the estimate was


async def test_error_vs_h_draws_richardson_as_one_point_with_its_estimate(pilot) -> None:
    screen = await open_error_demo(pilot)
    point = screen.view.richardson
    assert point is not None and point.final_h is not None and point.error is not None and point.estimate is not None
    assert 1e-4 < point.final_h < 0.05 and point.error < 1e-12 and point.estimate >= point.error
    built = screen.query_one(ErrorPlot).plt.build()
    assert "★" in built and "richardson (bar: its estimate)" in built
    explanation = " ".join(widget_text(screen.query_one(Explanation)).split())
    assert f"richardson {point.final_h:.1e} {point.error:.1e} est {point.estimate:.1e}" in explanation
    await pilot.press("R")
    await settle(pilot)
    assert "★" not in screen.query_one(ErrorPlot).plt.build()
    assert "richardson" not in widget_text(screen.query_one(Explanation))


@pytest.mark.size(80, 24)
async def test_at_80x24_the_folded_summary_names_the_order(pilot) -> None:
    app = pilot.app
    await pilot.press("o")
    await settle(pilot)
    summary = screen_text(app).splitlines()[1]
    assert "f(x) = sin(x) · f'' · h = 1.0e-04" in summary
    assert isinstance(app.screen, CompareScreen) and not math.isnan(app.screen.view.tangent.derivative)
    assert "f(x), tangent and Taylor-2 at x0" in screen_text(app) and "Taylor-2" in app.screen.query_one(TangentPlot).plt.build()
