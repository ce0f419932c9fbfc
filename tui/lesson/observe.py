"""From the running app to an Observation: the shared state and the computed view of the demo on screen.

Only views computed for the request now in effect are read (a key pressed a moment ago
makes a new request: until its view arrives, the section is None and a task waits), and
every number comes from a view, never from a computation of the lesson's own: where the
snapshot tests replace the views by recorded ones, the lesson's text quotes those.
"""

from __future__ import annotations

import math
from typing import Any

from tui.lesson.observation import BackpropSeen, CompareSeen, DescentSeen, LabState, LeafSeen, Observation, SpeedSeen, SweepSeen
from tui.screens.base import DemoScreen


def fresh_view(screen: DemoScreen[Any, Any]) -> Any:
    """The screen's view if it answers the request now in effect, else None."""
    if screen.view is None or screen.view_request is None or screen.view_request != screen.computation.last_request:
        return None
    return screen.view


def observe(screen: DemoScreen[Any, Any] | None, mode: str, earlier: dict[str, float]) -> Observation:
    state = screen.state if screen is not None else None
    if state is None or screen is None:
        return Observation(demo=mode, earlier=dict(earlier))
    lab = state.lab
    observation = Observation(
        demo=mode,
        dtype=state.precision.dtype,
        lab=LabState(lab.function, lab.h, lab.order, lab.methods, lab.x0),
        earlier=dict(earlier),
    )
    view = fresh_view(screen)
    if view is None:
        return observation
    reader = READERS.get(mode)
    if reader is None:
        return observation
    return reader(screen, view, observation)


def read_compare(screen: Any, view: Any, observation: Observation) -> Observation:
    if view.preview:
        return observation
    tangent = view.tangent
    zoom = tangent.zoom
    methods = observation.lab.methods
    errors = {row.method: row.max_error for row in view.rows if row.method in methods and math.isfinite(row.max_error)}
    seen = CompareSeen(
        h=tangent.h,
        zoom=zoom.level if zoom is not None else 0,
        slope=tangent.slope,
        secant=tangent.secant,
        half_width=zoom.half_width if zoom is not None else None,
        gap=zoom.gap if zoom is not None else None,
        wider_gap=zoom.wider_gap if zoom is not None else None,
        errors=errors,
    )
    return _with(observation, compare=seen)


def read_sweep(screen: Any, view: Any, observation: Observation) -> Observation:
    curves = view.methods

    def finite(values: dict[str, float | None]) -> dict[str, float]:
        return {m: v for m, v in values.items() if v is not None and math.isfinite(v)}

    seen = SweepSeen(
        dtype=view.dtype,
        order=view.order,
        function=screen.view_request.function,
        h=tuple(view.h),
        errors={m: tuple(c.errors) for m, c in curves.items() if c.errors is not None},
        best_h=finite({m: c.best_h for m, c in curves.items()}),
        best_error=finite({m: c.best_error for m, c in curves.items()}),
        model_h=finite({m: c.optimal_h for m, c in curves.items()}),
        eps=view.eps,
    )
    return _with(observation, sweep=seen)


def read_descent(screen: Any, view: Any, observation: Observation) -> Observation:
    path = screen.path
    if path is None:
        return observation
    k = min(screen.k, path.last)
    gradient = path.gradients[k]
    seen = DescentSeen(
        demo=observation.demo,
        function=screen.slot.function,
        k=k,
        last=path.last,
        outcome=path.outcome,
        arrows="descent" if screen.descent_arrows else "ascent",
        point=tuple(path.points[k]),
        value=path.values[k],
        gradient_norm=math.sqrt(sum(g * g for g in gradient)),
        gradients="central" if getattr(screen, "use_central", False) else "autograd",
    )
    return _with(observation, descent=seen)


def read_backprop(screen: Any, view: Any, observation: Observation) -> Observation:
    result = view.result
    if result is None:
        return observation
    order = tuple(result.order)
    leaves = tuple(
        LeafSeen(
            leaf.name,
            order.index(leaf.node) + 1 if leaf.node in order else None,
            tuple(leaf.contributions),
            leaf.grad,
            leaf.exact if math.isfinite(leaf.exact) else None,
        )
        for leaf in result.leaves.values()
    )
    seen = BackpropSeen(
        source=view.request.source,
        function=view.request.function,
        k=screen.k,
        steps=len(order),
        leaves=leaves,
        losses=tuple(view.losses),
    )
    return _with(observation, backprop=seen)


def read_speed(screen: Any, view: Any, observation: Observation) -> Observation:
    from tui.demos.speed.compute import method_rows

    report = view.report
    if report.cancelled:
        return _with(observation, speed=SpeedSeen(dtype=report.dtype, device=report.device_name or report.device, cancelled=True))
    rows = [row for row in method_rows(report) if row.n is not None and math.isfinite(row.per_second) and row.per_second > 0]
    seen = SpeedSeen(
        dtype=report.dtype,
        device=report.device_name or report.device,
        rates={row.name: row.per_second for row in rows},
        sizes={row.name: row.n for row in rows if row.n is not None},
    )
    return _with(observation, speed=seen)


def _with(observation: Observation, **sections: Any) -> Observation:
    from dataclasses import replace

    return replace(observation, **sections)


READERS = {
    "compare": read_compare,
    "error-vs-h": read_sweep,
    "slope-field": read_descent,
    "gradient-field": read_descent,
    "backprop": read_backprop,
    "speed": read_speed,
}
