"""The calc-tui app: one mode per demo, torch imported in the background, one place for failed computations."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from importlib import import_module
from typing import Any, ClassVar

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen

from tui.messages import ComputationFailed, TorchFailed, TorchReady
from tui.screens.base import DemoScreen
from tui.state import Precision, SharedState

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
    Demo("compare", "1", "Compare", "tui.screens.compare:CompareScreen"),
    Demo("error-vs-h", "2", "Error vs h", "tui.screens.error_vs_h:ErrorVsHScreen"),
    Demo("slope-field", "3", "Slope field", "tui.screens.slope_field:SlopeFieldScreen"),
    Demo("gradient-field", "4", "Gradient field", "tui.screens.gradient_field:GradientFieldScreen"),
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
    ]

    def __init__(self, device: str = "auto", dtype: str = "float64") -> None:
        super().__init__()
        self.requested_device = device
        self.requested_dtype = dtype
        self.state = SharedState()
        self.failures: list[str] = []  # every computation that failed, as its notice said, oldest first
        self.state.precision = Precision(dtype=dtype, dtypes=(dtype,))

    def on_mount(self) -> None:
        self.watch(self.state, "precision", self.update_subtitle, init=False)
        self.update_subtitle()
        # Import torch only after the first frame is on screen: it takes seconds.
        self.call_after_refresh(self.load_torch)

    @work(thread=True, exclusive=True, group="torch", exit_on_error=False)
    def load_torch(self) -> None:
        from tui.loading import load_engine

        try:
            self.post_message(load_engine(self.requested_device))
        except Exception as error:  # noqa: BLE001 - any import failure becomes a message on screen
            self.post_message(TorchFailed(f"torch could not be loaded: {error}"))

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
        from tui.screens.help import HelpScreen  # Markdown is only paid for when help is opened

        screen = self.screen
        if isinstance(screen, HelpScreen):
            screen.dismiss()
        elif isinstance(screen, DemoScreen):
            self.push_screen(HelpScreen(screen.HELP_TITLE, screen.HELP))

    def set_dtype(self, dtype: str) -> None:
        self.state.precision = replace(self.state.precision, dtype=dtype)

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for demo in DEMOS:
            yield SystemCommand(
                f"Demo {demo.key}: {demo.title}", f"Switch to the {demo.title} demo", lambda mode=demo.mode: self.action_switch_demo(mode)
            )
        yield SystemCommand("Help for this demo", "What it shows, what to try, every key", self.action_help)
        if isinstance(screen, DemoScreen):
            for index, preset in enumerate(screen.PRESETS):
                yield SystemCommand(f"Preset F{index + 2}: {preset.name}", preset.function, lambda index=index: screen.action_preset(index))
        precision = self.state.precision
        if precision.ready:
            for dtype in precision.dtypes:
                yield SystemCommand(
                    f"dtype {dtype}", f"Compute in {dtype} on {precision.device_label}", lambda dtype=dtype: self.set_dtype(dtype)
                )
