"""The app's stylesheet parses each CSS source once per theme, and a new theme still restyles everything."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.color import Color
from textual.css import stylesheet as textual_stylesheet

from tests.tui_helpers import ready
from tui.app import CalcApp
from tui.stylesheet import CachingStylesheet

CSS = "Static { background: $accent; color: red; }"


def count_parses(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Each parse from now on, as (where the CSS was read from, the CSS)."""
    parsed: list[tuple[str, str]] = []
    parse = textual_stylesheet.parse

    def counting(scope: str, css: str, read_from: tuple[str, str], *args: object, **kwargs: object) -> object:
        parsed.append((read_from[0], css))
        return parse(scope, css, read_from, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(textual_stylesheet, "parse", counting)
    return parsed


def background(stylesheet: CachingStylesheet) -> Color:
    (rule,) = stylesheet.rules
    return rule.styles.background


def test_a_reparse_with_the_same_variables_parses_nothing_again(monkeypatch: pytest.MonkeyPatch) -> None:
    parsed = count_parses(monkeypatch)
    stylesheet = CachingStylesheet(variables={"accent": "#ff0000"})
    stylesheet.add_source(CSS, read_from=("test", "CSS"))
    stylesheet.parse()
    stylesheet.set_variables({"accent": "#ff0000"})  # what App.refresh_css does before each reparse
    stylesheet.reparse()
    stylesheet.reparse()
    assert parsed == [("test", CSS)]
    assert background(stylesheet) == Color(255, 0, 0)


def test_new_variables_parse_again_and_change_the_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    parsed = count_parses(monkeypatch)
    stylesheet = CachingStylesheet(variables={"accent": "#ff0000"})
    stylesheet.add_source(CSS, read_from=("test", "CSS"))
    stylesheet.parse()
    stylesheet.set_variables({"accent": "#0000ff"})
    stylesheet.reparse()
    assert parsed == [("test", CSS)] * 2
    assert background(stylesheet) == Color(0, 0, 255)


async def test_the_app_parses_its_css_once_before_its_first_frame(monkeypatch: pytest.MonkeyPatch) -> None:
    # Textual alone parses app.tcss and the first screen's style.tcss three times each while opening the screen.
    parsed = count_parses(monkeypatch)
    app = CalcApp(device="cpu", dtype="float64")
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        own = [path for path, _ in parsed if Path(path).suffix == ".tcss"]
        assert sorted(own) == sorted(set(own)), "a CSS file was parsed again under the same theme"
        assert {Path(path).name for path in own} >= {"app.tcss", "style.tcss"}


async def test_a_new_theme_still_restyles_the_screen() -> None:
    app = CalcApp(device="cpu", dtype="float64")
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        for theme in ("nord", "gruvbox", "textual-light"):
            app.theme = theme
            await pilot.pause()
            expected = Color.parse(app.current_theme.background or "")  # type: ignore[arg-type]
            assert app.screen.styles.background == expected, theme
