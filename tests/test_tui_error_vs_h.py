"""Demo 2, Error vs h: the log-log plot, the best h of each method, the model, float32 moving the sweet spot."""

from __future__ import annotations

import math

from engine.vocabulary import method
from tests.tui_helpers import ready, screen_text, settle, type_text, widget_text
from tui.demos.error_vs_h.plot import ErrorPlot, Explanation
from tui.demos.error_vs_h.screen import ErrorVsHScreen


async def open_error_demo(pilot) -> ErrorVsHScreen:
    await ready(pilot)
    await pilot.press("2")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, ErrorVsHScreen)
    return screen


def best(screen: ErrorVsHScreen, method: str) -> tuple[float, float]:
    curve = screen.view.methods[method]  # what the plot and the table were drawn from
    return curve.best_h, curve.best_error


async def test_log_log_plot_has_power_of_ten_ticks_and_every_step_method(pilot) -> None:
    app = pilot.app
    screen = await open_error_demo(pilot)
    plot = screen.query_one(ErrorPlot).plt.build()
    for label in ("1e-15", "1e-9", "1e-3", "1e-1"):
        assert label in plot
    assert "0.0000" not in plot
    for name in ("forward", "backward", "central", "five-point", "complex-step"):
        assert name in plot
    text = screen_text(app)
    assert "Truncation vs round-off for f' · float64, eps = 2.2e-16" in text


async def test_best_h_of_central_and_forward_match_the_textbook_in_float64(pilot) -> None:
    screen = await open_error_demo(pilot)
    h, error = best(screen, "central")
    assert 1e-6 < h < 1e-4 and 1e-12 < error < 1e-10
    h, error = best(screen, "forward")
    assert 1e-9 < h < 1e-7 and 1e-9 < error < 1e-7
    model = screen.view.methods["central"].optimal_h
    assert model is not None and 1 / 3 < model / best(screen, "central")[0] < 3
    table = widget_text(screen.query_one(Explanation))
    assert f"{best(screen, 'central')[0]:.1e}" in table and "eps^(1/3)" in table


async def test_float32_moves_the_best_h_of_forward_from_1e_8_to_about_1e_4(pilot) -> None:
    app = pilot.app
    screen = await open_error_demo(pilot)
    h64, _ = best(screen, "forward")
    plot64 = screen.query_one(ErrorPlot).plt.build()
    await pilot.press("d")
    await settle(pilot)
    assert app.state.precision.dtype == "float32"
    h32, error32 = best(screen, "forward")
    assert h64 < 1e-7 and 1e-5 < h32 < 1e-2 and error32 > 1e-5
    assert screen.query_one(ErrorPlot).plt.build() != plot64
    assert "float32, eps = 1.2e-07" in screen_text(app)


async def test_current_h_marker_moves_with_the_keys_without_recomputing(pilot) -> None:
    app = pilot.app
    screen = await open_error_demo(pilot)
    result = screen.view
    before = screen.query_one(ErrorPlot).plt.build()
    column_before = widget_text(screen.query_one(Explanation))
    await pilot.press("left_curly_bracket", "left_curly_bracket")
    await settle(pilot)
    assert math.isclose(app.state.lab.h, 1e-6)
    assert screen.view is result  # the sweep does not depend on h
    assert screen.query_one(ErrorPlot).plt.build() != before
    # the "at h now" column follows h
    column = widget_text(screen.query_one(Explanation))
    assert "at h now" in column and column != column_before and "h now = 1.0e-06" in screen_text(app)


async def test_scope_toggle_measures_at_x0(pilot) -> None:
    screen = await open_error_demo(pilot)
    domain_best = best(screen, "central")[1]
    await pilot.press("s")
    await settle(pilot)
    assert "at x0 = 1" in widget_text(screen.query_one(Explanation))
    assert best(screen, "central")[1] < domain_best  # one point is easier than the worst of 400
    await pilot.press("s")
    await settle(pilot)
    assert "max over 400 points" in widget_text(screen.query_one(Explanation))


async def test_method_keys_hide_curves_and_rows(pilot) -> None:
    app = pilot.app
    screen = await open_error_demo(pilot)
    await pilot.press(method("five-point").key, method("complex-step").key)
    await pilot.pause()
    plot = screen.query_one(ErrorPlot).plt.build()
    table = widget_text(screen.query_one(Explanation))
    assert "five-point" not in plot and "complex-step" not in plot
    assert "five-point" not in table and "central" in table
    assert "exact" in app.state.lab.methods  # this screen leaves the other methods alone


async def test_function_typed_here_is_shared_with_compare(pilot) -> None:
    app = pilot.app
    await open_error_demo(pilot)
    await pilot.press("f")
    await type_text(pilot, "exp(x)")
    await pilot.press("enter", "escape", "1")
    await settle(pilot)
    assert app.current_mode == "compare"
    assert "f'(x) for f(x) = exp(x)" in screen_text(app)


async def test_complex_step_is_flat_at_machine_precision_and_not_applicable_for_relu(pilot) -> None:
    screen = await open_error_demo(pilot)
    errors = screen.view.methods["complex-step"].errors
    tiny = [e for h, e in zip(screen.view.h, errors, strict=True) if h < 1e-9]
    assert max(tiny) < 1e-15
    await pilot.press("f")
    await type_text(pilot, "relu(x)")
    await pilot.press("enter")
    await settle(pilot)
    assert "not complex-analytic" in widget_text(screen.query_one(Explanation))


async def test_with_every_method_off_the_plot_names_the_keys_that_bring_them_back(pilot) -> None:
    screen = await open_error_demo(pilot)
    await pilot.press(*(method(name).key for name in screen.METHODS))
    await pilot.pause()
    assert "no method enabled: press w, b, c, v, i or R" in screen.query_one(ErrorPlot).plt.build()
    await pilot.press("R")
    await pilot.pause()
    assert "no method enabled" not in screen.query_one(ErrorPlot).plt.build()
