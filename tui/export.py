"""Taking things away: the numbers behind the current screen as CSV and JSON, and an SVG screenshot.

Files go to the export folder (`--export-dir`, default ./calc-tui-exports), created
if missing, named after the demo and the time, so that nothing is overwritten.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

DEFAULT_DIRECTORY = Path("calc-tui-exports")
Cell = float | int | str | None

# One rule for a number that is not a number, on every screen and in every export: NaN, an infinity and the
# largest float (what torch's nan_to_num leaves of an overflow) are undefined. The screen says UNDEFINED, a CSV
# cell is empty, JSON has null.
UNDEFINED = "undefined"


def defined(value: float) -> bool:
    """A number a user can read: finite, and not the largest float an overflow was clamped to."""
    return math.isfinite(value) and abs(value) < sys.float_info.max


def shown(value: float | None, spec: str) -> str:
    """`value` formatted with `spec` ('.1e', '.6g', ...), or UNDEFINED."""
    return format(value, spec) if value is not None and defined(value) else UNDEFINED


@dataclass(frozen=True)
class Table:
    """Columns and rows of numbers (or words), as one CSV file or one JSON list."""

    columns: tuple[str, ...]
    rows: Sequence[Sequence[Cell]]


def _json_safe(value: Any) -> Any:
    """NaN, infinities and overflows are not JSON numbers: they become null, wherever they are."""
    if isinstance(value, float):
        return value if defined(value) else None
    if isinstance(value, Mapping):
        return {key: _json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(item) for item in value]
    return value


def _csv_cell(value: Cell) -> str:
    if value is None or (isinstance(value, float) and not defined(value)):
        return ""  # the same rule as JSON's null: never a literal inf or nan
    return repr(value) if isinstance(value, float) else str(value)


def stamp(now: datetime | None = None) -> str:
    return (now or datetime.now()).strftime("%Y%m%d-%H%M%S")


def _free(path: Path) -> Path:
    """`path`, or path-2, path-3, ... if it exists (two exports in one second)."""
    candidate, count = path, 2
    while candidate.exists():
        candidate = path.with_name(f"{path.stem}-{count}{path.suffix}")
        count += 1
    return candidate


def write_data(directory: Path, name: str, about: Mapping[str, Any], tables: Mapping[str, Table]) -> list[Path]:
    """One JSON file with everything and one CSV per table; returns the paths written (JSON first)."""
    import csv
    import json

    directory.mkdir(parents=True, exist_ok=True)
    base = _free(directory / f"{name}-{stamp()}.json")
    document = {
        **_json_safe(about),
        "tables": {key: {"columns": list(t.columns), "rows": _json_safe(t.rows)} for key, t in tables.items()},
    }
    base.write_text(json.dumps(document, indent=2, allow_nan=False) + "\n", encoding="utf-8")
    written = [base]
    for key, table in tables.items():
        path = base.with_name(f"{base.stem}-{key}.csv")
        with path.open("w", newline="", encoding="utf-8") as file:
            writer = csv.writer(file)
            writer.writerow(table.columns)
            writer.writerows([_csv_cell(c) for c in row] for row in table.rows)
        written.append(path)
    return written


def export_directory(app: object) -> Path:
    """Where the app writes its exports (`--export-dir`)."""
    return Path(getattr(app, "export_dir", DEFAULT_DIRECTORY))


def app_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("calc-tui")
    except PackageNotFoundError:
        return "unknown"


def screenshot_path(directory: Path, name: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    return _free(directory / f"{name}-{stamp()}.svg")
