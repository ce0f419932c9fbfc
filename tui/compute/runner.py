"""Runs a demo's pure compute function off the UI thread, one request at a time, the newest waiting one next.

A demo's work is `compute(request) -> view`, both frozen dataclasses. This is the
one place that decides which results a screen sees:

- at most one computation of a screen runs at a time (Python threads cannot be
  interrupted, so starting a second one would only make both slower);
- a request made while one runs waits, and a newer request replaces it: a held key
  coalesces into its latest press, and nothing is computed for a state already gone
  (this is the debounce: an idle screen starts at once, a busy one skips what is stale);
- views arrive in the order they were requested, so an older view never replaces a
  newer one on screen;
- a computation that raises ends its worker in error, which the screen turns into its
  status line and the app's one handler into a notice; the screen keeps its last good view.

A long computation (the speed demo's measurement) also gets a `Reporter`: it reports
progress, may show a partial view now and then, and stops when asked (`cancel()`)
by returning what it has, which then arrives like any other view.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from textual.dom import DOMNode
from textual.message import Message
from textual.worker import Worker, WorkerState, get_current_worker

RequestT = TypeVar("RequestT")
ViewT = TypeVar("ViewT")


@dataclass
class Progress(Message):
    """A long computation's progress, posted from its thread."""

    computation: str
    done: int
    total: int
    label: str


@dataclass
class Computed(Message, Generic[ViewT]):
    """A computation's view for `request`; `final` is False for a partial view shown while a long one runs."""

    computation: str
    request: Any
    view: ViewT
    final: bool = True


class Reporter:
    """Handed to a long computation: report progress, show a partial view, and learn whether to stop."""

    def __init__(self, owner: DOMNode, name: str, request: Any, stop: threading.Event, partial_every_s: float) -> None:
        self._owner, self._name, self._request = owner, name, request
        self._stop = stop
        self._partial_every_s = partial_every_s
        self._last_partial = 0.0

    @property
    def cancelled(self) -> bool:
        """The screen asked this computation to stop: return what there is (it is shown and kept like any view)."""
        return self._stop.is_set() or get_current_worker().is_cancelled

    def progress(self, done: int, total: int, label: str = "") -> None:
        if not self.cancelled:
            self._owner.post_message(Progress(self._name, done, total, label))

    def partial(self, view: Any, force: bool = False) -> None:
        """Show `view` while the computation goes on; at most one every `partial_every_s` (drawing takes the GIL too)."""
        now = time.monotonic()
        if force or now - self._last_partial >= self._partial_every_s:
            self._last_partial = now
            self._owner.post_message(Computed(self._name, self._request, view, final=False))


class Computation(Generic[RequestT, ViewT]):
    """One kind of work of one screen; `owner` receives Computed (and Progress) messages.

    The owner must pass its `Worker.StateChanged` events to `worker_state_changed`
    (DemoScreen does), so that the next waiting request starts when one ends.
    """

    def __init__(
        self,
        owner: DOMNode,
        name: str,
        compute: Callable[[RequestT], ViewT] | None = None,
        *,
        long_compute: Callable[[RequestT, Reporter], ViewT] | None = None,
        partial_every_s: float = 0.5,
    ) -> None:
        if (compute is None) == (long_compute is None):
            raise ValueError("give exactly one of compute and long_compute")
        self.owner = owner
        self.name = name
        self._compute = compute
        self._long_compute = long_compute
        self._partial_every_s = partial_every_s
        self._running: Worker[ViewT] | None = None
        self._stop = threading.Event()
        self._waiting: RequestT | None = None
        self._has_waiting = False
        self.last_request: RequestT | None = None  # the newest request submitted

    @property
    def busy(self) -> bool:
        return self._running is not None

    def submit(self, request: RequestT) -> None:
        """Compute a view for `request`: now if idle, else after the running computation (replacing any waiting one)."""
        self.last_request = request
        self._waiting, self._has_waiting = request, True
        if self._running is None:
            self._start_waiting()

    def cancel(self) -> None:
        """Drop any waiting request and ask a running long computation to stop; it returns its partial view."""
        self._waiting, self._has_waiting = None, False
        if self._running is not None:
            self._stop.set()

    def worker_state_changed(self, event: Worker.StateChanged) -> bool:
        """Handle the end of one of this computation's workers; True if the event was ours."""
        worker = event.worker
        if worker is not self._running or event.state not in (WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED):
            return False
        self._running = None
        if self._has_waiting:
            self._start_waiting()
        return True

    def _start_waiting(self) -> None:
        request = self._waiting
        self._waiting, self._has_waiting = None, False
        self._stop = threading.Event()
        stop = self._stop
        self._running = self.owner.run_worker(
            lambda: self._run(request, stop),  # type: ignore[arg-type]
            name=self.name,
            group=f"{self.name}-{id(self)}",
            thread=True,
            exit_on_error=False,
        )

    def _run(self, request: RequestT, stop: threading.Event) -> ViewT:
        if self._long_compute is not None:
            view = self._long_compute(request, Reporter(self.owner, self.name, request, stop, self._partial_every_s))
        else:
            assert self._compute is not None
            view = self._compute(request)
        # Textual cancels a worker only when its screen or the app goes away: then nobody waits for the view.
        if not get_current_worker().is_cancelled:
            # Posted before the worker ends, so the owner draws it before the next waiting request starts.
            self.owner.post_message(Computed(self.name, request, view))
        return view
