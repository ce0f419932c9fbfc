"""Screen snapshots of the lesson: every step at 80x24 (the pane above the demo) and 120x40 (beside it), one step with
its task done, the folded pane, and a step in ASCII without colour.

Every number the pane quotes is read from the demo's computed view (tui/lesson/observe.py), never computed by the
lesson itself, so the recorded views that stand in for the computed ones in snapshot tests decide them too.
Speed's step shows a made-up measurement (the fake of tests/test_tui_speed.py).
Update them only on purpose, after looking at the new SVGs:
`pytest tests/test_snapshots_lesson.py --snapshot-update`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from textual.pilot import Pilot

import engine.speed
from tests.test_tui_speed import FakeMeasure
from tests.tui_helpers import make_app, settle, still
from tui.app import CalcApp
from tui.lesson.steps import STEPS
from tui.look import Look

SIZES = [(80, 24), (120, 40)]

# Every view comes from tests/recorded_views/, so that no snapshot shows this CPU's round-off (see that module).
pytestmark = pytest.mark.usefixtures("recorded_views")


@pytest.fixture(autouse=True)
def made_up_speed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine.speed, "measure_speed", FakeMeasure())


async def measured(pilot: Pilot[int]) -> None:
    """On Speed, until its (made-up) measurement is on screen: the last step quotes it, so passing through must see it."""
    app = pilot.app
    assert isinstance(app, CalcApp)
    for _ in range(100):
        screen = app.screen
        if app.current_mode != "speed" or (getattr(screen, "view", None) is not None and not screen.computation.busy):
            return
        await pilot.pause(0.05)
        await settle(pilot)
    raise AssertionError("the made-up speed measurement never reached the screen")


def lesson_at(step: int, *keys: str) -> Callable[[Pilot[int]], Awaitable[None]]:
    """A run_before: wait for torch, open the lesson (L), turn to `step` (n), press `keys`, and let the pane catch up
    with the views drawn (its timer would, a moment later)."""

    async def run_before(pilot: Pilot[int]) -> None:
        await still(pilot)
        app = pilot.app
        assert isinstance(app, CalcApp)
        for key in ("L", *["n"] * (step - 1), *keys):
            await pilot.press(key)
            await settle(pilot)
            await measured(pilot)
            # What the pane records of a step (the last step quotes it) is read on its 0.2 s timer; on a busy
            # machine the walk could turn the page before it fired, so it reads now, every step.
            assert app.lesson is not None
            app.lesson.tick()
            await settle(pilot)
        await still(pilot)
        assert app.lesson is not None
        app.lesson.tick()
        await settle(pilot)
        await pilot.wait_for_scheduled_animations()
        await pilot.pause(0.2)  # the pane's new text may change its height, and the demo's plots are laid out again

    return run_before


def shot(
    snap_compare: Callable[..., bool], app: CalcApp, run_before: Callable[[Pilot[int]], Awaitable[None]], size: tuple[int, int]
) -> bool:
    matches = snap_compare(app, run_before=run_before, terminal_size=size)
    assert app.failures == []
    return matches


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("step", range(1, len(STEPS) + 1), ids=lambda n: f"step{n:02d}-{STEPS[n - 1].key}")
def test_step(snap_compare: Callable[..., bool], step: int, size: tuple[int, int]) -> None:
    """Each step as it opens: its demo set up as the text says, the task not yet done."""
    assert shot(snap_compare, make_app(), lesson_at(step), size)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_a_task_done_and_explained(snap_compare: Callable[..., bool], size: tuple[int, int]) -> None:
    """Step 4 after { six times: h = 1e-8, central's error back up, the explanation quoting the sweep's numbers."""
    assert shot(snap_compare, make_app(), lesson_at(4, *["left_curly_bracket"] * 6), size)


def test_folded_at_80x24(snap_compare: Callable[..., bool]) -> None:
    """\\ folds the pane to its title line and the task's state; the demo gets the screen back."""
    assert shot(snap_compare, make_app(), lesson_at(1, "backslash"), (80, 24))


def test_in_ascii_without_colour(snap_compare: Callable[..., bool]) -> None:
    """A plain terminal: the pane in ASCII, 'done' told by its word (and ✓ drawn as v), not by colour."""
    app = CalcApp(device="cpu", dtype="float64", look=Look(ascii=True, color=False))
    assert shot(snap_compare, app, lesson_at(1, "z", "z", "z"), (80, 24))
