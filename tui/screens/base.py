"""What every demo screen has: header, sidebar of panels, footer, presets, precision keys, and compute workers."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Static
from textual.worker import get_current_worker

from tui.messages import Computed
from tui.widgets.function_input import FunctionInput

if TYPE_CHECKING:
    from tui.app import CalcApp

MIN_WIDTH, MIN_HEIGHT = 70, 20
DEBOUNCE_S = 0.015  # a held key repeats every ~30 ms: a short wait lets the newest request cancel the older ones first


class DemoScreen(Screen[None]):
    """A demo: a sidebar of shared panels beside its plots; computations run in workers."""

    # Short terminals drop the blank line between panels (CSS: DemoScreen.-short).
    VERTICAL_BREAKPOINTS = [(0, "-short"), (30, "-tall")]
    AUTO_FOCUS = ""  # nothing focused at first (None would mean the app's "*"), so every key reaches the demo
    HELP_TITLE: ClassVar[str] = ""
    HELP: ClassVar[str] = ""
    PRESETS: ClassVar[tuple[tuple[str, str], ...]] = ()
    BINDINGS: ClassVar[list[BindingType]] = [
        # Help and quit first: on a narrow terminal the footer is cut from the right.
        Binding("question_mark", "app.help", "Help", key_display="?"),
        Binding("q", "app.quit", "Quit"),
        Binding("f,slash", "focus_function", "Function", key_display="f"),
        Binding("p", "next_preset", "Preset", show=False),
        *(Binding(f"f{n + 2}", f"preset({n})", f"Preset {n + 1}", show=False) for n in range(7)),
        Binding("d", "cycle_dtype", "dtype", show=False),  # the sidebar shows "dtype float64 (d)"
        Binding("D", "cycle_device", "Device", show=False),
        Binding("escape", "release_focus", "Back", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._request = 0
        self._preset_index = 0
        self._seen_version = -1

    @property
    def calc(self) -> CalcApp:
        return self.app  # type: ignore[return-value]

    # -- layout -------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="body"):
            with VerticalScroll(id="sidebar", can_focus=False):  # its controls take focus, not the column
                yield from self.compose_sidebar()
                yield Static("", id="precision", classes="panel")
                yield Static("", id="status", classes="panel status")
            yield from self.compose_main()
        yield Static("", id="too-small")
        yield Footer()

    def compose_sidebar(self) -> ComposeResult:
        yield from ()

    def compose_main(self) -> ComposeResult:
        yield from ()

    def on_mount(self) -> None:
        self._check_size(self.app.size.width, self.app.size.height)
        self.show_precision()

    def on_resize(self, event: events.Resize) -> None:
        self._check_size(event.size.width, event.size.height)

    def _check_size(self, width: int, height: int) -> None:
        small = width < MIN_WIDTH or height < MIN_HEIGHT
        self.set_class(small, "-too-small")
        if small:
            self.query_one("#too-small", Static).update(
                f"This terminal is {width}×{height}.\ncalc-tui needs at least {MIN_WIDTH}×{MIN_HEIGHT}.\n\n"
                "Enlarge the window,\nor press q to quit."
            )

    def on_screen_resume(self) -> None:
        self.calc.update_subtitle()
        if self._seen_version != self.calc.settings_version:
            self.settings_changed()

    def action_release_focus(self) -> None:
        self.set_focus(None)

    # -- precision ----------------------------------------------------------------------------

    def show_precision(self) -> None:
        calc = self.calc
        devices = " (D to switch)" if len(calc.devices) > 1 else ""
        self.query_one("#precision", Static).update(f"dtype [b]{calc.dtype}[/] [dim](d)[/]\ndevice [b]{calc.device_label}[/]{devices}")

    def action_cycle_dtype(self) -> None:
        calc = self.calc
        if not calc.torch_ready:
            self.notify("torch is still loading; the dtype can change once it is ready", severity="warning")
            return
        order = calc.dtypes
        calc.set_dtype(order[(order.index(calc.dtype) + 1) % len(order)] if calc.dtype in order else order[0])

    def action_cycle_device(self) -> None:
        calc = self.calc
        if len(calc.devices) < 2 or calc.device is None:
            self.notify(f"only one device here: {calc.device_label}")
            return
        calc.set_device(calc.devices[(calc.devices.index(calc.device) + 1) % len(calc.devices)])

    def settings_changed(self) -> None:
        """dtype, device or torch availability changed: redraw the labels and recompute."""
        self._seen_version = self.calc.settings_version
        self.show_precision()
        self.recompute()

    def recompute(self) -> None:
        """Subclasses start their computation here."""

    # -- function and presets ----------------------------------------------------------------

    @property
    def function_input(self) -> FunctionInput:
        return self.query_one(FunctionInput)

    def action_focus_function(self) -> None:
        self.function_input.focus_formula()

    def action_preset(self, index: int) -> None:
        if index < len(self.PRESETS):
            self._preset_index = index
            name, text = self.PRESETS[index]
            self.function_input.set_text(text)
            if self.function_input.apply(text):
                self.notify(f"F{index + 2}: {name}  {text}", timeout=2)

    def action_next_preset(self) -> None:
        if self.PRESETS:
            self.action_preset((self._preset_index + 1) % len(self.PRESETS))

    def set_status(self, text: str) -> None:
        self.query_one("#status", Static).update(text)

    # -- workers ------------------------------------------------------------------------------

    def run_compute(self, job: Callable[[], Any], name: str) -> None:
        """Run `job` in a thread; only the newest request's result is shown (older ones are cancelled or dropped)."""
        self._request += 1
        request = self._request

        def work() -> None:
            worker = get_current_worker()
            time.sleep(DEBOUNCE_S)
            if worker.is_cancelled:
                return
            result = job()
            if not worker.is_cancelled:
                self.post_message(Computed(request, result))

        self.app.run_worker(work, name=name, group=f"compute-{id(self)}", thread=True, exclusive=True, exit_on_error=False)

    def on_computed(self, message: Computed) -> None:
        if message.request == self._request:
            self.show_result(message.result)

    def show_result(self, result: Any) -> None:
        """Subclasses draw `result` here, on the UI thread."""
