"""What a subcommand returns: a table for people, a dict for --json and, where it has one, a table for --csv."""

from __future__ import annotations

import csv
import io
import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

Cell = float | int | str | None


@dataclass(frozen=True)
class Rows:
    """A header and rows of cells: what --csv prints."""

    columns: tuple[str, ...]
    rows: Sequence[Sequence[Cell]]


@dataclass(frozen=True)
class Output:
    text: str
    data: dict[str, Any]
    rows: Rows | None = None  # None: the subcommand has no --csv
    interrupted: bool = False  # Ctrl-C stopped it: what it had is printed, then it ends as an interrupted command does


def json_safe(value: Any) -> Any:
    """NaN and infinities are not JSON: they become null."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(item) for item in value]
    return value


def csv_cell(value: Cell) -> str:
    """A number as repr writes it (it reads back to the same float), and an empty cell where --json has null."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return ""
    return repr(value) if isinstance(value, float) else str(value)


def csv_text(rows: Rows) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(rows.columns)
    writer.writerows([csv_cell(cell) for cell in row] for row in rows.rows)
    return buffer.getvalue()


def scientific(value: float | None, digits: int = 3) -> str:
    """1.234e-05; '-' for a missing number (nothing was measured); 'undefined' for an infinity or the largest float
    (an overflow clamped), the README's one rule for a number that is not a number."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if not math.isfinite(value) or abs(value) >= sys.float_info.max:
        return "undefined"
    return f"{value:.{digits}e}"
