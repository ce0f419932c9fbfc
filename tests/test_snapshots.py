"""Screen snapshots: every demo at 80x24 and 120x40 (and at 80x24 in ASCII and without colour), help, input errors,
precisions, undefined points,
mid-descent, a failure notice, and the size limits.

Each shot waits for torch and every worker, and turns the cursor blink off, so the
SVGs are stable from run to run. Update them only on purpose:
`pytest tests/test_snapshots.py --snapshot-update`, after looking at the new SVGs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from textual.pilot import Pilot

import engine.sweep
from tests.tui_helpers import make_app, settle, still, type_text
from tui.app import CalcApp
from tui.look import Look

SIZES = [(80, 24), (120, 40)]

# Every view comes from tests/recorded_views/, so that no snapshot shows this CPU's round-off (see that module).
pytestmark = pytest.mark.usefixtures("recorded_views")
DEMOS = ["1", "2", "3", "4"]


def after(*keys: str, typed: str | None = None, keep_notices: bool = False) -> Callable[[Pilot[int]], Awaitable[None]]:
    """A run_before: wait for torch, press keys (and type text), wait again, freeze the cursor."""

    async def run_before(pilot: Pilot[int]) -> None:
        await still(pilot)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)
        if typed is not None:
            await type_text(pilot, typed)
            await pilot.press("enter")
            await settle(pilot)
        if keep_notices:
            await pilot.pause(0.2)
        else:
            await still(pilot)

    return run_before


def shot(snap_compare: Callable[..., bool], run_before: Callable[[Pilot[int]], Awaitable[None]], size: tuple[int, int]) -> bool:
    """Compare a snapshot of a fresh app; a computation that failed on the way fails the test."""
    app = make_app()
    matches = snap_compare(app, run_before=run_before, terminal_size=size)
    assert app.failures == []
    return matches


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("demo", DEMOS)
def test_demo(snap_compare: Callable[..., bool], demo: str, size: tuple[int, int]) -> None:
    assert shot(snap_compare, after(demo), size)


PLAIN_LOOKS = {"ascii": Look(ascii=True), "no-colour": Look(color=False)}


@pytest.mark.parametrize("look", PLAIN_LOOKS)
@pytest.mark.parametrize("demo", [*DEMOS, "5"])
def test_demo_in_a_plain_terminal(snap_compare: Callable[..., bool], demo: str, look: str) -> None:
    """A font without braille or box drawing, and a terminal without colour (NO_COLOR), at 80x24. Backprop is shown
    after backward() has run, so its edges, adjoints and .grad are in the shot. (Speed's is in its own file.)"""
    app = CalcApp(device="cpu", dtype="float64", look=PLAIN_LOOKS[look])
    keys = (demo, "f2", "end") if demo == "5" else (demo,)  # f2: x*sin(x), two paths into one leaf
    assert snap_compare(app, run_before=after(*keys), terminal_size=(80, 24))
    assert app.failures == []


def test_compare_table_view_when_narrow(snap_compare: Callable[..., bool]) -> None:
    assert shot(snap_compare, after("t"), (80, 24))


@pytest.mark.parametrize("demo", DEMOS)
def test_help_screen(snap_compare: Callable[..., bool], demo: str) -> None:
    assert shot(snap_compare, after(demo, "question_mark"), (120, 40))


@pytest.mark.parametrize(("demo", "typed"), [("1", "sin(x"), ("2", "2x +"), ("3", "x + y"), ("4", "x^^2")])
def test_input_error(snap_compare: Callable[..., bool], demo: str, typed: str) -> None:
    assert shot(snap_compare, after(demo, "f", typed=typed), (120, 40))


def test_error_vs_h_in_float32(snap_compare: Callable[..., bool]) -> None:
    assert shot(snap_compare, after("2", "d"), (120, 40))


@pytest.mark.parametrize(("presses", "dtype"), [(1, "float32"), (3, "bfloat16")])
def test_compare_in_lower_precision(snap_compare: Callable[..., bool], presses: int, dtype: str) -> None:
    """float32's larger errors; in bfloat16 the complex step has no complex type: an n/a row with the reason."""
    assert shot(snap_compare, after(*["d"] * presses), (120, 40))


def test_undefined_points_leave_gaps_and_a_notice(snap_compare: Callable[..., bool]) -> None:
    assert shot(snap_compare, after("f", typed="log(x)"), (120, 40))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_slope_field_mid_descent(snap_compare: Callable[..., bool], size: tuple[int, int]) -> None:
    assert shot(snap_compare, after("3", "n", *["space"] * 6), size)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_rosenbrock_mid_descent(snap_compare: Callable[..., bool], size: tuple[int, int]) -> None:
    assert shot(snap_compare, after("4", "f4", *["space"] * 12), size)


def test_failure_notice(snap_compare: Callable[..., bool], monkeypatch: pytest.MonkeyPatch) -> None:
    """A sweep that fails: the red notice, the status line, and the last good plot still drawn."""

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("injected failure")

    async def run_before(pilot: Pilot[int]) -> None:
        await after("2")(pilot)
        monkeypatch.setattr(engine.sweep, "sweep", broken)
        await after("d", keep_notices=True)(pilot)

    app = make_app()
    assert snap_compare(app, run_before=run_before, terminal_size=(120, 40))
    assert isinstance(app, CalcApp) and app.failures == ["RuntimeError: injected failure"]


@pytest.mark.parametrize("size", [(70, 20), (50, 15)], ids=["smallest-drawn", "too-small"])
def test_size_limits(snap_compare: Callable[..., bool], size: tuple[int, int]) -> None:
    assert shot(snap_compare, after(), size)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("demo", ["1", "2"])
def test_second_derivative(snap_compare: Callable[..., bool], demo: str, size: tuple[int, int]) -> None:
    """o: f'' in Compare (with Richardson's estimate) and in Error vs h (the sweet spots move right, Richardson's point)."""
    assert shot(snap_compare, after(demo, "o"), size)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_deep_zoom(snap_compare: Callable[..., bool], size: tuple[int, int]) -> None:
    """z as far as it goes (x0 ± 3e-15): float64's staircase of x and f values, named under the panel."""
    assert shot(snap_compare, after(*["z"] * 15), size)


def test_zoom_in_float32(snap_compare: Callable[..., bool]) -> None:
    """Six zooms (x0 ± 3e-6): float32 is already a staircase where float64 is still a smooth line."""
    assert shot(snap_compare, after("d", *["z"] * 6), (120, 40))
