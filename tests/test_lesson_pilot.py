"""The lesson in the app: a learner's walk from the first step to the last with the keys they would press, every
task checked done from the app's own state and views, wrong answers refused on the way, the numbers in the text
taken from the views on screen, the user's settings back afterwards, and the step reached remembered."""

from __future__ import annotations

import json
import math
import threading
from dataclasses import replace
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Markdown

import engine.speed
from engine.vocabulary import grid_index
from tests.test_tui_speed import FakeMeasure, wait_for
from tests.tui_helpers import ready, screen_text, settle, type_text
from tui.app import CalcApp
from tui.lesson.checks import e
from tui.lesson.pane import LessonPane
from tui.lesson.session import LessonSession
from tui.lesson.steps import STEPS
from tui.look import Look
from tui.settings import SettingsFile
from tui.state import Lab


def lesson(app: CalcApp) -> LessonSession:
    assert app.lesson is not None, "the lesson is not open"
    return app.lesson


async def press(pilot: Pilot[int], *keys: str) -> None:
    for key in keys:
        await pilot.press(key)
        await settle(pilot)


async def pane(pilot: Pilot[int]) -> str:
    """The pane's text once the views in flight are drawn (what the learner reads after the timer's next tick)."""
    await settle(pilot)
    app = pilot.app
    assert isinstance(app, CalcApp)
    lesson(app).tick()
    await pilot.pause()
    return app.screen.query_one(LessonPane).text


async def on_step(pilot: Pilot[int], number: int) -> str:
    text = await pane(pilot)
    assert text.startswith(f"Lesson {number}/{len(STEPS)}: {STEPS[number - 1].title}"), text
    assert pilot.app.current_mode == STEPS[number - 1].demo
    return text


def task_line(text: str) -> str:
    """The verdict's line: '✓ done: ...' or 'not yet: ...'."""
    return next(line for line in text.splitlines() if line.startswith(("✓ done", "not yet")))


async def done(pilot: Pilot[int]) -> str:
    text = await pane(pilot)
    assert task_line(text).startswith("✓ done"), text
    return text


async def not_done(pilot: Pilot[int]) -> str:
    text = await pane(pilot)
    assert task_line(text).startswith("not yet"), text
    return text


@pytest.fixture
def fake_speed(monkeypatch: pytest.MonkeyPatch) -> FakeMeasure:
    measure = FakeMeasure()
    monkeypatch.setattr(engine.speed, "measure_speed", measure)
    return measure


async def test_a_learner_walks_the_whole_lesson_and_every_task_is_checked_done(pilot: Pilot[int], fake_speed: FakeMeasure) -> None:
    app = pilot.app
    assert isinstance(app, CalcApp)
    # The user's own settings before the lesson: another function, h, dtype and demo.
    app.state.lab = replace(app.state.lab, function="x^3 - 2*x", h=1e-3)
    await press(pilot, "2")
    app.set_dtype("float32")
    await settle(pilot)
    before = (app.state.lab, app.state.loss, app.state.surface, app.state.precision.dtype, app.current_mode)

    await press(pilot, "L")
    # 1: the zoom. Two presses are not three.
    text = await on_step(pilot, 1)
    assert app.state.lab.function == "sin(x)" and app.state.precision.dtype == "float64"
    await press(pilot, "z", "z")
    await not_done(pilot)
    await press(pilot, "z")
    text = await done(pilot)
    zoom = app.screen.view.tangent.zoom
    assert f"within {e(zoom.gap)} of its tangent" in text  # the gap the Compare view measured

    # 2: the secant. h = 1e-3 is not close enough; 1e-4 is.
    await press(pilot, "n")
    text = await on_step(pilot, 2)
    assert app.state.lab.h == pytest.approx(0.1)
    await press(pilot, "left_curly_bracket", "left_curly_bracket")
    await not_done(pilot)
    await press(pilot, "left_curly_bracket")
    text = await done(pilot)
    tangent = app.screen.view.tangent
    assert f"{e(abs(tangent.secant - tangent.slope))} apart" in text

    # 3: three ways, then forward's error beside them.
    await press(pilot, "n")
    text = await on_step(pilot, 3)
    assert set(app.state.lab.methods) == {"exact", "autograd", "central"}
    await not_done(pilot)
    await press(pilot, "w")
    text = await done(pilot)
    rows = {row.method: row.max_error for row in app.screen.view.rows}
    assert f"forward {e(rows['forward'])}" in text and f"central {e(rows['central'])}" in text

    # 4: h from 1e-2 down to 1e-8; 1e-7 is not there yet.
    await press(pilot, "n")
    text = await on_step(pilot, 4)
    assert app.state.lab.h == pytest.approx(1e-2)
    await press(pilot, *["left_curly_bracket"] * 5)
    text = await not_done(pilot)
    sweep = app.screen.view
    central = sweep.methods["central"]
    at_marker = central.errors[min(range(len(sweep.h)), key=lambda i: abs(math.log10(sweep.h[i]) + 7))]
    assert f"central's measured error is {e(at_marker)}" in text  # the text follows the marker with the sweep's numbers
    await press(pilot, "left_curly_bracket")
    text = await done(pilot)
    assert f"fell to {e(central.best_error)} at h = {e(central.best_h)}" in text

    # 5: float32's sweet spot, marked from where the plot puts central's lowest point.
    await press(pilot, "n")
    text = await on_step(pilot, 5)
    float64_best = app.screen.view.methods["central"].best_h
    assert f"lowest point (the diamond) is at h = {e(float64_best)}" in text
    await not_done(pilot)  # still float64
    await press(pilot, "d")
    assert app.state.precision.dtype == "float32"
    await not_done(pilot)  # the marker is at float64's best h, far below float32's
    best = app.screen.view.methods["central"].best_h
    steps = grid_index(best) - grid_index(app.state.lab.h)
    await press(pilot, *["right_square_bracket" if steps > 0 else "left_square_bracket"] * abs(steps))
    text = await done(pilot)
    assert f"measured best h in float32 is {e(best)}" in text and f"In float64 it was {e(float64_best)}" in text
    assert f"You marked h = {e(app.state.lab.h)};" in text
    await press(pilot, "right_square_bracket")  # one grid step off still counts; the explanation quotes the new h
    near = app.state.lab.h
    assert near != best and f"You marked h = {e(near)};" in await done(pilot)
    await press(pilot, *["right_square_bracket"] * 3)  # far off: the task stays done, as last explained
    assert f"You marked h = {e(near)};" in await done(pilot)

    # 6: the slope field: running uphill-pointing arrows is not enough; flipped and run to the end is.
    await press(pilot, "n")
    await on_step(pilot, 6)
    await press(pilot, "end")
    text = await not_done(pilot)
    assert "press N to flip" in text
    await press(pilot, "backspace", "N")
    text = await not_done(pilot)  # flipped, but the run is at its start
    assert "step 0 of" in task_line(text)
    await press(pilot, "end")
    text = await done(pilot)
    path = app.screen.path
    assert path.outcome == "converged" and f"Converged in {path.last} steps at ({path.points[-1][0]:.4f})" in text

    # 7: the gradient field: descent by autograd's arrows is refused until they are central differences.
    await press(pilot, "n")
    await on_step(pilot, 7)
    await press(pilot, "N", "end")
    text = await not_done(pilot)
    assert "press g" in text
    autograd_run = app.screen.path
    await press(pilot, "g")  # a new run, along central differences' gradient: it starts again at step 0
    assert "step 0 of" in task_line(await not_done(pilot)) and app.screen.path != autograd_run
    await press(pilot, "end")
    text = await done(pilot)
    assert f"Converged in {app.screen.path.last} steps" in text

    # 8: backward() on x*sin(x): x.grad holds both paths only once its AccumulateGrad has run.
    await press(pilot, "n")
    text = await on_step(pilot, 8)
    assert app.screen.source == "f(x)" and app.state.lab.function == "x*sin(x)"
    result = app.screen.view.result
    runs_at = result.order.index(result.leaves["x"].node) + 1
    await press(pilot, *["space"] * (runs_at - 1))
    await not_done(pilot)
    await press(pilot, "space")
    text = await done(pilot)
    leaf = app.screen.view.result.leaves["x"]
    assert f"x.grad = {leaf.contributions[0]:.4f} + {leaf.contributions[1]:.4f} = {leaf.grad:.4f}" in text

    # 9: the network: one SGD step is not two.
    await press(pilot, "n")
    await on_step(pilot, 9)
    assert app.screen.source == "network"
    await press(pilot, "o")
    await not_done(pilot)
    await press(pilot, "o")
    text = await done(pilot)
    losses = app.screen.view.losses
    assert len(losses) == 3 and losses[-1] < losses[0] and " -> ".join(f"{loss:.4g}" for loss in losses) in text

    # 10: Speed quotes the rates its report measured.
    await press(pilot, "n")
    text = await on_step(pilot, 10)
    from tui.demos.speed.compute import method_rows

    rate = next(row.per_second for row in method_rows(app.screen.view.report) if row.name == "autograd")
    assert f"autograd: {rate:.3g} derivatives a second" in text

    # 11: the end sums up what was measured; every task on the way was checked done.
    await press(pilot, "n")
    text = await on_step(pilot, 11)
    assert f"central's best h: {e(float64_best)} in float64; {e(best)} in float32" in text
    tasks = [index for index, step in enumerate(STEPS) if step.check is not None]
    assert sorted(lesson(app).done) == tasks and all(verdict.done for verdict in lesson(app).done.values())
    await press(pilot, "n")  # past the end: it stays at the end
    await on_step(pilot, 11)

    # Esc: the user's own settings and demo come back, and the demos' keys are theirs again.
    await press(pilot, "escape")
    assert app.lesson is None and not app.screen.query(LessonPane)
    assert (app.state.lab, app.state.loss, app.state.surface, app.state.precision.dtype, app.current_mode) == before
    await press(pilot, "3")
    assert app.screen.descent_arrows is False  # the lesson put the slope field's arrows back as the user had them
    await press(pilot, "n")
    assert app.screen.descent_arrows is True  # n flips them again
    await press(pilot, "p")
    assert app.current_mode == "slope-field" and app.lesson is None


async def test_p_and_the_arrow_keys_in_the_pane_turn_back_and_forth(pilot: Pilot[int]) -> None:
    await press(pilot, "L", "n", "n")
    await on_step(pilot, 3)
    await press(pilot, "p")
    await on_step(pilot, 2)
    pilot.app.screen.query_one(LessonPane).focus()
    await press(pilot, "right")
    await on_step(pilot, 3)
    pilot.app.screen.query_one(LessonPane).focus()
    await press(pilot, "left", "p", "p")
    await on_step(pilot, 1)  # not before the first


async def test_typing_in_a_field_during_the_lesson_types_n_and_p(pilot: Pilot[int]) -> None:
    await press(pilot, "L", "f")
    await press(pilot, "home", "p", "i", "n")
    app = pilot.app
    assert isinstance(app, CalcApp)
    assert app.screen.function_input.query_one("#formula").value == "pinsin(x)"
    await press(pilot, "escape")  # the field lets go of the keys; the lesson stays open
    assert app.lesson is not None
    await on_step(pilot, 1)


@pytest.mark.size(80, 24)
async def test_at_80x24_the_lesson_sits_above_the_demo_and_backslash_folds_it(pilot: Pilot[int]) -> None:
    await press(pilot, "L")
    text = await on_step(pilot, 1)
    app = pilot.app
    pane_widget = app.screen.query_one(LessonPane)
    assert pane_widget.above and pane_widget.region.y < app.screen.query_one("#body").region.y
    assert pane_widget.region.height <= 8
    assert "Task: press z three times" in text
    await press(pilot, "backslash")
    text = await pane(pilot)
    assert text.startswith("Lesson 1/11: A derivative is a zoom · task: not yet") and "\n" not in text
    assert pane_widget.region.height <= 2
    assert "f'(x) for f(x) = sin(x)" in screen_text(app)  # the demo has the screen
    await press(pilot, "backslash")
    assert "Task: press z three times" in await pane(pilot)


async def test_the_step_reached_is_remembered_in_the_settings_file(tmp_path: Path) -> None:
    settings = SettingsFile(tmp_path / "settings.json")
    app = CalcApp(device="cpu", dtype="float64", settings=settings)
    async with app.run_test(size=(120, 40)) as driver:
        await ready(driver)
        await press(driver, "L", "n", "n", "n")
        await on_step(driver, 4)
        await press(driver, "escape")
    assert json.loads((tmp_path / "settings.json").read_text())["lesson_step"] == 3
    again = CalcApp(device="cpu", dtype="float64", settings=settings, lesson=True)
    async with again.run_test(size=(120, 40)) as driver:
        await ready(driver)
        await on_step(driver, 4)  # `calc-tui lesson` opens where the learner left off
    assert again.failures == [] and app.failures == []


async def test_without_a_settings_file_nothing_is_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CALC_TUI_CONFIG_DIR", str(tmp_path))
    app = CalcApp(device="cpu", dtype="float64", settings=None, lesson=True)  # --no-config
    async with app.run_test(size=(120, 40)) as driver:
        await ready(driver)
        await press(driver, "n", "n")
        await on_step(driver, 3)
    assert list(tmp_path.iterdir()) == []


async def test_the_help_and_the_palette_name_the_lesson(pilot: Pilot[int]) -> None:
    app = pilot.app
    await press(pilot, "question_mark")
    assert "| `L` | the lesson: the tutorial step by step beside the demos" in app.screen.query_one(Markdown).source
    await press(pilot, "escape")
    commands = [command.title for command in app.get_system_commands(app.screen)]
    assert "Lesson: derivatives for ML" in commands


async def test_the_lab_keeps_the_learners_h_history_untouched_after_the_lesson(pilot: Pilot[int]) -> None:
    app = pilot.app
    assert isinstance(app, CalcApp)
    start: Lab = app.state.lab
    await press(pilot, "L", "n", "n", "n", "n", "n", "escape")
    assert app.state.lab == start and app.current_mode == "compare"


@pytest.mark.size(80, 24)
async def test_the_lesson_in_a_plain_terminal_is_ascii_and_says_done_in_words() -> None:
    app = CalcApp(device="cpu", dtype="float64", look=Look(ascii=True, color=False), lesson=True)
    async with app.run_test(size=(80, 24)) as driver:
        await ready(driver)
        await press(driver, "z", "z", "z")
        text = await done(driver)
        shown = screen_text(app)
        assert shown.isascii()
        assert "Lesson 1/11: A derivative is a zoom" in shown and "v done: In the window" in shown
        assert "Task: press z three times" in shown
        assert text.splitlines()[0] == "Lesson 1/11: A derivative is a zoom  n/p page · \\ folds · Esc leaves"
    assert app.failures == []


async def test_typing_h_into_the_h_field_marks_it_too(pilot: Pilot[int]) -> None:
    """Step 5's h can be typed instead of moved: the check reads the state, however h got there."""
    app = pilot.app
    assert isinstance(app, CalcApp)
    await press(pilot, "L", *["n"] * 4, "d")
    await on_step(pilot, 5)
    best = app.screen.view.methods["central"].best_h
    field = app.screen.query_one("#h-input", Input)
    field.focus()
    await press(pilot, "end", *["backspace"] * 12)
    await type_text(pilot, "1e-12")  # a wrong answer, typed
    await press(pilot, "enter")
    assert app.state.lab.h == pytest.approx(1e-12)
    await not_done(pilot)
    field.focus()
    await press(pilot, "end", *["backspace"] * 12)
    await type_text(pilot, f"{best:.3g}")
    await press(pilot, "enter")
    await done(pilot)


async def test_escape_closes_help_before_the_lesson_and_the_lesson_follows_another_demo(pilot: Pilot[int]) -> None:
    app = pilot.app
    assert isinstance(app, CalcApp)
    await press(pilot, "L", "question_mark", "escape")
    assert app.lesson is not None and app.current_mode == "compare"
    await on_step(pilot, 1)
    await press(pilot, "3")  # the learner wanders off: the pane goes along and says where the task is
    text = await pane(pilot)
    text = await pane(pilot)
    assert app.current_mode == "slope-field" and "this task is on the Compare demo: press 1" in text
    await press(pilot, "1", "z", "z", "z")
    await done(pilot)


async def test_leaving_from_the_palette_puts_the_settings_back(pilot: Pilot[int]) -> None:
    app = pilot.app
    assert isinstance(app, CalcApp)
    start = app.state.lab
    await press(pilot, "L", "n")
    (leave,) = [c for c in app.get_system_commands(app.screen) if c.title == "Lesson: leave"]
    await leave.callback()
    await settle(pilot)
    assert app.lesson is None and app.state.lab == start and not app.screen.query(LessonPane)


@pytest.mark.size(80, 24)  # where Compare's table and tangent panel share one place (t)
async def test_each_step_puts_back_the_view_it_describes_scope_and_lower_panel(pilot: Pilot[int]) -> None:
    """A learner who had Error vs h at x0 (s) and Compare's table (t) before the lesson: steps 4 and 5 explain the
    largest error over the domain, steps 1-2 the tangent panel, step 3 the table. Leaving puts theirs back."""
    app = pilot.app
    assert isinstance(app, CalcApp)
    await press(pilot, "2", "s")
    assert app.screen.at_point  # type: ignore[attr-defined]
    await press(pilot, "1", "t")
    compare = app.screen
    assert compare.has_class("-show-table")
    await press(pilot, "L")
    await on_step(pilot, 1)
    assert not compare.has_class("-show-table")  # the lower panel the step talks about
    await lesson(app).go(2)
    await on_step(pilot, 3)
    assert compare.has_class("-show-table")  # "the table measures them against a 50-digit reference"
    await lesson(app).go(3)
    text = await on_step(pilot, 4)
    sweep = app.screen
    assert not sweep.at_point  # type: ignore[attr-defined]
    assert "largest error over the domain" in text
    await press(pilot, "escape")
    assert app.lesson is None and sweep.at_point and compare.has_class("-show-table")  # type: ignore[attr-defined]


async def test_step_10_says_a_stopped_measurement_was_stopped_not_that_it_runs(pilot: Pilot[int], monkeypatch: pytest.MonkeyPatch) -> None:
    gate = threading.Event()
    monkeypatch.setattr(engine.speed, "measure_speed", FakeMeasure(gate))
    app = pilot.app
    assert isinstance(app, CalcApp)
    await press(pilot, "L")
    await lesson(app).go(9)
    await wait_for(pilot, "Esc stops")  # measuring: the pane quotes the sizes measured so far
    await pilot.press("escape")  # stops the measurement; the lesson stays
    await wait_for(pilot, "CANCELLED")
    text = await on_step(pilot, 10)
    assert "was stopped before it finished: press m to measure" in text and "is running" not in text
    gate.set()
    await pilot.press("m")
    await wait_for(pilot, "took 14.2 s")  # the made-up report, finished
    assert "autograd: 4e+07 derivatives a second at N = 10,000,000" in await on_step(pilot, 10)
