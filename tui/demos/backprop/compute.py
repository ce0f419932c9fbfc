"""Demo 5's work: one real backward() through torch's graph of f at a point (or of the tiny network), laid out to draw.

The request says everything the pass depends on, the `.grad` state included: the leaves'
.grad before backward() (`grads`, None for fresh leaves) is what makes a second backward()
accumulate, and for the network an SGD step (`step`) taken first with those grads. So the
same request always gives the same view, and the screen builds the next request from the
view it shows (backward again, zero_grad, one more SGD step).

An expected user error (f undefined at the point, a constant f, a graph too large) comes back
as a view with `error` set instead of raising: the screen keeps its last good graph, says why
in its status line, and no failure notice pops up for what is a normal thing to try (moving x0
onto the pole of log(x)). Anything else raises, and the runner reports it as a failure.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from tui.export import Table
from tui.graph_layout import GraphLayout, Shape, layout_graph

if TYPE_CHECKING:
    from engine.backprop import BackwardPass
    from engine.expression import Expression

LAB = "f(x)"  # the lab's f(x) at its x0 (Compare's tangent point)
SURFACE = "f(x, y)"  # the gradient field's f(x, y) at its start point
NETWORK = "network"  # L = (w2·tanh(w1·x + b1) + b2 − t)² at its parameters
SOURCES = (LAB, SURFACE, NETWORK)
NETWORK_FORMULA = "L = (w2·tanh(w1·x + b1) + b2 − t)²"  # engine.network.FORMULA, without importing torch here
NETWORK_LEARNING_RATE = 0.05  # engine.network.DEFAULT_LEARNING_RATE


@dataclass(frozen=True)
class BackpropRequest:
    source: str  # LAB, SURFACE or NETWORK
    function: str  # f as typed ("" for the network)
    point: tuple[float, ...]  # x0, or (x0, y0); the network's (w1, b1, w2, b2), () for its starting weights
    grads: tuple[float | None, ...] | None = None  # each leaf's .grad before backward(); None: fresh leaves
    calls: int = 1  # backward() calls since the grads were last zeroed, this one included
    step: float | None = None  # network only: first an SGD step p ← p − step·p.grad with `grads`, then a fresh backward()
    losses: tuple[float, ...] = ()  # network only: the loss at each earlier set of parameters
    dtype: str = "float64"
    device: str = "cpu"


@dataclass(frozen=True)
class BackpropView:
    request: BackpropRequest
    result: BackwardPass | None  # every number of the pass (plain floats and strings); None with `error`
    layout: GraphLayout | None
    error: str | None = None  # why there is no pass here
    point: tuple[float, ...] = ()  # the leaves' values (the network's parameters after the step)
    losses: tuple[float, ...] = ()  # network: the loss at every set of parameters so far, this one last
    data: tuple[float, float] | None = None  # network: its one training example (x, t)

    def tables(self) -> dict[str, Table]:
        """For export (x): every node of the graph, each leaf's .grad with its check, and the network's losses."""
        result = self.result
        if result is None:
            return {}
        step = {node: index + 1 for index, node in enumerate(result.order)}
        nodes = Table(
            ("id", "op", "label", "depth", "value", "grad", "inputs", "step"),
            [(n.id, n.op, n.label, n.depth, n.value, n.grad, " ".join(n.inputs), step.get(n.id)) for n in result.nodes],
        )
        # `this_pass` is what this backward() added to .grad; `difference` is this_pass − reference (as on screen)
        leaves = Table(
            ("leaf", "value", "grad_before", "grad", "this_pass", "contributions", "exact", "reference", "difference"),
            [
                (
                    leaf.name,
                    leaf.value,
                    leaf.grad_before,
                    leaf.grad,
                    leaf.received,
                    " ".join(repr(c) for c in leaf.contributions),
                    leaf.exact,
                    leaf.reference,
                    leaf.difference,
                )
                for leaf in result.leaves.values()
            ],
        )
        tables = {"nodes": nodes, "leaves": leaves}
        if self.losses:
            tables["losses"] = Table(("step", "loss"), list(enumerate(self.losses)))
        return tables


def op_name(op: str) -> str:
    """`MulBackward0` -> `Mul`: torch's node class without the suffix, as the graph's boxes show it."""
    for suffix in ("Backward0", "Backward1", "Backward2"):
        if op.endswith(suffix):
            return op[: -len(suffix)]
    return op


def graph_shapes(result: BackwardPass) -> tuple[Shape, ...]:
    """The graph as the layout needs it: `Mul n0` for an operation, `x.grad` for a leaf."""
    return tuple(Shape(node.id, box_text(node.op, node.id, node.leaf), node.label, node.depth, node.inputs) for node in result.nodes)


def box_text(op: str, id: str, leaf: str | None) -> str:
    return f"{leaf}.grad" if leaf is not None else f"{op_name(op)} {id}"


@lru_cache(maxsize=16)
def graph_layout(shapes: tuple[Shape, ...]) -> GraphLayout:
    """Laid out once per graph: backward() again, zero_grad, an SGD step or a new point keep torch's graph as it was."""
    return layout_graph(shapes)


@lru_cache(maxsize=16)
def _parse(text: str, variables: tuple[str, ...]) -> Expression:
    """Parsed once per function: moving the point or running backward() again parses nothing."""
    from engine.expression import parse_expression

    return parse_expression(text, variables)


def compute_backprop(request: BackpropRequest) -> BackpropView:
    from engine.backprop import BackpropError, backprop
    from engine.devices import parse_dtype
    from engine.network import Network, network_backprop, sgd_step
    from engine.syntax import ExpressionError

    dtype, device = parse_dtype(request.dtype), request.device
    try:
        if request.source == NETWORK:
            network = Network(*request.point) if request.point else Network()
            grads = dict(zip(network.parameters, request.grads, strict=True)) if request.grads is not None else None
            if request.step is not None:
                network = sgd_step(network, grads or {}, request.step, dtype, device)
                grads = None  # zero_grad, then backward() at the new parameters
            result = network_backprop(network, dtype, device, grads)
        else:
            variables = ("x", "y") if request.source == SURFACE else ("x",)
            expression = _parse(request.function, variables)
            at = dict(zip(variables, request.point, strict=True))
            grads = dict(zip(variables, request.grads, strict=True)) if request.grads is not None else None
            result = backprop(expression, at, dtype, device, grads)
    except (BackpropError, ExpressionError) as error:
        return BackpropView(request, None, None, str(error), request.point, request.losses)
    point = tuple(result.point.values())
    if request.source != NETWORK:
        return BackpropView(request, result, graph_layout(graph_shapes(result)), None, point)
    example = Network()
    losses = (*request.losses, result.value)
    return BackpropView(request, result, graph_layout(graph_shapes(result)), None, point, losses, (example.x, example.t))
