"""Demo 4, Gradient field: grad f(x, y) as a quiver of arrows, and a descent path across it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Static

from engine.expression import Expression, parse_expression
from tui.messages import DomainChanged, FunctionApplied
from tui.screens.descent import LR_BOUNDS, DescentScreen, PathView
from tui.widgets.arrows import canvas_size
from tui.widgets.domain_panel import DomainPanel
from tui.widgets.field_plots import GradientFieldPlot, QuiverView, Trail
from tui.widgets.function_input import FunctionInput
from tui.widgets.plotting import LabPlot
from tui.widgets.step_selector import StepSelector

MOMENTA = (0.0, 0.5, 0.9)

HELP = """
The gradient of f(x, y) on a grid: each arrow points where f rises fastest (`n` flips it to
−grad f, the way descent goes). Colour shows |grad f| on a log scale, blue (flat) to red (steep),
so a gentle valley floor and a steep wall both read. The gradients come from
`torch.autograd.grad` for x and y at once — the tutorial's point that autograd generalises;
`g` switches to central differences and the panel shows the largest difference between the two.

**Descent**: from the start point ◎ (move it with the arrow keys), x ← x − lr·v with
v ← momentum·v + grad f. `space` steps, `r` runs, `backspace` resets; the path is drawn over the
arrows and the panel shows the iterate, f, |grad f| and the outcome.

**Try**: *Rosenbrock* (F4): descent falls into the curved valley fast, then crawls along
it; press `m` for momentum and watch it speed up. *Saddle* (F3): start almost on the x axis;
the path heads for the saddle, then escapes along y, the unstable direction. *Two minima*
(F5): start left or right of x = 0 and end in different minima.

**Keys**

| key | action |
|---|---|
| `space` / `r` / `backspace` / `End` | one step / run-pause / reset / jump to the end |
| `←` `→` `↑` `↓` | move the start point ◎ by one grid cell |
| `[` `]` | learning rate down / up a quarter decade (or type it) |
| `m` | momentum 0 → 0.5 → 0.9 |
| `n` | arrows: ascent ↔ descent |
| `g` | gradients: autograd ↔ central differences |
| `f` | edit f(x, y) (Enter applies, Esc returns) |
| F2 F3 F4 F5, `p` | presets: bowl, saddle, Rosenbrock, two minima (each with its own domain, start and lr); `p` cycles |
| `d` / `D` | next dtype / device; `1`–`4` demos; `?` help; `q` quit |
"""


@dataclass(frozen=True)
class Preset2D:
    name: str
    text: str
    x_range: tuple[float, float]
    y_range: tuple[float, float]
    start: tuple[float, float]
    learning_rate: float


PRESETS_2D: tuple[Preset2D, ...] = (
    Preset2D("bowl", "x^2 + 3*y^2", (-2, 2), (-2, 2), (-1.6, 1.4), 0.1),
    Preset2D("saddle", "x^2 - y^2", (-2, 2), (-2, 2), (1.8, 0.05), 0.1),
    Preset2D("Rosenbrock", "(1-x)^2 + 100*(y-x^2)^2", (-2, 2), (-1, 3), (-1.5, 2.5), 1e-3),
    Preset2D("two minima", "(x^2-1)^2 + y^2", (-2, 2), (-1.5, 1.5), (0.2, 1.2), 0.05),
)


@dataclass(frozen=True)
class FieldResult:
    autograd: QuiverView
    central: QuiverView
    max_difference: float | None
    undefined: int
    path: PathView


class GradientFieldScreen(DescentScreen):
    CSS_PATH = "fields.tcss"
    HELP_TITLE = "Gradient field: arrows of grad f(x, y), and descent across them"
    HELP = HELP
    PRESETS = tuple((p.name, p.text) for p in PRESETS_2D)
    STEP_LIMIT = 2000
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left", "move_start(-1, 0)", "start", key_display="←↑↓→"),
        Binding("right", "move_start(1, 0)", "start→", show=False),
        Binding("up", "move_start(0, 1)", "start↑", show=False),
        Binding("down", "move_start(0, -1)", "start↓", show=False),
        Binding("m", "cycle_momentum", "Momentum"),
        Binding("g", "toggle_source", "Autograd/central", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        preset = PRESETS_2D[0]
        self.expression: Expression = parse_expression(preset.text, ("x", "y"))
        self.x_range, self.y_range, self.start_point = preset.x_range, preset.y_range, preset.start
        self.momentum = 0.0
        self.use_central = False
        self._field: FieldResult | None = None
        self._grid_shape = (0, 0)
        self._initial_lr = preset.learning_rate

    def compose_sidebar(self) -> ComposeResult:
        yield FunctionInput(self.expression.text, variables=("x", "y"), history=[self.expression.text])
        yield DomainPanel(*_texts(self.x_range), points=None, y_range=_texts(self.y_range))
        yield StepSelector(self._initial_lr, label="lr =", name="lr", bounds=LR_BOUNDS, id="lr")
        yield Static("", id="momentum", classes="panel")
        yield Static("", id="source", classes="panel")

    def compose_main(self) -> ComposeResult:
        with Vertical(id="main"):
            yield GradientFieldPlot(id="field-plot")
            yield Static("", id="descent-status")

    def on_mount(self) -> None:
        self._show_options()
        if not self.calc.torch_ready:
            self.query_one(GradientFieldPlot).show_message("gradient field", "loading torch…")

    def _grid(self) -> tuple[int, int]:
        plot = self.query_one(GradientFieldPlot)
        columns, rows = canvas_size(plot.size.width, plot.size.height)
        return max(6, min(50, columns // 3)), max(4, min(25, rows // 2))

    # -- computing ------------------------------------------------------------------------------

    def recompute(self) -> None:
        calc = self.calc
        if not calc.torch_ready:
            return
        expression, (x_min, x_max), (y_min, y_max) = self.expression, self.x_range, self.y_range
        start, lr, momentum, limit = self.start_point, self.learning_rate, self.momentum, self.STEP_LIMIT
        dtype_name, device = calc.dtype, calc.device
        columns, rows = self._grid_shape = self._grid()

        def job() -> FieldResult:
            import torch

            from engine.devices import parse_dtype
            from engine.fields import descend, gradient_field

            dtype = parse_dtype(dtype_name)
            xs = torch.linspace(x_min, x_max, columns, dtype=torch.float64)
            ys = torch.linspace(y_min, y_max, rows, dtype=torch.float64)
            field = gradient_field(expression, xs, ys, dtype, device)
            title = f"grad f for f(x, y) = {expression}"
            x, y = field.x.tolist(), field.y.tolist()
            run = descend(expression, list(start), lr, limit, momentum=momentum, dtype=dtype, device=device)
            path = PathView.of(run)
            return FieldResult(
                QuiverView(title + " (autograd)", x, y, field.grad_x.tolist(), field.grad_y.tolist()),
                QuiverView(title + " (central differences)", x, y, field.check_x.tolist(), field.check_y.tolist()),
                field.check_max_difference,
                field.undefined,
                path,
            )

        self.set_status("[dim]computing…[/]")
        self.run_compute(job, "gradient field")

    def show_result(self, result: FieldResult) -> None:
        self._field = result
        self.show_path(result.path)
        notice = f"[yellow]f or its gradient is undefined at {result.undefined} grid points (×)[/]" if result.undefined else ""
        self.set_status(notice)
        self._show_options()
        self.redraw()

    def redraw(self) -> None:
        if self._field is None:
            return
        view = self._field.central if self.use_central else self._field.autograd
        shown = self.path.points[: self.k + 1] if self.path else []
        trail = Trail([p[0] for p in shown], [p[1] for p in shown])
        self.query_one(GradientFieldPlot).draw(view, trail, self.start_point, self.descent_arrows)
        arrows = "−grad f (descent)" if self.descent_arrows else "grad f (ascent)"
        self.query_one("#descent-status", Static).update(f"arrows: {arrows} [dim](n flips)[/]\n" + self.status_lines(("x", "y")))

    def _show_options(self) -> None:
        self.query_one("#momentum", Static).update(f"momentum [b]{self.momentum:g}[/] [dim](m)[/]")
        source = "central differences" if self.use_central else "autograd"
        difference = self._field.max_difference if self._field else None
        check = f"\nmax |autograd − central| = {difference:.1e}" if difference is not None else ""
        self.query_one("#source", Static).update(f"gradients: [b]{source}[/] [dim](g)[/]{check}")

    def on_lab_plot_resized(self, message: LabPlot.Resized) -> None:
        if self._grid() != self._grid_shape:
            self.recompute()  # the grid follows the plot size
        else:
            self.redraw()

    # -- events ---------------------------------------------------------------------------------

    def on_function_applied(self, message: FunctionApplied) -> None:
        self.expression = message.expression
        self.path_inputs_changed()

    def on_domain_changed(self, message: DomainChanged) -> None:
        self.x_range = (message.x_min, message.x_max)
        if message.y_min is not None and message.y_max is not None:
            self.y_range = (message.y_min, message.y_max)
        (x_min, x_max), (y_min, y_max) = self.x_range, self.y_range
        self.start_point = (min(max(self.start_point[0], x_min), x_max), min(max(self.start_point[1], y_min), y_max))
        self.path_inputs_changed()

    def action_preset(self, index: int) -> None:
        if index >= len(PRESETS_2D):
            return
        preset = PRESETS_2D[index]
        self._preset_index = index
        self.x_range, self.y_range, self.start_point = preset.x_range, preset.y_range, preset.start
        self.momentum = 0.0  # a preset is a whole known setup
        self._show_options()
        self.query_one(DomainPanel).set_values(*_texts(preset.x_range), None, _texts(preset.y_range))
        self.query_one("#lr", StepSelector).set_step(preset.learning_rate, announce=False)
        self.function_input.set_text(preset.text)
        if self.function_input.apply(preset.text):
            self.notify(f"F{index + 2}: {preset.name}  {preset.text}", timeout=2)

    def action_move_start(self, dx: int, dy: int) -> None:
        columns, rows = self._grid_shape if self._grid_shape != (0, 0) else self._grid()
        (x_min, x_max), (y_min, y_max) = self.x_range, self.y_range
        x, y = self.start_point
        x = min(x_max, max(x_min, x + dx * (x_max - x_min) / max(1, columns - 1)))
        y = min(y_max, max(y_min, y + dy * (y_max - y_min) / max(1, rows - 1)))
        self.start_point = (x, y)
        self.path_inputs_changed()

    def action_cycle_momentum(self) -> None:
        self.momentum = MOMENTA[(MOMENTA.index(self.momentum) + 1) % len(MOMENTA)] if self.momentum in MOMENTA else 0.0
        self._show_options()
        self.path_inputs_changed()

    def action_toggle_source(self) -> None:
        self.use_central = not self.use_central
        self._show_options()
        self.redraw()


def _texts(bounds: tuple[float, float]) -> tuple[str, str]:
    return f"{bounds[0]:g}", f"{bounds[1]:g}"
