"""Screen snapshots of every demo at 80x24 and 120x40, the help screen, an input error, mid-descent and a tiny terminal.

Each shot waits for torch and every worker, and turns the cursor blink off, so the
SVGs are stable from run to run. Update them only on purpose:
`pytest tests/test_snapshots.py --snapshot-update`, after looking at the new SVGs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from textual.pilot import Pilot

from tests.tui_helpers import make_app, settle, still, type_text

SIZES = [(80, 24), (120, 40)]


def after(*keys: str, typed: str | None = None) -> Callable[[Pilot], Awaitable[None]]:
    """A run_before: wait for torch, press keys (and type text), wait again, freeze the cursor."""

    async def run_before(pilot: Pilot) -> None:
        await still(pilot)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)
        if typed is not None:
            await type_text(pilot, typed)
            await pilot.press("enter")
            await settle(pilot)
        await still(pilot)

    return run_before


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("demo", ["1", "2", "3", "4"])
def test_demo(snap_compare, demo: str, size: tuple[int, int]) -> None:
    assert snap_compare(make_app(), run_before=after(demo), terminal_size=size)


def test_compare_table_view_when_narrow(snap_compare) -> None:
    assert snap_compare(make_app(), run_before=after("t"), terminal_size=(80, 24))


def test_help_screen(snap_compare) -> None:
    assert snap_compare(make_app(), run_before=after("question_mark"), terminal_size=(120, 40))


def test_input_error(snap_compare) -> None:
    assert snap_compare(make_app(), run_before=after("f", typed="sin(x"), terminal_size=(120, 40))


def test_error_vs_h_in_float32(snap_compare) -> None:
    assert snap_compare(make_app(), run_before=after("2", "d"), terminal_size=(120, 40))


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_slope_field_mid_descent(snap_compare, size: tuple[int, int]) -> None:
    assert snap_compare(make_app(), run_before=after("3", "n", *["space"] * 6), terminal_size=size)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_rosenbrock_mid_descent(snap_compare, size: tuple[int, int]) -> None:
    assert snap_compare(make_app(), run_before=after("4", "f4", *["space"] * 12), terminal_size=size)


def test_terminal_too_small(snap_compare) -> None:
    assert snap_compare(make_app(), run_before=after(), terminal_size=(50, 15))
