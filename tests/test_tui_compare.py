"""Demo 1, Compare: the function input, the h selector, the method toggles, domain, dtype and the tangent."""

from __future__ import annotations

import io
import math
import re

import pytest
from rich.console import Console
from textual.widgets import Checkbox, Input

from engine.vocabulary import METHOD_NAMES as ALL_METHODS
from engine.vocabulary import method
from tests.tui_helpers import ready, screen_text, settle, type_text, widget_text
from tui.app import CalcApp
from tui.demos.compare.plots import DerivativePlot, TangentPlot
from tui.look import Look
from tui.widgets.function_input import FunctionInput
from tui.widgets.inline_error import InlineError
from tui.widgets.log_value_input import LogValueInput
from tui.widgets.plotting import CallRecorder, row_aligned_axis
from tui.widgets.static_text import pack_fields


def rows(app: CalcApp) -> dict[str, dict[str, str]]:
    """The error table as {method: {column heading: cell}}, read from what is drawn (a blank cell is left out)."""
    lines = screen_text(app).splitlines()
    header = next(line for line in lines if "max|err|" in line)
    start = header.index("method")
    headings = [(m.group(), m.end()) for m in re.finditer(r"\S+", header[start:]) if m.group() != "method"]
    result: dict[str, dict[str, str]] = {}
    for line in lines:
        for name in ALL_METHODS:
            marker = f" {name} "
            if line[start - 1 : start + len(marker) - 1] != marker:
                continue
            cells: dict[str, str] = {}
            # The number columns are right-aligned: a cell belongs to the heading whose right edge it shares.
            for cell in re.finditer(r"\S+", line[start + len(name) :]):
                end = cell.end() + len(name)
                heading = min(headings, key=lambda h: abs(h[1] - end))[0]
                cells[heading] = cell.group()
            result[name] = cells
    return result


async def apply_function(pilot, text: str) -> None:
    await pilot.press("f")
    await type_text(pilot, text)
    await pilot.press("enter")
    await settle(pilot)


async def test_table_measures_every_method_against_the_reference(pilot) -> None:
    app = pilot.app
    table = rows(app)
    assert set(table) == set(ALL_METHODS)
    assert float(table["exact"]["max|err|"]) < 1e-15 and float(table["autograd"]["max|err|"]) < 1e-15
    # h = 1e-4 on sin: forward ~ h/2, central ~ h^2/6, five-point ~ 1e-12
    assert 3e-5 < float(table["forward"]["max|err|"]) < 7e-5
    assert 1e-9 < float(table["central"]["max|err|"]) < 3e-9
    assert float(table["five-point"]["max|err|"]) < 1e-11
    assert table["five-point"]["evals"] == "4" and table["forward"]["evals"] == "2"


async def test_good_function_redraws_plot_title_and_table(pilot) -> None:
    app = pilot.app
    await apply_function(pilot, "x^3 - 2x")
    assert app.state.lab.function == "x^3 - 2x"
    text = screen_text(app)
    assert "f'(x) for f(x) = x^3 - 2x" in text  # as typed (the quick preview says the same)
    assert float(rows(app)["exact"]["max|err|"]) < 1e-14  # float64 rounding of 3x^2 - 2 only
    # The tangent at x0 = 1: f(1) = -1, f'(1) = 1
    assert "f(x0) = -1" in text and "f'(x0) = 1 " in text


async def test_bad_function_shows_message_and_column_and_keeps_last_good_plot(pilot) -> None:
    app = pilot.app
    before = app.screen.query_one(DerivativePlot).plt.build()
    await apply_function(pilot, "sinn(x)")
    panel = app.screen.query_one(FunctionInput)
    assert "column 1: unknown name 'sinn'; did you mean 'sin'?" in panel.error_text
    assert "did you mean 'sin'" in screen_text(app)
    assert app.state.lab.function == "sin(x)"
    assert app.screen.query_one(DerivativePlot).plt.build() == before
    # Fixing it clears the message.
    panel.input.value = ""
    await type_text(pilot, "cos(x)")
    await pilot.press("enter")
    await settle(pilot)
    assert panel.error_text == ""
    assert app.state.lab.function == "cos(x)"


async def test_hostile_text_in_the_input_is_an_inline_error(pilot) -> None:
    app = pilot.app
    for text in ("__import__('os')", "x.real", "9**9**9**9", "sin(x", "y + 1"):
        panel = app.screen.query_one(FunctionInput)
        panel.input.value = text
        panel.apply(text)
        await settle(pilot)
        assert panel.error_text.startswith("✗ column"), text
        assert app.state.lab.function == "sin(x)"


async def test_escape_gives_number_keys_back_but_digits_typed_in_the_input_stay_text(pilot) -> None:
    app = pilot.app
    await pilot.press("f", "2", "x")
    assert app.current_mode == "compare"
    assert app.screen.query_one("#formula", Input).value == "2x"
    await pilot.press("escape", "2")
    await settle(pilot)
    assert app.current_mode == "error-vs-h"


async def test_history_recalls_earlier_functions_and_presets_are_one_key_away(pilot) -> None:
    app = pilot.app
    await apply_function(pilot, "tanh(x)")
    await pilot.press("escape", "f4")  # preset 3: sigmoid
    await settle(pilot)
    assert app.state.lab.function == "sigmoid(x)"
    await pilot.press("f", "up")
    assert app.screen.query_one("#formula", Input).value == "tanh(x)"
    await pilot.press("up")
    assert app.screen.query_one("#formula", Input).value == "sin(x)"
    await pilot.press("down", "down")
    assert app.screen.query_one("#formula", Input).value == "sigmoid(x)"
    await pilot.press("escape", "p")  # the preset after sigmoid: x^3 - 2x
    await settle(pilot)
    assert app.state.lab.function == "x^3 - 2*x"


async def test_h_keys_move_a_quarter_decade_or_a_decade_and_redraw(pilot) -> None:
    app = pilot.app
    selector = app.screen.query_one(LogValueInput)
    assert selector.query_one(Input).value == "1.0e-04"
    forward_before = float(rows(app)["forward"]["max|err|"])
    await pilot.press("right_square_bracket")
    await settle(pilot)
    assert math.isclose(app.state.lab.h, 10**-3.75)
    assert selector.query_one(Input).value == "1.8e-04"
    await pilot.press("right_curly_bracket", "right_curly_bracket")
    await settle(pilot)
    assert math.isclose(app.state.lab.h, 10**-1.75)
    assert float(rows(app)["forward"]["max|err|"]) > 50 * forward_before  # forward's error grows with h
    await pilot.press("left_curly_bracket", "left_square_bracket", "minus")
    await settle(pilot)
    assert math.isclose(app.state.lab.h, 10**-3.25)
    assert "h = 5.6e-04" in screen_text(app)


async def test_typed_h_is_accepted_and_bad_h_is_an_inline_error(pilot) -> None:
    app = pilot.app
    field = app.screen.query_one(LogValueInput).query_one(Input)
    error = app.screen.query_one("#h-error", InlineError)
    for text, message in (
        ("-1e-3", "h must be a positive number, got -1e-3"),
        ("0", "h must be a positive number, got 0"),
        ("abc", "h: column 1: not a number: unknown name 'abc'"),
        ("nan", "h: column 1: not a number: unknown name 'nan'"),
        ("1e-30", "h must be between 1e-20 and 1"),
    ):
        field.focus()
        field.value = text
        await pilot.press("enter")
        await settle(pilot)
        assert error.message == f"✗ {message}", text
        assert error.display and "✗ h" in screen_text(app)
        assert app.state.lab.h == 1e-4
    field.focus()
    field.value = "1e-6"
    await pilot.press("enter")
    await settle(pilot)
    assert app.state.lab.h == 1e-6
    assert error.message == "" and "✗" not in screen_text(app)


async def test_each_method_key_toggles_its_curve_and_row(pilot) -> None:
    app = pilot.app
    for name in ALL_METHODS:
        await pilot.press(method(name).key)
        await pilot.pause()
        assert name not in app.state.lab.methods
        assert name not in rows(app)
        legend = app.screen.query_one(DerivativePlot).plt.build()
        assert f" {name} " not in legend
        await pilot.press(method(name).key)
        await pilot.pause()
        assert name in app.state.lab.methods and name in rows(app)


async def test_space_toggles_the_focused_method_checkbox(pilot) -> None:
    app = pilot.app
    box = app.screen.query_one("#toggle-central", Checkbox)
    box.focus()
    await pilot.press("space")
    await pilot.pause()
    assert "central" not in app.state.lab.methods and not box.value


async def test_tab_reaches_every_control(pilot) -> None:
    app = pilot.app
    seen = set()
    for _ in range(20):
        await pilot.press("tab")
        focused = app.focused
        if focused is not None and focused.id:
            seen.add(focused.id)
    assert {"formula", "h-input", "x-min", "x-max", "n-points"} <= seen
    assert {f"toggle-{m}" for m in ALL_METHODS} <= seen


async def test_dtype_toggle_recomputes_in_float32(pilot) -> None:
    app = pilot.app
    await pilot.press("d")
    await settle(pilot)
    assert app.state.precision.dtype == "float32"
    assert "Compare · cpu · float32" in screen_text(app)
    table = rows(app)
    assert 1e-8 < float(table["exact"]["max|err|"]) < 1e-6  # float32 rounding, measured against 50 digits
    assert float(table["central"]["max|err|"]) > 1e-5  # round-off dominates at h = 1e-4 in float32


async def test_domain_and_points_apply_and_bad_values_are_inline_errors(pilot) -> None:
    app = pilot.app
    screen = app.screen
    screen.query_one("#x-min", Input).value = "0.5"
    screen.query_one("#n-points", Input).value = "50"
    screen.query_one("#x-max", Input).focus()
    await pilot.press("enter")
    await settle(pilot)
    assert (app.state.lab.x_min, app.state.lab.x_max, app.state.lab.points) == (0.5, math.pi, 50)
    screen.query_one("#x-min", Input).value = "4"
    screen.query_one("#x-min", Input).focus()
    await pilot.press("enter")
    await settle(pilot)
    error = screen.query_one("#domain-error", InlineError)
    assert error.message == "✗ x-min (4) must be below x-max (3.14159)"
    assert app.state.lab.x_min == 0.5
    screen.query_one("#x-min", Input).value = "0"
    screen.query_one("#n-points", Input).value = "1e9"
    screen.query_one("#n-points", Input).focus()
    await pilot.press("enter")
    await settle(pilot)
    assert error.message == "✗ N must be a whole number from 2 to 5000, got 1e9"


async def test_arrow_keys_move_x0_and_the_tangent_numbers_follow(pilot) -> None:
    app = pilot.app
    info = app.screen.query_one("#tangent-info")
    assert str(info.render()).startswith("x0 = 1 ")
    await pilot.press("right")
    await settle(pilot)
    x0 = app.state.lab.x0
    assert x0 > 1
    text = str(info.render())
    assert f"f(x0) = {math.sin(x0):.6g}" in text and f"f'(x0) = {math.cos(x0):.6g}" in text
    await pilot.press("left", "left")
    await settle(pilot)
    assert app.state.lab.x0 < x0


def test_readout_fields_wrap_between_fields_and_markup_takes_no_room() -> None:
    fields = ["f'(x0) = [yellow]none (kink)[/]", "secant = 0.54026", "f''(x0) = -0.841471"]
    assert pack_fields(fields, 40) == ["f'(x0) = [yellow]none (kink)[/]   secant = 0.54026", "f''(x0) = -0.841471"]
    assert pack_fields(fields, 10) == fields  # each too wide: a line each, never two halves of one field
    assert pack_fields(fields, 200) == ["   ".join(fields)]


async def test_beside_the_lesson_the_tangent_readout_keeps_each_name_with_its_value(pilot) -> None:
    await pilot.press("L")  # the lesson pane takes a third of the width: the readout has about 36 columns
    await settle(pilot)
    info = pilot.app.screen.query_one("#tangent-info")
    lines = str(info.render()).splitlines()
    assert lines == ["x0 = 1   f(x0) = 0.841471", "f'(x0) = 0.540302", f"secant = {(math.sin(1.0001) - math.sin(1)) / 1e-4:.6g}"]
    assert max(len(line) for line in lines) <= info.content_region.width
    await pilot.press("escape")  # the whole width again: the values share a line
    await settle(pilot)
    assert str(info.render()).splitlines()[1].startswith("f'(x0) = 0.540302   secant = ")


async def test_secant_slope_approaches_the_tangent_as_h_shrinks(pilot) -> None:
    app = pilot.app
    await pilot.press(*["right_curly_bracket"] * 3)  # h = 1e-1
    await settle(pilot)
    tangent = app.screen.query_one(TangentPlot)
    assert "secant" in tangent.plt.build() and "tangent" in tangent.plt.build()
    far = abs(app.screen.view.tangent.secant - math.cos(1))
    await pilot.press(*["left_curly_bracket"] * 5)  # h = 1e-6
    await settle(pilot)
    near = abs(app.screen.view.tangent.secant - math.cos(1))
    assert far > 0.03 and near < 1e-5


async def test_undefined_points_leave_gaps_and_a_notice(pilot) -> None:
    app = pilot.app
    await apply_function(pilot, "log(x)")
    notice = str(app.screen.query_one("#status").render())
    assert notice == (
        "log(x) or its derivative is undefined for x in [-3.14, -0.00787]: 200 of 400 points skipped. Exact and autograd are "
        "undefined there too, though the formula 1/x for f'(x) is defined at x = -3.14: log(x) itself is not."
    )
    curve = app.screen.view.curves.curves["central"]
    assert sum(math.isnan(v) for v in curve) == 200  # gaps, not a flat line or a spike
    assert float(rows(app)["exact"]["max|err|"]) < 1e-15


async def test_complex_step_says_not_applicable_for_abs(pilot) -> None:
    app = pilot.app
    await apply_function(pilot, "abs(x)")
    assert rows(app)["complex-step"]["max|err|"] == "n/a"
    assert "not complex-analytic" in screen_text(app)


async def test_enter_applies_and_gives_the_keys_back_escape_and_tab_restore_the_applied_text(pilot) -> None:
    app = pilot.app
    await apply_function(pilot, "cos(x)")
    assert app.focused is None  # Enter applied it and returned the keys to the demo
    await pilot.press("f")
    await type_text(pilot, "tan(")  # replaces the selected text, not applied
    await pilot.press("escape")
    panel = app.screen.query_one(FunctionInput)
    assert panel.input.value == "cos(x)" and app.state.lab.function == "cos(x)"
    await pilot.press("f")
    await type_text(pilot, "sinn(x)")
    await pilot.press("enter")
    assert "unknown name 'sinn'" in panel.error_text and app.focused is panel.input  # still there to fix it
    await pilot.press("tab")
    assert panel.input.value == "cos(x)" and panel.error_text == ""
    await pilot.press("escape", "2")
    await settle(pilot)
    assert app.current_mode == "error-vs-h"


async def test_leaving_edited_h_and_domain_boxes_shows_the_values_in_effect(pilot) -> None:
    app = pilot.app
    screen = app.screen
    field = screen.query_one(LogValueInput).query_one(Input)
    field.focus()
    field.value = "abc"
    await pilot.press("escape")
    assert field.value == "1.0e-04"
    screen.query_one("#x-min", Input).focus()
    screen.query_one("#x-min", Input).value = ""
    await pilot.press("tab")  # to x-max: still editing the domain, the edit stays
    assert screen.query_one("#x-min", Input).value == ""
    await pilot.press("escape")
    await pilot.pause()
    assert screen.query_one("#x-min", Input).value == "-pi"


async def test_two_or_three_points_still_draw(pilot) -> None:
    app = pilot.app
    for points in ("2", "3"):
        screen = app.screen
        screen.query_one("#n-points", Input).value = points
        screen.query_one("#n-points", Input).focus()
        await pilot.press("enter")
        await settle(pilot)
        assert app.state.lab.points == int(points)
        assert "could not be drawn" not in screen_text(app)
        assert "tangent" in screen.query_one(TangentPlot).plt.build()


async def test_table_switch_is_offered_only_on_narrow_terminals(pilot) -> None:
    app = pilot.app
    assert "t Table" not in screen_text(app).splitlines()[-1]
    await pilot.resize_terminal(80, 24)
    await pilot.pause()
    assert "t Table" in screen_text(app).splitlines()[-1]


async def test_h_below_the_dtype_spacing_is_explained(pilot) -> None:
    app = pilot.app
    await pilot.press("d", "d")  # float16
    await settle(pilot)
    assert app.state.precision.dtype == "float16"
    notice = widget_text(app.screen.query_one("#status"))
    assert "h = 1.0e-04 is below float16's spacing at" in notice and "x + h rounds back to x" in notice


def plot_lines(app: CalcApp, plot: DerivativePlot | TangentPlot) -> list[str]:
    """The plot's part of the screen, as a user sees it."""
    region = plot.region
    lines = screen_text(app).splitlines()[region.y : region.y + region.height]
    return [line.ljust(region.x + region.width)[region.x : region.x + region.width] for line in lines]


async def test_with_all_eight_methods_on_the_plot_names_every_curve_in_its_legend(pilot) -> None:
    app = pilot.app
    assert set(app.state.lab.methods) == set(ALL_METHODS)
    plot = "\n".join(plot_lines(app, app.screen.query_one(DerivativePlot)))
    for name in ALL_METHODS:
        assert re.search(rf"\S\S {re.escape(name)}\b", plot), (name, plot)  # marker and name, as a legend entry


def crossings_on_the_tick_row(lines: list[str], tick: str, x_min: float, x_max: float) -> list[float]:
    """The x of every drawn cell in the canvas row that carries the y tick label `tick`."""
    row = next(line for line in lines if line.strip().startswith(f"{tick}┤"))
    start = row.index("┤") + 1
    end = row.rindex("│")
    width = end - start
    return [x_min + (column + 0.5) / width * (x_max - x_min) for column in range(width) if row[start + column] != " "]


@pytest.mark.size(80, 24)
async def test_at_80x24_a_y_tick_sits_in_the_row_its_value_is_drawn_in(pilot) -> None:
    """The 0 tick's row of sin'(x) = cos(x) holds the curve where cos x is near 0, not near 0.6."""
    app = pilot.app
    plot = app.screen.query_one(DerivativePlot)
    assert plot.size.height <= 10  # the short plot this is about
    lines = plot_lines(app, plot)
    xs = crossings_on_the_tick_row(lines, "0", -math.pi, math.pi)
    assert any(abs(x + math.pi / 2) < 0.3 for x in xs) and any(abs(x - math.pi / 2) < 0.3 for x in xs), (xs, lines)
    assert max(abs(math.cos(x)) for x in xs) < 0.35, "\n".join(lines)
    for tick, value in (("1", 1.0), ("-1", -1.0)):  # cos reaches ±1 at 0 and ±pi: in the rows labelled so
        xs = crossings_on_the_tick_row(lines, tick, -math.pi, math.pi)
        assert xs and min(abs(math.cos(x) - value) for x in xs) < 0.05 and max(abs(math.cos(x) - value) for x in xs) < 0.35


@pytest.mark.parametrize(
    "look, on, off",
    [(Look(), "▐X▌", "▐ ▌"), (Look(ascii=True), "[X]", "[ ]"), (Look(color=False), "▐X▌", "▐ ▌")],
    ids=["unicode", "ascii", "no-colour"],
)
async def test_a_method_toggled_off_has_its_own_glyph_in_every_look(look: Look, on: str, off: str) -> None:
    app = CalcApp(device="cpu", dtype="float64", look=look)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("w")
        await settle(pilot)
        assert "forward" not in app.state.lab.methods
        text = screen_text(app)
        assert f"{off} forward (w)" in text and f"{on} forward (w)" not in text
        assert f"{on} exact (e)" in text and f"{on} backward (b)" in text
        await pilot.press("w")
        await settle(pilot)
        assert f"{on} forward (w)" in screen_text(app)


async def test_an_error_deep_in_a_long_function_quotes_the_text_around_it_and_the_field_scrolls_there(pilot) -> None:
    app = pilot.app
    head = "sin(x) + cos(x) + tanh(x) + exp(x) + log(1+x^2) + sqrt(1+x^2) + sigmoid(x) + softplus(x)"
    text = f"{head} + sinn(x) + {head}"
    column = text.index("sinn") + 1
    await pilot.press("f")
    field = app.screen.query_one("#formula", Input)
    field.value = text  # pasted
    await pilot.press("enter")
    await settle(pilot)
    message = app.screen.query_one(FunctionInput).error_text
    assert f"column {column}: unknown name 'sinn'" in message
    assert "+ sinn(x) +" in message and head not in message and len(message) < 160, message
    assert field.has_focus and field.cursor_position == column - 1
    assert app.state.lab.function == "sin(x)"  # the last good function stays


@pytest.mark.parametrize(("low", "high", "rows"), [(-1.16, 1.16, 6), (-1.16, 1.16, 18), (0.1, 0.9, 5), (-3e-9, 5e-9, 10), (95.0, 1e4, 12)])
def test_y_ticks_are_chosen_at_the_middle_of_a_row_as_plotext_draws_braille_there(low: float, high: float, rows: int) -> None:
    """plotext maps a tick to row floor(0.5 + (rows-1)·t) and a braille dot to floor(0.5 + (4·rows-1)·t) / 4 (t the
    value's place between the limits): every tick's row must be the row its own value is drawn in."""
    axis = row_aligned_axis(low, high, rows, 4)
    assert axis.low <= low and axis.high >= high and len(axis.ticks) >= 2
    span = axis.high - axis.low
    for tick in axis.ticks:
        place = (tick - axis.low) / span
        tick_row = math.floor(0.5 + (rows - 1) * place)
        dot_row = math.floor(0.5 + (4 * rows - 1) * place) // 4
        assert tick_row == dot_row, (tick, tick_row, dot_row)
        # and in the middle of that row, not at its edge: half a dot row either way stays in it
        assert math.floor(0.5 + (4 * rows - 1) * place - 1.5) // 4 == dot_row == math.floor(0.5 + (4 * rows - 1) * place + 1.5) // 4


async def test_with_every_method_off_the_plot_names_every_key_that_turns_one_on(pilot) -> None:
    for name in ALL_METHODS:
        await pilot.press(method(name).key)
    await settle(pilot)
    assert "no method enabled: press e, a, w, b, c, v, i or R" in pilot.app.screen.query_one(DerivativePlot).plt.build()


@pytest.mark.parametrize("rows", [1, 2])
def test_a_tiny_plot_gets_one_tick_label_a_row(rows: int) -> None:
    """Two ticks on one row (-1 and 0 on a 2-row plot) made plotext print either label, varying from run to run."""
    axis = row_aligned_axis(-1.16, 1.16, rows, 3, 4)
    assert axis.ticks == [0.0] and axis.labels == ["0"]


async def test_a_new_h_that_moves_no_curve_by_a_dot_keeps_the_built_plot_and_one_that_does_draws_afresh(
    pilot, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = pilot.app
    plot = app.screen.query_one(DerivativePlot)
    builds: list[int] = []
    replay = CallRecorder.replay
    monkeypatch.setattr(CallRecorder, "replay", lambda self, plt: (builds.append(1), replay(self, plt))[1])

    def rebuilt_from_nothing() -> str:
        # What the plot would show built from scratch: the kept build must never be a stale picture.
        plot._last_build = plot._painted_at = plot._built = None
        return str(plot.render())

    for key in ("left_square_bracket", "right_curly_bracket", "right_curly_bracket"):
        h_before = app.state.lab.h
        await pilot.press(key)
        await settle(pilot)
        assert app.state.lab.h != h_before
        shown_now, count = str(plot.render()), len(builds)
        assert shown_now == rebuilt_from_nothing()
        builds[count:] = []
        # At h = 1e-4.25 every method's error on sin is far below a dot (1/24). Not at any h: at the next quarter
        # decade central's f'(pi/3) = 0.5 - 1.4e-10 lands on the dot above 0.5 by plotext's rounding to 8 digits.
        if key == "left_square_bracket":
            assert count == 0, f"the plot was built again at h = {app.state.lab.h:.1e}"
        else:  # h = 1e-3.25, 1e-2.25: forward and backward move by dots
            assert count == 1
        builds.clear()


async def test_the_first_frame_the_terminal_gets_holds_the_plot(monkeypatch: pytest.MonkeyPatch) -> None:
    """Textual renders a frame inside its start-up batch and drops it (App._display ignores a batch); the first
    frame that does reach the terminal must still paint every region, the plot's title included, not only what
    changed since the dropped one (else the plot waits for the next layout: DemoScreen._compositor_refresh)."""
    shown: list[str] = []
    display = CalcApp._display

    def record(app: CalcApp, screen: object, update: object) -> None:
        if update is not None and not app._batch_count:
            console = Console(width=120, color_system=None, file=io.StringIO())
            shown.append(re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", update.render_segments(console)))  # type: ignore[attr-defined]
        display(app, screen, update)  # type: ignore[arg-type]

    monkeypatch.setattr(CalcApp, "_display", record)
    app = CalcApp(device="cpu", dtype="float64")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
    assert shown, "nothing was displayed"
    assert "f'(x) for f(x) = sin(x)" in shown[0]


async def test_quitting_at_the_first_frame_before_the_panels_are_mounted_is_clean(monkeypatch: pytest.MonkeyPatch) -> None:
    """The panels are mounted by a callback after the first frame; a quit that lands first must not crash it."""
    display = CalcApp._display

    def exit_at_first_frame(app: CalcApp, screen: object, update: object) -> None:
        display(app, screen, update)  # type: ignore[arg-type]
        if update is not None and not app._batch_count:
            app.exit(0)

    monkeypatch.setattr(CalcApp, "_display", exit_at_first_frame)
    app = CalcApp(device="cpu", dtype="float64")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
    assert app._exception is None
    assert app.return_code == 0
