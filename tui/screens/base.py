"""What every demo screen has: header, a sidebar of panels beside the plots, footer, presets, precision keys,
and one computation that turns the shared state into the view it draws.

A screen is three small hooks over this base: `request()` reads the shared state
into a frozen request (None while torch loads), `compute` (a pure function in
`tui.compute`) turns it into a view off the UI thread, and `draw(view)` puts it on
screen. Whenever the state changes while the screen is shown, or the screen comes
back into view, `refresh_from_state` shows the state in the panels and computes
again only if the request differs from the last one.

Event handlers live here only; subclasses override the plain hook methods they
call (Textual runs every class's handler along the MRO, so a handler redefined in
a subclass would run twice).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, is_dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar, Generic, TypeVar

from textual import events
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Header, Static
from textual.worker import Worker, WorkerState

from tui.compute.runner import Computation, Computed, Progress, Reporter
from tui.export import Table, app_version, export_directory, screenshot_path, write_data
from tui.messages import ComputationFailed, DomainChanged, FunctionApplied, LogValueChanged, MethodsChanged
from tui.presets import Preset
from tui.state import SharedState, shared_state
from tui.widgets.key_footer import KeyFooter
from tui.widgets.plotting import BasePlot
from tui.widgets.static_text import show_text
from tui.widgets.summary_line import fit_summary

if TYPE_CHECKING:
    # The panels' widgets are imported with the panels, after the first frame (see on_screen_resume).
    from tui.widgets.function_input import FunctionInput

RequestT = TypeVar("RequestT")
ViewT = TypeVar("ViewT")

MIN_WIDTH, MIN_HEIGHT = 70, 20
AUTO_FOLD_WIDTH = 100  # narrower than this, the panels fold away so the plots get the whole width
FAILED = "[red]✗ the last computation failed (see the notice); the plots show the last good result[/]"


class Panels(Vertical):
    """The demo's own panels in the sidebar (its compose_sidebar), above the precision and status lines."""

    def compose(self) -> ComposeResult:
        screen = self.screen
        if isinstance(screen, DemoScreen):
            yield from screen.compose_sidebar()


class DemoScreen(Screen[None], Generic[RequestT, ViewT]):
    """A demo: a sidebar of shared panels beside its plots, drawn from the shared state through one computation."""

    # Short terminals drop the blank line between panels (CSS: DemoScreen.-short).
    VERTICAL_BREAKPOINTS = [(0, "-short"), (30, "-tall")]
    AUTO_FOCUS = ""  # nothing focused at first (None would mean the app's "*"), so every key reaches the demo
    WORK: ClassVar[str] = "computation"  # what the computation makes, for its failure notice ("slope field failed")
    HELP_PATH: ClassVar[str] = ""  # its help, a Markdown file beside the module (see tui.screens.help)
    HELP_VALUES: ClassVar[dict[str, str]] = {}  # {{name}} in the help file -> this text
    PRESETS: ClassVar[tuple[Preset, ...]] = ()
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
        Binding("backslash", "toggle_sidebar", "Panels", key_display="\\", show=False),
        Binding("x", "export_data", "Export", show=False),
        Binding("X", "screenshot", "Screenshot", show=False),
    ]

    def __init__(
        self,
        compute: Callable[[RequestT], ViewT] | None = None,
        *,
        long_compute: Callable[[RequestT, Reporter], ViewT] | None = None,
    ) -> None:
        """`compute` for quick work; `long_compute` for work with progress, partial views and Escape (speed)."""
        super().__init__()
        self.computation: Computation[RequestT, ViewT] = Computation(self, self.WORK, compute, long_compute=long_compute)
        self.view: ViewT | None = None  # what the plots show now
        self.view_request: RequestT | None = None  # what it was computed for
        self.panels_mounted = False
        self._preset_index = 0

    @property
    def state(self) -> SharedState:
        return shared_state(self)

    # -- the hooks a demo fills in ------------------------------------------------------------

    def compose_sidebar(self) -> ComposeResult:
        yield from ()

    def compose_main(self) -> ComposeResult:
        yield from ()

    def request(self) -> RequestT | None:
        """The request for the current state, or None when nothing can be computed yet."""
        return None

    def draw(self, view: ViewT) -> None:
        """Put `view` on screen (the UI thread: no torch here)."""

    def show_state(self) -> None:
        """Show the shared state in this screen's panels (called once they are mounted)."""

    def show_loading(self) -> None:
        """What the plots show while torch loads (before any request can be computed)."""

    def before_compute(self, request: RequestT) -> None:
        """A new request is about to be computed."""

    def on_new_view(self, view: ViewT) -> None:
        """A freshly computed view is about to be drawn."""

    def draw_partial(self, view: ViewT) -> None:
        """A long computation's view so far (it is not kept as `self.view`)."""
        self.draw(view)

    def progress(self, done: int, total: int, label: str) -> None:
        """A long computation's progress."""

    def suspended(self) -> None:
        """Another screen covers this one (another demo, or help on top)."""

    def failed(self, error: BaseException) -> None:
        """The computation raised (the status line and the app's notice already say so)."""

    def notice(self, view: ViewT) -> str:
        """The status line under the panels for a freshly computed view (markup)."""
        return ""

    def palette_commands(self) -> Iterable[SystemCommand]:
        """This demo's own entries in the command palette (besides demos, help, presets and dtypes)."""
        return ()

    def apply_preset(self, preset: Preset) -> None:
        """Put `preset` into the shared state."""

    def function_applied(self, text: str) -> None:
        """The user applied a new function."""

    def value_changed(self, name: str, value: float) -> None:
        """A log-grid value (h, lr) changed."""

    def methods_changed(self, methods: tuple[str, ...]) -> None:
        """The method toggles changed."""

    def domain_changed(self, message: DomainChanged) -> None:
        """The domain panel applied new bounds."""

    def plot_resized(self, plot: BasePlot) -> None:
        """A plot changed size: compute again if the request depends on it (the plot redraws itself at its new size)."""
        self.refresh_from_state(redraw=False)

    # -- layout -------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="summary")
        with Horizontal(id="body"):
            with VerticalScroll(id="sidebar", can_focus=False):  # its controls take focus, not the column
                if getattr(self.app, "painted", True):
                    self.panels_mounted = True
                    yield Panels()
                yield Static("", id="precision", classes="panel")
                yield Static("", id="status", classes="panel status")
            yield from self.compose_main()
        yield Static("", id="too-small")
        yield KeyFooter()

    def on_mount(self) -> None:
        self._check_size(self.app.size.width, self.app.size.height)
        for slot in SharedState.SLOTS:
            self.watch(self.state, slot, self._state_changed, init=False)

    def _compositor_refresh(self) -> None:
        # Textual 8.2 renders a frame while the app is still in its start-up batch, and App._display drops it; the
        # regions that frame drew are no longer dirty, so the first frame after the batch paints only what changed
        # since, and the plot waits for the next layout, a timer tick or two (15-30 ms) later. Keeping the whole
        # screen dirty puts everything in the first frame shown (the dropped render's work is cached, not lost).
        dropped = self.app._batch_count > 0 and self is self.app.screen
        super()._compositor_refresh()
        if dropped:
            self._compositor._dirty_regions.add(self._compositor.size.region)

    async def _mount_panels(self) -> None:
        sidebar = self.query_one("#sidebar")
        if self.panels_mounted or not sidebar.is_attached:
            return  # mounted already, or the app quit before its first frame's callbacks ran
        await sidebar.mount(Panels(), before="#precision")
        self.panels_mounted = True
        self.refresh_bindings()
        if self.is_current:
            self.refresh_from_state()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Until its panels are there (a frame or two after the screen appears), a demo's own keys wait.
        return True if self.panels_mounted else None

    def on_resize(self, event: events.Resize) -> None:
        self._check_size(event.size.width, event.size.height)
        self.refresh_bindings()  # some keys are offered only at some sizes (check_action)
        if self.view is not None:
            self.draw(self.view)  # tables and texts beside the plots lay themselves out for the new size

    # -- the panels fold away on narrow terminals -------------------------------------------------

    @property
    def folded(self) -> bool:
        """Whether the sidebar of panels is folded away (a one-line summary stands in for it)."""
        sidebar = self.state.look.sidebar
        return sidebar == "folded" or (sidebar == "auto" and self.app.size.width < AUTO_FOLD_WIDTH)

    def _fold(self) -> None:
        folded = self.folded
        if folded != self.has_class("-folded"):
            self.set_class(folded, "-folded")
        if folded:
            self.query_one("#summary", Static).update(self.summary())

    def summary(self) -> str:
        """The one line that stands in for the folded panels (markup)."""
        precision = self.state.precision
        has_function = bool(self.query("FunctionInput"))  # by name: until the panels are mounted, it is not imported
        function = self.function_input.applied if has_function else ""
        label = "f(x, y)" if has_function and len(self.function_input.variables) == 2 else "f(x)"
        fields = [*self.summary_details(), f"{precision.dtype} on {precision.device_label}"]
        return fit_summary(label, function, fields, self.app.size.width)

    def summary_details(self) -> list[str]:
        """What else the summary line says (h, lr, x0, ...)."""
        return []

    def action_toggle_sidebar(self) -> None:
        look = self.state.look
        self.state.look = replace(look, sidebar="shown" if self.folded else "folded")

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        # Editing a folded panel (f, tab) shows the panels until the focus leaves them.
        if self.folded and self.query_one("#sidebar") in event.widget.ancestors:
            self.add_class("-peek")

    def on_descendant_blur(self, event: events.DescendantBlur) -> None:
        self.call_after_refresh(self._end_peek)

    def _end_peek(self) -> None:
        focused = self.focused
        if focused is None or self.query_one("#sidebar") not in focused.ancestors:
            self.remove_class("-peek")

    def _check_size(self, width: int, height: int) -> None:
        self._fold()
        small = width < MIN_WIDTH or height < MIN_HEIGHT
        self.set_class(small, "-too-small")
        if small:
            self.query_one("#too-small", Static).update(
                f"This terminal is {width}×{height}.\ncalc-tui needs at least {MIN_WIDTH}×{MIN_HEIGHT}.\n\n"
                "Enlarge the window,\nor press q to quit."
            )

    # -- from the state to the screen -----------------------------------------------------------

    def on_screen_resume(self) -> None:
        if not self.panels_mounted:
            # The first screen's panels (inputs, toggles: dozens of widgets) are mounted once the app's first frame
            # is painted: the plot is what a user looks at first, and styling the panels would double the time until
            # it is on screen. (The app's after-refresh callbacks run after its next paint; a new screen's own run
            # before it.) Until then the screen's own keys wait (check_action), and nothing can be computed yet.
            self.app.call_after_refresh(self._mount_panels)
        self.refresh_from_state()

    def on_screen_suspend(self) -> None:
        self.suspended()

    def on_progress(self, message: Progress) -> None:
        if message.computation == self.computation.name:
            self.progress(message.done, message.total, message.label)

    def _state_changed(self) -> None:
        # A screen out of view catches up when it comes back (on_screen_resume).
        if self.is_current:
            self.refresh_from_state()

    def refresh_from_state(self, redraw: bool = True) -> None:
        """Show the state in the panels; compute if the request changed, else redraw the view in hand."""
        self.show_precision()
        if self.panels_mounted:
            self.show_state()
        self._fold()
        if not self.state.precision.ready:
            self.show_loading()
        request = self.request()
        if request is not None and request != self.computation.last_request:
            self.before_compute(request)
            self.set_status("[dim]computing…[/]")
            self.computation.submit(request)
        elif self.view is not None and redraw:
            self.draw(self.view)

    def on_computed(self, message: Computed[ViewT]) -> None:
        if message.computation != self.computation.name:
            return
        if not message.final:
            self.draw_partial(message.view)
            return
        self.on_new_view(message.view)
        self.view, self.view_request = message.view, message.request
        if message.request == self.computation.last_request:  # not an older view shown on the way
            self.set_status(self.notice(message.view))
        self.draw(message.view)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if self.computation.worker_state_changed(event) and event.state == WorkerState.ERROR and event.worker.error is not None:
            self.set_status(FAILED)
            self.post_message(ComputationFailed(self.WORK, event.worker.error))  # the app shows the notice
            self.failed(event.worker.error)

    def on_base_plot_resized(self, message: BasePlot.Resized) -> None:
        self.plot_resized(message.plot)

    def set_status(self, text: str) -> None:
        show_text(self.query_one("#status", Static), text)

    @property
    def status_text(self) -> str:
        return str(self.query_one("#status", Static).render())

    # -- taking things away ---------------------------------------------------------------------

    def export_tables(self) -> dict[str, Table]:
        """The numbers on screen, as tables (every demo's view has `tables()`)."""
        tables = getattr(self.view, "tables", None)
        return tables() if callable(tables) else {}

    def action_export_data(self) -> None:
        tables = self.export_tables()
        if not tables or self.view_request is None:
            self.notify("nothing computed yet to export", severity="warning")
            return
        request = self.view_request
        about = {
            "calc_tui": app_version(),
            "demo": self.app.current_mode,
            "settings": asdict(request) if is_dataclass(request) and not isinstance(request, type) else {},
            "exported": datetime.now().isoformat(timespec="seconds"),
        }
        try:
            paths = write_data(export_directory(self.app), f"calc-tui-{self.app.current_mode}", about, tables)
        except OSError as error:
            self.notify(f"could not export: {error}", severity="error", timeout=10)
            return
        others = f" and {len(paths) - 1} CSV files beside it" if len(paths) > 1 else ""
        self.notify(f"saved {paths[0]}{others}", title="exported", timeout=8)

    def action_screenshot(self) -> None:
        # The toasts of an earlier x or X are not part of the picture: they go, the screen is drawn without them, then saved.
        self.app.clear_notifications()
        for rack in self.query("ToastRack"):
            rack.display = False  # now: the app tells the rack of the cleared notifications only later
        self.call_after_refresh(self.save_screenshot)

    def save_screenshot(self) -> None:
        try:
            path = screenshot_path(export_directory(self.app), f"calc-tui-{self.app.current_mode}")
            self.app.save_screenshot(path.name, str(path.parent))
        except OSError as error:
            self.notify(f"could not save the screenshot: {error}", severity="error", timeout=10)
            return
        self.notify(f"saved {path}", title="screenshot", timeout=8)

    # -- precision ----------------------------------------------------------------------------

    def show_precision(self) -> None:
        precision = self.state.precision
        devices = " (D to switch)" if len(precision.devices) > 1 else ""
        text = f"dtype [b]{precision.dtype}[/] [dim](d)[/]\ndevice [b]{precision.device_label}[/]{devices}"
        show_text(self.query_one("#precision", Static), text)

    def action_cycle_dtype(self) -> None:
        precision = self.state.precision
        if not precision.ready:
            self.notify("torch is still loading; the dtype can change once it is ready", severity="warning")
            return
        order = precision.dtypes
        dtype = order[(order.index(precision.dtype) + 1) % len(order)] if precision.dtype in order else order[0]
        self.state.precision = replace(precision, dtype=dtype)

    def action_cycle_device(self) -> None:
        from tui.loading import switch_device

        precision = self.state.precision
        if len(precision.devices) < 2 or precision.device is None:
            self.notify(f"only one device here: {precision.device_label}")
            return
        self.state.precision = switch_device(
            precision, precision.devices[(precision.devices.index(precision.device) + 1) % len(precision.devices)]
        )

    # -- function and presets ----------------------------------------------------------------

    @property
    def function_input(self) -> FunctionInput:
        from tui.widgets.function_input import FunctionInput

        return self.query_one(FunctionInput)

    def action_focus_function(self) -> None:
        self.function_input.focus_formula()

    def action_release_focus(self) -> None:
        self.set_focus(None)

    def action_preset(self, index: int) -> None:
        if index < len(self.PRESETS):
            self._preset_index = index
            preset = self.PRESETS[index]
            self.apply_preset(preset)
            self.notify(f"F{index + 2}: {preset.name}  {preset.function}", timeout=2)

    def action_next_preset(self) -> None:
        if self.PRESETS:
            self.action_preset((self._preset_index + 1) % len(self.PRESETS))

    # -- the panels' messages -----------------------------------------------------------------

    def on_function_applied(self, message: FunctionApplied) -> None:
        self.function_applied(message.text)

    def on_log_value_changed(self, message: LogValueChanged) -> None:
        self.value_changed(message.name, message.value)

    def on_methods_changed(self, message: MethodsChanged) -> None:
        self.methods_changed(message.methods)

    def on_domain_changed(self, message: DomainChanged) -> None:
        self.domain_changed(message)
