"""The microscopic zoom in Compare's tangent panel: z zooms in 10x around x0, Z out; the gap shrinks like w²,
and in float32 the staircase of representable values appears far sooner than in float64."""

from __future__ import annotations

import math
import re

import pytest
from textual.pilot import Pilot
from textual.widgets import Static

from tests.tui_helpers import screen_text, settle, widget_text
from tui.demos.compare.plots import TangentPlot


async def press(pilot: Pilot[int], *keys: str) -> str:
    for key in keys:
        await pilot.press(key)
        await settle(pilot)
    return screen_text(pilot.app)  # type: ignore[arg-type]


def gap(pilot: Pilot[int]) -> float:
    """The linearity gap the panel under the zoomed plot states."""
    info = " ".join(widget_text(pilot.app.screen.query_one("#tangent-info", Static)).split())
    return float(re.search(r"max\|f − tangent\| = ([-+0-9.e]+)", info).group(1))  # type: ignore[union-attr]


async def test_z_zooms_in_around_x0_and_the_gap_shrinks_like_w_squared(pilot: Pilot[int]) -> None:
    text = await press(pilot, "z", "z")
    # the domain is [-pi, pi]: half-width pi / 100 at zoom 2
    assert "zoom ×1e2: x0 ± 3.1e-02" in text
    assert "x0-" in text and "x0+" in text  # the axis reads as offsets from x0
    first = gap(pilot)
    # sin(1 + d) - sin(1) - cos(1) d ≈ -sin(1) d²/2, largest at the window's ends d = ±w (sampled on 241 points)
    assert first == pytest.approx(math.sin(1) * (math.pi / 100) ** 2 / 2, rel=0.03)
    text = await press(pilot, "z")
    assert 90 < first / gap(pilot) < 110 and "like w²" in text  # 10x narrower, 100x closer
    text = await press(pilot, "Z", "Z", "Z")
    assert "zoom" not in screen_text(pilot.app) and "f(x), tangent and secant at x0" in text  # type: ignore[arg-type]


async def test_in_float32_the_staircase_appears_while_float64_is_still_smooth(pilot: Pilot[int]) -> None:
    text = await press(pilot, *["z"] * 7)  # x0 ± 3.1e-7
    assert "staircase" not in text and "like w²" in text
    text = await press(pilot, "d")  # float32
    assert "staircase: the dtype holds" in text and "(round-off, as in Error vs h)" in text
    plot = pilot.app.screen.query_one(TangentPlot).plt.build()
    assert "zoom ×1e7" in plot


async def test_zooming_stops_at_1e_15_of_x0_and_says_so(pilot: Pilot[int]) -> None:
    text = await press(pilot, *["z"] * 18)
    assert "zoom ×1e15: x0 ± 3.1e-15" in text
    assert "staircase" in text  # even float64 holds only a few dozen x values there
    assert "as far in as it goes" in screen_text(pilot.app)  # type: ignore[arg-type]
