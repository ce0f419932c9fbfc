"""Demo 5, Backprop: the chain rule on torch's own autograd graph, one node at a time, with .grad filling in."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import TYPE_CHECKING, ClassVar

from rich.console import Group, RenderableType
from rich.markup import escape
from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Static

from tui.demos.backprop.compute import (
    LAB,
    NETWORK,
    NETWORK_FORMULA,
    NETWORK_LEARNING_RATE,
    SOURCES,
    SURFACE,
    BackpropRequest,
    BackpropView,
    compute_backprop,
)
from tui.demos.backprop.graph_view import CURRENT, DONE, PENDING, GraphMarks, GraphView
from tui.graph_layout import VALUE_WIDTH
from tui.presets import SURFACE_PRESETS, Preset
from tui.screens.stepping import SteppingScreen
from tui.state import with_function
from tui.widgets.function_input import FunctionInput
from tui.widgets.log_value_input import LEARNING_RATE_BOUNDS, LogValueInput
from tui.widgets.number_field import Check, NumberField, within

if TYPE_CHECKING:
    from engine.backprop import BackwardPass, LeafGrad

MAX_TERMS = 4  # a sum of more contributions shows the first ones, then how many
LOSS_HISTORY = 8  # losses shown in the network's history line
TITLE_LENGTH = 60  # a longer function is cut short above the graph (the function input holds all of it)

PRESETS: tuple[Preset, ...] = (
    Preset("x·sin(x): one leaf, two paths", "x*sin(x)"),
    Preset("x² + x: fan-out through Add", "x^2 + x"),
    Preset("wave packet", "exp(-x^2)*sin(5x)"),
    Preset("division", "x/(1 + x^2)"),
    Preset("x·y + sin(x)", "x*y + sin(x)", (-2.0, 2.0), (-2.0, 2.0), (1.0, 0.5)),
    next(p for p in SURFACE_PRESETS if p.name == "Rosenbrock"),
    Preset("tiny network", NETWORK_FORMULA),
)

SOURCE_CLASSES = {LAB: "-lab", SURFACE: "-surface", NETWORK: "-network"}  # which panels the sidebar shows
SOURCE_TEXT = {
    LAB: "[b]f(x)[/] at x0: the lab's function, shared with Compare",
    SURFACE: "[b]f(x, y)[/] at (x0, y0): the gradient field's function and start",
    NETWORK: "[b]tiny network[/]: one hidden unit, one data point",
}


def short(value: float | None) -> str:
    """The engine's number format for the chain rule (`0.5403`, `1.5000e-07`); torch is loaded by the time there is a pass."""
    from engine.backprop import short as engine_short

    return engine_short(value)


def compact(value: float | None) -> str:
    """A number that fits a node's value field."""
    text = short(value)
    return text if len(text) <= VALUE_WIDTH - 1 else f"{value:.2e}"


def terms(values: tuple[float, ...], limit: int = MAX_TERMS) -> str:
    """`0.9093 − 0.8323`, or the first few and how many when a leaf is reached by many paths."""
    from engine.backprop import signed_sum

    if len(values) > limit:
        return signed_sum(values[: limit - 1]) + f" + … ({len(values)} terms)"
    return signed_sum(values)


def run_at(result: BackwardPass, node: str) -> int:
    """The step of backward() at which torch runs `node` (1 for the first)."""
    return result.order.index(node) + 1


def grad_text(result: BackwardPass, leaf: LeafGrad, k: int, limit: int = MAX_TERMS) -> str:
    """`x.grad` after k steps: as torch holds it, with the contributions that make it up, or what is on its way."""
    name = f"{leaf.name}.grad"
    if leaf.node is None:
        return f"{name} = {short(leaf.grad)} (backward() never reaches {leaf.name})"
    arrived = result.arrived(k)[leaf.node]
    paths = len(result.node(leaf.node).arrivals)
    if k < run_at(result, leaf.node):
        waiting = f" · arrived so far: {terms(arrived, limit)} ({len(arrived)} of {paths} paths)" if arrived else ""
        return f"{name} = {short(leaf.grad_before)}{waiting}"
    added = terms(leaf.contributions, limit)
    if leaf.grad_before is not None:
        return f"{name} = {short(leaf.grad_before)} + ({added}) = {short(leaf.grad)}"
    return f"{name} = {added} = {short(leaf.grad)}" if len(leaf.contributions) > 1 else f"{name} = {added}"


def adjoint_text(result: BackwardPass, node_id: str, k: int) -> str:
    """The gradient that reached a node (its adjoint ∂f/∂node) after k steps, with where it came from."""
    from engine.backprop import SEED

    node = result.node(node_id)
    f, name = result.output, node.label
    arrivals = node.arrivals[: len(result.arrived(k)[node_id])]
    if node.arrivals and node.arrivals[0].source == SEED:
        return f"∂{f}/∂{name} = 1 (backward() starts the output with ∂{f}/∂{f} = 1)"
    sources = ", ".join(result.node(a.source).label for a in arrivals)
    if k >= run_at(result, node_id):
        values = tuple(a.value for a in arrivals)
        total = f"{terms(values)} = {short(node.grad)}" if len(values) > 1 else short(node.grad)
        return f"∂{f}/∂{name} = {total} (from {sources})"
    step = f"runs at step {run_at(result, node_id)} of {len(result.order)}"
    if arrivals:
        return f"∂{f}/∂{name}: {step}; arrived so far {terms(tuple(a.value for a in arrivals))} (from {sources})"
    return f"∂{f}/∂{name}: nothing has arrived yet; {step}"


def detail_lines(result: BackwardPass, node_id: str, k: int) -> list[str]:
    """What the panel under the graph says about the selected node after k steps (markup)."""
    node = result.node(node_id)
    if node.leaf is not None:
        leaf = result.leaves[node.leaf]
        paths = len(node.arrivals)
        reached = f" · reached by {paths} paths, summed by AccumulateGrad" if paths > 1 else ""
        return [
            f"[b]{node.leaf}[/] leaf tensor, requires_grad=True ({node.id} AccumulateGrad) · value {short(node.value)}{reached}",
            escape(grad_text(result, leaf, k)),
        ]
    inputs = ", ".join(result.node(target).label for target in node.inputs) or "none"
    lines = [f"[b]{node.id} {node.op}[/] · forward value {short(node.value)} · inputs {inputs}", escape(adjoint_text(result, node_id, k))]
    ran = k >= run_at(result, node_id)
    for index, edge in enumerate(node.edges):
        if ran:
            lines.append(escape(result.chain_rule(node_id, index)))
        else:
            target = result.node(edge.target).label
            lines.append(f"∂{node.label}/∂{target} = {short(edge.local)} (local derivative; sends ∂{result.output}/∂{node.label} × it)")
    return lines


def grad_cell(result: BackwardPass, leaf: LeafGrad, k: int) -> str:
    """The check table's .grad, what the tensor holds after k steps: the earlier .grad until AccumulateGrad runs,
    then the new one (the selected leaf's panel writes out how it is made up)."""
    if leaf.node is not None and k < run_at(result, leaf.node):
        return short(leaf.grad_before)
    return short(leaf.grad)


def pass_cell(result: BackwardPass, leaf: LeafGrad, k: int) -> str:
    """This backward()'s gradient for the leaf: what has arrived so far (`0.8415 …`: more is on its way), then
    the sum AccumulateGrad adds to .grad (`0.8415 + 0.5403 = 1.3818` when several paths reach the leaf)."""
    if leaf.node is None:
        return "·"
    arrived = result.arrived(k)[leaf.node]
    if k < run_at(result, leaf.node):
        more = " …" if len(arrived) < len(result.node(leaf.node).arrivals) else ""
        return f"{terms(arrived, 2)}{more}" if arrived else "·"
    if len(leaf.contributions) > 1:
        return f"{terms(leaf.contributions, 2)} = {short(leaf.received)}"
    return short(leaf.received)


def check_table(result: BackwardPass, k: int, values: bool) -> Table:
    """Each leaf: .grad after k steps (and its value, for the network's changing parameters), then this pass's
    gradient on its own (what backward() adds to .grad: .grad itself only on fresh leaves) against SymPy and the
    50-digit reference. The difference is this pass's, as its header says: an accumulated .grad is the sum of
    several passes, not the derivative."""
    table = Table(box=None, padding=(0, 0, 0, 1), pad_edge=False, header_style="dim", expand=False)
    table.add_column("leaf", no_wrap=True)
    if values:
        table.add_column("value", justify="right", no_wrap=True)
    table.add_column(".grad", justify="right", no_wrap=True)
    table.add_column("this pass", overflow="fold")
    table.add_column("exact (SymPy)", justify="right", no_wrap=True)
    table.add_column("50-digit ref", justify="right", no_wrap=True)
    table.add_column("pass − ref", justify="right", no_wrap=True)
    for leaf in result.leaves.values():
        done = leaf.node is not None and k >= run_at(result, leaf.node)
        difference = f"{leaf.difference:.1e}" if done and math.isfinite(leaf.difference) else "·"
        reference = f"{leaf.reference:.10g}" if math.isfinite(leaf.reference) else "undefined"
        value = (short(leaf.value),) if values else ()
        cells = (grad_cell(result, leaf, k), pass_cell(result, leaf, k), f"{leaf.exact:.10g}", reference, difference)
        table.add_row(leaf.name, *value, *cells)
    return table


def graph_marks(result: BackwardPass, k: int, cursor: str | None) -> GraphMarks:
    """The graph after k steps: each node's gradient so far, and which nodes and edges have run."""
    arrived = result.arrived(k)
    step = {node: index + 1 for index, node in enumerate(result.order)}
    values: dict[str, str] = {}
    nodes: dict[str, str] = {}
    edges: dict[tuple[str, int], str] = {}
    for node in result.nodes:
        state = CURRENT if step[node.id] == k else DONE if step[node.id] < k else PENDING
        nodes[node.id] = state
        for index in range(len(node.edges)):
            edges[node.id, index] = state
        if node.leaf is not None:
            leaf = result.leaves[node.leaf]
            values[node.id] = compact(leaf.grad if step[node.id] <= k else leaf.grad_before)
        elif step[node.id] <= k:
            values[node.id] = compact(node.grad)
        elif arrived[node.id]:  # "…": more gradients are on their way
            more = len(arrived[node.id]) < len(node.arrivals)
            values[node.id] = compact(sum(arrived[node.id])) + ("…" if more else "")
    return GraphMarks(values, nodes, edges, cursor)


def point_text(value: float) -> str:
    return f"{value:.6g}"


class BackpropScreen(SteppingScreen[BackpropRequest, BackpropView]):
    CSS_PATH = "style.tcss"
    STEPS_PER_SECOND = 3  # `r` runs backward() at a pace the eye can follow
    WORK = "backprop"
    HELP_PATH = "help.md"
    PRESETS = PRESETS
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "step", "Step"),
        Binding("r", "run", "Run"),
        Binding("backspace", "reset", "Reset"),
        Binding("end", "to_end", "To end", show=False),
        Binding("b", "backward_again", "Backward again"),
        Binding("z", "zero_grad", "zero_grad"),
        Binding("o", "sgd_step", "SGD step"),
        Binding("s", "next_source", "Source"),
        Binding("up", "move_cursor(0, -1)", "Node", key_display="←↑↓→"),
        Binding("down", "move_cursor(0, 1)", "Node↓", show=False),
        Binding("left", "move_cursor(-1, 0)", "Node←", show=False),
        Binding("right", "move_cursor(1, 0)", "Node→", show=False),
        Binding("home", "cursor_home", "Output", show=False),
        Binding("pageup", "move_cursor(0, -10)", "10 layers up", show=False),
        Binding("pagedown", "move_cursor(0, 10)", "10 layers down", show=False),
        Binding("less_than_sign,comma,shift+left", "move_point(0, -1)", "x0", key_display="< >"),
        Binding("greater_than_sign,full_stop,shift+right", "move_point(0, 1)", "x0→", show=False),
        Binding("shift+down", "move_point(1, -1)", "y0↓", show=False),
        Binding("shift+up", "move_point(1, 1)", "y0↑", show=False),
        Binding("left_square_bracket,minus", "shift_lr(-1)", "lr−", show=False),
        Binding("right_square_bracket,plus,equals_sign", "shift_lr(1)", "lr", show=False),
    ]

    def __init__(self) -> None:
        super().__init__(compute_backprop)
        self.source = LAB
        self.cursor = "n0"  # the selected node
        self.shown: BackpropView | None = None  # the last view with a pass: what the graph shows
        # What the next pass starts from, beyond the shared state: the leaves' .grad, and the network's training.
        self.grads: tuple[float | None, ...] | None = None
        self.calls = 1
        self.step: float | None = None
        self.network: tuple[float, ...] = ()  # () = the network's starting weights
        self.losses: tuple[float, ...] = ()
        self.learning_rate = NETWORK_LEARNING_RATE
        self._grads_of: object = None  # the function, point and precision that `grads` belong to
        self._end_for: BackpropRequest | None = None  # a request whose pass is shown already run (b, o)
        self.add_class(SOURCE_CLASSES[LAB])

    # -- layout -----------------------------------------------------------------------------------

    def compose_sidebar(self) -> ComposeResult:
        lab, surface = self.state.lab, self.state.surface
        yield Static("", id="source", classes="panel")
        yield FunctionInput(lab.function, history=lab.history, id="lab-function")
        yield FunctionInput(surface.function, variables=("x", "y"), history=surface.history, id="surface-function")
        yield Static(f"[b]{NETWORK_FORMULA}[/]", id="network-formula", classes="panel")
        with Vertical(id="point", classes="panel"):
            for axis, name in enumerate(("x0", "y0")):
                yield NumberField(0.0, f"{name} =", name=name, check=self.inside_the_box(axis), show_value=point_text, classes="")
        yield LogValueInput(self.learning_rate, "lr =", name="lr", bounds=LEARNING_RATE_BOUNDS, id="lr")
        yield Static("", id="grad-state", classes="panel")

    def compose_main(self) -> ComposeResult:
        with Vertical(id="main"):
            yield Static("", id="graph-title")
            yield GraphView(id="graph")
            yield Static("", id="node-detail")
            yield Static("", id="leaves")

    @property
    def function_input(self) -> FunctionInput:
        return self.query_one("#surface-function" if self.source == SURFACE else "#lab-function", FunctionInput)

    # -- the state and the request ------------------------------------------------------------------

    def point(self) -> tuple[float, ...]:
        if self.source == LAB:
            return (self.state.lab.x0,)
        if self.source == SURFACE:
            return self.state.surface.start
        return self.network

    def function(self) -> str:
        return {LAB: self.state.lab.function, SURFACE: self.state.surface.function}.get(self.source, "")

    def _owner(self) -> object:
        precision = self.state.precision
        return (self.source, self.function(), self.point() if self.source != NETWORK else (), precision.dtype, precision.device)

    def request(self) -> BackpropRequest | None:
        precision = self.state.precision
        if precision.device is None:
            return None
        # .grad belongs to the leaves of one function at one point: anything else starts from fresh leaves.
        # The network keeps the parameters it has reached (another dtype, or a visit to f(x), does not undo training).
        owner = self._owner()
        if owner != self._grads_of:
            self._grads_of = owner
            if self.shown is not None and self.shown.request.source == NETWORK:
                self.network, self.losses = self.shown.point, self.shown.losses[:-1]
            self.grads, self.calls, self.step = None, 1, None
        return BackpropRequest(
            self.source, self.function(), self.point(), self.grads, self.calls, self.step, self.losses if self.source == NETWORK else (),
            precision.dtype, precision.device,
        )  # fmt: skip

    def show_state(self) -> None:
        for name, css_class in SOURCE_CLASSES.items():
            self.set_class(self.source == name, css_class)
        lab, surface = self.state.lab, self.state.surface
        self.query_one("#lab-function", FunctionInput).show(lab.function, lab.history)
        self.query_one("#surface-function", FunctionInput).show(surface.function, surface.history)
        self.query_one("#source", Static).update(f"source [dim](s)[/]: {SOURCE_TEXT[self.source]}")
        point = self.point()
        for index, name in enumerate(("x0", "y0")):
            if index < len(point) and self.source != NETWORK:
                self.query_one(f"#{name}", NumberField).show(point[index])
        self.query_one(LogValueInput).show(self.learning_rate)
        self.show_grad_state()

    def show_loading(self) -> None:
        self.query_one("#graph-title", Static).update("[dim]loading torch… the graph is torch's own, so it needs torch[/]")

    def show_grad_state(self) -> None:
        shown = self.shown
        runs = 0
        if shown is not None and shown.result is not None:
            runs = shown.request.calls - 1 + (self.k >= len(shown.result.order))
        lines = [f"backward() runs since zero_grad(): [b]{runs}[/]", "[dim]b again (.grad adds up) · z zero_grad[/]"]
        if self.source == NETWORK:
            lines.append("[dim]o SGD step · \\[ ] lr[/]")
        self.query_one("#grad-state", Static).update("\n".join(lines))

    def before_compute(self, request: BackpropRequest) -> None:
        self.stop_running()

    def on_new_view(self, view: BackpropView) -> None:
        result = view.result
        if result is None:
            return
        previous = self.shown.result if self.shown is not None else None
        same_graph = previous is not None and [(n.id, n.op) for n in previous.nodes] == [(n.id, n.op) for n in result.nodes]
        if not same_graph or self.cursor not in {n.id for n in result.nodes}:
            self.cursor = result.nodes[0].id
        self.k = len(result.order) if view.request == self._end_for else 0
        self.shown = view

    def notice(self, view: BackpropView) -> str:
        if view.error is not None:
            kept = "; the graph is the last good one" if self.shown is not None else ""
            return f"[red]✗ {escape(view.error)}[/]{kept}"
        if view.result is not None and view.result.notice:
            return f"[yellow]{escape(view.result.notice)}[/]"
        return ""

    def summary(self) -> str:
        if self.source != NETWORK:
            return super().summary()
        precision = self.state.precision
        details = f"[b]tiny network[/] · lr = {self.learning_rate:g} · {precision.dtype} on {precision.device_label}"
        return f"{details} [dim](\\ shows the panels)[/]"

    def summary_details(self) -> list[str]:
        point = self.point()
        names = ("x0", "y0")
        return [", ".join(f"{names[i]} = {value:.4g}" for i, value in enumerate(point))]

    # -- drawing ------------------------------------------------------------------------------------

    def draw(self, view: BackpropView) -> None:
        self.show_grad_state()
        shown = self.shown
        title = self.query_one("#graph-title", Static)
        if shown is None or shown.result is None or shown.layout is None:
            title.update(f"[red]✗ {escape(view.error)}[/]" if view.error else "")
            return
        result = shown.result
        self.k = min(self.k, len(result.order))
        error = f"\n[red]✗ {escape(view.error)}[/] [dim](the graph is the last good one)[/]" if view.error else ""
        title.update(self.title_text(shown) + error)
        self.query_one(GraphView).show(shown.layout, graph_marks(result, self.k, self.cursor))
        self.query_one("#node-detail", Static).update("\n".join(detail_lines(result, self.cursor, self.k)))
        network = shown.request.source == NETWORK
        table = check_table(result, self.k, values=network)
        leaves: RenderableType = Group(table, Text.from_markup(self.loss_line(shown))) if shown.request.source == NETWORK else table
        self.query_one("#leaves", Static).update(leaves)

    def title_text(self, view: BackpropView) -> str:
        result = view.result
        assert result is not None
        at = ", ".join(f"{name} = {value:.6g}" for name, value in result.point.items())
        if view.request.source == NETWORK:
            x, t = view.data or (math.nan, math.nan)
            head = f"[b]{NETWORK_FORMULA}[/] at x = {x:g}, t = {t:g} : L = {short(result.value)}"
        else:
            expression = result.expression if len(result.expression) <= TITLE_LENGTH else result.expression[: TITLE_LENGTH - 1] + "…"
            head = f"[b]f = {escape(expression)}[/] at {at}: f = {short(result.value)}"
        total, k = len(result.order), self.k
        if k == 0:
            state = f"backward(): {total} nodes to run [dim](space steps, r runs, End jumps)[/]"
        elif k < total:
            node = result.node(result.order[k - 1])
            state = f"backward(): step {k} of {total}, {node.label} {node.op} ran{' (running)' if self.running else ''}"
        else:
            state = f"backward(): done, {total} of {total} [dim](b runs it again, z zeroes .grad)[/]"
        legend = " · [dim]after each node: the gradient that has reached it; after a leaf: its .grad[/]"
        return f"{head} · [dim]{result.dtype}[/]\n{state}{legend if self.has_class('-wide') else ''}"

    def loss_line(self, view: BackpropView) -> str:
        losses = view.losses
        arrow = " -> " if self.state.look.ascii else " → "  # the ASCII filter would make → a '>', which reads as 'greater than'
        shown = arrow.join(short(loss) for loss in losses[-LOSS_HISTORY:])
        more = f"…{arrow}" if len(losses) > LOSS_HISTORY else ""
        steps = len(losses) - 1
        return f"loss after {steps} SGD step{'s' if steps != 1 else ''} (lr {self.learning_rate:g}): {more}{shown}"

    def redraw(self) -> None:
        if self.view is not None:
            self.draw(self.view)

    # -- stepping through backward() ---------------------------------------------------------------

    @property
    def result(self) -> BackwardPass | None:
        return self.shown.result if self.shown is not None else None

    def last_step(self) -> int | None:
        result = self.result
        return len(result.order) if result is not None else None

    def on_step(self) -> None:
        if self.result is not None:
            self.cursor = self.result.order[self.k - 1]

    # -- .grad between passes, and the network's SGD step ---------------------------------------------

    def _current(self) -> BackpropView | None:
        """The view the next pass builds on; None (and a word in the status line) when there is no good one here."""
        view = self.view
        if view is None or view.result is None or self.computation.busy:
            self.set_status("[yellow]no pass to build on here: fix f or the point first[/]" if view is not None else "")
            return None
        return view

    def _continue(self, view: BackpropView, grads: tuple[float | None, ...] | None, calls: int, step: float | None, to_end: bool) -> None:
        """The next pass on the same leaves: .grad carried (or zeroed), for the network at the parameters reached."""
        self.stop_running()
        if self.source == NETWORK:
            self.network = view.point
            self.losses = view.losses if step is not None else view.losses[:-1]
        self._grads_of = self._owner()
        self.grads, self.calls, self.step = grads, calls, step
        self._end_for = self.request() if to_end else None
        if not to_end:
            self.k = 0
        self.refresh_from_state()

    def action_backward_again(self) -> None:
        view = self._current()
        if view is None or view.result is None:
            return
        grads = tuple(view.result.grads.values())
        if not all(grad is None or math.isfinite(grad) for grad in grads):
            self.set_status("[yellow]a .grad here is not finite: adding another backward() to it shows nothing new[/]")
            return
        self._continue(view, grads, view.request.calls + 1, None, to_end=True)

    def action_zero_grad(self) -> None:
        view = self._current()
        if view is None:
            return
        self._continue(view, None, 1, None, to_end=False)

    def action_sgd_step(self) -> None:
        if self.source != NETWORK:
            self.notify("o takes an SGD step on the tiny network: press s until the source is the network (or F8)", timeout=4)
            return
        view = self._current()
        if view is None or view.result is None:
            return
        self._continue(view, tuple(view.result.grads.values()), 1, self.learning_rate, to_end=True)

    def action_shift_lr(self, steps: int) -> None:
        if self.source == NETWORK:
            self.query_one(LogValueInput).shift(steps)

    def value_changed(self, name: str, value: float) -> None:
        if name == "lr":
            self.learning_rate = value
            self.query_one(LogValueInput).show(value)
            self.redraw()

    # -- the source, the function and the point ----------------------------------------------------------

    def action_next_source(self) -> None:
        self.set_source(SOURCES[(SOURCES.index(self.source) + 1) % len(SOURCES)])

    def set_source(self, source: str) -> None:
        self.stop_running()
        self.source = source
        for field in self.query(NumberField):
            field.clear_error()
        self.refresh_from_state()

    def action_focus_function(self) -> None:
        if self.source == NETWORK:  # the network's loss is fixed: typing a function means f(x)
            self.set_source(LAB)
        self.call_after_refresh(self.function_input.focus_formula)

    def function_applied(self, text: str) -> None:
        if self.source == SURFACE:
            self.state.surface = with_function(self.state.surface, text)
        else:
            self.state.lab = with_function(self.state.lab, text)

    def apply_preset(self, preset: Preset) -> None:
        if preset.function == NETWORK_FORMULA:  # the starting weights again, fresh leaves
            self.stop_running()
            self.source = NETWORK
            self.network, self.losses, self.grads, self.calls, self.step = (), (), None, 1, None
            self._grads_of = self._owner()
        elif preset.y_range is not None and preset.x_range is not None:
            surface = with_function(self.state.surface, preset.function)
            surface = replace(surface, x_min=preset.x_range[0], x_max=preset.x_range[1], y_min=preset.y_range[0], y_max=preset.y_range[1])
            if preset.start is not None:
                surface = replace(surface, start=(preset.start[0], preset.start[1]))
            if preset.learning_rate is not None:
                surface = replace(surface, learning_rate=preset.learning_rate)
            self.source = SURFACE
            self.state.surface = surface
        else:
            self.source = LAB
            self.state.lab = with_function(self.state.lab, preset.function)
        self.refresh_from_state()

    def action_move_point(self, axis: int, direction: int) -> None:
        if self.source == LAB and axis == 0:
            self.state.lab = self.state.lab.move_x0(direction)
        elif self.source == SURFACE:
            self.state.surface = self.state.surface.move_start_along(axis, direction)
        elif self.source == NETWORK:
            self.notify("the network's point is its parameters: o takes an SGD step", timeout=3)

    def inside_the_box(self, axis: int) -> Check:
        """x0 (and y0) must lie in the range of the function's own demo: Compare's x range, or the gradient field's box."""

        def check(value: float, text: str) -> str | None:
            if self.source == LAB:
                return within(self.state.lab.x_min, self.state.lab.x_max, "inside Compare's x range")(value, text)
            surface = self.state.surface
            low, high = (surface.x_min, surface.x_max) if axis == 0 else (surface.y_min, surface.y_max)
            return within(low, high, "inside the gradient field's box")(value, text)

        return check

    @on(NumberField.Applied, "#x0, #y0")
    def point_applied(self, event: NumberField.Applied) -> None:
        if self.source == LAB:
            self.state.lab = replace(self.state.lab, x0=event.value)
        else:
            start = list(self.state.surface.start)
            start[0 if event.name == "x0" else 1] = event.value
            self.state.surface = replace(self.state.surface, start=(start[0], start[1]))

    # -- the cursor -------------------------------------------------------------------------------------

    def action_move_cursor(self, dx: int, dy: int) -> None:
        shown = self.shown
        if shown is None or shown.layout is None:
            return
        layout = shown.layout
        layers = [list(layer) for layer in layout.layers]
        row = next((i for i, layer in enumerate(layers) if self.cursor in layer), 0)
        if dy:
            target_row = min(max(row + dy, 0), len(layers) - 1)
            here = layout.boxes.get(self.cursor)
            center = here.x + here.width / 2 if here is not None else 0.0
            candidates = layers[target_row]
            self.cursor = min(candidates, key=lambda n: abs(layout.boxes[n].x + layout.boxes[n].width / 2 - center))
        else:
            layer = layers[row]
            index = layer.index(self.cursor) if self.cursor in layer else 0
            self.cursor = layer[min(max(index + dx, 0), len(layer) - 1)]
        self.redraw()

    def action_cursor_home(self) -> None:
        if self.result is not None:
            self.cursor = self.result.nodes[0].id
            self.redraw()
