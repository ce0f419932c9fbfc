"""Backprop on torch's own autograd graph: every node, value and gradient captured from the real backward().

f is evaluated on leaf tensors with requires_grad=True while a TorchFunctionMode
records each operation's output (keyed by the grad_fn torch gives it). The graph
is torch's: the walk starts at the output's grad_fn and follows next_functions to
the AccumulateGrad node of each leaf. Before backward() each node is called once
with a gradient of 1, which is torch's own backward formula giving the local
derivatives (exact, and defined even where the adjoint will be 0); during
backward() pre-hooks record the order torch's engine runs the nodes and the
adjoint each one receives, and post-hooks record the gradient each sends along
every edge. Nothing shown is re-derived by hand.

The graph is torch's graph of f as typed, not of SymPy's rewrite of it: `x*x` is a MulBackward0
whose two edges go to x (SymPy would make it x**2), `x - x` is a SubBackward0. A piece of text
typed twice identically (`sin(x)` in `sin(x)^2 + sin(x)*x`) is computed once, as if the user had
written `s = sin(x)` and used s twice: its one node feeds both uses, so a value used twice in the
middle of the graph shows as fan-out, and the gradients of both uses are summed at that node. Type
it differently (`sin(1*x)`) for two separate nodes. Only the exact derivative and the 50-digit
reference come from SymPy.

Accumulation is explicit state: `backprop(..., grads=previous.grads)` puts the
earlier .grad values on the leaves before backward(), so torch's AccumulateGrad
adds to them exactly as in a training loop that forgot `zero_grad()`.

The results are plain floats, strings and tuples, so a screen can draw them
without touching torch.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any, cast

import torch
from torch.autograd.graph import Node, get_gradient_edge
from torch.overrides import TorchFunctionMode

from engine.compiled import EvaluationError, TorchCallable, compile_expression
from engine.devices import dtype_name
from engine.expression import Expression
from engine.namespaces import TORCH_NAMESPACE
from engine.syntax import MAX_LENGTH, Typed, parse_typed

# Every torch node of a parsed function comes from an operator or a function name in the text, and each
# takes at least two characters ("+x", "^2"), so the parser's 500-character limit gives about 250 nodes
# (253 is the most we could build: x^2*y + x^3*y + ... in parentheses). One node per character allowed is
# twice that: no function the parser accepts is refused, yet a graph built some other way stays bounded.
MAX_GRAPH_NODES = MAX_LENGTH
SEED = "backward()"  # the source of the gradient 1 that backward() starts the output with

# .grad of each leaf between backward() calls; None is a .grad that was never set (or zero_grad(set_to_none=True)).
Grads = Mapping[str, float | None]


class BackpropError(ValueError):
    """The function cannot be traced at this point: no graph, an undefined value, a graph too large, a bad point."""


@dataclass(frozen=True)
class Arrival:
    """One gradient reaching a node along one edge, during backward()."""

    source: str  # id of the node that sent it, or SEED for the 1 backward() starts the output with
    value: float


@dataclass(frozen=True)
class Edge:
    """An edge from a node to one of its inputs (torch's next_functions), with what flowed along it."""

    target: str  # id of the input's node
    local: float  # ∂(this node's output)/∂(that input): torch's backward formula with adjoint 1
    sent: float  # the gradient torch sent along this edge in backward(): adjoint × local


@dataclass(frozen=True)
class GraphNode:
    """One node of torch's graph: an operation's backward (SinBackward0, ...) or a leaf's AccumulateGrad."""

    id: str  # n0 is the output; ids grow with the distance from it (breadth first)
    op: str  # torch's class name: MulBackward0, PowBackward0, AccumulateGrad, ...
    label: str  # the leaf's name (x, w1) for AccumulateGrad, else the id
    leaf: str | None  # the leaf's name for AccumulateGrad, else None
    depth: int  # the longest path from the output: every edge goes to a larger depth
    value: float  # forward output of the operation (the leaf's value for AccumulateGrad)
    edges: tuple[Edge, ...]  # to the inputs that need a gradient, in torch's order
    grad: float  # the adjoint ∂f/∂(output) that arrived: the sum of `arrivals` (1 at the output)
    arrivals: tuple[Arrival, ...]  # the gradients that reached it, one per incoming edge (the seed at n0), in arrival order

    @property
    def inputs(self) -> tuple[str, ...]:
        return tuple(edge.target for edge in self.edges)


@dataclass(frozen=True)
class LeafGrad:
    """A leaf tensor after backward(): its .grad, how the gradient reached it, and the check against SymPy."""

    name: str
    node: str | None  # id of its AccumulateGrad node; None when f does not depend on it (torch never reaches it)
    value: float
    grad_before: float | None  # .grad before this backward()
    grad: float | None  # .grad after it: grad_before + received (None if never set)
    received: float | None  # what this backward() added: torch's sum of the contributions (None if never reached)
    contributions: tuple[float, ...]  # the gradients that arrived along each path, in arrival order
    exact: float  # SymPy's ∂f/∂leaf, evaluated in the working dtype
    reference: float  # ∂f/∂leaf to 50 digits (mpmath), rounded to float64; NaN where f or it is undefined

    @property
    def difference(self) -> float:
        """This backward()'s gradient minus the 50-digit reference (NaN when backward() never reached the leaf)."""
        return math.nan if self.received is None else self.received - self.reference

    def sum_text(self) -> str:
        """`x.grad = 0.8415 + 0.5403 = 1.3818`, with the earlier .grad in front when it accumulates."""
        terms = signed_sum(self.contributions) or "0"
        if self.grad_before is not None:
            terms = f"{short(self.grad_before)} + ({terms})"
        if len(self.contributions) > 1 or self.grad_before is not None:
            terms = f"{terms} = {short(self.grad)}"
        return f"{self.name}.grad = {terms}" if self.grad is not None else f"{self.name}.grad = None (not reached)"


@dataclass(frozen=True)
class BackwardPass:
    """One forward evaluation and one real backward() through torch's graph, every number captured."""

    expression: str  # the function as typed (or the network's formula)
    output: str  # what the output is called in the chain-rule text: f, or L for the network's loss
    point: dict[str, float]  # each leaf's value as the working dtype holds it
    value: float  # f at the point
    dtype: str
    device: str
    nodes: tuple[GraphNode, ...]  # n0 (the output) first
    order: tuple[str, ...]  # node ids in the order torch's engine ran them
    leaves: dict[str, LeafGrad]  # by name, in the order of the variables
    notice: str | None = None  # a gradient that is not finite, or a leaf backward() never reached

    def node(self, id: str) -> GraphNode:
        return next(node for node in self.nodes if node.id == id)

    @property
    def grads(self) -> dict[str, float | None]:
        """Each leaf's .grad after this backward(): the state to pass to the next one (or to zero_grad)."""
        return {name: leaf.grad for name, leaf in self.leaves.items()}

    def chain_rule(self, node_id: str, edge_index: int) -> str:
        """`∂f/∂x = ∂f/∂n0 · ∂n0/∂x = 1.0000 × 0.8415 = 0.8415`: what one edge sent, as the chain rule."""
        node = self.node(node_id)
        edge = node.edges[edge_index]
        v, u = node.label, self.node(edge.target).label
        f = self.output
        return f"∂{f}/∂{u} = ∂{f}/∂{v} · ∂{v}/∂{u} = {short(node.grad)} × {short(edge.local)} = {short(edge.sent)}"

    def arrived(self, steps: int) -> dict[str, tuple[float, ...]]:
        """For each node, the gradients that have reached it once torch has run the first `steps` nodes of `order`."""
        done = {SEED, *self.order[:steps]}
        return {node.id: tuple(a.value for a in node.arrivals if a.source in done) for node in self.nodes}


def short(value: float | None) -> str:
    """A number for the chain-rule text: 4 decimals, or 4 significant digits in scientific form when tiny or huge."""
    if value is None:
        return "None"
    if not math.isfinite(value):
        return str(value)
    if value == 0 or 1e-3 <= abs(value) < 1e6:
        return f"{value:.4f}"
    return f"{value:.4e}"


def signed_sum(values: Iterable[float]) -> str:
    """`0.9093 − 0.8323 + 0.1000`: a sum as one writes it, a negative term after the first as a subtraction."""
    text = ""
    for value in values:
        if not text:
            text = short(value)
        elif value < 0:
            text += f" − {short(-value)}"
        else:
            text += f" + {short(value)}"
    return text


def zero_grad(grads: Grads, set_to_none: bool = True) -> dict[str, float | None]:
    """optimizer.zero_grad(): every .grad back to None (torch's default) or to 0."""
    return dict.fromkeys(grads, None if set_to_none else 0.0)


# -- the capture ------------------------------------------------------------------------------------


class _OutputRecorder(TorchFunctionMode):
    """Keeps the output tensor of every torch operation that creates a graph node, keyed by that node."""

    def __init__(self) -> None:
        super().__init__()
        self.outputs: dict[Node, torch.Tensor] = {}

    def __torch_function__(
        self, func: Callable[..., Any], types: Iterable[type], args: tuple[Any, ...] = (), kwargs: dict[str, Any] | None = None
    ) -> Any:
        result = func(*args, **(kwargs or {}))
        if isinstance(result, torch.Tensor) and result.grad_fn is not None:
            self.outputs.setdefault(result.grad_fn, result)
        return result


@dataclass(frozen=True)
class Traced:
    """A forward evaluation ready for backward(): the output, the named leaves and the recorded outputs."""

    output: torch.Tensor
    leaves: dict[str, torch.Tensor]
    outputs: dict[Node, torch.Tensor]


def trace(function: Callable[..., torch.Tensor], leaves: dict[str, torch.Tensor]) -> Traced:
    """Run function(*leaves) with the recorder on, so every node's forward value is known."""
    recorder = _OutputRecorder()
    with torch.enable_grad(), recorder:
        output = function(*leaves.values())
    return Traced(output, leaves, recorder.outputs)


def make_leaves(values: Mapping[str, float], dtype: torch.dtype, device: torch.device | str) -> dict[str, torch.Tensor]:
    """Leaf tensors with requires_grad=True, each value rounded once from float64 to the working dtype."""
    leaves = {}
    for name, value in values.items():
        leaf = torch.tensor(float(value), dtype=torch.float64).to(device=device, dtype=dtype)
        if not torch.isfinite(leaf):
            raise BackpropError(f"{name} = {value:g} is beyond the range of {dtype_name(dtype)} (it rounds to {float(leaf)})")
        leaves[name] = leaf.requires_grad_(True)
    return leaves


def _walk(root: Node, max_nodes: int) -> list[Node]:
    """torch's graph from the output, breadth first along next_functions, each node once."""
    nodes, seen = [root], {root}
    for node in nodes:  # grows while we iterate: a breadth-first queue
        for child, _ in node.next_functions:
            if child is None or child in seen:
                continue
            if len(nodes) >= max_nodes:
                raise BackpropError(f"the graph is too large: torch built more than {max_nodes} nodes; try a shorter function")
            seen.add(child)
            nodes.append(child)
    return nodes


def _depths(nodes: list[Node]) -> dict[Node, int]:
    """The longest path from the output to each node, by a topological pass (Kahn) over the walked graph."""
    parents = dict.fromkeys(nodes, 0)
    for node in nodes:
        for child, _ in node.next_functions:
            if child is not None:
                parents[child] += 1
    depth = dict.fromkeys(nodes, 0)
    ready = [nodes[0]]
    while ready:
        node = ready.pop()
        for child, _ in node.next_functions:
            if child is None:
                continue
            depth[child] = max(depth[child], depth[node] + 1)
            parents[child] -= 1
            if parents[child] == 0:
                ready.append(child)
    return depth


def _forward_value(node: Node, outputs: Mapping[Node, torch.Tensor]) -> torch.Tensor | None:
    variable = getattr(node, "variable", None)
    if isinstance(variable, torch.Tensor):
        return variable
    if node in outputs:
        return outputs[node]
    # Inside a composite operation (2/x is reciprocal then mul) the recorder only sees the outer output;
    # nodes such as ReciprocalBackward0 keep their own result for backward.
    saved = getattr(node, "_saved_result", None)
    return saved if isinstance(saved, torch.Tensor) else None


def _local_derivatives(node: Node, seed: torch.Tensor) -> tuple[float, ...]:
    """torch's backward formula of this node with adjoint 1: ∂out/∂input for every input, in next_functions order."""
    try:
        with torch.no_grad():
            grads = cast("Callable[..., Any]", node)(seed)
    except RuntimeError as error:
        raise BackpropError(f"{type(node).__name__} cannot run its backward formula in {dtype_name(seed.dtype)}: {error}") from None
    grads = grads if isinstance(grads, tuple) else (grads,)
    return tuple(math.nan if g is None else float(g) for g in grads)


def _at(values: tuple[float, ...], index: int) -> float:
    return values[index] if index < len(values) else math.nan


def _as_float(tensor: torch.Tensor | None) -> float:
    return math.nan if tensor is None else float(tensor.detach().to("cpu", torch.float64))


@dataclass(frozen=True)
class Checks:
    """The exact and 50-digit derivatives of f with respect to each leaf, for the comparison."""

    exact: dict[str, float]
    reference: dict[str, float]


class _Recording:
    """What the hooks see during backward(): the order nodes run, the adjoint each receives, what each sends on."""

    def __init__(self, ids: Mapping[Node, str], root: Node, seed: torch.Tensor) -> None:
        self.ids = ids
        self.order: list[Node] = []
        self.adjoints: dict[Node, float] = {}
        self.sent: dict[Node, tuple[float, ...]] = {}
        self.arrivals: dict[Node, list[Arrival]] = {node: [] for node in ids}
        self.arrivals[root].append(Arrival(SEED, _as_float(seed)))

    def before(self, node: Node) -> Callable[[tuple[torch.Tensor | None, ...]], None]:
        def hook(grad_outputs: tuple[torch.Tensor | None, ...]) -> None:
            self.order.append(node)
            self.adjoints[node] = _as_float(grad_outputs[0])  # torch has summed what arrived

        return hook

    def after(self, node: Node) -> Callable[[tuple[torch.Tensor | None, ...], tuple[torch.Tensor | None, ...]], None]:
        def hook(grad_inputs: tuple[torch.Tensor | None, ...], grad_outputs: tuple[torch.Tensor | None, ...]) -> None:
            # An undefined gradient is torch's zero: nothing is added downstream.
            sent = tuple(0.0 if g is None else _as_float(g) for g in grad_inputs)
            self.sent[node] = sent
            for (child, _), value in zip(node.next_functions, sent, strict=False):
                if child is not None:
                    self.arrivals[child].append(Arrival(self.ids[node], value))

        return hook


def _is_accumulator(node: Node) -> bool:
    return isinstance(getattr(node, "variable", None), torch.Tensor)


def _backward_with_hooks(output: torch.Tensor, nodes: list[Node], recording: _Recording) -> None:
    handles = [node.register_prehook(recording.before(node)) for node in nodes]
    handles += [node.register_hook(recording.after(node)) for node in nodes if not _is_accumulator(node)]
    try:
        output.backward()
    except RuntimeError as error:
        raise BackpropError(f"backward() failed in {dtype_name(output.dtype)} on {output.device}: {error}") from None
    finally:
        for handle in handles:
            handle.remove()


def run_backward(
    label: str,
    traced: Traced,
    checks: Checks,
    grads: Grads | None = None,
    max_nodes: int = MAX_GRAPH_NODES,
    output_name: str = "f",
) -> BackwardPass:
    """Walk torch's graph of `traced`, run the real backward() with hooks on every node, and collect every number."""
    output, leaves, before = traced.output, traced.leaves, grads or {}
    point = {name: _as_float(leaf) for name, leaf in leaves.items()}
    if not output.requires_grad:
        variables = " or ".join(leaves)
        raise BackpropError(f"{label} does not depend on {variables}: torch records no graph, so backward() has nothing to run")
    root = get_gradient_edge(output).node  # the output's grad_fn, or its AccumulateGrad when f is a leaf itself (f = x)
    nodes = _walk(root, max_nodes)
    ids = {node: f"n{index}" for index, node in enumerate(nodes)}
    names = {node: name for node in nodes for name, leaf in leaves.items() if getattr(node, "variable", None) is leaf}
    values = {node: _forward_value(node, traced.outputs) for node in nodes}
    _check_defined(label, ", ".join(f"{name} = {value:g}" for name, value in point.items()), nodes, values, ids)

    seed = torch.ones_like(output)
    local = {node: _local_derivatives(node, seed) for node in nodes if not _is_accumulator(node)}
    for name, leaf in leaves.items():
        value = before.get(name)
        leaf.grad = None if value is None else torch.full_like(leaf, value).detach()
    recording = _Recording(ids, root, seed)
    _backward_with_hooks(output, nodes, recording)

    depth = _depths(nodes)
    graph = tuple(
        GraphNode(
            id=ids[node],
            op=type(node).__name__,
            label=names.get(node, ids[node]),
            leaf=names.get(node),
            depth=depth[node],
            value=_as_float(values[node]),
            edges=tuple(
                Edge(ids[child], local[node][index], _at(recording.sent.get(node, ()), index))
                for index, (child, _) in enumerate(node.next_functions)
                if child is not None
            ),
            grad=recording.adjoints.get(node, math.nan),
            arrivals=tuple(recording.arrivals[node]),
        )
        for node in nodes
    )
    accumulators = {name: node for node, name in names.items()}
    leaf_grads = {}
    for name, leaf in leaves.items():
        node = accumulators.get(name)
        leaf_grads[name] = LeafGrad(
            name=name,
            node=None if node is None else ids[node],
            value=point[name],
            grad_before=before.get(name),
            grad=None if leaf.grad is None else _as_float(leaf.grad),
            received=None if node is None else recording.adjoints.get(node, math.nan),
            contributions=() if node is None else tuple(a.value for a in recording.arrivals[node]),
            exact=checks.exact.get(name, math.nan),
            reference=checks.reference.get(name, math.nan),
        )
    return BackwardPass(
        expression=label,
        output=output_name,
        point=point,
        value=_as_float(output),
        dtype=dtype_name(output.dtype),
        device=str(output.device),
        nodes=graph,
        order=tuple(ids[node] for node in recording.order),
        leaves=leaf_grads,
        notice=_notice(label, graph, leaf_grads),
    )


def _check_defined(label: str, where: str, nodes: list[Node], values: Mapping[Node, torch.Tensor | None], ids: Mapping[Node, str]) -> None:
    """The first operation, in the order they ran forward, whose output is NaN or infinite makes f undefined here."""
    for node in sorted(nodes, key=lambda n: n._sequence_nr()):
        value = _as_float(values[node])
        if values[node] is not None and not math.isfinite(value):
            raise BackpropError(f"{label} is undefined at {where}: {type(node).__name__} (node {ids[node]}) gives {value}")


def _notice(label: str, nodes: tuple[GraphNode, ...], leaves: Mapping[str, LeafGrad]) -> str | None:
    unreached = [leaf for leaf in leaves.values() if leaf.node is None]
    if unreached:
        names = " and ".join(leaf.name for leaf in unreached)
        kept = "None" if all(leaf.grad is None for leaf in unreached) else "what it was"
        return f"{label} does not depend on {names}: backward() never reaches it, so its .grad stays {kept}"
    for node in nodes:
        for edge in node.edges:
            if not math.isfinite(edge.sent):
                return f"the gradient is not finite here: {node.op} (node {node.id}) sent {edge.sent} to {edge.target}"
    return None


# -- a parsed function ----------------------------------------------------------------------------

Value = torch.Tensor | float  # a float is a constant part of f: folded in float64, it adds no node to the graph

# The vocabulary's functions as torch runs them (the same ones SymPy's lambdified code calls), by the name typed.
_TYPED_FUNCTIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    **{name: TORCH_NAMESPACE[name] for name in ("sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh")},
    **{name: TORCH_NAMESPACE[name] for name in ("exp", "log", "sqrt", "abs", "sign", "sigmoid", "relu", "softplus")},
    "ln": TORCH_NAMESPACE["log"],
    "log10": torch.log10,
    "log2": torch.log2,
}
_TYPED_OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
    "**": lambda a, b: a**b,
    "pow": lambda a, b: a**b,
}


def _operate(kind: str, args: list[Any]) -> Any:
    if kind == "negate":
        return -args[0]
    if kind in _TYPED_OPERATORS:
        return _TYPED_OPERATORS[kind](args[0], args[1])
    return _TYPED_FUNCTIONS[kind](args[0])


def _run_typed(node: Typed, leaves: Mapping[str, torch.Tensor], done: dict[Typed, Value]) -> Value:
    """One typed operation on torch tensors; `done` holds what is computed already, so identical text runs once."""
    if node in done:
        return done[node]
    value: Value
    if node.kind == "number":
        value = node.value
    elif node.kind == "variable":
        value = leaves[node.name]
    else:
        args = [_run_typed(arg, leaves, done) for arg in node.args]
        if all(isinstance(arg, float) for arg in args):
            with torch.no_grad():  # a constant: float64, so that 2*pi is the same number in every dtype
                value = float(_operate(node.kind, [torch.tensor(arg, dtype=torch.float64) for arg in args]))
        else:
            value = _operate(node.kind, args)
    done[node] = value
    return value


def typed_function(tree: Typed, variables: tuple[str, ...]) -> Callable[..., torch.Tensor]:
    """f(*leaves) built operation by operation from the formula as typed (see the module's notes)."""

    def function(*arguments: torch.Tensor) -> torch.Tensor:
        leaves = dict(zip(variables, arguments, strict=True))
        try:
            value = _run_typed(tree, leaves, {})
        except (RuntimeError, OverflowError, TypeError, ValueError, ZeroDivisionError) as error:
            raise EvaluationError(f"torch cannot evaluate this in {dtype_name(arguments[0].dtype)}: {error}") from None
        return value if isinstance(value, torch.Tensor) else torch.full_like(arguments[0], value).detach()

    return function


@lru_cache(maxsize=64)
def _typed(text: str, variables: tuple[str, ...]) -> Typed:
    return parse_typed(text, variables)


def _evaluate(function: TorchCallable, arguments: tuple[torch.Tensor, ...]) -> float:
    try:
        with torch.no_grad():
            return _as_float(function(*(a.detach() for a in arguments)))
    except EvaluationError:
        return math.nan


@lru_cache(maxsize=64)
def _reference(expression: Expression, held: tuple[float, ...]) -> tuple[float, ...]:
    """∂f/∂v for each variable to 50 digits, NaN where f or it is undefined (as engine.derive.reference_with_gaps).

    Cached: backward() again, or after zero_grad, asks for the same point.
    """
    compiled = compile_expression(expression)
    defined = math.isfinite(compiled.reference_function(*held))
    values = (derivative(*held) for derivative in compiled.reference)
    return tuple(value if defined and math.isfinite(value) else math.nan for value in values)


def _checks(expression: Expression, leaves: dict[str, torch.Tensor]) -> Checks:
    arguments = tuple(leaves.values())
    exact = {name: _evaluate(derivative, arguments) for name, derivative in zip(leaves, compile_expression(expression).exact, strict=True)}
    reference = _reference(expression, tuple(_as_float(leaf) for leaf in arguments))
    return Checks(exact, dict(zip(leaves, reference, strict=True)))


def backprop(
    expression: Expression,
    point: Mapping[str, float],
    dtype: torch.dtype = torch.float64,
    device: torch.device | str = "cpu",
    grads: Grads | None = None,
    max_nodes: int = MAX_GRAPH_NODES,
) -> BackwardPass:
    """f at `point` ({"x": 1.0}, or {"x": .., "y": ..}) on leaves with requires_grad=True, then a real backward().

    `grads` are the leaves' .grad before backward() (a previous pass's `.grads` to accumulate, None for fresh leaves).
    """
    missing = [name for name in expression.variables if name not in point]
    extra = [name for name in point if name not in expression.variables]
    if missing or extra:
        wanted = ", ".join(expression.variables)
        raise BackpropError(f"the point must give exactly {wanted}: missing {missing or 'nothing'}, extra {extra or 'nothing'}")
    leaves = make_leaves({name: point[name] for name in expression.variables}, dtype, device)
    function = typed_function(_typed(expression.text, expression.variables), expression.variables)
    try:
        traced = trace(function, leaves)
    except EvaluationError as error:
        raise BackpropError(str(error)) from None
    result = run_backward(expression.text, traced, _checks(expression, leaves), grads, max_nodes)
    kink = _kink_notice(expression, result.point)
    return result if kink is None else replace(result, notice=kink)


def _kink_notice(expression: Expression, point: Mapping[str, float]) -> str | None:
    """`f'(x) does not exist at x = 0: a kink, ...`, worded as derive and Compare word it; None away from a kink."""
    from engine.kinks import kinks

    if len(expression.variables) != 1:  # engine.kinks finds kinks of functions of one variable
        return None
    found = kinks(expression, torch.tensor([point[expression.variables[0]]], dtype=torch.float64))
    if not found:
        return None
    kink = found[0]
    return (
        f"f'(x) does not exist at x = {kink.x:.3g}: a kink, {kink.left:.4g} from the left and {kink.right:.4g} from the right. "
        "The .grad, exact and reference give a number by the convention of SymPy and torch "
        "(sign(0) = 0, relu'(0) = 0): a subgradient, not a derivative"
    )
