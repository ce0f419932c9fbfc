"""The calc-tui app: one mode per demo, torch imported in the background, one place for worker errors."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib import import_module

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from tui.messages import TorchFailed, TorchReady
from tui.screens.base import DemoScreen
from tui.state import Lab


@dataclass(frozen=True)
class Demo:
    mode: str
    key: str
    title: str
    screen: str  # "module:Class", imported when the demo is first opened, so start-up loads only the first

    def factory(self) -> Callable[[], Screen]:
        module, _, name = self.screen.partition(":")
        return lambda: getattr(import_module(module), name)()


DEMOS: tuple[Demo, ...] = (
    Demo("compare", "1", "Compare", "tui.screens.compare:CompareScreen"),
    Demo("error", "2", "Error vs h", "tui.screens.error_vs_h:ErrorScreen"),
    Demo("slope", "3", "Slope field", "tui.screens.slope_field:SlopeFieldScreen"),
    Demo("gradient", "4", "Gradient field", "tui.screens.gradient_field:GradientFieldScreen"),
)


class CalcApp(App[int]):
    """calc-tui: see what a derivative is, how autograd and finite differences compute it, and why h has a sweet spot."""

    TITLE = "calc-tui"
    CSS_PATH = "app.tcss"
    MODES = {demo.mode: demo.factory() for demo in DEMOS}
    DEFAULT_MODE = "compare"
    BINDINGS = [
        *(Binding(demo.key, f"app.switch_demo('{demo.mode}')", demo.title, show=False) for demo in DEMOS),
        Binding("question_mark,f1", "app.help", "Help", show=False),  # shown first by each demo's footer
        Binding("q,ctrl+q", "app.quit", "Quit", show=False),
    ]

    def __init__(self, device: str = "auto", dtype: str = "float64") -> None:
        super().__init__()
        self.requested_device = device
        self.lab = Lab()
        self.dtype = dtype
        self.dtypes: list[str] = [dtype]
        self.devices: list[str] = []
        self.device: str | None = None  # set once torch is loaded
        self.device_label = "loading torch…"
        self.settings_version = 0  # bumped when dtype or device change, so screens recompute on resume

    @property
    def torch_ready(self) -> bool:
        return self.device is not None

    def on_mount(self) -> None:
        self.update_subtitle()
        # Import torch only after the first frame is on screen: it takes seconds.
        self.call_after_refresh(self.load_torch)

    @work(thread=True, exclusive=True, group="torch", exit_on_error=False)
    def load_torch(self) -> None:
        try:
            import torch  # noqa: F401 - the slow imports (torch, SymPy, the engine), off the UI thread

            import engine.derive
            import engine.fields
            import engine.sweep  # noqa: F401
            from engine.devices import DeviceError, available_devices, describe_device, resolve_device, supported_dtypes

            warning = None
            try:
                device = resolve_device(self.requested_device)
            except DeviceError as error:
                warning, device = f"{error}; using cpu", resolve_device("cpu")
            self.post_message(TorchReady(str(device), describe_device(device), supported_dtypes(device), available_devices(), warning))
        except Exception as error:  # noqa: BLE001 - any import failure becomes a message on screen
            self.post_message(TorchFailed(f"torch could not be loaded: {error}"))

    def on_torch_ready(self, message: TorchReady) -> None:
        self.device, self.device_label = message.device, message.device_label
        self.dtypes, self.devices = message.dtypes, message.devices
        if self.dtype not in self.dtypes:
            message.warning = f"{self.dtype} is not supported on {self.device}; using float64"
            self.dtype = "float64"
        if message.warning:
            self.notify(message.warning, severity="warning", timeout=8)
        self.update_subtitle()
        for screen in self._demo_screens():
            screen.settings_changed()

    def on_torch_failed(self, message: TorchFailed) -> None:
        self.device_label = "torch unavailable"
        self.update_subtitle()
        self.notify(message.reason, severity="error", timeout=30)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one place where a failed computation becomes a visible notice; the last good state stays."""
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            error = event.worker.error
            message = f"{type(error).__name__}: {error}"
            if len(message) > 300:
                message = message[:300] + "…"
            self.notify(message, title=f"{event.worker.name or 'computation'} failed", severity="error", timeout=10)
            if isinstance(self.screen, DemoScreen):
                self.screen.set_status("[red]✗ the last computation failed (see the notice); the plots show the last good result[/]")

    def _demo_screens(self) -> Iterable[DemoScreen]:
        for stack in self._screen_stacks.values():
            yield from (screen for screen in stack if isinstance(screen, DemoScreen))

    def demo_title(self, mode: str | None = None) -> str:
        mode = mode or self.current_mode
        return next((demo.title for demo in DEMOS if demo.mode == mode), mode)

    def update_subtitle(self) -> None:
        self.sub_title = f"{self.demo_title()} · {self.device_label} · {self.dtype}"

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
        self.dtype = dtype
        self._precision_changed()

    def set_device(self, device: str) -> None:
        from engine.devices import describe_device, resolve_device, supported_dtypes

        resolved = resolve_device(device)
        self.device, self.device_label, self.dtypes = str(resolved), describe_device(resolved), supported_dtypes(resolved)
        if self.dtype not in self.dtypes:
            self.dtype = "float64"
        self._precision_changed()

    def _precision_changed(self) -> None:
        self.settings_version += 1
        self.update_subtitle()
        if isinstance(self.screen, DemoScreen):
            self.screen.settings_changed()

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for demo in DEMOS:
            yield SystemCommand(
                f"Demo {demo.key}: {demo.title}", f"Switch to the {demo.title} demo", lambda mode=demo.mode: self.action_switch_demo(mode)
            )
        yield SystemCommand("Help for this demo", "What it shows, what to try, every key", self.action_help)
        if isinstance(screen, DemoScreen):
            for index, (name, text) in enumerate(screen.PRESETS):
                yield SystemCommand(f"Preset F{index + 2}: {name}", text, lambda index=index: screen.action_preset(index))
        if self.torch_ready:
            for dtype in self.dtypes:
                yield SystemCommand(
                    f"dtype {dtype}", f"Compute in {dtype} on {self.device_label}", lambda dtype=dtype: self.set_dtype(dtype)
                )
