"""`x` read back: every demo's JSON and CSV, each named column against what the screen shows or a value computed here.

A column swapped with its neighbour (exact and secant slope, Richardson's error and estimate, dx and dy), a
method toggled off that is still exported, or an undefined number written as a literal `inf` fails here.
"""

from __future__ import annotations

import csv
import json
import math
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Static

from tests.tui_helpers import ready, screen_text, settle, type_text, widget_text
from tui.app import CalcApp
from tui.demos.compare.plots import ErrorTable
from tui.demos.error_vs_h.plot import Explanation
from tui.export import Table, write_data

EPS = sys.float_info.epsilon
H = 1e-4
DOMAIN = [-math.pi + 2 * math.pi * i / 399 for i in range(400)]  # the Lab's 400 points on [-pi, pi]


class Export:
    """One press of `x`: the JSON document and, per table, the CSV's header and rows as the files hold them."""

    def __init__(self, directory: Path) -> None:
        (self.path,) = sorted(directory.glob("*.json"))
        self.document: dict[str, Any] = json.loads(self.path.read_text())
        self.csv: dict[str, tuple[list[str], list[list[str]]]] = {}
        for key in self.document["tables"]:
            with self.path.with_name(f"{self.path.stem}-{key}.csv").open(newline="") as file:
                header, *rows = list(csv.reader(file))
            self.csv[key] = (header, rows)

    def columns(self, table: str) -> dict[str, list[Any]]:
        """The JSON table by column name, after checking that its CSV holds the same numbers (null as an empty cell)."""
        data = self.document["tables"][table]
        header, rows = self.csv[table]
        assert header == data["columns"]
        assert len(rows) == len(data["rows"])
        for csv_row, json_row in zip(rows, data["rows"], strict=True):
            assert [csv_cell(cell) for cell in csv_row] == [json_cell(cell) for cell in json_row]
        return {name: [row[i] for row in data["rows"]] for i, name in enumerate(data["columns"])}


def csv_cell(text: str) -> Any:
    if text == "":
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def json_cell(cell: Any) -> Any:
    """A JSON cell as its CSV cell reads back: True as 'True', an empty word as an empty cell."""
    return str(cell) if isinstance(cell, bool) else None if cell == "" else cell


async def export(pilot: Pilot[int], directory: Path) -> Export:
    for old in directory.glob("*"):
        old.unlink()
    await pilot.press("x")
    await until_saved(pilot, directory, "*.json")
    return Export(directory)


async def until_saved(pilot: Pilot[int], directory: Path, pattern: str, count: int = 1) -> list[Path]:
    """The files matching `pattern` once there are `count` of them (a loaded machine may take a moment)."""
    for _ in range(100):
        found = sorted(directory.glob(pattern), key=lambda path: path.stat().st_mtime_ns)
        if len(found) >= count:
            return found
        await pilot.pause(0.05)
    raise AssertionError(f"no {pattern} saved in {directory}")


def close(a: float, b: float, rel: float = 1e-9, abs_: float = 1e-12) -> bool:
    return math.isclose(a, b, rel_tol=rel, abs_tol=abs_)


def descent_status(app: Any) -> str:
    return widget_text(app.screen.query_one("#descent-status", Static))


def line_with(text: str, word: str) -> str:
    return next(line for line in text.splitlines() if word in line)


@pytest.fixture
async def app_in(tmp_path: Path):  # type: ignore[no-untyped-def]
    app = CalcApp(device="cpu", dtype="float64", export_dir=tmp_path)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await ready(pilot)
        yield pilot
        await settle(pilot)
    assert app.failures == []


# --- Compare ----------------------------------------------------------------------------------------------


async def test_compare_exports_each_method_against_its_own_formula_and_the_screen(app_in: Pilot[int], tmp_path: Path) -> None:
    app = app_in.app
    exported = await export(app_in, tmp_path)
    assert exported.document["settings"]["function"] == "sin(x)" and exported.document["settings"]["h"] == H
    derivatives = exported.columns("derivatives")
    assert all(close(x, expected) for x, expected in zip(derivatives["x"], DOMAIN, strict=True))
    by_formula = {
        "exact": lambda x: math.cos(x),
        "autograd": lambda x: math.cos(x),
        "forward": lambda x: (math.sin(x + H) - math.sin(x)) / H,
        "backward": lambda x: (math.sin(x) - math.sin(x - H)) / H,
        "central": lambda x: (math.sin(x + H) - math.sin(x - H)) / (2 * H),
        "five-point": lambda x: (math.sin(x - 2 * H) - 8 * math.sin(x - H) + 8 * math.sin(x + H) - math.sin(x + 2 * H)) / (12 * H),
    }
    for method, formula in by_formula.items():
        # round-off in a difference quotient is ~eps/h = 2e-12; forward and backward differ by h sin(x) ~ 1e-4
        assert all(close(v, formula(x), rel=0, abs_=1e-10) for x, v in zip(DOMAIN, derivatives[method], strict=True)), method

    errors = exported.columns("errors")
    text = widget_text(app.screen.query_one(ErrorTable))
    for i, method in enumerate(errors["method"]):
        true_errors = [abs(v - math.cos(x)) for x, v in zip(DOMAIN, derivatives[method], strict=True)]
        assert close(errors["max_abs_error"][i], max(true_errors), rel=1e-6, abs_=1e-15), method
        assert close(errors["mean_abs_error"][i], sum(true_errors) / len(true_errors), rel=1e-6, abs_=1e-15), method
        row = line_with(text, f" {method} ")
        shown_max = f"{errors['max_abs_error'][i]:.1e}"
        assert shown_max in row, (method, row)  # what the table shows for this method, in its own row
        evaluations = {"forward": 2, "backward": 2, "central": 2, "five-point": 4, "complex-step": 1}
        if method in evaluations:
            assert errors["evaluations"][i] == evaluations[method]
            assert row.rstrip().endswith(f" {evaluations[method]}"), row
    richardson = errors["method"].index("richardson")
    assert errors["estimated_error"][richardson] >= errors["max_abs_error"][richardson] > 0  # its own estimate, honest on sin
    assert f"{errors['estimated_error'][richardson]:.1e}" in line_with(text, " richardson ")
    assert errors["estimated_error"][errors["method"].index("central")] is None

    tangent = exported.columns("tangent")
    assert tangent["x0"] == [1.0] and tangent["h"] == [H]
    assert close(tangent["f_x0"][0], math.sin(1.0), rel=1e-15)
    assert close(tangent["exact_slope"][0], math.cos(1.0), rel=1e-15)
    assert close(tangent["secant_slope"][0], (math.sin(1.0 + H) - math.sin(1.0)) / H, rel=0, abs_=1e-10)
    assert close(tangent["exact_derivative"][0], math.cos(1.0), rel=1e-15)
    assert f"f'(x0) = {tangent['exact_slope'][0]:.6g}   secant = {tangent['secant_slope'][0]:.6g}" in widget_text(
        app.screen.query_one("#tangent-info", Static)
    )


async def test_compare_exports_only_the_methods_toggled_on(app_in: Pilot[int], tmp_path: Path) -> None:
    await app_in.press("w", "R")  # forward and richardson off
    await settle(app_in)
    exported = await export(app_in, tmp_path)
    derivatives, errors = exported.columns("derivatives"), exported.columns("errors")
    on = ["exact", "autograd", "backward", "central", "five-point", "complex-step"]
    assert list(derivatives) == ["x", *on]
    assert errors["method"] == on


async def test_compare_with_an_overflow_says_undefined_on_screen_and_in_both_files(app_in: Pilot[int], tmp_path: Path) -> None:
    """x**99999 just above 1: f is finite, f' overflows; every step method's error is undefined, not 1.8e+308."""
    app = app_in.app
    assert isinstance(app, CalcApp)
    app.state.lab = replace(app.state.lab, function="x**99999", x_min=1.00700, x_max=1.00712, points=41)
    await settle(app_in)
    text = widget_text(app.screen.query_one(ErrorTable))
    rows = [line_with(text, f" {method} ") for method in ("exact", "autograd", "forward", "backward", "central", "five-point")]
    # no row shows the clamp of an overflow (the largest float) or inf; the notes under the table may explain one in words
    assert not [row for row in rows if "1.8e+308" in row or " inf" in row]
    for method in ("forward", "central", "five-point"):
        assert "undefined" in line_with(text, f" {method} "), method
    exported = await export(app_in, tmp_path)
    errors = exported.columns("errors")  # also checks that each CSV cell is empty where JSON says null
    for method in ("forward", "central", "five-point"):
        assert errors["max_abs_error"][errors["method"].index(method)] is None, method
    for path in tmp_path.glob("*.csv"):
        cells = {cell for row in csv.reader(path.open()) for cell in row}
        assert not cells & {"inf", "-inf", "nan", "1.7976931348623157e+308"}, path.name


# --- Error vs h --------------------------------------------------------------------------------------------


def central_model(h: float) -> float:
    """engine.theory's model for central at h, max over the Lab's domain: |f'''| h^2/6 + |f^(5)| h^4/120 + eps(|f| + |x f'|/2)/h."""
    return max(
        abs(math.cos(x)) * h**2 / 6 + abs(math.cos(x)) * h**4 / 120 + EPS * (abs(math.sin(x)) + abs(x * math.cos(x)) / 2) / h
        for x in DOMAIN
    )


async def test_error_vs_h_exports_errors_model_best_and_richardson_as_the_screen_shows_them(app_in: Pilot[int], tmp_path: Path) -> None:
    app = app_in.app
    await app_in.press("2")
    await settle(app_in)
    exported = await export(app_in, tmp_path)
    text = widget_text(app.screen.query_one(Explanation))
    errors, model = exported.columns("errors"), exported.columns("model")
    hs = errors["h"]
    assert hs == model["h"] and hs == sorted(hs, reverse=True)
    for i, h in enumerate(hs):
        # where truncation dominates, the error is the formula's, whatever the CPU's round-off
        if 1e-6 <= h <= 1e-2:
            forward = max(abs((math.sin(x + h) - math.sin(x)) / h - math.cos(x)) for x in DOMAIN)
            assert close(errors["forward"][i], forward, rel=0.02), h
        if 1e-4 <= h <= 1e-2:
            central = max(abs((math.sin(x + h) - math.sin(x - h)) / (2 * h) - math.cos(x)) for x in DOMAIN)
            assert close(errors["central"][i], central, rel=0.02), h
        assert close(model["central"][i], central_model(h), rel=1e-6), h

    best = exported.columns("best")
    for i, method in enumerate(best["method"]):
        column = errors[method]
        lowest = min(v for v in column if v is not None)
        assert best["best_error"][i] == lowest and best["best_h"][i] == hs[column.index(lowest)], method
        row = line_with(text, f" {method} ")
        assert f"{best['best_h'][i]:.1e}" in row and f"{best['best_error'][i]:.1e}" in row, row
        if best["model_optimal_h"][i] is not None:
            assert f"{best['model_optimal_h'][i]:.1e}" in row, row
    central = best["method"].index("central")
    assert best["rule"][central] == "h* ~ eps^(1/3)"

    (final_h,), (error,), (estimate,) = (exported.columns("richardson")[c] for c in ("final_h", "abs_error", "error_estimate"))
    assert 0 < error <= estimate  # an honest estimate on sin: swapped, the error would exceed it
    row = line_with(text, " richardson ")
    assert f"{final_h:.1e}" in row and f" {error:.1e} " in row and f"est {estimate:.1e}" in row, row


async def test_error_vs_h_exports_only_the_methods_toggled_on(app_in: Pilot[int], tmp_path: Path) -> None:
    await app_in.press("2")
    await settle(app_in)
    await app_in.press("v", "R")  # five-point and richardson off
    await settle(app_in)
    exported = await export(app_in, tmp_path)
    assert "five-point" not in exported.columns("errors") and "five-point" not in exported.columns("model")
    assert "five-point" not in exported.columns("best")["method"]
    assert exported.document["tables"]["richardson"]["rows"] == []


# --- the field demos ---------------------------------------------------------------------------------------


def loss(x: float) -> float:
    return 0.3 * math.sin(3 * x) + 0.5 * x**2


def loss_slope(x: float) -> float:
    return 0.9 * math.cos(3 * x) + x


async def test_slope_field_exports_the_curve_the_arrows_and_the_run(app_in: Pilot[int], tmp_path: Path) -> None:
    app = app_in.app
    await app_in.press("3")
    await settle(app_in)
    await app_in.press("space", "space")
    exported = await export(app_in, tmp_path)
    settings = exported.document["settings"]
    assert settings["start"] == 2.5 and settings["learning_rate"] == 0.1 and settings["method"] == "autograd"
    curve = exported.columns("loss")
    assert len(curve["x"]) == 300 and curve["x"][0] == -3.0 and curve["x"][-1] == 3.0
    assert all(close(v, loss(x), abs_=1e-15) for x, v in zip(curve["x"], curve["L"], strict=True))
    arrows = exported.columns("arrows")
    assert all(close(v, loss(x), abs_=1e-15) for x, v in zip(arrows["x"], arrows["L"], strict=True))
    assert all(close(s, loss_slope(x), abs_=1e-14) for x, s in zip(arrows["x"], arrows["slope"], strict=True))
    run = exported.columns("descent")
    x = 2.5
    for k in range(len(run["k"])):
        assert run["k"][k] == k and close(run["x"][k], x, abs_=1e-13), k
        assert close(run["f"][k], loss(x), abs_=1e-13) and close(run["dx"][k], loss_slope(x), abs_=1e-13), k
        x -= 0.1 * loss_slope(x)
    status = descent_status(app)
    assert f"x_k = {run['x'][2]:.5g}" in status and f"L'(x_k) = {run['dx'][2]:.4g}" in status


async def test_gradient_field_exports_each_partial_in_its_own_column(app_in: Pilot[int], tmp_path: Path) -> None:
    app = app_in.app
    await app_in.press("4")
    await settle(app_in)
    exported = await export(app_in, tmp_path)
    assert exported.document["settings"]["function"] == "x^2 + 3*y^2"
    grid = exported.columns("gradient")
    assert len(grid["x"]) >= 50
    for i, (x, y) in enumerate(zip(grid["x"], grid["y"], strict=True)):
        assert close(grid["autograd_dx"][i], 2 * x, abs_=1e-14) and close(grid["autograd_dy"][i], 6 * y, abs_=1e-14), (x, y)
        assert close(grid["central_dx"][i], 2 * x, abs_=1e-8) and close(grid["central_dy"][i], 6 * y, abs_=1e-8), (x, y)
    run = exported.columns("descent")
    x, y = -1.6, 1.4
    for k in range(len(run["k"])):
        assert close(run["x"][k], x, abs_=1e-13) and close(run["y"][k], y, abs_=1e-13), k
        assert close(run["f"][k], x**2 + 3 * y**2, abs_=1e-13), k
        assert close(run["dx"][k], 2 * x, abs_=1e-13) and close(run["dy"][k], 6 * y, abs_=1e-13), k
        x, y = x - 0.1 * 2 * x, y - 0.1 * 6 * y
    norm = math.hypot(run["dx"][0], run["dy"][0])
    assert f"f = {run['f'][0]:.6g}   |grad f| = {norm:.3e}" in descent_status(app)


async def test_an_undefined_point_of_the_gradient_field_has_no_gradient(app_in: Pilot[int], tmp_path: Path) -> None:
    """x*y + log(x) at (-1.6, 1.4): f is NaN, so grad f is undefined too (autograd's formula y + 1/x is not)."""
    app = app_in.app
    await app_in.press("4")
    await settle(app_in)
    await app_in.press("f")
    await type_text(app_in, "x*y + log(x)")
    await app_in.press("enter")
    await settle(app_in)
    status = descent_status(app)
    assert "f = undefined   |grad f| = undefined" in status, line_with(status, "f = ")
    exported = await export(app_in, tmp_path)
    run = exported.columns("descent")
    assert run["k"] == [0] and run["f"] == [None] and run["dx"] == [None] and run["dy"] == [None]
    assert run["x"] == [-1.6] and run["y"] == [1.4]


# --- the files themselves ----------------------------------------------------------------------------------


def test_undefined_and_overflowed_numbers_are_null_in_json_and_empty_in_csv(tmp_path: Path) -> None:
    values = (math.nan, math.inf, -math.inf, sys.float_info.max, -sys.float_info.max)
    json_path, csv_path = write_data(tmp_path, "t", {"settings": {"h": math.inf}}, {"e": Table(("x", "y"), [(1.0, v) for v in values])})
    document = json.loads(json_path.read_text())  # would fail on NaN or Infinity
    assert document["settings"]["h"] is None
    assert document["tables"]["e"]["rows"] == [[1.0, None]] * len(values)
    assert csv_path.read_text().splitlines() == ["x,y", *["1.0,"] * len(values)]
    # the largest float that is not an overflow's clamp, and the smallest numbers, are kept as they are
    json_path, csv_path = write_data(tmp_path, "u", {}, {"e": Table(("x",), [(1e308,), (5e-324,), (-0.0,)])})
    assert json.loads(json_path.read_text())["tables"]["e"]["rows"] == [[1e308], [5e-324], [-0.0]]
    assert csv_path.read_text().splitlines() == ["x", "1e+308", "5e-324", "-0.0"]


async def test_shift_x_leaves_the_toasts_of_the_previous_x_out_of_the_picture(app_in: Pilot[int], tmp_path: Path) -> None:
    await app_in.press("x")
    await app_in.pause(0.2)
    assert "exported" in screen_text(app_in.app)  # the toast is up
    await app_in.press("X")
    (svg,) = await until_saved(app_in, tmp_path, "*.svg")
    picture = svg.read_text()
    assert "Compare" in picture and "exported" not in picture and "saved" not in picture
    await app_in.pause(0.1)
    assert "screenshot" in screen_text(app_in.app)  # its own toast, after the picture
    await app_in.press("X")
    first, second = await until_saved(app_in, tmp_path, "*.svg", count=2)
    assert first == svg and "screenshot" not in second.read_text()  # nor the first X's own toast


def test_two_exports_in_one_second_get_their_own_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tui.export

    monkeypatch.setattr(tui.export, "stamp", lambda now=None: "20260101-120000")
    table = {"e": Table(("x",), [(1.0,)])}
    first = write_data(tmp_path / "new" / "dir", "calc-tui-compare", {"demo": "compare"}, table)
    second = write_data(tmp_path / "new" / "dir", "calc-tui-compare", {"demo": "compare"}, table)
    third = write_data(tmp_path / "new" / "dir", "calc-tui-compare", {"demo": "compare"}, table)
    names = [[p.name for p in paths] for paths in (first, second, third)]
    assert names == [
        ["calc-tui-compare-20260101-120000.json", "calc-tui-compare-20260101-120000-e.csv"],
        ["calc-tui-compare-20260101-120000-2.json", "calc-tui-compare-20260101-120000-2-e.csv"],
        ["calc-tui-compare-20260101-120000-3.json", "calc-tui-compare-20260101-120000-3-e.csv"],
    ]
    text = first[0].read_text()
    assert text.endswith("}\n") and '\n  "demo": "compare",\n' in text  # indented, one key a line
    assert json.loads(text) == {"demo": "compare", "tables": {"e": {"columns": ["x"], "rows": [[1.0]]}}}
    shots = tmp_path / "shots" / "deeper"
    shot = tui.export.screenshot_path(shots, "calc-tui-speed")
    assert shot == shots / "calc-tui-speed-20260101-120000.svg" and shot.parent.is_dir()
    shot.write_text("<svg/>")
    assert tui.export.screenshot_path(shots, "calc-tui-speed").name == "calc-tui-speed-20260101-120000-2.svg"


def test_the_stamp_the_folder_the_version_and_the_word_for_undefined(monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import datetime

    import tui.export

    assert tui.export.stamp(datetime(2026, 3, 4, 5, 6, 7)) == "20260304-050607"
    assert tui.export.export_directory(object()) == Path("calc-tui-exports")

    class App:
        export_dir = "out dir"

    assert tui.export.export_directory(App()) == Path("out dir")
    import importlib.metadata

    assert tui.export.app_version() == importlib.metadata.version("calc-tui")

    def not_installed(name: str) -> str:
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "version", not_installed)
    assert tui.export.app_version() == "unknown"  # from a source tree that was never installed
    assert [tui.export.shown(v, ".2g") for v in (1.0, None, math.nan, -math.inf, sys.float_info.max, 1e308)] == [
        "1",
        "undefined",
        "undefined",
        "undefined",
        "undefined",
        "1e+308",
    ]
    assert tui.export.defined(-1e308) and not tui.export.defined(-sys.float_info.max)
    row = tui.export._csv_cell  # the CSV's cells: words and whole numbers as written, floats exact
    assert [row(v) for v in ("central", 3, 0.1, True, None)] == ["central", "3", "0.1", "True", ""]


async def test_stencils_across_the_edge_of_the_domain_say_undefined_not_inf_or_nan(app_in: Pilot[int]) -> None:
    """log(x) from 5e-5: backward's and central's x - h steps across 0. sqrt(-x) at x0 = -5e-5: x0 + h is outside."""
    app = app_in.app
    assert isinstance(app, CalcApp)
    app.state.lab = replace(app.state.lab, function="log(x)", x_min=5e-5, x_max=1.0, points=41, x0=0.5)
    await settle(app_in)
    table = widget_text(app.screen.query_one(ErrorTable))
    for method in ("backward", "central", "five-point"):
        assert "undefined" in line_with(table, f" {method} "), line_with(table, f" {method} ")
    assert "undefined" not in line_with(table, " forward ") and " inf" not in table
    app.state.lab = replace(app.state.lab, function="sqrt(-x)", x_min=-1.0, x_max=-0.1, x0=-5e-5)
    await settle(app_in)
    info = widget_text(app.screen.query_one("#tangent-info", Static))
    assert "secant = undefined" in info and "nan" not in info, info
