"""Benchmarks of the app (not tests: run `python tests/bench_tui.py`, read and report the numbers).

1. key press -> redrawn frame at 120x40: Compare (`]` changes h: worker + both plots + table),
   Error vs h (`]` moves the h marker), slope field and gradient field (`space`: one descent step);
   measured from the key press to the end of the last plot's render, median of N presses.
2. first paint: scripts/first-paint, calc-tui against a bare Textual app in tmux (needs tmux).
Issue 16's targets measured as a user sees them, in tmux, are in scripts/key-latency.
"""

from __future__ import annotations

import asyncio
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.tui_helpers import make_app, ready, settle
from tui.widgets.plotting import BasePlot

RENDERED: list[float] = []
_original_render = BasePlot.render


def _timed_render(self: BasePlot):
    result = _original_render(self)
    RENDERED.append(time.perf_counter())
    return result


async def key_to_frame(demo: str, key: str, presses: int) -> list[float]:
    app = make_app()
    timings = []
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press(demo)
        await settle(pilot)
        for index in range(presses):
            if demo in "12" and index % 8 == 7:
                await pilot.press("left_curly_bracket", "left_curly_bracket")  # stay inside the h range
                await settle(pilot)
            RENDERED.clear()
            start = time.perf_counter()
            await pilot.press(key)
            await settle(pilot)
            await pilot.pause(0.05)
            if RENDERED:
                timings.append(RENDERED[-1] - start)
    return timings


def first_paint(runs: int = 5) -> str:
    """scripts/first-paint: calc-tui against a bare Textual app in tmux, in the same run (its report)."""
    if shutil.which("tmux") is None:
        return "first paint: (not measured: needs tmux)"
    script = Path(__file__).resolve().parent.parent / "scripts" / "first-paint"
    done = subprocess.run([sys.executable, str(script), "-n", str(runs)], capture_output=True, text=True, check=False)
    return (done.stdout + done.stderr).strip()


def report(label: str, values: list[float]) -> None:
    if not values:
        print(f"{label:<52} (not measured)")
        return
    ms = [v * 1e3 for v in values]
    print(f"{label:<52} median {statistics.median(ms):7.1f} ms   min {min(ms):7.1f}   max {max(ms):7.1f}   n={len(ms)}")


def main() -> None:
    BasePlot.render = _timed_render  # type: ignore[method-assign]
    print("calc-tui interaction benchmarks, 120x40, device cpu (target: key to frame under 100 ms)\n")
    report("Compare: ']' (h up, recompute + redraw)", asyncio.run(key_to_frame("1", "right_square_bracket", 16)))
    report("Compare: 'w' (toggle forward, redraw only)", asyncio.run(key_to_frame("1", "w", 16)))
    report("Error vs h: ']' (move the h marker)", asyncio.run(key_to_frame("2", "right_square_bracket", 16)))
    report("Error vs h: 'd' (dtype, new sweep)", asyncio.run(key_to_frame("2", "d", 8)))
    report("Slope field: 'space' (one descent step)", asyncio.run(key_to_frame("3", "space", 16)))
    report("Gradient field: 'space' (one descent step)", asyncio.run(key_to_frame("4", "space", 16)))
    BasePlot.render = _original_render  # type: ignore[method-assign]
    print()
    print(first_paint())


if __name__ == "__main__":
    main()
