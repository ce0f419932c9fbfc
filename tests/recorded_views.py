"""Snapshots drawn from recorded views, so that a screen snapshot is the same on every CPU.

A demo's numbers come from `compute(request) -> view` in a worker (tui/demos/<demo>/compute.py). Round-off
at tiny h differs between CPUs (torch picks AVX2 or AVX-512 kernels, and even forcing one
does not make two CPUs agree), so a snapshot of a computed view is a snapshot of one machine.
The snapshot tests therefore replay views recorded once, keyed by the computation and its
request: the screens, the drawing code and every key press are real; only the numbers are
played back. The measured numbers themselves are tested outside snapshots, with tolerances
that hold on any CPU.

    pytest tests/test_snapshots.py                      # replay; a view computed live fails the test
    pytest tests/test_snapshots.py --snapshot-update    # redraw the SVGs from the same recorded views
    pytest tests/test_snapshots.py --record-views       # compute and record the views anew (this CPU's round-off)

A test whose computation ends on a view nobody recorded computes it live and then fails,
naming the request and the option that records it (a live view that a recorded one then
replaced never reaches the screenshot). A computation that fails live (an injected failure)
records nothing and fails nothing here: the failure is what that test is about.
"""

from __future__ import annotations

import lzma
import pickle
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.worker import get_current_worker

from tui.compute.runner import Computation, Computed

ROOT = Path(__file__).parent / "recorded_views"


def view_file(node: pytest.Item) -> Path:
    module = Path(str(node.fspath)).stem
    name = re.sub(r"[^\w.\-\[\]]", "_", node.name)
    return ROOT / module / f"{name}.pickle.xz"


def view_key(computation: Computation[Any, Any], request: Any) -> str:
    return f"{computation.name}|{request!r}"


class ViewRecorder:
    def __init__(self, path: Path, recording: bool) -> None:
        self.path = path
        self.recording = recording
        self.recorded: dict[str, Any] = {}
        if path.exists() and not recording:
            with lzma.open(path, "rb") as file:
                self.recorded = pickle.load(file)
        self.used: dict[str, Any] = {}
        self.live: dict[str, Any] = {}
        self.last_served: dict[int, tuple[str, bool]] = {}  # per computation: its newest view's key, and whether it was live
        self._lock = threading.Lock()

    def run(self, computation: Computation[Any, Any], request: Any, stop: threading.Event, compute: Any) -> Any:
        key = view_key(computation, request)
        if key in self.recorded:
            view = self.recorded[key]
            with self._lock:
                self.used[key] = view
                self.last_served[id(computation)] = (key, False)
            if not get_current_worker().is_cancelled:
                computation.owner.post_message(Computed(computation.name, request, view))
            return view
        view = compute(computation, request, stop)
        with self._lock:
            self.live[key] = view
            self.last_served[id(computation)] = (key, True)
        return view

    def finish(self) -> None:
        if self.recording:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with lzma.open(self.path, "wb", preset=9) as file:
                pickle.dump({**self.used, **self.live}, file, protocol=4)
        elif shown_live := {key for key, live in self.last_served.values() if live}:
            # A live view that a newer, recorded one replaced is never on screen at the end (a demo the lesson passed
            # through while the layout settled): only a computation whose last view was live can show round-off.
            requests = "\n  ".join(sorted(shown_live))
            pytest.fail(
                f"views computed live, not replayed (they would show this CPU's round-off):\n  {requests}\n"
                f"record them with: pytest tests/{self.path.parent.name}.py --record-views",
                pytrace=False,
            )


@pytest.fixture
def recorded_views(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[ViewRecorder]:
    """Every computation in the test replays its recorded view (or records it, with --record-views)."""
    recorder = ViewRecorder(view_file(request.node), bool(request.config.getoption("--record-views")))
    live_run = Computation._run

    def run(self: Computation[Any, Any], request: Any, stop: threading.Event) -> Any:
        return recorder.run(self, request, stop, live_run)

    monkeypatch.setattr(Computation, "_run", run)
    yield recorder
    recorder.finish()
