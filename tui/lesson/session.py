"""The lesson running in the app: which step, what it set up, what it must put back, and the text pane.

A session saves the user's own settings (the shared slots, the dtype, the demo shown and
each demo setting a step changes) before the first step touches them, and puts them back
when the lesson ends. Each step puts its demo in the state it talks about through the
shared state; a timer reads the state and the demo's computed view a few times a second,
checks the step's task (tui/lesson/checks.py) and updates the pane.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from rich.text import Text
from textual.geometry import Size
from textual.screen import Screen
from textual.timer import Timer
from textual.widget import AwaitMount

from tui.lesson.checks import Verdict, remembered
from tui.lesson.observation import Observation
from tui.lesson.observe import observe
from tui.lesson.pane import NARROW, LessonPane
from tui.lesson.steps import STEPS, Setup, Step
from tui.screens.base import DemoScreen
from tui.screens.stepping import SteppingScreen
from tui.state import Lab, Loss, Precision, SharedState, Surface


class LessonHost(Protocol):
    """What the lesson needs of the app (CalcApp), as a protocol: the lesson does not import the app that opens it."""

    requested_dtype: str

    @property
    def state(self) -> SharedState: ...

    @property
    def current_mode(self) -> str: ...

    @property
    def size(self) -> Size: ...

    @property
    def screen_stack(self) -> list[Screen[Any]]: ...

    def switch_mode(self, mode: str) -> AwaitMount: ...

    def set_interval(
        self, interval: float, callback: Callable[[], Any] | None = None, *, name: str | None = None, repeat: int = 0, pause: bool = False
    ) -> Timer: ...

    def call_later(self, callback: Callable[..., Any], *args: Any, **kwargs: Any) -> bool: ...

    def update_subtitle(self) -> None: ...

    def lesson_step_changed(self, index: int) -> None: ...


TICK_S = 0.2  # how often the pane reads the state and the views
KEYS_LINE = "n next · p back · Esc leaves the lesson"
COMPACT_KEYS = "n/p page · \\ folds · Esc leaves"


@dataclass
class Saved:
    """The user's own settings, as they were before the lesson changed them."""

    mode: str
    lab: Lab
    loss: Loss
    surface: Surface
    dtype: str
    requested_dtype: str
    sidebar: str
    screen: dict[tuple[str, str], object] = field(default_factory=dict)  # (mode, setting): value


def step_text(
    number: int, step: Step, observation: Observation, verdict: Verdict | None, compact: bool = False, folded: bool = False
) -> Text:
    """The pane's text for a step: title, what to look at and try, the task and its verdict (Rich text, no markup:
    the texts are full of [ and ] keys). `compact`: no blank lines (above the demo); `folded`: the title line only."""
    text = Text()
    text.append(f"Lesson {number}/{len(STEPS)}: {step.title}", style="bold")
    state: tuple[str, str] = ("", "")
    if verdict is not None:
        state = ("✓ done", "bold green") if verdict.done else ("not yet", "bold")
    if folded:
        if step.check is not None and verdict is not None:
            text.append(" · task: ")
            text.append(*state)
        text.append(" (\\ shows the lesson)", style="dim")
        return text
    if compact:
        # Above the demo there are a few rows only: the keys on the title line, then the task, then the text.
        text.append(f"  {COMPACT_KEYS}", style="dim")
        if step.check is not None and verdict is not None:
            append_task(text, step, verdict, state)
        text.append("\n" + step.text(observation))
        return text
    text.append("\n\n" + step.text(observation))
    if step.check is not None and verdict is not None:
        text.append("\n")
        append_task(text, step, verdict, state)
    text.append("\n\n" + KEYS_LINE, style="dim")
    return text


def append_task(text: Text, step: Step, verdict: Verdict, state: tuple[str, str]) -> None:
    text.append("\n")
    text.append("Task: ", style="bold")
    text.append(step.task + "\n")
    text.append(*state)
    text.append(": " + verdict.explanation)


class LessonSession:
    def __init__(self, app: LessonHost, index: int) -> None:
        self.app = app
        self.index = max(0, min(index, len(STEPS) - 1))
        self.done: dict[int, Verdict] = {}  # each step's task, once it was checked done
        self.earlier: dict[str, float] = {}
        self.folded = False  # on narrow terminals: the pane folded to one line
        precision = app.state.precision
        self.saved = Saved(
            app.current_mode, app.state.lab, app.state.loss, app.state.surface, precision.dtype, app.requested_dtype, app.state.look.sidebar
        )
        self.panes: list[LessonPane] = []
        self.touched: dict[str, DemoScreen[Any, Any]] = {}  # the demo screens whose own settings a step changed
        self._timer: Timer | None = None

    @property
    def step(self) -> Step:
        return STEPS[self.index]

    # -- moving through the steps -----------------------------------------------------------------

    async def start(self) -> None:
        # The lesson's column takes the place of the demo's panels (the summary line stands in for them; \ shows them).
        self.app.state.look = replace(self.app.state.look, sidebar="folded")
        await self.go(self.index)
        self._timer = self.app.set_interval(TICK_S, self.tick)

    async def go(self, index: int) -> None:
        self.index = max(0, min(index, len(STEPS) - 1))
        step = self.step
        self.apply_shared(step.setup)
        if self.app.current_mode != step.demo:
            await self.app.switch_mode(step.demo)
        self.app.update_subtitle()
        screen = self.demo_screen()
        if screen is not None:
            self.apply_screen(screen, step.setup)
            await self.place_pane(screen)
        self.app.lesson_step_changed(self.index)
        self.tick()

    def apply_shared(self, setup: Setup) -> None:
        state = self.app.state
        if setup.lab:
            state.lab = replace(state.lab, **setup.lab)  # type: ignore[arg-type]
        if setup.loss:
            state.loss = replace(state.loss, **setup.loss)  # type: ignore[arg-type]
        if setup.surface:
            state.surface = replace(state.surface, **setup.surface)  # type: ignore[arg-type]
        precision = state.precision
        if precision.dtype != setup.dtype and (not precision.ready or setup.dtype in precision.dtypes):
            state.precision = replace(precision, dtype=setup.dtype)
        if not precision.ready:
            self.app.requested_dtype = setup.dtype  # torch's arrival sets the dtype asked for

    def apply_screen(self, screen: DemoScreen[Any, Any], setup: Setup) -> None:
        mode = self.app.current_mode
        self.touched.setdefault(mode, screen)
        for name, value in setup.screen.items():
            self.saved.screen.setdefault((mode, name), read_setting(screen, name))
            write_setting(screen, name, value)
        if isinstance(screen, SteppingScreen):  # a film (descent, backward()) starts at its first frame
            screen.stop_running()
            screen.k = 0
        screen.refresh_from_state()

    async def place_pane(self, screen: DemoScreen[Any, Any]) -> None:
        """The pane beside the demo's plots (the last column of its body), or above the body when the terminal is narrow."""
        if not screen.is_attached or not screen.query("#body"):
            return  # the screen went away (the app is closing) before this call came round
        above = self.app.size.width < NARROW
        panes = list(screen.query(LessonPane))
        if panes and panes[0].above == above:
            return
        for old in panes:
            await old.remove()
        pane = LessonPane(above)
        self.panes.append(pane)
        if above:
            await screen.mount(pane, before="#body")
        else:
            await screen.query_one("#body").mount(pane)
        self.tick()

    def demo_screen(self) -> DemoScreen[Any, Any] | None:
        for screen in reversed(self.app.screen_stack):
            if isinstance(screen, DemoScreen):
                return screen
        return None

    # -- reading the app, checking, showing --------------------------------------------------------

    def observation(self) -> Observation:
        return observe(self.demo_screen(), self.app.current_mode, self.earlier)

    def tick(self) -> None:
        observation = self.observation()
        self.earlier = remembered(self.earlier, observation)
        step = self.step
        verdict = self.done.get(self.index)
        if step.check is not None:
            # A task once done stays done; while it still holds, its explanation follows the screen (the h marked now).
            checked = step.check(observation)
            if checked.done:
                self.done[self.index] = checked
            verdict = self.done.get(self.index, checked)
        screen = self.demo_screen()
        if screen is None:
            return
        if not screen.query(LessonPane):
            self.app.call_later(self.place_pane, screen)  # the learner opened another demo: the lesson goes along
        for pane in screen.query(LessonPane):
            if pane.above != (self.app.size.width < NARROW):
                self.app.call_later(self.place_pane, screen)  # the terminal was resized across the fold
            pane.show(
                step_text(self.index + 1, step, observation, verdict, compact=pane.above, folded=pane.above and self.folded), self.folded
            )

    def toggle_fold(self) -> None:
        self.folded = not self.folded
        self.tick()

    # -- the end ----------------------------------------------------------------------------------

    async def leave(self) -> None:
        if self._timer is not None:
            self._timer.stop()
        for pane in self.panes:
            if pane.is_attached:
                await pane.remove()
        saved, state = self.saved, self.app.state
        state.lab, state.loss, state.surface = saved.lab, saved.loss, saved.surface
        state.look = replace(state.look, sidebar=saved.sidebar)
        self.app.requested_dtype = saved.requested_dtype
        precision: Precision = state.precision
        if precision.dtype != saved.dtype and (not precision.ready or saved.dtype in precision.dtypes):
            state.precision = replace(precision, dtype=saved.dtype)
        for (mode, name), value in saved.screen.items():
            write_setting(self.touched[mode], name, value)
        if self.app.current_mode != saved.mode:
            await self.app.switch_mode(saved.mode)
        current = self.demo_screen()
        if current is not None:
            current.refresh_from_state()
        self.app.update_subtitle()


# -- the demo settings that are not in the shared state ---------------------------------------------


def read_setting(screen: DemoScreen[Any, Any], name: str) -> object:
    if name == "zoom":
        return getattr(screen, "zoom", 0)
    if name == "arrows":
        return "descent" if getattr(screen, "descent_arrows", False) else "ascent"
    if name == "gradients":
        return "central" if getattr(screen, "use_central", False) else "autograd"
    if name == "source":
        return getattr(screen, "source", None)
    if name == "scope":
        return "x0" if getattr(screen, "at_point", False) else "domain"
    if name == "lower":
        return "table" if screen.has_class("-show-table") else "tangent"
    raise KeyError(name)


def write_setting(screen: Any, name: str, value: object) -> None:
    if name == "zoom" and hasattr(screen, "zoom"):
        screen.zoom = value
    elif name == "arrows" and hasattr(screen, "descent_arrows"):
        screen.descent_arrows = value == "descent"
    elif name == "gradients" and hasattr(screen, "use_central"):
        screen.use_central = value == "central"
    elif name == "scope" and hasattr(screen, "at_point"):
        screen.at_point = value == "x0"  # Error vs h: the largest error over the domain, or the error at x0
    elif name == "lower":
        screen.set_class(value == "table", "-show-table")  # Compare below 110 columns: the table or the tangent panel
    elif name == "source" and hasattr(screen, "source") and value is not None:
        if value == "network":
            # The network's own preset: its starting weights and fresh leaves, so the losses start from the first pass.
            preset = next(p for p in screen.PRESETS if p.name == "tiny network")
            screen.apply_preset(preset)
        elif screen.source != value:
            screen.stop_running()
            screen.source = value
    screen.refresh_from_state()
