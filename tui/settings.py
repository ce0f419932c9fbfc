"""Remembered settings: each demo's function history, the last dtype, the theme, the panels' state and the lesson's step.

One small JSON file in the user's config directory (platformdirs). Reading never
fails the app: a missing file is a first start, an unreadable or corrupt one is
set aside (renamed *.corrupt) and reported, and the app starts clean. `--no-config`
neither reads nor writes it.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.vocabulary import DTYPE_NAMES

VERSION = 1
SIDEBAR_STATES = ("auto", "shown", "folded")
HISTORY_SLOTS = ("lab", "loss", "surface")
MAX_HISTORY = 50
MAX_LESSON_STEP = 100  # more than the lesson has: a larger number is not ours
MAX_ENTRY = 500  # the parser's own limit on a function's length


def default_path() -> Path:
    """$CALC_TUI_CONFIG_DIR/settings.json, else the platform's config directory for calc-tui."""
    override = os.environ.get("CALC_TUI_CONFIG_DIR")
    if override:
        return Path(override) / "settings.json"
    from platformdirs import user_config_dir

    return Path(user_config_dir("calc-tui", appauthor=False)) / "settings.json"


@dataclass(frozen=True)
class Settings:
    histories: dict[str, tuple[str, ...]] = field(default_factory=dict)
    dtype: str | None = None
    theme: str | None = None
    sidebar: str = "auto"
    lesson_step: int = 0  # the lesson's last step reached, from 0

    def as_json(self) -> dict[str, Any]:
        return {
            "version": VERSION,
            "histories": {slot: list(history) for slot, history in self.histories.items()},
            "dtype": self.dtype,
            "theme": self.theme,
            "sidebar": self.sidebar,
            "lesson_step": self.lesson_step,
        }


class SettingsError(Exception):
    """The settings file could not be read; the message says why, for a notice."""


def _parse(data: object) -> Settings:
    """Settings from decoded JSON, keeping only what is well-formed (an unknown dtype or a huge entry is dropped)."""
    if not isinstance(data, dict):
        raise SettingsError("it does not hold a JSON object")
    histories: dict[str, tuple[str, ...]] = {}
    raw = data.get("histories", {})
    if isinstance(raw, dict):
        for slot in HISTORY_SLOTS:
            entries = raw.get(slot, [])
            if isinstance(entries, list):
                kept = tuple(e for e in entries if isinstance(e, str) and 0 < len(e) <= MAX_ENTRY)[-MAX_HISTORY:]
                if kept:
                    histories[slot] = kept
    dtype = data.get("dtype")
    theme = data.get("theme")
    sidebar = data.get("sidebar")
    lesson_step = data.get("lesson_step")
    return Settings(
        histories=histories,
        dtype=dtype if dtype in DTYPE_NAMES else None,
        theme=theme if isinstance(theme, str) and len(theme) < 100 else None,
        sidebar=sidebar if sidebar in SIDEBAR_STATES else "auto",
        lesson_step=lesson_step
        if isinstance(lesson_step, int) and not isinstance(lesson_step, bool) and 0 <= lesson_step < MAX_LESSON_STEP
        else 0,
    )


@dataclass
class SettingsFile:
    path: Path

    def load(self) -> Settings:
        """The settings in the file (defaults if there is none); SettingsError if it cannot be used."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return Settings()
        except (OSError, UnicodeDecodeError) as error:
            raise SettingsError(f"{self.path} could not be read ({error}); starting with default settings") from None
        try:
            return _parse(json.loads(text))
        except (json.JSONDecodeError, SettingsError) as error:
            self._set_aside()
            raise SettingsError(f"{self.path} is not valid settings ({error}); it was renamed *.corrupt, defaults are used") from None

    def save(self, settings: Settings) -> None:
        """Write atomically (a temporary file of its own renamed over the old one, so that two apps saving at once
        cannot mix their files); OSError if the directory cannot be written."""
        import tempfile  # off the app's start-up: only a change is written

        self.path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=self.path.parent, suffix=".tmp", delete=False) as file:
            file.write(json.dumps(settings.as_json(), indent=2) + "\n")
        Path(file.name).replace(self.path)

    def _set_aside(self) -> None:
        with contextlib.suppress(OSError):  # a read-only folder: the notice still says what was wrong
            self.path.replace(self.path.with_suffix(".json.corrupt"))
