"""Speed: derivatives per second across N, eager and compiled, against the device's memory bandwidth.

Importing this package does not import torch: the request and report types are
plain dataclasses (`engine.speed.report`), and `measure_speed` imports the
measuring code when it is called.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from engine.speed.report import (
    ALL_SPEED_METHODS,
    REGIME_TEXT,
    REGIMES,
    SKIP_KINDS,
    SPEED_METHODS,
    MethodResult,
    Sample,
    Skip,
    SpeedReport,
    SpeedRequest,
    compiled_name,
    method_label,
    parse_speed_methods,
    size_grid,
)

if TYPE_CHECKING:
    from engine.speed.measure import measure_speed
else:

    def measure_speed(*args: Any, **kwargs: Any) -> Any:
        from engine.speed.measure import measure_speed as measure

        return measure(*args, **kwargs)


__all__ = [
    "ALL_SPEED_METHODS",
    "REGIMES",
    "REGIME_TEXT",
    "SKIP_KINDS",
    "SPEED_METHODS",
    "MethodResult",
    "Sample",
    "Skip",
    "SpeedReport",
    "SpeedRequest",
    "compiled_name",
    "measure_speed",
    "method_label",
    "parse_speed_methods",
    "size_grid",
]
