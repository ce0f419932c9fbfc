"""Every key press counts: a burst of presses, sent faster than the screen can redraw, moves a setting once per press.

Key actions are transitions on the shared state (`Lab.shift_h`, `Loss.shift_learning_rate`, ...), so the
next press reads the state the last one wrote, never a widget's copy that is still on its way back.
"""

from __future__ import annotations

import math

import pytest
from textual import events
from textual.pilot import Pilot
from textual.widgets import Input

from engine.vocabulary import grid_index
from tests.tui_helpers import settle
from tui.app import CalcApp
from tui.state import H_BOUNDS, Lab, Loss, Surface, moved_on_grid, nice_step, shifted_on_grid

KEYS = {"]": "right_square_bracket", "[": "left_square_bracket", "{": "left_curly_bracket", "}": "right_curly_bracket"}


async def burst(pilot: Pilot[int], character: str, presses: int) -> None:
    """`presses` key events queued at once, as a held key or a fast typist delivers them, then wait for the screen."""
    for _ in range(presses):
        pilot.app.post_message(events.Key(KEYS.get(character, character), character))
    await settle(pilot)


def app_of(pilot: Pilot[int]) -> CalcApp:
    assert isinstance(pilot.app, CalcApp)
    return pilot.app


@pytest.mark.parametrize("demo", ["1", "2"])
async def test_a_burst_of_h_keys_moves_h_once_per_press(pilot, demo: str) -> None:
    app = app_of(pilot)
    await pilot.press(demo)
    start = grid_index(app.state.lab.h)
    await burst(pilot, "]", 12)
    assert grid_index(app.state.lab.h) == start + 12  # twelve quarter decades: 1e-4 -> 1e-1
    await burst(pilot, "{", 2)
    assert grid_index(app.state.lab.h) == start + 12 - 8
    await burst(pilot, "}", 1)
    await burst(pilot, "[", 5)
    assert grid_index(app.state.lab.h) == start + 12 - 8 + 4 - 5
    assert f"{app.state.lab.h:.1e}" == "5.6e-04"
    assert app.screen.query_one("#h-input", Input).value == "5.6e-04"  # and the panel shows the state


async def test_a_burst_of_learning_rate_keys_moves_it_once_per_press(pilot) -> None:
    app = app_of(pilot)
    await pilot.press("3")
    start = grid_index(app.state.loss.learning_rate)
    await burst(pilot, "]", 3)
    await burst(pilot, "[", 9)
    assert grid_index(app.state.loss.learning_rate) == start - 6
    await pilot.press("4")
    start = grid_index(app.state.surface.learning_rate)
    await burst(pilot, "[", 7)
    assert grid_index(app.state.surface.learning_rate) == start - 7


async def test_a_burst_of_arrows_moves_x0_once_per_press_and_back_to_where_it_started(pilot) -> None:
    app = app_of(pilot)
    assert app.state.lab.x0 == 1.0
    await burst(pilot, "right", 3)
    assert app.state.lab.x0 == 1.3  # a nice step of 0.1 on [-pi, pi], not 1 + 3 (2 pi / 40) snapped to pi/20
    await burst(pilot, "left", 3)
    assert app.state.lab.x0 == 1.0


def test_transitions_compute_the_next_state_from_the_current_one() -> None:
    lab = Lab(h=1e-4)
    assert lab.shift_h(4).h == pytest.approx(1e-3) and lab.shift_h(-8).h == pytest.approx(1e-6)
    assert Lab(h=1.0).shift_h(3).h == H_BOUNDS[1] and Lab(h=1e-20).shift_h(-1).h == H_BOUNDS[0]  # clamped
    assert lab.shift_h(1).x0 == lab.x0 and lab.shift_h(1).function == lab.function  # nothing else moves
    assert Loss(learning_rate=0.1).shift_learning_rate(-4).learning_rate == pytest.approx(0.01)
    assert Loss(learning_rate=10.0).shift_learning_rate(2).learning_rate == 10.0
    assert Surface(learning_rate=0.1).shift_learning_rate(1).learning_rate == pytest.approx(10**-0.75)
    assert Loss(start=2.5).move_start(1).start == 2.6 and Loss(start=2.5).move_start(-1).start == 2.4  # onto a grid of 0.2
    assert Loss(start=2.95).move_start(1).start == 3.0  # clamped to x_max
    assert Surface(start=(-1.6, 1.4)).move_start_along(1, -1).start == (-1.6, 1.3)


@pytest.mark.parametrize(
    ("width", "step"), [(2 * math.pi, 0.1), (6.0, 0.1), (4.0, 0.1), (10.0, 0.2), (40.0, 1.0), (1e-3, 2e-5), (200.0, 5.0)]
)
def test_points_move_on_a_grid_of_short_decimals(width: float, step: float) -> None:
    assert nice_step(width) == step
    x = 0.0
    for _ in range(7):
        x = moved_on_grid(x, 1, -width / 2, width / 2)
    assert x == float(f"{7 * step:.6g}")  # a short decimal: 0.7, not 0.7000000000000001
    for _ in range(7):
        x = moved_on_grid(x, -1, -width / 2, width / 2)
    assert x == 0.0


def test_a_typed_point_off_the_grid_moves_to_the_next_grid_point_in_that_direction() -> None:
    assert moved_on_grid(1.2345, 1, -math.pi, math.pi) == 1.3
    assert moved_on_grid(1.2345, -1, -math.pi, math.pi) == 1.2
    assert moved_on_grid(-0.05, 1, -1, 1) == 0.0
    assert shifted_on_grid(3e-4, 0, H_BOUNDS) == pytest.approx(10**-3.5)
