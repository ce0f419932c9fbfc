"""Remembered settings, field by field: each demo's history to its own demo, the theme, the dtype (and a notice that
says it was restored), the panels, and a file with more entries than the app keeps."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from tests.tui_helpers import ready, screen_text, settle, type_text
from tui.app import CalcApp
from tui.settings import MAX_HISTORY, Settings, SettingsFile
from tui.state import HISTORY_LENGTH

HISTORIES = {"lab": ["cos(x)", "x^3"], "loss": ["x^4 - x^2", "abs(x)"], "surface": ["x*y", "sin(x) + y^2"]}
DEMO_OF_SLOT = {"lab": "1", "loss": "3", "surface": "4"}


def write(path: Path, **fields: object) -> SettingsFile:
    path.write_text(json.dumps({"version": 1, **fields}))
    return SettingsFile(path)


async def recall(pilot: Pilot[int]) -> str:
    """What `up` in the function field brings back (the entry before the function in effect)."""
    await pilot.press("f", "up")
    value = pilot.app.screen.query_one("#formula", Input).value
    await pilot.press("escape")
    return value


async def test_each_demo_gets_its_own_history_theme_dtype_and_panels_back(tmp_path: Path) -> None:
    settings = write(tmp_path / "settings.json", histories=HISTORIES, dtype="float32", theme="nord", sidebar="shown")
    app = CalcApp(device="cpu", settings=settings)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await ready(pilot)
        state = app.state
        assert state.lab.history == ("cos(x)", "x^3", "sin(x)")
        assert state.loss.history[:2] == ("x^4 - x^2", "abs(x)") and "x*y" not in state.loss.history
        assert state.surface.history[:2] == ("x*y", "sin(x) + y^2") and "abs(x)" not in state.surface.history
        assert app.theme == "nord"
        assert state.precision.dtype == "float32" and "· cpu · float32" in screen_text(app)
        assert state.look.sidebar == "shown" and "exact (e)" in screen_text(app)  # shown although 80 columns would fold them
        for slot, key in DEMO_OF_SLOT.items():
            await pilot.press(key)
            await settle(pilot)
            assert await recall(pilot) == HISTORIES[slot][-1], slot  # the demo's own list, not a neighbour's
        assert app.failures == []


async def test_a_restored_dtype_is_said_on_screen_and_a_chosen_one_is_not(tmp_path: Path) -> None:
    settings = write(tmp_path / "settings.json", dtype="float16")
    app = CalcApp(device="cpu", settings=settings)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await ready(pilot)
        assert app.state.precision.dtype == "float16"
        assert "dtype float16 (restored from last session" in screen_text(app)
    chosen = CalcApp(device="cpu", dtype="float16", settings=settings)  # --dtype float16: nothing to explain
    async with chosen.run_test(size=(120, 40), notifications=True) as pilot:
        await ready(pilot)
        assert "restored" not in screen_text(chosen)
    default = CalcApp(device="cpu", settings=write(tmp_path / "other.json", dtype="float64"))
    async with default.run_test(size=(120, 40), notifications=True) as pilot:
        await ready(pilot)
        assert "restored" not in screen_text(default)  # the default needs no notice


async def test_every_field_is_saved_to_its_own_place(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    app = CalcApp(device="cpu", settings=SettingsFile(path))
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await ready(pilot)
        app.theme = "nord"
        await settle(pilot)
        assert json.loads(path.read_text())["theme"] == "nord"
        for key, function in (("3", "x^4"), ("4", "x*y^2")):
            await pilot.press(key)
            await settle(pilot)
            await pilot.press("f")
            app.screen.query_one("#formula", Input).value = ""
            await type_text(pilot, function)
            await pilot.press("enter")
            await settle(pilot)
        await pilot.press("d")  # float64 -> the next dtype
        await settle(pilot)
        dtype = app.state.precision.dtype
        assert dtype != "float64"
    saved = json.loads(path.read_text())
    assert saved["histories"]["loss"][-1] == "x^4" and "x*y^2" not in saved["histories"]["loss"]
    assert saved["histories"]["surface"][-1] == "x*y^2" and "x^4" not in saved["histories"]["surface"]
    assert saved["histories"]["lab"] == ["sin(x)"]
    assert saved["theme"] == "nord" and saved["dtype"] == dtype and saved["sidebar"] == "auto"


def test_a_history_longer_than_the_app_keeps_loads_its_newest_entries(tmp_path: Path) -> None:
    entries = [f"x + {n}" for n in range(1, MAX_HISTORY + 11)]  # 60 entries, oldest first
    settings = write(tmp_path / "settings.json", histories={"lab": entries, "loss": entries[:3]})
    loaded = settings.load()
    assert loaded.histories["lab"] == tuple(entries[-MAX_HISTORY:])  # x + 11 ... x + 60
    assert loaded.histories["loss"] == tuple(entries[:3])
    assert MAX_HISTORY <= HISTORY_LENGTH  # the app keeps at least what the file may hold


async def test_the_app_keeps_the_newest_entries_of_a_long_history(tmp_path: Path) -> None:
    entries = [f"x + {n}" for n in range(1, 61)]
    app = CalcApp(device="cpu", settings=write(tmp_path / "settings.json", histories={"lab": entries}))
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await ready(pilot)
        history = app.state.lab.history
        assert len(history) == HISTORY_LENGTH and history[-1] == "sin(x)" and history[-2] == "x + 60"
        assert "x + 1" not in history and "x + 11" not in history and "x + 12" in history


def test_settings_written_and_read_are_equal_field_by_field(tmp_path: Path) -> None:
    file = SettingsFile(tmp_path / "settings.json")
    settings = Settings(
        histories={"lab": ("sin(x)",), "loss": ("x^2",), "surface": ("x*y",)},
        dtype="float32",
        theme="gruvbox",
        sidebar="folded",
        lesson_step=4,
    )
    file.save(settings)
    raw = json.loads(file.path.read_text())
    assert raw == {
        "version": 1,
        "histories": {"lab": ["sin(x)"], "loss": ["x^2"], "surface": ["x*y"]},
        "dtype": "float32",
        "theme": "gruvbox",
        "sidebar": "folded",
        "lesson_step": 4,
    }
    assert file.load() == settings


def test_what_is_kept_from_a_hand_edited_file(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    longest = "x" * 500
    file = write(
        path,
        histories={"lab": ["", "x", longest, "x" * 501, 7, "tan(x)"], "loss": "not a list", "surface": [], "unknown": ["x"]},
        dtype="float16",
        theme="t" * 99,
        sidebar="folded",
    )
    loaded = file.load()
    assert loaded.histories == {"lab": ("x", longest, "tan(x)")}  # empty, too long and non-text entries dropped; no empty lists
    assert loaded.dtype == "float16" and loaded.theme == "t" * 99 and loaded.sidebar == "folded"
    write(path, histories=["a list"], theme="t" * 100, dtype=None)
    assert file.load() == Settings()


def test_a_corrupt_file_is_set_aside_and_an_unreadable_one_is_left_alone(tmp_path: Path) -> None:
    from tui.settings import SettingsError

    path = tmp_path / "settings.json"
    path.write_text("[1, 2]")
    with pytest.raises(SettingsError) as corrupt:
        SettingsFile(path).load()
    assert str(corrupt.value) == (
        f"{path} is not valid settings (it does not hold a JSON object); it was renamed *.corrupt, defaults are used"
    )
    assert not path.exists() and (tmp_path / "settings.json.corrupt").read_text() == "[1, 2]"
    folder = tmp_path / "folder.json"
    folder.mkdir()  # reading a directory fails with an OSError, not a decode error
    with pytest.raises(SettingsError) as unreadable:
        SettingsFile(folder).load()
    assert str(unreadable.value) == f"{folder} could not be read ([Errno 21] Is a directory: '{folder}'); starting with default settings"
    assert folder.is_dir()
    assert SettingsFile(tmp_path / "missing.json").load() == Settings()


def test_saving_replaces_the_file_whole_and_the_folder_can_be_chosen(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tui.settings import default_path

    file = SettingsFile(tmp_path / "a" / "b" / "settings.json")
    file.save(Settings(dtype="float32"))
    file.save(Settings(theme="nord"))
    assert [p.name for p in (tmp_path / "a" / "b").iterdir()] == ["settings.json"]  # no temporary file left behind
    assert file.path.read_text().startswith('{\n  "version": 1,\n') and file.path.read_text().endswith("}\n")
    assert file.load() == Settings(theme="nord")
    monkeypatch.setenv("CALC_TUI_CONFIG_DIR", str(tmp_path / "config"))
    assert default_path() == tmp_path / "config" / "settings.json"
    monkeypatch.delenv("CALC_TUI_CONFIG_DIR")
    assert default_path().name == "settings.json" and "calc-tui" in default_path().parts
