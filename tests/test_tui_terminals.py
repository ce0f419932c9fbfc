"""Real terminals: 80x24 with the panels folded, ASCII and no-colour modes, the footer, exports and remembered settings."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from typing import ClassVar

import pytest
from rich.cells import cell_len
from rich.segment import Segment
from rich.text import Text
from textual.color import Color
from textual.content import Content
from textual.pilot import Pilot

import engine.speed
import tui.app
from tests.tui_helpers import ready, screen_text, settle, type_text
from tui.app import CalcApp
from tui.demos.gradient_field.plot import GradientFieldPlot
from tui.look import ONE_CELL, WIDER, AsciiFilter, Look, choose_look, to_ascii, widen, widen_content, widen_rich
from tui.settings import Settings, SettingsFile
from tui.widgets.key_footer import KeyFooter

DEMO_KEYS = ("1", "2", "3", "4", "5", "6")


@pytest.fixture(autouse=True)
def made_up_speed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Demo 6 measures as it opens: here from a made-up engine, so a test of the screen is not a 15 s benchmark."""
    from tests.test_tui_speed import FakeMeasure

    monkeypatch.setattr(engine.speed, "measure_speed", FakeMeasure())


def footer(app: CalcApp) -> str:
    return screen_text(app).splitlines()[-1]


@pytest.mark.size(80, 24)
async def test_at_80_columns_the_panels_fold_and_a_summary_line_stands_in(pilot: Pilot[int]) -> None:
    app = pilot.app
    assert isinstance(app, CalcApp)
    text = screen_text(app)
    assert "f(x) = sin(x) · h = 1.0e-04 · x0 = 1 · float64 on cpu (\\ shows the panels)" in text
    assert "exact (e)" not in text  # the method toggles are folded away
    await pilot.press("backslash")
    await settle(pilot)
    assert "exact (e)" in screen_text(app) and app.state.look.sidebar == "shown"
    await pilot.press("backslash")
    await settle(pilot)
    assert "exact (e)" not in screen_text(app) and app.state.look.sidebar == "folded"


@pytest.mark.size(80, 24)
async def test_editing_the_function_when_folded_shows_the_panels_until_it_is_applied(pilot: Pilot[int]) -> None:
    app = pilot.app
    await pilot.press("f")
    assert "exact (e)" in screen_text(app)  # the panels peek out while the function is edited
    await type_text(pilot, "cos(x)")
    await pilot.press("enter")
    await settle(pilot)
    text = screen_text(app)
    assert "exact (e)" not in text and "f(x) = cos(x) · h = 1.0e-04" in text


@pytest.mark.size(80, 24)
async def test_at_80x24_the_gradient_field_has_room_for_a_real_quiver(pilot: Pilot[int]) -> None:
    app = pilot.app
    await pilot.press("4")
    await settle(pilot)
    view = getattr(app.screen, "view", None)
    assert view is not None
    arrows = len(view.autograd.x) * len(view.autograd.y)
    assert arrows >= 110  # with the sidebar beside it the quiver had 11 x 5 = 55 arrows
    drawn = app.screen.query_one(GradientFieldPlot).plt.build()
    assert sum(drawn.count(glyph) for glyph in "→↗↑↖←↙↓↘") >= arrows - 2  # the start marker may cover one


@pytest.mark.size(80, 24)
@pytest.mark.parametrize("key", DEMO_KEYS)
async def test_the_footer_shows_whole_keys_and_ends_with_more_when_some_do_not_fit(pilot: Pilot[int], key: str) -> None:
    app = pilot.app
    assert isinstance(app, CalcApp)
    await pilot.press(key)
    await settle(pilot)
    line = footer(app)
    items = app.screen.query_one(KeyFooter).items()
    shown = [label for _, label, _ in items if f" {label}" in line]
    assert shown, line
    # The line is the first keys in the screen's order, each whole, then '? more' for the rest (or all keys and help).
    cut = len(shown) < len(items)
    pieces = [f"{key} {label}" for key, label, action in items if not (cut and action == "app.help")]
    candidates = ["  ".join(pieces[:n]) + ("  ? more" if cut else "") for n in range(1, len(pieces) + 1)]
    assert line.strip() in candidates, line
    if len(shown) < len(items):  # '? more' stands in for '? Help' and the keys that did not fit
        assert line.rstrip().endswith("? more") and "? Help" not in line
    else:
        assert "? Help" in line and "more" not in line
    assert len(line.rstrip()) <= 80


class MeasuredFilter(AsciiFilter):
    """ASCII mode's filter, noting every line it changes: what went in (Unicode) and what came out."""

    lines: ClassVar[list[tuple[list[Segment], list[Segment]]]] = []

    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        result = super().apply(segments, background)
        if result != segments:
            self.lines.append((segments, result))
        return result


@pytest.mark.parametrize("key", DEMO_KEYS)
async def test_ascii_mode_puts_nothing_but_ascii_on_the_screen(key: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tui.app, "AsciiFilter", MeasuredFilter)
    MeasuredFilter.lines.clear()
    app = CalcApp(device="cpu", dtype="float64", look=Look(ascii=True))
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await ready(pilot)
        await pilot.press(key)
        await settle(pilot)
        text = screen_text(app)
        assert text.isascii(), sorted({c for c in text if not c.isascii()})
        assert "calc-tui" in text and "float64" in text
        # every line the filter changed is as wide after as before: the ASCII look's rows are the Unicode look's
        assert MeasuredFilter.lines
        for before, after in MeasuredFilter.lines:
            assert Segment.get_line_length(after) == Segment.get_line_length(before), "".join(s.text for s in before)
            assert "".join(s.text for s in after).isascii()
        if key == "1":
            assert "f(x) = sin(x) . h = 1.0e-04 . x0 = 1 . float64 on cpu" in text  # the folded summary
            await pilot.press("t")  # the error table in place of the tangent plot
            await settle(pilot)
            assert re.search(r"richardson .* <=\d\d\b", screen_text(app)), screen_text(app)  # ≤20 evaluations, not <20
        if key == "4":
            assert any(glyph in text for glyph in "<>^v/\\")  # arrows made of ASCII
        if key == "5":
            await pilot.press("end")  # backward() to the end: the graph's boxes, edges and .grad
            await settle(pilot)
            text = screen_text(app)
            assert text.isascii(), sorted({c for c in text if not c.isascii()})
            assert "x.grad 0.5403" in text and "Sin n0" in text
        if key == "6":
            assert "memory bound 750M/s" in text and "eeee" in text  # the made-up measurement, curves in letters
            await pilot.press("t")  # the table and the skip summary in place of the plot
            await settle(pilot)
            text = screen_text(app)
            assert re.search(r"\b\d+ us\b", text) and "?s" not in text, text  # µs as us
            assert re.search(r"N = [\d.]+[kM]?(\.\.\.|, )[\d.]+[kM]?", text), text  # the skip summary's sizes, … as ...
        assert app.failures == []


async def test_no_colour_mode_tells_methods_apart_by_letter_not_colour() -> None:
    app = CalcApp(device="cpu", dtype="float64", look=Look(color=False))
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await ready(pilot)
        assert app.no_color  # Textual draws in monochrome
        assert re.search(r"richardson .* ≤\d\d\b", screen_text(app))  # Unicode stays Unicode: only ASCII mode widens
        await pilot.press("2")
        await settle(pilot)
        plot = screen_text(app)
        # each method's curve is drawn with its key letter, and the legend says which letter is which
        for letter, name in (("w", "forward"), ("c", "central"), ("v", "five-point"), ("i", "complex-step")):
            assert re.search(rf"{letter}{letter} {name}", plot), name


def test_the_look_follows_flags_environment_and_encoding() -> None:
    assert choose_look(False, False, {}, "utf-8") == Look(ascii=False, color=True)
    assert choose_look(True, False, {}, "utf-8").ascii
    assert choose_look(False, False, {"CALC_TUI_ASCII": "1"}, "UTF-8").ascii
    assert not choose_look(False, False, {"CALC_TUI_ASCII": "0"}, "UTF-8").ascii
    assert choose_look(False, False, {}, "ascii").ascii  # a terminal that cannot show UTF-8
    assert not choose_look(False, False, {}, "utf_8").ascii and not choose_look(False, False, {}, "UTF8").ascii  # Python's spellings
    assert choose_look(False, False, {}, None).ascii  # no encoding known: the safe choice
    assert not choose_look(False, False, {"NO_COLOR": ""}, "utf-8").color  # NO_COLOR set, whatever its value
    assert not choose_look(False, True, {}, "utf-8").color
    assert to_ascii("┌─┤ ↗ ⢕ ▐X▌ −1 · x₀ ∫") == "+-+ / . [X] -1 . x0 ?"


def test_each_look_draws_curves_and_lines_with_its_own_markers() -> None:
    unicode, ascii_look, plain = Look(), Look(ascii=True), Look(color=False)
    assert [look.plain_markers for look in (unicode, ascii_look, plain)] == [False, True, True]
    assert [look.curve_marker("central") for look in (unicode, ascii_look, plain)] == ["braille", "c", "c"]
    assert [look.curve_marker("quick preview") for look in (unicode, ascii_look, plain)] == ["braille", ".", "•"]
    assert [look.line_marker for look in (unicode, ascii_look, plain)] == ["braille", ".", "•"]
    assert [look.describe() for look in (unicode, ascii_look, plain)] == ["Unicode, colour", "ASCII, colour", "Unicode, no colour"]
    assert Look().sidebar == "auto"


def test_the_one_cell_map_is_one_cell_wide_and_the_wider_replacements_keep_the_meaning() -> None:
    for char, replacement in ONE_CELL.items():
        assert len(char) == 1 and cell_len(char) == 1 and not char.isascii(), repr(char)
        assert len(replacement) == 1 and replacement.isascii() and cell_len(replacement) == 1, repr(char)
    everything = "".join(ONE_CELL) + "⢕⠁ ∫ x"
    assert len(to_ascii(everything)) == len(everything) and to_ascii(everything).isascii()
    for char, replacement in WIDER.items():
        assert char in ONE_CELL and replacement.isascii() and len(replacement) > 1, repr(char)  # a one-cell fallback too
    assert to_ascii(widen("26 µs · N = 31.6M…316M · ≤20 · ≥ 1 · x² · π")) == "26 us . N = 31.6M...316M . <=20 . >= 1 . x^2 . pi"
    assert widen("x³ · ∇f · Σ") == "x^3 · gradf · sum" and widen("…") == "..." and widen("≤") == "<="


def test_the_wider_replacements_move_the_styles_with_the_text() -> None:
    text = Text.assemble(("≤", "bold"), ("20", "red"), " and ", ("31.6M…316M", "blue"))
    wide = widen_rich(text)
    assert wide.plain == "<=20 and 31.6M...316M"
    assert [(wide.plain[s.start : s.end], s.style) for s in wide.spans] == [("<=", "bold"), ("20", "red"), ("31.6M...316M", "blue")]
    content = widen_content(Content.from_markup("[b]≤20[/b] x"))
    assert content.plain == "<=20 x" and [content.plain[s.start : s.end] for s in content.spans] == ["<=20"]


async def test_x_exports_the_numbers_on_screen_as_json_and_csv(tmp_path: Path) -> None:
    app = CalcApp(device="cpu", dtype="float64", export_dir=tmp_path / "out")
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await ready(pilot)
        await pilot.press("x")
        await pilot.pause(0.2)
        files = sorted((tmp_path / "out").iterdir())
        json_files = [f for f in files if f.suffix == ".json"]
        assert len(json_files) == 1 and len(files) == 4  # the JSON and a CSV per table
        assert "exported" in screen_text(app) and "saved" in screen_text(app)  # the notice names the file
        document = json.loads(json_files[0].read_text())
        assert document["demo"] == "compare" and document["settings"]["function"] == "sin(x)"
        errors = {row[0]: row for row in document["tables"]["errors"]["rows"]}
        text = screen_text(app)
        for method in ("forward", "central", "five-point"):
            assert f"{errors[method][1]:.1e}" in text  # the max error on screen is the exported one
        with (json_files[0].with_name(json_files[0].stem + "-errors.csv")).open() as file:
            rows = list(csv.reader(file))
        assert rows[0] == [
            "method",
            "max_abs_error",
            "mean_abs_error",
            "estimated_error",
            "too_optimistic",
            "evaluations",
            "not_applicable",
        ]
        assert {row[0]: float(row[1]) for row in rows[1:]} == {m: row[1] for m, row in errors.items()}
        assert document["settings"]["order"] == 1
        richardson = errors["richardson"]
        assert richardson[1] <= richardson[3] and richardson[4] is False  # its own estimate, honest on sin
        assert errors["central"][3] is None  # no estimate of its own
        derivatives = document["tables"]["derivatives"]
        assert derivatives["columns"][:3] == ["x", "exact", "autograd"] and len(derivatives["rows"]) == 400


async def test_shift_x_saves_an_svg_screenshot(tmp_path: Path) -> None:
    app = CalcApp(device="cpu", dtype="float64", export_dir=tmp_path)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await ready(pilot)
        await pilot.press("3")
        await settle(pilot)
        await pilot.press("X")
        await pilot.pause(0.2)
        (svg,) = tmp_path.glob("calc-tui-slope-field-*.svg")
        assert svg.read_text().startswith("<svg") and "Slope" in svg.read_text()
        assert "screenshot" in screen_text(app)


async def test_settings_are_remembered_and_restored(tmp_path: Path) -> None:
    settings = SettingsFile(tmp_path / "settings.json")
    app = CalcApp(device="cpu", settings=settings)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await ready(pilot)
        await pilot.press("f")
        await type_text(pilot, "tanh(x)")
        await pilot.press("enter", "d", "backslash")  # float32, panels folded
        await settle(pilot)
    saved = json.loads((tmp_path / "settings.json").read_text())
    assert saved["dtype"] == "float32" and saved["sidebar"] == "folded"
    assert saved["histories"]["lab"][-2:] == ["sin(x)", "tanh(x)"]

    again = CalcApp(device="cpu", settings=settings)
    async with again.run_test(size=(120, 40), notifications=True) as pilot:
        await ready(pilot)
        assert again.state.precision.dtype == "float32" and again.state.look.sidebar == "folded"
        assert "· cpu · float32" in screen_text(again)
        assert "(\\ shows the panels)" in screen_text(again)
        await pilot.press("backslash", "f", "up")  # the history remembers tanh(x)
        assert again.screen.query_one("#formula").value == "tanh(x)"  # type: ignore[attr-defined]


@pytest.mark.parametrize("content", ["{not json", '["a list"]', '{"dtype": "float99", "histories": {"lab": [42, "x^2"]}}'])
async def test_a_corrupt_settings_file_is_a_notice_and_the_app_starts_clean(tmp_path: Path, content: str) -> None:
    path = tmp_path / "settings.json"
    path.write_text(content)
    app = CalcApp(device="cpu", settings=SettingsFile(path))
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await ready(pilot)
        text = screen_text(app)
        assert app.state.precision.dtype == "float64" and app.failures == []
        if content.startswith('{"dtype"'):  # readable JSON: the bad parts are dropped, the good ones kept
            assert app.state.lab.history[0] == "x^2" and "settings not loaded" not in text
        else:
            assert "settings not loaded" in text and (tmp_path / "settings.json.corrupt").exists()


def test_settings_round_trip_and_refuse_nonsense(tmp_path: Path) -> None:
    file = SettingsFile(tmp_path / "deep" / "settings.json")
    settings = Settings(histories={"lab": ("sin(x)", "x^2")}, dtype="bfloat16", theme="nord", sidebar="shown")
    file.save(settings)
    assert file.load() == settings
    (tmp_path / "deep" / "settings.json").write_text(json.dumps({"sidebar": "sideways", "theme": 3, "histories": {"lab": ["x" * 600]}}))
    assert file.load() == Settings()


def test_an_export_with_undefined_numbers_is_strict_json_and_empty_csv_cells(tmp_path: Path) -> None:
    from tui.export import Table, write_data

    json_path, csv_path = write_data(tmp_path, "t", {"settings": {"h": float("inf")}}, {"e": Table(("x", "y"), [(1.0, float("nan"))])})
    document = json.loads(json_path.read_text())  # would fail on NaN or Infinity
    assert document["settings"]["h"] is None and document["tables"]["e"]["rows"] == [[1.0, None]]
    assert csv_path.read_text().splitlines() == ["x,y", "1.0,"]


def test_a_table_is_widened_cell_by_cell_with_its_header_and_caption() -> None:
    from rich.table import Table as RichTable

    from tui.look import _widen_renderable

    table = RichTable("evals…", title=None, caption="N = 1k…10k")
    table.add_row(Text("≤20", style="bold"))
    widened = _widen_renderable(table)
    assert widened is table and table.caption == "N = 1k...10k" and table.title is None
    assert table.columns[0].header == "evals..." and [str(cell) for cell in table.columns[0].cells] == ["<=20"]
