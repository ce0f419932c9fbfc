"""The calc-tui app: one mode per demo, torch imported in the background, one place for failed computations."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import work
from textual.actions import SkipAction
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Input

from tui.export import DEFAULT_DIRECTORY
from tui.look import AsciiFilter, Look, widen_text_in
from tui.messages import ComputationFailed, TorchFailed, TorchReady
from tui.screens.base import AUTO_FOLD_WIDTH, DemoScreen
from tui.settings import Settings, SettingsError, SettingsFile
from tui.state import Precision, SharedState, with_history
from tui.stylesheet import CachingStylesheet

if TYPE_CHECKING:
    from tui.lesson.session import LessonSession

NOTICE_LENGTH = 300


@dataclass(frozen=True)
class Demo:
    mode: str
    key: str
    title: str
    screen: str  # "module:Class", imported when the demo is first opened, so start-up loads only the first

    def factory(self) -> Callable[[], Screen[Any]]:
        module, _, name = self.screen.partition(":")
        return lambda: getattr(import_module(module), name)()


DEMOS: tuple[Demo, ...] = (
    Demo("compare", "1", "Compare", "tui.demos.compare.screen:CompareScreen"),
    Demo("error-vs-h", "2", "Error vs h", "tui.demos.error_vs_h.screen:ErrorVsHScreen"),
    Demo("slope-field", "3", "Slope field", "tui.demos.slope_field.screen:SlopeFieldScreen"),
    Demo("gradient-field", "4", "Gradient field", "tui.demos.gradient_field.screen:GradientFieldScreen"),
    Demo("backprop", "5", "Backprop", "tui.demos.backprop.screen:BackpropScreen"),
    Demo("speed", "6", "Speed", "tui.demos.speed.screen:SpeedScreen"),
)


class CalcApp(App[int]):
    """calc-tui: see what a derivative is, how autograd and finite differences compute it, and why h has a sweet spot."""

    TITLE = "calc-tui"
    CSS_PATH = "app.tcss"
    MODES: ClassVar[dict[str, str | Callable[[], Screen[Any]]]] = {demo.mode: demo.factory() for demo in DEMOS}
    DEFAULT_MODE = "compare"
    BINDINGS: ClassVar[list[BindingType]] = [
        *(Binding(demo.key, f"app.switch_demo('{demo.mode}')", demo.title, show=False) for demo in DEMOS),
        Binding("question_mark,f1", "app.help", "Help", show=False),  # shown first by each demo's footer
        Binding("q,ctrl+q", "app.quit", "Quit", show=False),
        # The lesson (tui/lesson): L opens it; while it is open these keys are its own, ahead of the demo's.
        Binding("L", "app.lesson", "Lesson", show=False),
        Binding("n", "app.lesson_next", "Next step", show=False, priority=True),
        Binding("p", "app.lesson_previous", "Previous step", show=False, priority=True),
        Binding("N", "app.lesson_flip", "Flip arrows", show=False, priority=True),
        Binding("escape", "app.lesson_leave", "Leave the lesson", show=False, priority=True),
        Binding("backslash", "app.lesson_fold", "Fold the lesson", show=False, priority=True),
    ]

    def __init__(
        self,
        device: str = "auto",
        dtype: str | None = None,
        look: Look | None = None,
        settings: SettingsFile | None = None,
        export_dir: Path = DEFAULT_DIRECTORY,
        lesson: bool = False,
    ) -> None:
        """`dtype` None: the remembered one, else float64; `settings` None: nothing is read or remembered;
        `lesson`: open the lesson at once (`calc-tui lesson`)."""
        look = look or Look()
        if look.color:
            super().__init__()
        else:
            # Textual reads NO_COLOR once, here, and draws in monochrome; the rest of the process is left as it was.
            saved = os.environ.get("NO_COLOR")
            os.environ["NO_COLOR"] = "1"
            try:
                super().__init__()
            finally:
                if saved is None:
                    del os.environ["NO_COLOR"]
                else:
                    os.environ["NO_COLOR"] = saved
        self.stylesheet = CachingStylesheet.replacing(self.stylesheet)  # parses each CSS once per theme, not 4 times
        if look.ascii:
            self._filters.append(AsciiFilter())  # Textual's line filters have no public hook; this one guarantees ASCII
            widen_text_in(self)  # `…` as `...`, `≤` as `<=`: made in the text, before layout
        self.requested_device = device
        self.painted = False  # until the first frame is on screen (see DemoScreen.compose)
        self.export_dir = export_dir
        self.failures: list[str] = []  # every computation that failed, as its notice said, oldest first
        self.settings_file = settings
        self._settings_problem: str | None = None
        remembered = Settings()
        if settings is not None:
            try:
                remembered = settings.load()
            except SettingsError as error:
                self._settings_problem = str(error)
        self._saved = remembered
        self.lesson: LessonSession | None = None
        self.lesson_step = remembered.lesson_step
        self._open_lesson = lesson
        self.requested_dtype = dtype or remembered.dtype or "float64"
        # A dtype other than float64 that nobody asked for this time is said on screen: numbers in float16 look wrong.
        self._restored_dtype = remembered.dtype if dtype is None and remembered.dtype not in (None, "float64") else None
        self.state = SharedState()
        self.state.precision = Precision(dtype=self.requested_dtype, dtypes=(self.requested_dtype,))
        self.state.look = replace(look, sidebar=remembered.sidebar) if look.sidebar == "auto" else look
        state, histories = self.state, remembered.histories
        state.lab = with_history(state.lab, histories.get("lab", ()))
        state.loss = with_history(state.loss, histories.get("loss", ()))
        state.surface = with_history(state.surface, histories.get("surface", ()))
        if remembered.theme in self.available_themes:
            self.theme = remembered.theme

    def on_mount(self) -> None:
        self.watch(self.state, "precision", self.update_subtitle, init=False)
        self.update_subtitle()
        if self._settings_problem:
            self.notify(self._settings_problem, title="settings not loaded", severity="warning", timeout=15)
        if self._restored_dtype:
            self.notify(f"dtype {self._restored_dtype} (restored from last session; d changes it)", timeout=10)
        if self.settings_file is not None:
            for slot in ("lab", "loss", "surface", "precision", "look"):
                self.watch(self.state, slot, self.remember, init=False)
            self.watch(self, "theme", self.remember, init=False)
        # Import torch only after the first frame is on screen: it takes seconds.
        self.call_after_refresh(self.first_frame_painted)
        if self._open_lesson:
            self.call_after_refresh(self.action_lesson)

    def first_frame_painted(self) -> None:
        self.painted = True  # screens opened from now on compose their panels at once
        self.load_torch()

    @work(thread=True, exclusive=True, group="torch", exit_on_error=False)
    def load_torch(self) -> None:
        from tui.loading import load_engine

        try:
            self.post_message(load_engine(self.requested_device))
        except Exception as error:  # noqa: BLE001 - any import failure becomes a message on screen
            self.post_message(TorchFailed(f"torch could not be loaded: {error}"))

    def remember(self) -> None:
        """Write the settings worth keeping when they change (never fails the app: a notice says what went wrong)."""
        if self.settings_file is None:
            return
        state = self.state
        settings = Settings(
            histories={"lab": state.lab.history, "loss": state.loss.history, "surface": state.surface.history},
            dtype=state.precision.dtype if state.precision.ready else self._saved.dtype,
            theme=self.theme,
            sidebar=state.look.sidebar,
            lesson_step=self.lesson_step,
        )
        if settings == self._saved:
            return
        try:
            self.settings_file.save(settings)
        except OSError as error:
            self.notify(f"could not save the settings to {self.settings_file.path}: {error}", severity="warning", timeout=10)
            self.settings_file = None  # one notice is enough: remember nothing more this session
            return
        self._saved = settings

    def on_torch_ready(self, message: TorchReady) -> None:
        warning, dtype = message.warning, self.requested_dtype
        if dtype not in message.dtypes:
            warning, dtype = f"{dtype} is not supported on {message.device}; using float64", "float64"
        if warning:
            self.notify(warning, severity="warning", timeout=8)
        self.state.precision = Precision(dtype, message.device, message.device_label, message.dtypes, message.devices)

    def on_torch_failed(self, message: TorchFailed) -> None:
        self.state.precision = replace(self.state.precision, device_label="torch unavailable")
        self.notify(message.reason, severity="error", timeout=30)

    def on_computation_failed(self, message: ComputationFailed) -> None:
        """The one place where a failed computation becomes a visible notice; the screen keeps its last good view."""
        text = f"{type(message.error).__name__}: {message.error}"
        if len(text) > NOTICE_LENGTH:
            text = text[:NOTICE_LENGTH] + "…"
        self.failures.append(text)
        self.notify(text, title=f"{message.work} failed", severity="error", timeout=10)

    def demo_title(self, mode: str | None = None) -> str:
        mode = mode or self.current_mode
        return next((demo.title for demo in DEMOS if demo.mode == mode), mode)

    def update_subtitle(self) -> None:
        precision = self.state.precision
        self.sub_title = f"{self.demo_title()} · {precision.device_label} · {precision.dtype}"

    def action_switch_demo(self, mode: str) -> None:
        if mode != self.current_mode:
            self.switch_mode(mode)
        self.update_subtitle()

    def action_help(self) -> None:
        from tui.screens.help import HelpError, HelpScreen, help_page  # Markdown is only paid for when help is opened

        screen = self.screen
        if isinstance(screen, HelpScreen):
            screen.dismiss()
        elif isinstance(screen, DemoScreen):
            try:
                page = help_page(type(screen), type(self), [demo.title for demo in DEMOS])
            except HelpError as error:  # a help file missing from the install, or naming a key the screen lacks
                self.notify(str(error), title="no help", severity="error", timeout=10)
                return
            self.push_screen(HelpScreen(page.title, page.text))

    # -- the lesson -----------------------------------------------------------------------------

    async def action_lesson(self) -> None:
        """Open the lesson at the step reached last time (it is already open: nothing)."""
        if self.lesson is not None:
            return
        from tui.lesson.session import LessonSession

        self.lesson = LessonSession(self, self.lesson_step)
        await self.lesson.start()

    def lesson_step_changed(self, index: int) -> None:
        self.lesson_step = index
        self.remember()

    def _lesson_key(self) -> LessonSession:
        """The open lesson, when a lesson key should act: not while typing in a field or with help on top."""
        if self.lesson is None or not isinstance(self.screen, DemoScreen) or isinstance(self.focused, Input):
            raise SkipAction()
        return self.lesson

    async def action_lesson_next(self) -> None:
        lesson = self._lesson_key()
        await lesson.go(lesson.index + 1)

    async def action_lesson_previous(self) -> None:
        lesson = self._lesson_key()
        await lesson.go(lesson.index - 1)

    def action_lesson_flip(self) -> None:
        self._lesson_key()
        flip = getattr(self.screen, "action_flip", None)
        if not callable(flip):
            raise SkipAction()
        flip()

    def action_lesson_fold(self) -> None:
        lesson = self._lesson_key()
        if self.size.width >= AUTO_FOLD_WIDTH:
            raise SkipAction()  # beside the demo there is room: \ folds the demo's own panels
        lesson.toggle_fold()

    async def action_lesson_leave(self) -> None:
        self._lesson_key()
        screen = self.screen
        if isinstance(screen, DemoScreen) and screen.computation.busy and self.current_mode == "speed":
            raise SkipAction()  # Esc stops the measurement first
        await self.leave_lesson()

    async def leave_lesson(self) -> None:
        """Close the lesson and put the user's own settings back."""
        lesson, self.lesson = self.lesson, None
        if lesson is not None:
            await lesson.leave()

    def set_dtype(self, dtype: str) -> None:
        self.state.precision = replace(self.state.precision, dtype=dtype)

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for demo in DEMOS:
            yield SystemCommand(
                f"Demo {demo.key}: {demo.title}", f"Switch to the {demo.title} demo", lambda mode=demo.mode: self.action_switch_demo(mode)
            )
        yield SystemCommand("Help for this demo", "What it shows, what to try, every key", self.action_help)
        if self.lesson is None:
            yield SystemCommand(
                "Lesson: derivatives for ML", "The tutorial step by step beside the demos, tasks checked (L)", self.action_lesson
            )
        else:
            yield SystemCommand("Lesson: leave", "Back to the demos, with your own settings", self.leave_lesson)
        if isinstance(screen, DemoScreen):
            for index, preset in enumerate(screen.PRESETS):
                yield SystemCommand(f"Preset F{index + 2}: {preset.name}", preset.function, lambda index=index: screen.action_preset(index))
            yield from screen.palette_commands()
        precision = self.state.precision
        if precision.ready:
            for dtype in precision.dtypes:
                yield SystemCommand(
                    f"dtype {dtype}", f"Compute in {dtype} on {precision.device_label}", lambda dtype=dtype: self.set_dtype(dtype)
                )
