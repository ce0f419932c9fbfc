"""Demos 3 and 4: arrows, flipping them, and every descent key path (step, run, pause, reset, lr, start, momentum)."""

from __future__ import annotations

import math

from textual.widgets import Input

from engine.expression import parse_expression
from engine.fields import descend
from tests.tui_helpers import ready, settle, type_text, widget_text
from tui.compute.descent import PathView
from tui.demos.gradient_field.plot import GradientFieldPlot
from tui.demos.gradient_field.screen import GradientFieldScreen
from tui.demos.slope_field.plot import SlopeFieldPlot
from tui.demos.slope_field.screen import SlopeFieldScreen
from tui.widgets.arrows import GLYPHS
from tui.widgets.function_input import FunctionInput
from tui.widgets.inline_error import InlineError
from tui.widgets.log_value_input import LogValueInput

MINIMUM = -0.37879  # of the tutorial's loss 0.3 sin(3x) + 0.5 x^2


async def open_demo(pilot, key: str):
    await ready(pilot)
    await pilot.press(key)
    await settle(pilot)
    return pilot.app.screen


def status(screen) -> str:
    return widget_text(screen.query_one("#descent-status"))


def arrows_in(plot_text: str) -> dict[str, int]:
    return {g: plot_text.count(g) for g in GLYPHS if plot_text.count(g)}


async def test_slope_field_draws_arrows_and_n_flips_them(pilot) -> None:
    screen = await open_demo(pilot, "3")
    assert isinstance(screen, SlopeFieldScreen)
    ascent = screen.query_one(SlopeFieldPlot).plt.build()
    counts = arrows_in(ascent)
    # Uphill on the right of the minimum is up-right, on the left up-left.
    assert counts.get("↗", 0) + counts.get("↑", 0) >= 5 and counts.get("↖", 0) >= 5
    assert sum(counts.values()) >= 20
    assert "arrows: ascent (L')" in status(screen)
    await pilot.press("n")
    await pilot.pause()
    descent = arrows_in(screen.query_one(SlopeFieldPlot).plt.build())
    assert descent.get("↙", 0) >= 5 and descent.get("↘", 0) >= 5 and "↗" not in descent
    assert "arrows: descent (−L')" in status(screen)


async def test_arrow_count_follows_the_plot_width(pilot) -> None:
    screen = await open_demo(pilot, "3")
    wide = len(screen.view.arrow_x)
    await pilot.resize_terminal(80, 24)
    await settle(pilot)
    assert 12 <= len(screen.view.arrow_x) < wide


async def test_space_steps_r_runs_and_pauses_backspace_resets(pilot) -> None:
    screen = await open_demo(pilot, "3")
    assert screen.k == 0 and "step k = 0 of" in status(screen)
    await pilot.press("space", "space", "space")
    assert screen.k == 3
    x3 = screen.path.points[3][0]
    assert f"x_k = {x3:.5g}" in status(screen)
    assert x3 < 2.5  # descent moved left, downhill from the start
    await pilot.press("r")
    assert screen.running and "(running)" in status(screen)
    await pilot.pause(0.7)
    await pilot.press("r")
    assert not screen.running
    paused_at = screen.k
    assert paused_at >= 5
    await pilot.pause(0.5)
    assert screen.k == paused_at
    await pilot.press("backspace")
    assert screen.k == 0 and "step k = 0 of" in status(screen)


async def test_descent_converges_to_the_tutorial_minimum_from_both_sides(pilot) -> None:
    screen = await open_demo(pilot, "3")
    for start in ("2.5", "-2.5"):
        field = screen.query_one("#start-input", Input)
        field.focus()
        field.value = start
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("end")
        assert screen.path.outcome == "converged"
        assert math.isclose(screen.path.points[-1][0], MINIMUM, abs_tol=1e-4)
        assert "converged" in status(screen)


async def test_the_two_minimum_preset_ends_in_different_minima_from_each_side(pilot) -> None:
    app = pilot.app
    screen = await open_demo(pilot, "3")
    await pilot.press("f3")  # preset 2: x^4 - 3x^2 + x, whose hump is near x = 0.17
    await settle(pilot)
    assert screen.learning_rate == 0.02 and app.state.loss.start == 1.5 and (app.state.loss.x_min, app.state.loss.x_max) == (-2.0, 2.0)
    ends = []
    for key, presses in (("left", 14), ("right", 2)):  # start at 0.1, then at 0.3 (steps of 0.1): either side of the hump at 0.169
        await pilot.press(*[key] * presses)
        await settle(pilot)
        await pilot.press("end")
        assert screen.path.outcome == "converged"
        ends.append(screen.path.points[-1][0])
    assert math.isclose(ends[0], -1.3008, abs_tol=1e-3) and math.isclose(ends[1], 1.1309, abs_tol=1e-3)


async def test_learning_rate_keys_and_a_too_large_rate_diverges_or_oscillates(pilot) -> None:
    screen = await open_demo(pilot, "3")
    await pilot.press("right_square_bracket")
    await settle(pilot)
    assert math.isclose(screen.learning_rate, 10**-0.75)
    await pilot.press("f5")  # preset 4, x^2: lr > 1 diverges
    await settle(pilot)
    lr = screen.query_one(LogValueInput).query_one(Input)
    lr.focus()
    lr.value = "1.2"
    await pilot.press("enter")
    await settle(pilot)
    await pilot.press("end")
    assert screen.path.outcome == "diverged"
    assert "diverged" in status(screen) and "learning rate is too large" in status(screen)
    lr.focus()
    lr.value = "0.99"  # still shrinking, but flipping sides every step
    await pilot.press("enter")
    await settle(pilot)
    await pilot.press(*["space"] * 8)
    assert "oscillating" in status(screen)


async def test_bad_inputs_on_the_slope_field_are_inline_messages(pilot) -> None:
    app = pilot.app
    screen = await open_demo(pilot, "3")
    panel = screen.query_one(FunctionInput)
    panel.input.value = "x + y"
    panel.apply("x + y")
    assert "'y' is not a variable here" in panel.error_text
    lr = screen.query_one(LogValueInput).query_one(Input)
    for text in ("0", "-0.1"):
        lr.focus()
        lr.value = text
        await pilot.press("enter")
        assert "lr must be a positive number" in screen.query_one("#lr-error", InlineError).message
    start = screen.query_one("#start-input", Input)
    start.focus()
    start.value = "foo"
    await pilot.press("enter")
    assert "start: column 1: not a number" in screen.query_one("#start-error", InlineError).message
    assert app.is_running and screen.path is not None


async def test_method_choice_draws_the_same_field(pilot) -> None:
    app = pilot.app
    screen = await open_demo(pilot, "3")
    by_autograd = screen.view.slopes
    await pilot.press("m", "m", "m", "m", "m")  # autograd -> forward, backward, central, five-point, complex-step
    await settle(pilot)
    assert app.state.loss.method == "complex-step"
    assert "slope by complex-step" in screen.query_one(SlopeFieldPlot).plt.build()
    assert max(abs(a - b) for a, b in zip(by_autograd, screen.view.slopes, strict=True)) < 1e-8


async def test_gradient_field_quiver_points_away_from_the_bowl_minimum(pilot) -> None:
    screen = await open_demo(pilot, "4")
    assert isinstance(screen, GradientFieldScreen)
    view = screen.view.autograd
    row, col = len(view.y) - 1, len(view.x) - 1  # top-right corner: grad = (2x, 6y) points up-right
    assert view.grad_x[row][col] > 0 and view.grad_y[row][col] > 0
    assert math.isclose(view.grad_x[row][col], 2 * view.x[col]) and math.isclose(view.grad_y[row][col], 6 * view.y[row])
    plot = screen.query_one(GradientFieldPlot).plt.build()
    counts = arrows_in(plot)
    assert len(counts) >= 6 and sum(counts.values()) >= len(view.x) * len(view.y) * 0.8
    assert "max |autograd − central| = " in widget_text(screen.query_one("#source"))
    autograd_path = screen.path
    await pilot.press("g")
    await settle(pilot)
    assert "central differences" in screen.query_one(GradientFieldPlot).plt.build()
    # the descent steps along the gradient shown: central differences' (2x, 6y) up to round-off, not autograd's
    request = screen.request()
    assert request is not None and request.gradients == "central"
    surface = pilot.app.state.surface
    f = parse_expression(surface.function, ("x", "y"))
    expected = descend(f, list(surface.start), surface.learning_rate, screen.STEP_LIMIT, gradient_by="central")
    assert screen.path.points == PathView.of(expected).points != autograd_path.points
    await pilot.press("n")
    flipped = arrows_in(screen.query_one(GradientFieldPlot).plt.build())
    assert flipped.get("↙", 0) > 0 and "arrows: −grad f (descent)" in status(screen)


async def test_gradient_descent_keys_start_cursor_and_momentum(pilot) -> None:
    app = pilot.app
    screen = await open_demo(pilot, "4")
    start = app.state.surface.start
    await pilot.press("right", "up")
    await settle(pilot)
    assert app.state.surface.start[0] > start[0] and app.state.surface.start[1] > start[1]
    assert screen.path.points[0] == app.state.surface.start
    await pilot.press("space", "space")
    assert screen.k == 2 and "(x, y)_k = " in status(screen)
    await pilot.press("end")
    assert screen.path.outcome == "converged"
    assert max(abs(v) for v in screen.path.points[-1]) < 1e-6
    plain = screen.path.last
    await pilot.press("m")
    await settle(pilot)
    assert app.state.surface.momentum == 0.5 and "momentum 0.5" in widget_text(screen.query_one("#momentum"))
    assert screen.k == 0 and screen.path.last != plain
    await pilot.press("backspace")
    assert screen.k == 0


async def test_rosenbrock_crawls_along_the_valley_and_the_saddle_escapes(pilot) -> None:
    screen = await open_demo(pilot, "4")
    await pilot.press("f4")  # Rosenbrock
    await settle(pilot)
    await pilot.press("end")
    path = screen.path
    # In the curved valley y = x^2 from step 100 on, crawling: still far from (1, 1) after 2000 steps.
    assert max(abs(y - x * x) for x, y in path.points[100:]) < 0.05
    assert path.outcome == "max-steps" and path.values[-1] > 0.1 and path.points[-1][0] < 0.9
    await pilot.press("m", "m")  # momentum 0.9 gets through the valley
    await settle(pilot)
    await pilot.press("end")
    assert screen.path.values[-1] < 1e-4
    await pilot.press("f3")  # saddle x^2 - y^2 from (1.8, 0.05)
    await settle(pilot)
    await pilot.press("end")
    x_end, y_end = screen.path.points[-1]
    assert abs(x_end) < 1e-3 and abs(y_end) > 10  # x settles, y runs away along the unstable direction
    assert screen.path.outcome == "diverged"


async def test_two_d_function_undefined_on_part_of_the_domain_is_a_notice(pilot) -> None:
    app = pilot.app
    screen = await open_demo(pilot, "4")
    await pilot.press("f")
    await type_text(pilot, "sqrt(x) + y^2")
    await pilot.press("enter")
    await settle(pilot)
    notice = widget_text(screen.query_one("#status"))
    assert "undefined at" in notice and "grid points" in notice
    assert "×" in screen.query_one(GradientFieldPlot).plt.build()
    assert app.is_running


async def test_slope_start_must_be_inside_the_range_and_an_undefined_start_says_so(pilot) -> None:
    app = pilot.app
    screen = await open_demo(pilot, "3")
    start = screen.query_one("#start-input", Input)
    start.focus()
    start.value = "1e9"
    await pilot.press("enter")
    assert screen.query_one("#start-error", InlineError).message == "✗ start must be inside the x range [-3, 3]"
    await pilot.press("escape")
    assert start.value == "2.5" and app.state.loss.start == 2.5
    await pilot.press("f")
    await type_text(pilot, "log(x)")
    await pilot.press("enter")
    start.focus()
    start.value = "-1"
    await pilot.press("enter")
    await settle(pilot)
    assert screen.path.outcome == "undefined"
    assert "undefined: f is not finite (NaN or inf) at the start point" in status(screen)


async def test_slope_panel_shows_signed_l_prime_and_presets_refill_the_domain(pilot) -> None:
    screen = await open_demo(pilot, "3")
    slope = screen.path.gradients[0][0]
    assert f"L'(x_k) = {slope:.4g}" in status(screen) and "L(x_k) = " in status(screen)
    screen.query_one("#x-min", Input).value = ""
    await pilot.press("f3")
    await settle(pilot)
    assert screen.query_one("#x-min", Input).value == "-2" and screen.query_one("#x-max", Input).value == "2"


async def test_gradient_domain_change_keeps_the_start_inside(pilot) -> None:
    app = pilot.app
    screen = await open_demo(pilot, "4")
    screen.query_one("#x-min", Input).value = "0"
    screen.query_one("#x-min", Input).focus()
    await pilot.press("enter")
    await settle(pilot)
    assert (app.state.surface.x_min, app.state.surface.x_max) == (0.0, 2.0) and app.state.surface.start[0] == 0.0
    assert screen.path.points[0][0] == 0.0
