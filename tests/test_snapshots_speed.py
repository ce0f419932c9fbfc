"""Snapshots of demo 6, Speed, drawn from made-up reports (real timings differ from run to run): finished at 80x24
and 120x40, eager and compiled side by side (c twice), the compiled rows alone in the table of a short terminal
(c, t), the speed-up of a GPU over the CPU, mid-measurement, and without colour or Unicode (compiled alone).

Update them only on purpose: `pytest tests/test_snapshots_speed.py --snapshot-update`, after looking at the new SVGs.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace

import pytest
from textual.pilot import Pilot

import engine.speed
from tests.test_snapshots import after, shot
from tests.test_tui_speed import FakeMeasure, wait_for
from tests.tui_helpers import still
from tui.app import CalcApp
from tui.look import Look

SIZES = [(80, 24), (120, 40)]


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeMeasure:
    measure = FakeMeasure(devices={"cuda:0": ("Made-up GPU X1", 20.0)})
    monkeypatch.setattr(engine.speed, "measure_speed", measure)
    return measure


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_measured(snap_compare: Callable[..., bool], fake: FakeMeasure, size: tuple[int, int]) -> None:
    assert shot(snap_compare, after("6"), size)


def test_with_compiled(snap_compare: Callable[..., bool], fake: FakeMeasure) -> None:
    assert shot(snap_compare, after("6", "c", "c"), (120, 40))  # eager, compiled, both


def test_table_in_place_of_the_plot_when_short(snap_compare: Callable[..., bool], fake: FakeMeasure) -> None:
    assert shot(snap_compare, after("6", "c", "t"), (80, 24))


def test_speed_up_of_a_gpu_over_the_cpu(snap_compare: Callable[..., bool], fake: FakeMeasure) -> None:
    async def run_before(pilot: Pilot[int]) -> None:
        await after("6")(pilot)
        app = pilot.app
        assert isinstance(app, CalcApp)
        app.state.precision = replace(app.state.precision, device="cuda:0", device_label="Made-up GPU X1", devices=("cpu", "cuda:0"))
        await after("s")(pilot)

    assert shot(snap_compare, run_before, (120, 40))


def test_while_measuring(snap_compare: Callable[..., bool], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine.speed, "measure_speed", FakeMeasure(threading.Event()))  # waits after its first sample

    async def run_before(pilot: Pilot[int]) -> None:
        await still(pilot)
        await pilot.press("6")
        await wait_for(pilot, "exact at N = 1,000 · Esc stops")
        await wait_for(pilot, "125M")  # the first sample, drawn

    assert shot(snap_compare, run_before, (120, 40))


def test_plain_ascii_without_colour(snap_compare: Callable[..., bool], fake: FakeMeasure) -> None:
    """Letters tell the curves apart (lower case eager, capitals compiled); nothing above ASCII reaches the terminal."""
    app = CalcApp(device="cpu", dtype="float64", look=Look(ascii=True, color=False))
    assert snap_compare(app, run_before=after("6", "c"), terminal_size=(80, 24))
    assert app.failures == []
