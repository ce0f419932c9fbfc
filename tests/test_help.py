"""Each demo's help (a Markdown file beside its screen): every key it names is bound on that screen, every key bound
there is in it, and its key tables are drawn from the bindings and the vocabulary."""

from __future__ import annotations

import re
from importlib import import_module
from pathlib import Path
from typing import Any, ClassVar

import pytest
from textual.binding import Binding, BindingType
from textual.pilot import Pilot

import tui.screens.help
from engine.vocabulary import method
from tests.tui_helpers import screen_text
from tui.app import DEMOS, CalcApp, Demo
from tui.screens.base import DemoScreen
from tui.screens.help import HelpError, HelpPage, HelpScreen, bound_keys, expand, help_page, key_text, keys_text
from tui.screens.lab import LabScreen

TITLES = [demo.title for demo in DEMOS]
NAMED = ("space", "backspace", "tab", "Esc", "Enter", "Home", "End", "PgUp", "PgDn", "←", "→", "↑", "↓")
MODIFIED = re.compile(r"(?:ctrl|shift|alt|super)\+\S+")
CODE = re.compile(r"`([^`]+)`")
FUNCTION_KEY = re.compile(r"(?<![\w`])F\d+\b")
DIGIT_RANGE = re.compile(r"`(\d)`–`(\d)`")
FUNCTION_RANGE = re.compile(r"\bF(\d+)–F(\d+)\b")
# Single characters in backticks that name a mark on screen, not a key: Compare's table flags a lying estimate with `!`.
MARKS = {"!"}
NUMBER_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


def screen_class(demo: Demo) -> type[DemoScreen[Any, Any]]:
    module, _, name = demo.screen.partition(":")
    screen: type[DemoScreen[Any, Any]] = getattr(import_module(module), name)
    return screen


def page_of(demo: Demo) -> HelpPage:
    return help_page(screen_class(demo), CalcApp, TITLES)


def keys_named(text: str) -> set[str]:
    """Every key the Markdown names: `x`, `Esc`, `shift+←` in backticks, F2 outside them, and each key of a range (`1`–`6`, F2–F8)."""
    codes = CODE.findall(text)
    named = {f"`{code}`" for code in codes if (len(code) == 1 and code not in MARKS) or code in NAMED or MODIFIED.fullmatch(code)}
    named |= set(FUNCTION_KEY.findall(CODE.sub("", text)))
    for first, last in DIGIT_RANGE.findall(text):
        named |= {f"`{n}`" for n in range(int(first), int(last) + 1)}
    for first, last in FUNCTION_RANGE.findall(text):
        named |= {f"F{n}" for n in range(int(first), int(last) + 1)}
    return named


@pytest.mark.parametrize("demo", DEMOS, ids=lambda demo: demo.mode)
def test_every_key_a_help_names_is_bound_on_its_screen(demo: Demo) -> None:
    page = page_of(demo)
    bound = {key_text(b.key) for b in bound_keys(screen_class(demo), CalcApp)}
    assert keys_named(page.text) - bound == set()


@pytest.mark.parametrize("demo", DEMOS, ids=lambda demo: demo.mode)
def test_every_key_bound_on_a_screen_is_in_its_help(demo: Demo) -> None:
    """Every key calc-tui binds there (not Textual's own tab or ctrl+c), with what it does (its action's row)."""
    page = page_of(demo)
    own = [b for b in bound_keys(screen_class(demo), CalcApp) if b.own]
    assert {b.action for b in own} - page.actions == set()
    named = keys_named(page.text)
    missing = [key_text(b.key) for b in own if key_text(b.key) not in named]
    assert missing == []


@pytest.mark.parametrize("demo", DEMOS, ids=lambda demo: demo.mode)
def test_a_help_has_a_title_its_text_and_the_shared_keys(demo: Demo) -> None:
    page = page_of(demo)
    assert page.title and not page.title.startswith("#")
    assert "**Keys**" in page.text and "**Everywhere**" in page.text
    assert "{{" not in page.text and "}}" not in page.text
    assert f"`1`–`{len(DEMOS)}` | the demos: {', '.join(TITLES)} |" in page.text


@pytest.mark.parametrize("demo", DEMOS, ids=lambda demo: demo.mode)
def test_a_count_of_methods_in_a_help_title_is_the_screens_count(demo: Demo) -> None:
    """Compare's title once said 'seven methods' and listed eight (its text may quote the tutorial's 'three methods')."""
    page, screen = page_of(demo), screen_class(demo)
    for word in re.findall(r"\b(\w+) methods\b", page.title):
        if word in NUMBER_WORDS:
            assert NUMBER_WORDS.index(word) == len(getattr(screen, "METHODS", ())), word


@pytest.mark.parametrize("mode", ["compare", "error-vs-h"])
def test_the_method_keys_in_a_help_are_the_vocabularys(mode: str) -> None:
    demo = next(d for d in DEMOS if d.mode == mode)
    screen = screen_class(demo)
    assert issubclass(screen, LabScreen)
    methods = screen.METHODS
    keys = " ".join(f"`{method(name).key}`" for name in methods)
    assert f"| {keys} | toggle {', '.join(methods)} |" in page_of(demo).text


def test_compare_names_its_keys_as_a_user_reads_them() -> None:
    text = page_of(DEMOS[0]).text
    for row in (
        "| `f` or `/` | edit the function (Enter applies, `Esc` returns",
        "| F2–F8, `p` | presets: sin, tutorial loss, sigmoid, cubic, wave packet, abs, log; `p` cycles |",
        "| `[` `]` or `-` `+` `=` | h down / up a quarter decade |",
        "| `{` `}` | h down / up a decade |",
        "| `z` / `Z` | zoom the tangent panel",
        "| `d` / `D` | next dtype / next device |",
        "| `\\` | fold the panels",
        "| `?` or F1 | this help (Esc closes); `q` or `ctrl+q` quits |",
    ):
        assert row in text
    assert page_of(DEMOS[0]).title == "Compare: one derivative, eight methods"


def test_a_preset_key_without_a_preset_is_left_out() -> None:
    gradient = next(d for d in DEMOS if d.mode == "gradient-field")
    assert "| F2–F5, `p` | presets: bowl, saddle, Rosenbrock, two minima" in page_of(gradient).text


def test_speed_fills_in_the_regimes_from_the_engine() -> None:
    from engine.speed import REGIME_TEXT

    speed = next(d for d in DEMOS if d.mode == "speed")
    assert f"- **overhead** — {REGIME_TEXT['overhead']}." in page_of(speed).text


def test_a_reference_to_an_unbound_action_is_an_error_that_names_it() -> None:
    bound = bound_keys(screen_class(DEMOS[0]), CalcApp)
    with pytest.raises(HelpError, match="no key is bound to 'shift_lr' on this screen"):
        expand("| {{shift_lr}} | learning rate |", bound, {})
    with pytest.raises(HelpError, match="names no action"):
        expand("| {{()}} | nothing |", bound, {})


def test_keys_in_a_row_are_written_as_a_range() -> None:
    assert keys_text(["f2", "f3", "f4", "f5", "p"]) == "F2–F5 `p`"
    assert keys_text(["1", "2", "3", "4", "5", "6"]) == "`1`–`6`"
    assert keys_text(["f2", "f3"]) == "F2 F3"
    assert keys_text(["left", "shift+right", "escape"]) == "`←` `shift+→` `Esc`"


def test_an_app_priority_binding_is_listed_beside_the_screens_binding_for_the_same_key() -> None:
    """Textual asks an app's priority binding first (the lesson's `n` while it is open), then the screen's (`n` flips)."""

    class LessonApp(CalcApp):
        BINDINGS: ClassVar[list[BindingType]] = [
            Binding("n", "app.lesson_next", "Next step", priority=True),
            Binding("m", "app.other", "m"),
        ]

    slope = screen_class(next(d for d in DEMOS if d.mode == "slope-field"))
    assert {b.action for b in bound_keys(slope, LessonApp) if b.key in "nm"} == {"flip", "lesson_next", "next_method"}
    assert {b.action for b in bound_keys(slope, CalcApp) if b.key == "n"} == {"flip"}


async def test_a_help_file_that_cannot_be_shown_is_a_notice_and_the_demo_stays(
    pilot: Pilot[int], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A help naming a key the screen lacks (or missing from the install) says so; pressing ? never crashes the app."""
    broken = tmp_path / "compare.md"
    broken.write_text("# Compare\n\n| {{shift_lr}} | learning rate |\n")
    monkeypatch.setattr(tui.screens.help, "help_path", lambda screen: broken)
    await pilot.press("question_mark")
    await pilot.pause()
    assert not isinstance(pilot.app.screen, HelpScreen) and pilot.app.current_mode == "compare"
    text = " ".join(screen_text(pilot.app).split())
    assert "no help" in text and "compare.md: {{shift_lr}}: no key is bound to" in text
    broken.unlink()
    await pilot.press("question_mark")
    await pilot.pause()
    assert not isinstance(pilot.app.screen, HelpScreen)
    assert "the help file compare.md cannot be read" in " ".join(screen_text(pilot.app).split())
