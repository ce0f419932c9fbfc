"""A demo that plays a computed sequence one step at a time: space steps, r runs and pauses, ⌫ resets, End jumps.

Descent (the path of gradient descent) and Backprop (the nodes of backward()) both compute the whole sequence
once in a worker, then only move `k`, the step shown, and redraw: no key here starts a computation.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from textual.timer import Timer

from tui.screens.base import DemoScreen, RequestT, ViewT


class SteppingScreen(DemoScreen[RequestT, ViewT]):
    STEPS_PER_SECOND: ClassVar[float] = 5  # the pace of `r`

    def __init__(self, compute: Callable[[RequestT], ViewT]) -> None:
        super().__init__(compute)
        self.k = 0  # the steps shown
        self._timer: Timer | None = None

    # -- hooks ----------------------------------------------------------------------------------

    def last_step(self) -> int | None:
        """How many steps the sequence has; None while there is none."""
        raise NotImplementedError

    def redraw(self) -> None:
        raise NotImplementedError

    def on_step(self) -> None:
        """After k moved one step forward (Backprop moves its cursor to the node that ran)."""

    # -- keys -----------------------------------------------------------------------------------

    def action_step(self) -> None:
        self.stop_running()
        self.advance()

    def advance(self) -> None:
        last = self.last_step()
        if last is None:
            return
        if self.k < last:
            self.k += 1
            self.on_step()
        else:
            self.stop_running()
        self.redraw()

    def action_run(self) -> None:
        last = self.last_step()
        if self._timer is not None:
            self.stop_running()
        elif last is not None:
            if self.k >= last:
                self.k = 0
            self._timer = self.set_interval(1 / self.STEPS_PER_SECOND, self.advance)
        self.redraw()

    def stop_running(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None

    @property
    def running(self) -> bool:
        return self._timer is not None

    def action_reset(self) -> None:
        self.stop_running()
        self.k = 0
        self.redraw()

    def action_to_end(self) -> None:
        self.stop_running()
        last = self.last_step()
        if last is not None:
            self.k = last
        self.redraw()
