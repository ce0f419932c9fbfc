"""Screen snapshots of demo 5, Backprop, at 80x24 and 120x40: before backward(), half way, and the fan-out sum on a leaf.

Update them only on purpose, after looking at the new SVGs:
`pytest tests/test_snapshots_backprop.py --snapshot-update`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from textual.pilot import Pilot

from tests.tui_helpers import make_app, settle, still

SIZES = [(80, 24), (120, 40)]

# Every view comes from tests/recorded_views/, so that no snapshot shows this CPU's round-off (see that module).
pytestmark = pytest.mark.usefixtures("recorded_views")


def after(*keys: str) -> Callable[[Pilot[int]], Awaitable[None]]:
    """A run_before: wait for torch, press the keys one by one, wait again, freeze the cursor, clear the toasts."""

    async def run_before(pilot: Pilot[int]) -> None:
        await still(pilot)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)
        await still(pilot)

    return run_before


def shot(snap_compare: Callable[..., bool], keys: tuple[str, ...], size: tuple[int, int]) -> bool:
    app = make_app()
    matches = snap_compare(app, run_before=after(*keys), terminal_size=size)
    assert app.failures == []
    return matches


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_before_backward(snap_compare: Callable[..., bool], size: tuple[int, int]) -> None:
    """x*sin(x) at x = 1: torch's graph, every .grad None."""
    assert shot(snap_compare, ("5", "f2"), size)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_mid_backward(snap_compare: Callable[..., bool], size: tuple[int, int]) -> None:
    """The tiny network after five nodes of backward(): the edges that carried gradient lit, the rest waiting."""
    assert shot(snap_compare, ("5", "f8", *["space"] * 5), size)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_fan_out_sum_on_a_leaf(snap_compare: Callable[..., bool], size: tuple[int, int]) -> None:
    """x*sin(x) after backward(), the leaf x selected: .grad = 0.8415 + 0.5403 = 1.3818."""
    assert shot(snap_compare, ("5", "f2", "end", "down", "down"), size)
