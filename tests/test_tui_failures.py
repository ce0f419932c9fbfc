"""What a user sees when a computation fails or the machine lacks what was asked for: a notice, a status line,
the last good plot kept, and an app that goes on."""

from __future__ import annotations

from importlib import import_module

import pytest
import torch
from textual.pilot import Pilot

from tests.tui_helpers import make_app, ready, screen_text, settle
from tui.app import CalcApp
from tui.demos.compare.plots import DerivativePlot
from tui.demos.error_vs_h.plot import ErrorPlot
from tui.demos.gradient_field.plot import GradientFieldPlot
from tui.demos.slope_field.plot import SlopeFieldPlot
from tui.widgets.plotting import BasePlot

# demo key, the engine function its computation calls, the plot that must keep the last good drawing, the notice's title
DEMOS = [
    ("1", "engine.derive", "derive", DerivativePlot, "derivatives failed"),
    ("2", "engine.sweep", "sweep", ErrorPlot, "error-vs-h sweep failed"),
    ("3", "engine.fields", "slope_field", SlopeFieldPlot, "slope field failed"),
    ("4", "engine.fields", "gradient_field", GradientFieldPlot, "gradient field failed"),
]


def broken(*args: object, **kwargs: object) -> None:
    raise RuntimeError("injected failure")


@pytest.mark.expect_failures
@pytest.mark.parametrize(("key", "module", "function", "plot_type", "title"), DEMOS, ids=[d[0] for d in DEMOS])
async def test_a_failed_computation_is_a_notice_and_the_last_good_plot_stays(
    pilot: Pilot[int], monkeypatch: pytest.MonkeyPatch, key: str, module: str, function: str, plot_type: type[BasePlot], title: str
) -> None:
    app = pilot.app
    assert isinstance(app, CalcApp)
    await pilot.press(key)
    await settle(pilot)
    screen = app.screen
    plot = screen.query_one(plot_type)
    drawn, view = plot.plt.build(), getattr(screen, "view", None)
    assert view is not None and app.failures == []

    monkeypatch.setattr(import_module(module), function, broken)
    await pilot.press("d")  # float32: a new request, which fails
    await settle(pilot)
    text = screen_text(app)
    assert title in text and "RuntimeError: injected failure" in text  # the notice
    assert "✗ the last computation failed" in text  # the status line
    assert app.failures == ["RuntimeError: injected failure"]
    assert getattr(screen, "view", None) is view and plot.plt.build() == drawn  # the last good plot stays

    monkeypatch.undo()
    await pilot.press("d")  # float16 this time: computed, drawn, and the failure line is gone
    await settle(pilot)
    text = screen_text(app)
    assert "the last computation failed" not in text and "· cpu · float16" in text
    assert getattr(screen, "view", None) is not view


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA: the fallback cannot be seen here")
async def test_asking_for_cuda_where_there_is_none_runs_on_the_cpu_and_says_so() -> None:
    app = CalcApp(device="cuda", dtype="float64")
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await ready(pilot)
        text = screen_text(app)
        assert "sees no CUDA device" in text and "using cpu" in text  # the warning toast
        assert "Compare · cpu · float64" in text and "device cpu" in text
        assert app.failures == []


async def test_a_dtype_the_device_cannot_do_falls_back_to_float64_and_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    import engine.devices

    monkeypatch.setattr(engine.devices, "supported_dtypes", lambda device: ["float64", "float32"])
    app = CalcApp(device="cpu", dtype="bfloat16")
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await ready(pilot)
        text = screen_text(app)
        assert "bfloat16 is not supported on cpu; using float64" in text
        assert "Compare · cpu · float64" in text


async def test_torch_that_cannot_be_loaded_is_a_notice_not_a_crash(monkeypatch: pytest.MonkeyPatch) -> None:
    import tui.loading

    def cannot_load(device: str) -> None:
        raise ImportError("libtorch_cpu.so: cannot open shared object file")

    monkeypatch.setattr(tui.loading, "load_engine", cannot_load)
    app = make_app()
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        for _ in range(50):
            await pilot.pause(0.05)
            if "torch unavailable" in app.sub_title:
                break
        await pilot.pause(0.1)  # the toast is shown on the next frame
        text = screen_text(app)
        assert "torch could not be loaded" in text and "libtorch_cpu.so" in text  # the notice (wrapped)
        assert "Compare · torch unavailable · float64" in text
        assert "quick preview" in text  # the first frame stays useful
        await pilot.press("2")
        await pilot.pause()
        assert app.is_running and "Error vs h" in screen_text(app)
