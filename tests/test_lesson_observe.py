"""The lesson reads only views computed for the request now in effect: a key pressed a moment ago has made a new
request, and until its view arrives the task waits instead of being judged on the old numbers."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from tui.lesson.observe import fresh_view, observe
from tui.state import Lab, Precision


def screen(view: object, drawn_for: object, newest: object) -> Any:
    state = SimpleNamespace(lab=Lab(h=1e-5), precision=Precision(dtype="float32"))
    return SimpleNamespace(view=view, view_request=drawn_for, computation=SimpleNamespace(last_request=newest), state=state)


def test_a_view_for_an_older_request_is_not_read() -> None:
    view = object()
    assert fresh_view(screen(view, "h=1e-4", "h=1e-4")) is view
    assert fresh_view(screen(view, "h=1e-4", "h=1e-5")) is None
    assert fresh_view(screen(None, None, "h=1e-5")) is None


def test_without_a_fresh_view_the_observation_has_the_state_only() -> None:
    observation = observe(screen(object(), "old", "new"), "compare", {"central_best_h_float64": 1e-5})
    assert observation.compare is None and observation.sweep is None
    assert observation.lab.h == 1e-5 and observation.dtype == "float32" and observation.demo == "compare"
    assert observation.earlier == {"central_best_h_float64": 1e-5}
