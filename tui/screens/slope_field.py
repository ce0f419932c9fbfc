"""Demo 3, Slope field: a loss curve with arrows of steepest ascent, and gradient descent walking down it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Label, RadioButton, RadioSet, Static

from engine.expression import Expression, ExpressionError, parse_expression, parse_number
from tui.messages import DomainChanged, FunctionApplied
from tui.screens.descent import LR_BOUNDS, DescentScreen, PathView
from tui.state import ALL_METHODS, hex_color
from tui.widgets.arrows import canvas_size
from tui.widgets.domain_panel import DomainPanel
from tui.widgets.field_plots import SlopeFieldPlot, SlopeView, Trail
from tui.widgets.function_input import FunctionInput
from tui.widgets.inline_error import InlineError
from tui.widgets.plotting import LabPlot
from tui.widgets.step_selector import StepSelector

TUTORIAL_LOSS = "0.3*sin(3*x) + 0.5*x^2"

HELP = """
The tutorial's loss curve L(x) with an arrow at each grid point: the arrow lies along the tangent
and points uphill — the direction of steepest ascent. Its angle shows how steep L is there; its
colour shows |L'(x)| on a log scale, blue (flat) to red (steep). Press `n` to flip the arrows
to descent (−gradient), as the tutorial suggests: that is where gradient descent steps.

**Gradient descent**: x ← x − lr · L'(x), with L' from autograd. The run is computed once from
the start point ◎ with the learning rate lr; `space` takes one step, `r` runs it as an animation,
`backspace` goes back to the start. The trail shows every iterate; the panel shows x_k, L(x_k),
L'(x_k) and whether the run converged, diverged (NaN/inf, running away, or L growing step after
step) or hit the step limit.

**Try**: the tutorial's loss has one minimum (its wiggle is a shoulder, not a second valley):
start on either side and both runs end near x = −0.379. Press F3 for `x^4 − 3x^2 + x`, which has
a hump near x = 0.17: start left of it (← a few times) and right of it, and the runs end in two
different minima. Raise lr with `]`: first the
iterates overshoot and oscillate, then they diverge.

The arrows' slopes come from the method chosen under *slopes by* (autograd by default); a
finite-difference choice draws the same field.

**Keys**

| key | action |
|---|---|
| `space` / `r` / `backspace` / `End` | one step / run-pause / reset / jump to the end |
| `←` `→` | move the start point (or type it) |
| `[` `]` | learning rate down / up a quarter decade (or type it) |
| `n` | flip arrows: ascent ↔ descent |
| `m` | next method for the slopes |
| `f` | edit the loss (Enter applies, Esc returns) |
| F2–F8, `p` | presets: tutorial loss, two minima, wiggly bowl, x², softplus, abs, log-cosh; `p` cycles |
| `d` / `D` | next dtype / device; `1`–`4` demos; `?` help; `q` quit |
"""


@dataclass(frozen=True)
class Loss:
    name: str
    text: str
    start: float
    learning_rate: float
    x_range: tuple[float, float] = (-3.0, 3.0)


PRESETS_LOSS: tuple[Loss, ...] = (
    Loss("tutorial loss", TUTORIAL_LOSS, 2.5, 0.1),
    Loss("two minima", "x^4 - 3*x^2 + x", 1.5, 0.02, (-2.0, 2.0)),
    Loss("wiggly bowl", "0.3*sin(5*x) + 0.5*x^2", 2.5, 0.05),
    Loss("parabola", "x^2", 2.5, 0.1),
    Loss("softplus", "softplus(x)", 2.5, 0.5),
    Loss("abs", "abs(x)", 2.5, 0.1),
    Loss("log-cosh", "log(cosh(x))", 2.5, 0.5),
)


@dataclass(frozen=True)
class SlopeResult:
    view: SlopeView
    path: PathView


class SlopeFieldScreen(DescentScreen):
    CSS_PATH = "fields.tcss"
    HELP_TITLE = "Slope field: arrows on the loss, and descent down it"
    HELP = HELP
    PRESETS = tuple((loss.name, loss.text) for loss in PRESETS_LOSS)
    STEP_LIMIT = 200
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left", "move_start(-1)", "start", key_display="← →"),
        Binding("right", "move_start(1)", "start→", show=False),
        Binding("m", "next_method", "Method", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.expression: Expression = parse_expression(TUTORIAL_LOSS)
        self.x_range = (-3.0, 3.0)
        self.start_x = 2.5
        self.method = "autograd"
        self._view: SlopeView | None = None
        self._arrow_count = 0

    def compose_sidebar(self) -> ComposeResult:
        yield FunctionInput(self.expression.text, history=[self.expression.text])
        yield DomainPanel("-3", "3", points=None)
        with Vertical(classes="panel"):
            with Horizontal(classes="row"):
                yield Label("start x =", classes="field-label")
                yield Input(f"{self.start_x:g}", compact=True, id="start", select_on_focus=True)
            yield InlineError(id="start-error")
        yield StepSelector(0.1, label="lr =", name="lr", bounds=LR_BOUNDS, id="lr")
        with RadioSet(id="method-choice", classes="panel") as choice:
            choice.border_title = "slopes by (m)"
            for method in ALL_METHODS:
                yield RadioButton(f"[{hex_color(method)}]{method}[/]", value=method == self.method, name=method)

    def compose_main(self) -> ComposeResult:
        with Vertical(id="main"):
            yield SlopeFieldPlot(id="field-plot")
            yield Static("", id="descent-status")

    def on_mount(self) -> None:
        if not self.calc.torch_ready:
            self.query_one(SlopeFieldPlot).show_message("slope field", "loading torch…")

    # -- computing ------------------------------------------------------------------------------

    def recompute(self) -> None:
        calc = self.calc
        if not calc.torch_ready:
            return
        expression, (x_min, x_max), method, start = self.expression, self.x_range, self.method, self.start_x
        lr, dtype_name, device, limit = self.learning_rate, calc.dtype, calc.device, self.STEP_LIMIT
        columns, _ = canvas_size(self.query_one(SlopeFieldPlot).size.width, self.query_one(SlopeFieldPlot).size.height)
        count = max(12, min(40, columns // 3))
        self._arrow_count = count

        def job() -> SlopeResult:
            import torch

            from engine.devices import parse_dtype
            from engine.fields import descend, slope_field

            dtype = parse_dtype(dtype_name)
            curve = slope_field(expression, torch.linspace(x_min, x_max, 300, dtype=torch.float64), "exact", dtype=dtype, device=device)
            arrows = slope_field(expression, torch.linspace(x_min, x_max, count, dtype=torch.float64), method, dtype=dtype, device=device)
            run = descend(expression, [start], lr, limit, dtype=dtype, device=device)
            view = SlopeView(
                f"L(x) = {expression} · arrows: slope by {method}",
                curve.x.tolist(),
                curve.values.tolist(),
                arrows.x.tolist(),
                arrows.values.tolist(),
                arrows.slopes.tolist(),
            )
            path = PathView.of(run)
            return SlopeResult(view, path)

        self.set_status("[dim]computing…[/]")
        self.run_compute(job, "slope field")

    def show_result(self, result: SlopeResult) -> None:
        self._view = result.view
        self.show_path(result.path)
        self.set_status("")
        self.redraw()

    def redraw(self) -> None:
        if self._view is None:
            return
        trail_points = self.path.points[: self.k + 1] if self.path else []
        values = self.path.values[: self.k + 1] if self.path else []
        trail = Trail([p[0] for p in trail_points], values)
        self.query_one(SlopeFieldPlot).draw(self._view, trail, self.descent_arrows)
        arrows = "descent (−L')" if self.descent_arrows else "ascent (L')"
        self.query_one("#descent-status", Static).update(f"arrows: {arrows} [dim](n flips)[/]\n" + self.status_lines(("x",)))

    def on_lab_plot_resized(self, message: LabPlot.Resized) -> None:
        columns, _ = canvas_size(message.plot.size.width, message.plot.size.height)
        if max(12, min(40, columns // 3)) != self._arrow_count:
            self.recompute()  # the arrow count follows the plot width
        else:
            self.redraw()

    # -- events ---------------------------------------------------------------------------------

    def on_function_applied(self, message: FunctionApplied) -> None:
        self.expression = message.expression
        self.path_inputs_changed()

    def on_domain_changed(self, message: DomainChanged) -> None:
        self.x_range = (message.x_min, message.x_max)
        self.start_x = min(max(self.start_x, message.x_min), message.x_max)
        self.query_one("#start", Input).value = f"{self.start_x:g}"
        self.path_inputs_changed()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id != "start":
            return
        event.stop()
        error = self.query_one("#start-error", InlineError)
        try:
            value = parse_number(event.value)
        except ExpressionError as problem:
            error.show(f"start: {problem}")
            return
        x_min, x_max = self.x_range
        if not x_min <= value <= x_max:
            error.show(f"start must be inside the x range [{x_min:g}, {x_max:g}]")
            return
        error.clear()
        self.start_x = value
        self.set_focus(None)
        self.path_inputs_changed()

    def on_input_blurred(self, event: Input.Blurred) -> None:
        if event.input.id == "start":  # leaving the box shows the start in effect again
            event.input.value = f"{self.start_x:g}"
            self.query_one("#start-error", InlineError).clear()

    def on_radio_set_changed(self, event: RadioSet.Changed) -> None:
        event.stop()
        if event.pressed.name and event.pressed.name != self.method:
            self.method = event.pressed.name
            self.recompute()

    def action_next_method(self) -> None:
        buttons = list(self.query_one(RadioSet).query(RadioButton))
        index = next((i for i, b in enumerate(buttons) if b.name == self.method), 0)
        buttons[(index + 1) % len(buttons)].value = True

    def action_preset(self, index: int) -> None:
        if index >= len(PRESETS_LOSS):
            return
        loss = PRESETS_LOSS[index]
        self.start_x, self.x_range = loss.start, loss.x_range
        self.query_one("#start", Input).value = f"{loss.start:g}"
        self.query_one(DomainPanel).set_values(f"{loss.x_range[0]:g}", f"{loss.x_range[1]:g}", None)
        self.query_one("#lr", StepSelector).set_step(loss.learning_rate, announce=False)
        super().action_preset(index)

    def action_move_start(self, direction: int) -> None:
        x_min, x_max = self.x_range
        step = (x_max - x_min) / 30
        self.start_x = min(x_max, max(x_min, round((self.start_x + direction * step) / step) * step))
        self.query_one("#start", Input).value = f"{self.start_x:.4g}"
        self.path_inputs_changed()
