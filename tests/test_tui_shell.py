"""The app shell: demos by key and palette, header, help, quitting, sizes, background torch."""

from __future__ import annotations

import pytest
from textual.widgets import Input, Markdown

from tests.tui_helpers import make_app, ready, screen_text, settle, type_text
from tui.screens.help import HelpScreen

DEMO_KEYS = {"1": ("compare", "Compare"), "2": ("error", "Error vs h"), "3": ("slope", "Slope field"), "4": ("gradient", "Gradient field")}


async def test_first_screen_is_compare_with_device_and_dtype_in_the_header() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        assert app.current_mode == "compare"
        assert app.sub_title == "Compare · cpu · float64"
        text = screen_text(app)
        assert "calc-tui — Compare · cpu · float64" in text
        assert "f'(x) for f(x) = sin(x)" in text
        assert "f(x) = sin(x)" in text


async def test_number_keys_switch_every_demo_and_the_header_follows() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        for key, (mode, title) in [*DEMO_KEYS.items(), ("1", DEMO_KEYS["1"])]:
            await pilot.press(key)
            await settle(pilot)
            assert app.current_mode == mode
            assert app.sub_title.startswith(title + " · cpu")
            assert title in screen_text(app)


@pytest.mark.parametrize("query, mode", [("Error vs h", "error"), ("Gradient field", "gradient"), ("Slope field", "slope")])
async def test_command_palette_switches_demo(query: str, mode: str) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await type_text(pilot, query)
        await pilot.pause(0.5)  # the palette searches asynchronously
        await pilot.press("enter")
        await settle(pilot)
        assert app.current_mode == mode


async def test_help_opens_for_the_current_demo_and_escape_closes_it() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
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
        assert app.current_mode == "error" and not isinstance(app.screen, HelpScreen)


@pytest.mark.parametrize("key", ["q", "ctrl+q"])
async def test_quit_exits_cleanly(key: str) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press(key)
        await pilot.pause()
    assert app.return_code == 0


async def test_q_typed_in_an_input_is_text_not_quit() -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("f", "q")
        await pilot.pause()
        assert app.is_running
        assert app.screen.query_one("#formula", Input).value == "q"


async def test_first_frame_draws_before_torch_is_ready() -> None:
    """The Compare plot is drawn from the numpy preview while torch is still loading."""
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        text = screen_text(app)
        assert "f'(x) for f(x) = sin(x)" in text
        if not app.torch_ready:  # on a fast machine torch may already be in
            assert "loading torch" in text
        await ready(pilot)
        assert "loading torch" not in screen_text(app)


async def test_every_size_from_tiny_to_huge_survives_and_small_ones_say_so() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        sizes = [(w, h) for w in (40, 55, 69, 70, 80, 120, 180, 250) for h in (12, 19, 20, 24, 40, 80)]
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
