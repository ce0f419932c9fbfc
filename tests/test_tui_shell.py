"""The app shell: demos by key and palette, header, help, quitting, sizes, background torch."""

from __future__ import annotations

import math
import threading

import pytest
from textual.widgets import Input, Markdown

from tests.tui_helpers import make_app, ready, screen_text, settle, type_text
from tui.demos.compare.plots import DerivativePlot
from tui.demos.compare.screen import CompareScreen
from tui.messages import TorchReady
from tui.screens.help import HelpScreen

DEMO_KEYS = {
    "1": ("compare", "Compare"),
    "2": ("error-vs-h", "Error vs h"),
    "3": ("slope-field", "Slope field"),
    "4": ("gradient-field", "Gradient field"),
}


async def test_first_screen_is_compare_with_device_and_dtype_in_the_header(pilot) -> None:
    app = pilot.app
    assert app.current_mode == "compare"
    assert app.sub_title == "Compare · cpu · float64"
    text = screen_text(app)
    assert "calc-tui — Compare · cpu · float64" in text
    assert "f'(x) for f(x) = sin(x)" in text
    assert "f(x) = sin(x)" in text


async def test_number_keys_switch_every_demo_and_the_header_follows(pilot) -> None:
    app = pilot.app
    for key, (mode, title) in [*DEMO_KEYS.items(), ("1", DEMO_KEYS["1"])]:
        await pilot.press(key)
        await settle(pilot)
        assert app.current_mode == mode
        assert app.sub_title.startswith(title + " · cpu")
        assert title in screen_text(app)


@pytest.mark.parametrize(
    "query, mode", [("Error vs h", "error-vs-h"), ("Gradient field", "gradient-field"), ("Slope field", "slope-field")]
)
async def test_command_palette_switches_demo(pilot, query: str, mode: str) -> None:
    app = pilot.app
    await pilot.press("ctrl+p")
    await pilot.pause()
    await type_text(pilot, query)
    await pilot.pause(0.5)  # the palette searches asynchronously
    await pilot.press("enter")
    await settle(pilot)
    assert app.current_mode == mode


async def test_help_opens_for_the_current_demo_and_escape_closes_it(pilot) -> None:
    app = pilot.app
    await pilot.press("question_mark")
    await pilot.pause()
    assert isinstance(app.screen, HelpScreen)
    help_text = app.screen.query_one(Markdown).source
    assert "autograd" in help_text and "| key | action |" in help_text
    await pilot.press("escape")
    await pilot.pause()
    assert not isinstance(app.screen, HelpScreen)
    await pilot.press("2", "f1")
    await pilot.pause()
    assert isinstance(app.screen, HelpScreen)
    assert "round-off" in app.screen.query_one(Markdown).source
    await pilot.press("escape")
    await pilot.pause()
    assert app.current_mode == "error-vs-h" and not isinstance(app.screen, HelpScreen)


@pytest.mark.parametrize("key", ["q", "ctrl+q"])
@pytest.mark.size(80, 24)
async def test_quit_exits_cleanly(pilot, key: str) -> None:
    app = pilot.app
    await pilot.press(key)
    await pilot.pause()
    assert app.return_code == 0


@pytest.mark.size(80, 24)
async def test_q_typed_in_an_input_is_text_not_quit(pilot) -> None:
    app = pilot.app
    await pilot.press("f", "q")
    await pilot.pause()
    assert app.is_running
    assert app.screen.query_one("#formula", Input).value == "q"


async def test_first_frame_draws_the_quick_preview_while_torch_is_held_back(monkeypatch: pytest.MonkeyPatch) -> None:
    """Until the engine is loaded, Compare shows f'(x) from the plain-Python preview; then the engine's numbers replace it."""
    import tui.loading

    release = threading.Event()
    real_load = tui.loading.load_engine

    def held_back(device: str) -> TorchReady:
        assert release.wait(timeout=60), "the test never released the engine"
        return real_load(device)

    monkeypatch.setattr(tui.loading, "load_engine", held_back)
    app = make_app()
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await pilot.pause(0.2)
        assert not app.state.precision.ready
        text = screen_text(app)
        assert "f'(x) for f(x) = sin(x) (quick preview while torch loads)" in text
        assert "loading torch" in text and "calc-tui — Compare · loading torch… · float64" in text
        screen = app.screen
        assert isinstance(screen, CompareScreen) and screen.preview is not None and screen.view is None
        curve = screen.preview.curves
        derivative = curve.curves["quick preview"]
        assert len(curve.x) == 400
        assert max(abs(d - math.cos(x)) for x, d in zip(curve.x, derivative, strict=True)) < 1e-9  # central differences of sin
        assert "quick preview" in screen.query_one(DerivativePlot).plt.build()
        release.set()
        await ready(pilot)
        text = screen_text(app)
        assert "quick preview" not in text and "loading torch" not in text
        assert "f'(x) for f(x) = sin(x)" in text and "complex-step" in text


async def test_every_size_from_tiny_to_huge_survives_and_small_ones_say_so(pilot) -> None:
    app = pilot.app
    # both sides of the 70x20 limit, the common 80x24 and the extremes (a 48-size grid took 31 s of the suite)
    sizes = [(w, h) for w in (40, 69, 70, 80, 250) for h in (12, 19, 20, 24, 80)]
    for mode in ("1", "2", "3", "4"):
        await pilot.press(mode)
        for width, height in sizes:
            await pilot.resize_terminal(width, height)
            await pilot.pause()
            text = screen_text(app)
            small = width < 70 or height < 20
            assert ("needs at least 70×20" in text) == small, (mode, width, height)
            assert len(text.splitlines()) == height
        await settle(pilot)
    assert app.is_running


LONG_FUNCTION = "sin(x)*cos(x) + exp(-x^2)*sin(5*x) + log(1+x^2) + tanh(x)*sigmoid(x) + sqrt(1+x^2)/3"  # 84 characters
MEDIUM_FUNCTION = "sin(x)*cos(x) + exp(-x^2)*sin(5*x) + log(1+x^2) + tanh(x)*sigmoid(2x)"  # 69 characters


@pytest.mark.parametrize("function", [LONG_FUNCTION, MEDIUM_FUNCTION], ids=["84-chars", "69-chars"])
@pytest.mark.size(80, 24)
async def test_folded_summary_shortens_a_long_function_and_keeps_every_field(pilot, function: str) -> None:
    assert len(function) in (84, 69)
    app = pilot.app
    await pilot.press("f")
    await type_text(pilot, function)
    await pilot.press("enter")
    await settle(pilot)
    summary = screen_text(app).splitlines()[1]
    assert len(summary) <= 80
    # f keeps as much as fits, cut with an ellipsis; the fields after it keep their place and their order.
    shown = summary.split("f(x) = ", 1)[1].split(" · ", 1)[0]
    assert shown.endswith("…") and len(shown) >= 16 and function.startswith(shown[:-1]), summary
    assert summary.endswith(" · h = 1.0e-04 · x0 = 1 · float64 on cpu"), summary


async def test_the_demos_compute_on_one_torch_thread_and_speed_keeps_all_cores(pilot) -> None:
    """A demo's arrays are small; on a busy machine torch's second thread only adds waiting (tui/loading.py)."""
    import torch

    import tui.loading
    from tui.demos.speed.compute import ReportKey, engine_request

    seen: list[int] = []
    worker = threading.Thread(target=lambda: seen.append(torch.get_num_threads()))  # as a computation's thread sees it
    worker.start()
    worker.join()
    assert seen == [1]
    all_cores = tui.loading.torch_threads
    assert all_cores is not None and all_cores >= 1
    assert engine_request(ReportKey("sin(x)", "cpu", "float64", False)).threads == all_cores  # Speed: all cores
    assert engine_request(ReportKey("sin(x)", "cpu", "float64", False, threads=1)).threads == 1


def test_loading_the_engine_freezes_what_the_imports_left_and_leaves_the_collector_on() -> None:
    """A full collection in a key press walked ~290,000 objects of torch, SymPy and Textual (160 ms): load_engine
    freezes them, once, and the collector runs again afterwards (it is off only while importing)."""
    import subprocess
    import sys

    code = (
        "import gc; from tui.loading import load_engine; load_engine('cpu'); frozen = gc.get_freeze_count();"
        "load_engine('cpu'); print(gc.isenabled(), frozen > 100_000, gc.get_freeze_count() == frozen)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.split() == ["True", "True", "True"]
