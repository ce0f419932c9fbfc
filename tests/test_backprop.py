"""Backprop on torch's own graph: the leaf .grad against hand-derived derivatives, the graph against an independent walk
of grad_fn, the captured numbers against the chain rule, accumulation, the network preset and the error messages."""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
import torch

from engine.backprop import MAX_GRAPH_NODES, SEED, BackpropError, BackwardPass, backprop, short, zero_grad
from engine.compiled import compile_expression
from engine.expression import parse_expression
from engine.namespaces import TORCH_NAMESPACE
from engine.network import DEFAULT_LEARNING_RATE, Network, network_backprop, sgd_step, train, train_step
from engine.syntax import MAX_LENGTH, ExpressionError
from engine.vocabulary import FUNCTION_ARITY


def run(text: str, **point: float) -> BackwardPass:
    return backprop(parse_expression(text, tuple(point)), point)


def sigmoid(t: float) -> float:
    return 1 / (1 + math.exp(-t))


# f, x0, f'(x0) derived by hand, and f written in torch as typed (the graph torch must build)
KNOWN: list[tuple[str, float, Callable[[float], float], Callable[[torch.Tensor], torch.Tensor]]] = [
    ("x*sin(x)", 1.0, lambda x: math.sin(x) + x * math.cos(x), lambda x: x * torch.sin(x)),  # fan-out: x reached twice
    ("x^2 + x", 0.7, lambda x: 2 * x + 1, lambda x: x**2 + x),  # fan-out through a power
    ("x^3", -1.3, lambda x: 3 * x**2, lambda x: x**3),
    ("x/(1 + x^2)", 0.4, lambda x: (1 - x**2) / (1 + x**2) ** 2, lambda x: x / (1 + x**2)),  # division
    ("2/x", 1.7, lambda x: -2 / x**2, lambda x: 2 / x),  # reciprocal inside a composite operation
    ("sqrt(x)", 2.0, lambda x: 0.5 / math.sqrt(x), torch.sqrt),  # SqrtBackward0, where SymPy's form is x**(1/2)
    ("pow(x, x)", 1.5, lambda x: x**x * (math.log(x) + 1), lambda x: torch.pow(x, x)),  # both inputs of one node are x
    ("sin(exp(x))", 0.3, lambda x: math.cos(math.exp(x)) * math.exp(x), lambda x: torch.sin(torch.exp(x))),  # nested
    ("log(1 + x^2)", 1.2, lambda x: 2 * x / (1 + x**2), lambda x: torch.log(1 + x**2)),
    (
        "exp(-x^2)*sin(5x)",
        0.3,
        lambda x: math.exp(-(x**2)) * (5 * math.cos(5 * x) - 2 * x * math.sin(5 * x)),
        lambda x: torch.exp(-(x**2)) * torch.sin(5 * x),
    ),
    (
        "tanh(sigmoid(x))",
        -0.8,
        lambda x: (1 - math.tanh(sigmoid(x)) ** 2) * sigmoid(x) * (1 - sigmoid(x)),
        lambda x: torch.tanh(torch.sigmoid(x)),
    ),
    ("softplus(x)", 0.4, sigmoid, TORCH_NAMESPACE["softplus"]),  # the vocabulary's softplus, however torch spells it
    ("relu(x)", 1.5, lambda x: 1.0, torch.relu),  # away from the kink, on both sides
    ("relu(x)", -0.5, lambda x: 0.0, torch.relu),
    ("abs(x)", -0.7, lambda x: -1.0, torch.abs),
    ("x*abs(x)", -2.0, lambda x: 2 * abs(x), lambda x: x * torch.abs(x)),
    (
        "relu(x - 1)*x^2 + abs(x)",
        1.5,
        lambda x: (x - 1) * 2 * x + x**2 + 1,
        lambda x: torch.relu(x - 1) * x**2 + torch.abs(x),
    ),
    ("x", 2.0, lambda x: 1.0, lambda x: x),  # the output is the leaf itself: its AccumulateGrad is the whole graph
    ("x*x + sin(x)", 0.6, lambda x: 2 * x + math.cos(x), lambda x: x * x + torch.sin(x)),  # a Mul with x twice, not x**2
    ("x - x", 0.6, lambda x: 0.0, lambda x: x - x),  # as typed: SymPy would make it the constant 0, with no graph
    ("log10(x)*ln(x)", 2.5, lambda x: 2 * math.log(x) / (x * math.log(10)), lambda x: torch.log10(x) * torch.log(x)),
]


def independent_graph(
    function: Callable[..., torch.Tensor], point: dict[str, float]
) -> tuple[Counter[str], Counter[tuple[str, tuple[str, ...]]], Counter[str]]:
    """torch's graph of f written by hand, walked here by depth-first search: op counts, (op, input ops) and edges into each leaf."""
    leaves = [torch.tensor(value, dtype=torch.float64, requires_grad=True) for value in point.values()]
    output = function(*leaves)
    root = output.grad_fn if output.grad_fn is not None else torch.autograd.graph.get_gradient_edge(output).node
    seen, stack = set(), [root]
    ops: Counter[str] = Counter()
    shapes: Counter[tuple[str, tuple[str, ...]]] = Counter()
    into_leaf: Counter[str] = Counter()
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        children = [child for child, _ in node.next_functions if child is not None]
        ops[type(node).__name__] += 1
        shapes[(type(node).__name__, tuple(sorted(type(c).__name__ for c in children)))] += 1
        for child in children:
            if type(child).__name__ == "AccumulateGrad":
                into_leaf[next(n for n, leaf in zip(point, leaves, strict=True) if leaf is child.variable)] += 1
        stack.extend(children)
    if root is not output.grad_fn:
        into_leaf["x"] += 1  # backward() seeds the leaf itself
    return ops, shapes, into_leaf


@pytest.mark.parametrize(("text", "x0", "derivative", "typed"), KNOWN, ids=[f"{t} at {x}" for t, x, _, _ in KNOWN])
def test_leaf_grad_is_the_derivative_and_the_graph_is_torchs(
    text: str, x0: float, derivative: Callable[[float], float], typed: Callable[[torch.Tensor], torch.Tensor]
) -> None:
    result = run(text, x=x0)
    leaf = result.leaves["x"]
    expected = derivative(x0)
    assert leaf.grad == pytest.approx(expected, rel=1e-14, abs=1e-15)
    assert leaf.exact == pytest.approx(expected, rel=1e-14, abs=1e-15)
    assert leaf.reference == pytest.approx(expected, rel=1e-14, abs=1e-15)
    assert leaf.difference == pytest.approx(0.0, abs=4e-16 * max(1.0, abs(expected)))
    assert leaf.received == leaf.grad  # a fresh leaf: .grad is what this backward() added
    assert math.fsum(leaf.contributions) == pytest.approx(leaf.grad, rel=1e-15, abs=1e-300)

    ops, shapes, into_leaf = independent_graph(typed, {"x": x0})
    assert Counter(node.op for node in result.nodes) == ops
    assert Counter((node.op, tuple(sorted(result.node(i).op for i in node.inputs))) for node in result.nodes) == shapes
    assert len(leaf.contributions) == into_leaf["x"]
    assert result.value == typed(torch.tensor(x0, dtype=torch.float64)).item()


def test_fan_out_reaches_the_same_leaf_node_by_both_paths() -> None:
    result = run("x*sin(x)", x=1.0)
    mul, leaf, sin = result.nodes
    assert (mul.op, leaf.op, sin.op) == ("MulBackward0", "AccumulateGrad", "SinBackward0")
    assert mul.inputs == (leaf.id, sin.id) and sin.inputs == (leaf.id,)
    assert [arrival.source for arrival in leaf.arrivals] == [mul.id, sin.id]
    assert result.leaves["x"].contributions == (math.sin(1.0), math.cos(1.0))
    assert result.leaves["x"].sum_text() == "x.grad = 0.8415 + 0.5403 = 1.3818"
    assert result.order == (mul.id, sin.id, leaf.id)  # torch runs a node once all its gradients have arrived


def test_forward_values_local_derivatives_and_sent_gradients_follow_the_chain_rule() -> None:
    result = run("x*sin(x)", x=1.0)
    mul, leaf, sin = result.nodes
    assert (mul.value, sin.value, leaf.value) == (math.sin(1.0), math.sin(1.0), 1.0)
    assert mul.grad == 1.0 and mul.arrivals[0].source == SEED
    # d(x*s)/dx = s and d(x*s)/ds = x; d sin(x)/dx = cos(x)
    assert [(edge.local, edge.sent) for edge in mul.edges] == [(math.sin(1.0), math.sin(1.0)), (1.0, 1.0)]
    assert [(edge.local, edge.sent) for edge in sin.edges] == [(math.cos(1.0), math.cos(1.0))]
    assert result.chain_rule(sin.id, 0) == f"∂f/∂x = ∂f/∂{sin.id} · ∂{sin.id}/∂x = 1.0000 × 0.5403 = 0.5403"
    assert result.chain_rule(mul.id, 1) == f"∂f/∂{sin.id} = ∂f/∂{mul.id} · ∂{mul.id}/∂{sin.id} = 1.0000 × 1.0000 = 1.0000"


@pytest.mark.parametrize(("text", "x0"), [("exp(-x^2)*sin(5x)", 0.3), ("x/(1 + x^2)", 0.4), ("2/x", 1.7), ("pow(x, x)", 1.5)])
def test_every_node_receives_the_sum_of_its_arrivals_and_sends_adjoint_times_local(text: str, x0: float) -> None:
    result = run(text, x=x0)
    for node in result.nodes:
        assert node.grad == pytest.approx(math.fsum(a.value for a in node.arrivals), rel=1e-15), node
        for edge in node.edges:
            assert edge.sent == pytest.approx(node.grad * edge.local, rel=2e-16, abs=1e-300), node
            assert any(a.source == node.id and a.value == edge.sent for a in result.node(edge.target).arrivals)
    position = {node_id: index for index, node_id in enumerate(result.order)}
    assert sorted(position) == sorted(node.id for node in result.nodes)
    assert all(position[node.id] < position[target] for node in result.nodes for target in node.inputs)  # parents first
    assert all(node.depth < result.node(target).depth for node in result.nodes for target in node.inputs)


def test_order_is_the_order_torchs_engine_ran_the_nodes() -> None:
    text = "exp(-x^2)*sin(5x)"
    x = torch.tensor(0.3, dtype=torch.float64, requires_grad=True)
    output = torch.exp(-(x**2)) * torch.sin(5 * x)
    ran: list[str] = []
    stack, seen = [output.grad_fn], set()
    while stack:
        node = stack.pop()
        if node is None or node in seen:
            continue
        seen.add(node)
        node.register_prehook(lambda _, node=node: ran.append(type(node).__name__))
        stack.extend(child for child, _ in node.next_functions)
    output.backward()
    result = run(text, x=0.3)
    assert [result.node(node_id).op for node_id in result.order] == ran


def test_local_derivative_is_torchs_even_where_no_gradient_arrives() -> None:
    # relu(x) = 0 at x = -1, so sin(x) receives 0; its local derivative is still cos(-1), not 0/0
    result = run("relu(x)*sin(x)", x=-1.0)
    sin = next(node for node in result.nodes if node.op == "SinBackward0")
    assert sin.grad == 0.0
    assert sin.edges[0].local == math.cos(-1.0)
    assert sin.edges[0].sent == 0.0
    assert result.leaves["x"].grad == 0.0  # relu'(-1) sin(-1) + relu(-1) cos(-1)


def test_composite_operation_nodes_have_their_forward_values() -> None:
    result = run("2/x", x=4.0)  # torch computes 2/x as reciprocal(x) * 2
    assert {node.op: node.value for node in result.nodes} == {"MulBackward0": 0.5, "ReciprocalBackward0": 0.25, "AccumulateGrad": 4.0}


def test_two_variables_each_leaf_with_its_gradient() -> None:
    result = run("x^2*y + sin(x*y)", x=0.5, y=2.0)
    x, y = 0.5, 2.0
    assert result.leaves["x"].grad == pytest.approx(2 * x * y + y * math.cos(x * y), rel=1e-15)
    assert result.leaves["y"].grad == pytest.approx(x**2 + x * math.cos(x * y), rel=1e-15)
    assert len(result.leaves["x"].contributions) == 2 and len(result.leaves["y"].contributions) == 2
    assert result.leaves["y"].reference == pytest.approx(x**2 + x * math.cos(x * y), rel=1e-15)
    assert {result.node(leaf.node).label for leaf in result.leaves.values() if leaf.node} == {"x", "y"}


def test_a_variable_the_function_ignores_keeps_grad_none() -> None:
    result = run("x^2", x=1.0, y=3.0)
    assert result.leaves["y"].grad is None and result.leaves["y"].node is None and result.leaves["y"].contributions == ()
    assert result.leaves["y"].exact == 0.0
    assert result.notice is not None and "y" in result.notice and "None" in result.notice
    assert len(result.nodes) == 2


def test_backward_again_without_zeroing_doubles_grad_and_zero_grad_resets() -> None:
    expression = parse_expression("x*sin(x)")
    first = backprop(expression, {"x": 1.0})
    g = math.sin(1.0) + math.cos(1.0)
    again = backprop(expression, {"x": 1.0}, grads=first.grads)
    assert again.leaves["x"].grad_before == first.leaves["x"].grad
    assert again.leaves["x"].grad == 2 * first.leaves["x"].grad == pytest.approx(2 * g, rel=1e-15)
    assert again.leaves["x"].received == first.leaves["x"].grad  # this pass added the same as the first
    assert again.leaves["x"].difference == pytest.approx(0.0, abs=1e-15)  # the check is on what this pass added
    assert again.leaves["x"].sum_text() == "x.grad = 1.3818 + (0.8415 + 0.5403) = 2.7635"
    third = backprop(expression, {"x": 1.0}, grads=again.grads)
    assert third.leaves["x"].grad == pytest.approx(3 * g, rel=1e-15)
    assert zero_grad(third.grads) == {"x": None}
    assert zero_grad(third.grads, set_to_none=False) == {"x": 0.0}
    fresh = backprop(expression, {"x": 1.0}, grads=zero_grad(third.grads))
    assert fresh.leaves["x"].grad == first.leaves["x"].grad and fresh.leaves["x"].grad_before is None


def test_progress_through_the_backward_pass() -> None:
    result = run("x*sin(x)", x=1.0)
    leaf = result.leaves["x"].node
    assert leaf is not None
    assert result.arrived(0)[leaf] == ()
    assert result.arrived(1)[leaf] == (math.sin(1.0),)  # MulBackward0 ran
    assert result.arrived(2)[leaf] == (math.sin(1.0), math.cos(1.0))  # then SinBackward0
    assert result.arrived(0)["n0"] == (1.0,)  # the seed is there before anything runs


def test_float32_gradient_is_checked_against_the_reference() -> None:
    result = backprop(parse_expression("x*sin(x)"), {"x": 1.0}, dtype=torch.float32)
    leaf = result.leaves["x"]
    assert result.dtype == "float32"
    x = torch.tensor(1.0, dtype=torch.float32)
    assert leaf.grad == float(torch.sin(x) + x * torch.cos(x))  # torch's float32 arithmetic, not float64's
    assert leaf.reference == pytest.approx(math.sin(1.0) + math.cos(1.0), rel=1e-15)
    assert 1e-9 < abs(leaf.difference) < 1e-6


def test_short_numbers() -> None:
    assert [short(v) for v in (0.0, 1.3817732906760363, -2.0, 1.5e-7, 3e7, math.inf, None)] == [
        "0.0000",
        "1.3818",
        "-2.0000",
        "1.5000e-07",
        "3.0000e+07",
        "inf",
        "None",
    ]


# --- bad input ---------------------------------------------------------------------------------------------------


def test_a_function_of_y_is_refused_where_only_x_is_a_variable() -> None:
    with pytest.raises(ExpressionError, match="'y' is not a variable here"):
        parse_expression("sin(y)", ("x",))
    with pytest.raises(BackpropError, match="exactly x"):
        backprop(parse_expression("sin(x)"), {"x": 1.0, "y": 2.0})


@pytest.mark.parametrize(
    ("text", "x0", "fragments"),
    [
        ("log(x)", 0.0, ["log(x) is undefined at x = 0", "LogBackward0", "-inf"]),
        ("sqrt(x)", -1.0, ["undefined at x = -1", "SqrtBackward0", "nan"]),
        ("atan(1/x)", 0.0, ["undefined at x = 0", "ReciprocalBackward0 (node n2) gives inf"]),  # finite output, inf inside
        ("2*pi", 1.0, ["2*pi does not depend on x", "no graph"]),
        ("sin(pi/2)*3", 1.0, ["does not depend on x"]),  # constant parts add no node: x - x has one
    ],
)
def test_undefined_points_and_constants_are_clear_errors(text: str, x0: float, fragments: list[str]) -> None:
    with pytest.raises(BackpropError) as error:
        run(text, x=x0)
    for fragment in fragments:
        assert fragment in str(error.value)
    assert isinstance(error.value, ValueError)


def test_a_point_beyond_the_dtype_is_a_clear_error() -> None:
    with pytest.raises(BackpropError, match=r"x = 100000 is beyond the range of float16"):
        backprop(parse_expression("sin(x)"), {"x": 1e5}, dtype=torch.float16)


def test_an_infinite_gradient_is_a_notice_not_an_error() -> None:
    result = run("sqrt(x)", x=0.0)
    assert result.leaves["x"].grad == math.inf
    assert math.isnan(result.leaves["x"].reference)
    assert result.notice is not None and "SqrtBackward0" in result.notice and "inf" in result.notice


def test_a_graph_over_the_limit_is_refused() -> None:
    expression = parse_expression("sin(x)*cos(x) + exp(x)")
    with pytest.raises(BackpropError, match="more than 4 nodes"):
        backprop(expression, {"x": 1.0}, max_nodes=4)
    assert len(backprop(expression, {"x": 1.0}, max_nodes=6).nodes) == 6


def test_the_largest_function_the_parser_accepts_fits_the_limit() -> None:
    # the densest graph we found: terms x^k*y, in parenthesised groups (a flat sum that long is nested too deeply to parse)
    def grouped(terms: list[str]) -> str:
        return "+".join("(" + "+".join(terms[i : i + 70]) + ")" for i in range(0, len(terms), 70))

    terms: list[str] = []
    while len(grouped([*terms, f"x^{len(terms) + 2}y"])) <= MAX_LENGTH:
        terms.append(f"x^{len(terms) + 2}y")
    text = grouped(terms)
    assert len(text) > MAX_LENGTH - 10
    result = run(text, x=0.9, y=1.1)
    assert 240 < len(result.nodes) <= MAX_GRAPH_NODES
    assert result.leaves["y"].grad == pytest.approx(result.leaves["y"].reference, rel=1e-13)


# --- the network preset ------------------------------------------------------------------------------------------


def hand_gradient(n: Network) -> dict[str, float]:
    hidden = math.tanh(n.w1 * n.x + n.b1)
    residual = n.w2 * hidden + n.b2 - n.t
    through_tanh = 2 * residual * n.w2 * (1 - hidden**2)
    return {"w1": through_tanh * n.x, "b1": through_tanh, "w2": 2 * residual * hidden, "b2": 2 * residual}


def test_network_graph_has_a_grad_on_every_parameter() -> None:
    network = Network()
    result = network_backprop(network)
    assert result.value == pytest.approx((network.w2 * math.tanh(network.w1 * network.x + network.b1) + network.b2 - network.t) ** 2)
    assert Counter(node.op for node in result.nodes) == Counter(
        {"AccumulateGrad": 4, "MulBackward0": 2, "AddBackward0": 2, "TanhBackward0": 1, "SubBackward0": 1, "PowBackward0": 1}
    )
    assert result.nodes[0].op == "PowBackward0"
    assert {node.leaf for node in result.nodes if node.leaf} == {"w1", "b1", "w2", "b2"}
    expected = hand_gradient(network)
    for name, leaf in result.leaves.items():
        assert leaf.grad == pytest.approx(expected[name], rel=1e-14), name
        assert leaf.reference == pytest.approx(expected[name], rel=1e-14), name
        assert leaf.exact == pytest.approx(expected[name], rel=1e-14), name
    assert len(set(result.grads.values())) == 4  # every parameter learns something different
    tanh = next(node for node in result.nodes if node.op == "TanhBackward0")
    assert tanh.value == pytest.approx(math.tanh(network.w1 * network.x + network.b1), rel=1e-15)
    assert result.chain_rule(tanh.id, 0).startswith(f"∂L/∂{tanh.edges[0].target} = ∂L/∂{tanh.id} · ")


def test_sgd_step_moves_each_parameter_against_its_grad_and_the_loss_falls() -> None:
    network = Network()
    step = train_step(network, 0.1)
    expected = hand_gradient(network)
    for name, value in network.parameters.items():
        assert step.network.parameters[name] == pytest.approx(value - 0.1 * expected[name], rel=1e-15)
    assert (step.network.x, step.network.t) == (network.x, network.t)
    assert step.loss < step.loss_before
    assert step.after.point == step.network.parameters
    _, losses = train(network, 30, DEFAULT_LEARNING_RATE)
    assert len(losses) == 31
    assert all(later < earlier for earlier, later in itertools.pairwise(losses))
    assert losses[-1] < 1e-3 * losses[0]


def test_sgd_with_accumulated_grads_takes_a_double_step() -> None:
    network = Network()
    once = network_backprop(network)
    twice = network_backprop(network, grads=once.grads)
    single, double = sgd_step(network, once.grads, 0.1), sgd_step(network, twice.grads, 0.1)
    for name, value in network.parameters.items():
        assert double.parameters[name] - value == pytest.approx(2 * (single.parameters[name] - value), rel=1e-12)
    assert sgd_step(network, zero_grad(once.grads), 0.1) == network  # no .grad, no step


def test_the_sgd_step_leaves_every_grad_as_zero_grad_would_and_the_next_pass_is_the_hand_gradient() -> None:
    network = Network()
    step = train_step(network, 0.3)
    stepped = Network(**{name: value - 0.3 * hand_gradient(network)[name] for name, value in network.parameters.items()})
    assert all(leaf.grad_before is None for leaf in step.after.leaves.values())  # zero_grad(set_to_none=True) before it
    expected = hand_gradient(stepped)
    for name, leaf in step.after.leaves.items():
        assert leaf.grad == pytest.approx(expected[name], rel=1e-13), name  # not the sum with the step's own .grad
        assert leaf.received == leaf.grad


def test_training_with_a_learning_rate_follows_the_hand_computed_losses() -> None:
    network, losses = train(Network(), 3, 0.5)
    hand, expected = Network(), []
    for _ in range(3):
        expected.append(hand_loss(hand))
        gradient = hand_gradient(hand)
        hand = Network(**{name: value - 0.5 * gradient[name] for name, value in hand.parameters.items()})
    expected.append(hand_loss(hand))
    assert losses == pytest.approx(expected, rel=1e-12)
    assert network.parameters == pytest.approx(hand.parameters, rel=1e-12)
    assert train(Network(), 3)[1] != pytest.approx(expected, rel=1e-3)  # the default rate gives other losses


def hand_loss(n: Network) -> float:
    return (n.w2 * math.tanh(n.w1 * n.x + n.b1) + n.b2 - n.t) ** 2


# --- depths, the first undefined node, kinks, the graph as typed -----------------------------------------------


def longest_paths(result: BackwardPass) -> dict[str, int]:
    """Each node's depth by definition: 0 at the output, else one more than its deepest parent (here by recursion)."""
    parents: dict[str, list[str]] = {node.id: [] for node in result.nodes}
    for node in result.nodes:
        for target in node.inputs:
            parents[target].append(node.id)

    def depth(node_id: str) -> int:
        return 0 if not parents[node_id] else 1 + max(depth(parent) for parent in parents[node_id])

    return {node.id: depth(node.id) for node in result.nodes}


@pytest.mark.parametrize(
    ("text", "leaf_depth"),
    [
        ("(x + 1)*sin(sin(sin(x)))", 4),  # x's parents: Add at depth 1 and the innermost Sin at depth 3
        ("sin(sin(sin(x)))*(x + 1)", 4),  # the same with the short path second in torch's order
        ("x*sin(x)", 2),
        ("exp(x)*x^2 + x", 3),  # x from Add (depth 0), Exp and Pow (depth 2)
    ],
)
def test_a_nodes_depth_is_one_more_than_its_deepest_parent(text: str, leaf_depth: int) -> None:
    from tui.demos.backprop.compute import graph_shapes
    from tui.graph_layout import layout_graph

    result = run(text, x=0.7)
    assert {node.id: node.depth for node in result.nodes} == longest_paths(result)
    assert result.node(result.leaves["x"].node or "").depth == leaf_depth
    layout = layout_graph(graph_shapes(result))  # raises when an edge points up a layer
    for node in result.nodes:
        for target in node.inputs:
            assert layout.boxes[node.id].y < layout.boxes[target].y


def test_the_undefined_value_message_names_the_first_node_that_is_not_finite() -> None:
    # log(0) = -inf comes first; sin(-inf) = nan and the product after it are downstream
    with pytest.raises(BackpropError) as error:
        run("sin(log(x))*x", x=0.0)
    message = str(error.value)
    assert "LogBackward0" in message and "-inf" in message
    assert "SinBackward0" not in message and "MulBackward0" not in message
    with pytest.raises(BackpropError) as error:  # the first in the order they ran forward, not in the graph's order
        run("exp(x)*sqrt(x - 2)", x=1.0)
    assert "SqrtBackward0" in str(error.value) and "MulBackward0" not in str(error.value)


@pytest.mark.parametrize(
    ("text", "x0", "left", "right"), [("abs(x)", 0.0, -1, 1), ("abs(x) + relu(x - 1)", 1.0, 1, 2), ("relu(x)", 0.0, 0, 1)]
)
def test_at_a_kink_the_pass_says_the_derivative_does_not_exist(text: str, x0: float, left: int, right: int) -> None:
    result = run(text, x=x0)
    assert result.notice is not None
    assert f"f'(x) does not exist at x = {x0:g}: a kink, {left} from the left and {right} from the right" in result.notice
    assert "convention" in result.notice
    assert run(text, x=x0 + 0.25).notice is None  # beside it the derivative exists


def test_text_typed_twice_is_one_node_whose_gradient_sums_both_uses() -> None:
    result = run("sin(x)^2 + sin(x)*x", x=2.0)
    sines = [node for node in result.nodes if node.op == "SinBackward0"]
    assert len(sines) == 1  # fan-out in the middle of the graph
    sine = sines[0]
    s = math.sin(2.0)
    by_source = {result.node(a.source).op: a.value for a in sine.arrivals}
    assert by_source == {"PowBackward0": pytest.approx(2 * s, rel=1e-15), "MulBackward0": 2.0}  # d/ds of s^2 and of s*x
    assert sine.grad == pytest.approx(2 * s + 2.0, rel=1e-15)
    assert result.leaves["x"].grad == pytest.approx((2 * s + 2.0) * math.cos(2.0) + s, rel=1e-14)
    assert result.leaves["x"].sum_text() == f"x.grad = {s:.4f} − {-(2 * s + 2) * math.cos(2.0):.4f} = {result.leaves['x'].grad:.4f}"
    typed_apart = run("sin(x)^2 + sin(1*x)*x", x=2.0)  # typed differently: two nodes
    assert sum(node.op == "SinBackward0" for node in typed_apart.nodes) == 2
    assert typed_apart.leaves["x"].grad == pytest.approx(result.leaves["x"].grad, rel=1e-14)


def test_a_product_typed_with_x_twice_is_a_mul_of_x_with_itself() -> None:
    result = run("x*x + sin(x)", x=1.0)
    (mul,) = [node for node in result.nodes if node.op == "MulBackward0"]
    leaf = result.leaves["x"].node
    assert mul.inputs == (leaf, leaf) and not any(node.op == "PowBackward0" for node in result.nodes)
    assert sorted(result.leaves["x"].contributions) == pytest.approx(sorted([1.0, 1.0, math.cos(1.0)]), rel=1e-15)


def test_sums_with_negative_terms_are_written_as_differences() -> None:
    from engine.backprop import signed_sum

    assert signed_sum([0.9093, -0.8323]) == "0.9093 − 0.8323"
    assert signed_sum([-0.5, 0.25, -1e-9]) == "-0.5000 + 0.2500 − 1.0000e-09"
    assert signed_sum([]) == ""


@pytest.mark.parametrize("name", sorted(FUNCTION_ARITY))
def test_every_function_typed_is_the_function_sympy_means(name: str) -> None:
    text = "pow(x, 2.5)" if name == "pow" else f"{name}(x)"
    x0 = 0.7  # inside every domain (asin, acos, log, sqrt)
    result = run(text, x=x0)
    expected = compile_expression(parse_expression(text)).function(torch.tensor(x0, dtype=torch.float64)).item()
    assert result.value == pytest.approx(expected, rel=1e-15, abs=1e-300)
    leaf = result.leaves["x"]
    assert leaf.grad == pytest.approx(leaf.reference, rel=1e-14, abs=1e-300)
    if name != "softplus":  # softplus is whatever form engine.namespaces gives torch (a stable composite, maybe)
        assert len(result.nodes) == 2  # one operation on the leaf, as typed


@pytest.mark.parametrize(
    "text", ["x^3 - 2x + 1/x", "exp(-x^2)*sin(5x)", "(x + 1)*sin(sin(sin(x)))", "-x^2 + e^x - pi*x", "sqrt(1 + x^2)/log(2 + x)"]
)
def test_the_typed_function_has_the_value_of_sympys(text: str) -> None:
    for x0 in (-0.9, 0.3, 1.7):
        result = run(text, x=x0)
        expected = compile_expression(parse_expression(text)).function(torch.tensor(x0, dtype=torch.float64)).item()
        assert result.value == pytest.approx(expected, rel=1e-14)
        assert result.leaves["x"].grad == pytest.approx(result.leaves["x"].reference, rel=1e-13)


@pytest.mark.parametrize(
    ("text", "point", "options", "message"),
    [
        ("x", {"x": 1e5}, {"dtype": torch.float16}, "x = 100000 is beyond the range of float16 (it rounds to inf)"),
        ("x*sin(x)", {"x": 1.0}, {"max_nodes": 2}, "the graph is too large: torch built more than 2 nodes; try a shorter function"),
        ("2*pi", {"x": 1.0}, {}, "2*pi does not depend on x: torch records no graph, so backward() has nothing to run"),
        ("2", {"x": 1.0, "y": 1.0}, {}, "2 does not depend on x or y: torch records no graph, so backward() has nothing to run"),
        ("log(x)*y", {"x": 0.0, "y": 1.5}, {}, "log(x)*y is undefined at x = 0, y = 1.5: LogBackward0 (node n1) gives -inf"),
        ("x*y", {"x": 1.0}, {}, "the point must give exactly x, y: missing ['y'], extra nothing"),
    ],
)
def test_each_error_says_all_of_what_is_wrong(text: str, point: dict[str, float], options: dict[str, Any], message: str) -> None:
    variables = ("x", "y") if "y" in text or len(point) == 2 else ("x",)
    with pytest.raises(BackpropError) as error:
        backprop(parse_expression(text, variables), point, **options)
    assert str(error.value) == message
    with pytest.raises(BackpropError) as error:
        backprop(parse_expression("x"), {"x": 1.0, "y": 2.0})
    assert str(error.value) == "the point must give exactly x: missing nothing, extra ['y']"


def test_each_notice_and_sum_says_all_of_what_happened() -> None:
    expression = parse_expression("x^2", ("x", "y"))
    fresh = backprop(expression, {"x": 1.0, "y": 3.0})
    assert fresh.notice == "x^2 does not depend on y: backward() never reaches it, so its .grad stays None"
    assert fresh.leaves["y"].sum_text() == "y.grad = None (not reached)"
    assert fresh.leaves["x"].sum_text() == "x.grad = 2.0000"  # one path, nothing before: no sum to write out
    kept = backprop(expression, {"x": 1.0, "y": 3.0}, grads={"x": 2.0, "y": 0.5})
    assert kept.notice == "x^2 does not depend on y: backward() never reaches it, so its .grad stays what it was"
    assert kept.leaves["x"].sum_text() == "x.grad = 2.0000 + (2.0000) = 4.0000"
    assert kept.leaves["y"].sum_text() == "y.grad = 0.5000 + (0) = 0.5000"
    assert run("sqrt(x)", x=0.0).notice == "the gradient is not finite here: SqrtBackward0 (node n0) sent inf to n1"
    assert run("abs(x)", x=0.0).notice == (
        "f'(x) does not exist at x = 0: a kink, -1 from the left and 1 from the right. The .grad, exact and reference give a "
        "number by the convention of SymPy and torch (sign(0) = 0, relu'(0) = 0): a subgradient, not a derivative"
    )
    assert (run("abs(x - 0.125)", x=0.125).notice or "").startswith("f'(x) does not exist at x = 0.125: a kink, -1 from the left")


def test_an_operation_torch_cannot_run_in_the_dtype_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import engine.backprop

    def missing_kernel(value: torch.Tensor) -> torch.Tensor:
        raise RuntimeError(f'"sin_cpu" not implemented for {value.dtype}')

    monkeypatch.setitem(engine.backprop._TYPED_FUNCTIONS, "sin", missing_kernel)
    with pytest.raises(BackpropError) as error:
        backprop(parse_expression("x*sin(x)"), {"x": 1.0}, dtype=torch.float16)
    assert str(error.value) == 'torch cannot evaluate this in float16: "sin_cpu" not implemented for torch.float16'


def test_the_typed_tree_is_the_text_as_written_with_the_parsers_errors() -> None:
    from engine.syntax import Typed, parse_typed

    x = Typed("variable", name="x")
    assert parse_typed("x*x + sin(x)") == Typed("+", (Typed("*", (x, x)), Typed("sin", (x,))))
    two = Typed("number", value=2.0)
    minus_two_x_squared = Typed("*", (Typed("negate", (two,)), Typed("**", (x, two))))
    assert parse_typed("-2x^2 + pi") == Typed("+", (minus_two_x_squared, Typed("number", value=math.pi)))
    assert parse_typed("e - pow(x, y)", ("x", "y")) == Typed(
        "-", (Typed("number", value=math.e), Typed("pow", (x, Typed("variable", name="y"))))
    )
    for bad in ("sin(x", "2x +", "x + y", "x^^2", "import os", "x.grad", "9" * 400):
        with pytest.raises(ExpressionError) as typed:
            parse_typed(bad)
        if bad != "9" * 400:  # the SymPy backend keeps the exact integer; the typed tree needs a float
            with pytest.raises(ExpressionError) as sympy:
                parse_expression(bad)
            assert (typed.value.message, typed.value.column) == (sympy.value.message, sympy.value.column)
    assert "too large for float64" in str(typed.value)


def test_short_numbers_switch_to_scientific_form_at_a_thousandth_and_a_million() -> None:
    assert [short(v) for v in (1e-3, 0.0015, 9.9999e-4, 999999.0, 1.5e6, -1.5e6, 1e6)] == [
        "0.0010",
        "0.0015",
        "9.9999e-04",
        "999999.0000",
        "1.5000e+06",
        "-1.5000e+06",
        "1.0000e+06",
    ]


def test_a_zero_term_is_added_not_subtracted() -> None:
    from engine.backprop import signed_sum

    assert signed_sum([1.0, 0.0]) == "1.0000 + 0.0000"
    assert signed_sum([0.0, -2.0]) == "0.0000 − 2.0000"


def test_a_node_whose_first_input_was_seen_still_leads_to_its_others() -> None:
    # Add(x, Mul(x, Sin(x))): when the walk reaches Mul, x is known already; Sin is reached only through Mul
    result = run("x + x*sin(x)", x=1.0)
    assert sorted(node.op for node in result.nodes) == ["AccumulateGrad", "AddBackward0", "MulBackward0", "SinBackward0"]
    assert result.leaves["x"].grad == pytest.approx(1 + math.sin(1.0) + math.cos(1.0), rel=1e-15)


def test_an_input_that_needs_no_gradient_first_does_not_hide_the_ones_after_it() -> None:
    # The network's data x and t are tensors without requires_grad; written first, torch's next_functions start with None
    from engine.backprop import Checks, make_leaves, run_backward, trace

    constant = torch.tensor(2.0, dtype=torch.float64)
    leaves = make_leaves({"w": 0.5}, torch.float64, "cpu")
    result = run_backward("2·sin(w) + w", trace(lambda w: constant * torch.sin(w) + w, leaves), Checks({}, {}))
    assert sorted(node.op for node in result.nodes) == ["AccumulateGrad", "AddBackward0", "MulBackward0", "SinBackward0"]
    assert {node.id: node.depth for node in result.nodes} == longest_paths(result)
    assert result.leaves["w"].grad == pytest.approx(2 * math.cos(0.5) + 1, rel=1e-15)


def test_a_failing_backward_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def failing(self: torch.Tensor, *args: object, **kwargs: object) -> None:
        raise RuntimeError("the engine gave up")

    monkeypatch.setattr(torch.Tensor, "backward", failing)
    with pytest.raises(BackpropError) as error:
        run("x*sin(x)", x=1.0)
    assert str(error.value) == "backward() failed in float64 on cpu: the engine gave up"


def test_an_exact_derivative_torch_cannot_evaluate_is_nan_not_a_crash(monkeypatch: pytest.MonkeyPatch) -> None:
    import engine.backprop
    from engine.compiled import EvaluationError

    real = engine.backprop.compile_expression

    def unevaluable(*arguments: torch.Tensor) -> torch.Tensor:
        raise EvaluationError("cannot evaluate cos(x)*x + sin(x): not implemented for 'Half'")

    def compiled_without_exact(expression: object) -> object:
        from dataclasses import replace

        return replace(real(expression), exact=(unevaluable,))

    monkeypatch.setattr(engine.backprop, "compile_expression", compiled_without_exact)
    leaf = run("x*sin(x)", x=1.0).leaves["x"]
    assert math.isnan(leaf.exact) and leaf.grad == pytest.approx(math.sin(1) + math.cos(1), rel=1e-15)


def test_the_network_starts_where_its_help_and_the_cli_say() -> None:
    from engine.cli.backprop import DEFAULT_LEARNING_RATE_TEXT
    from engine.network import FORMULA
    from tui.demos.backprop.compute import NETWORK_FORMULA, NETWORK_LEARNING_RATE

    assert Network().parameters == {"w1": 0.6, "b1": -0.4, "w2": 0.9, "b2": 0.1}
    assert (Network().x, Network().t) == (1.5, 1.2)
    assert DEFAULT_LEARNING_RATE == float(DEFAULT_LEARNING_RATE_TEXT) == NETWORK_LEARNING_RATE == 0.05
    assert FORMULA == NETWORK_FORMULA == "L = (w2·tanh(w1·x + b1) + b2 − t)²"
    assert network_backprop().value == pytest.approx((0.9 * math.tanh(0.6 * 1.5 - 0.4) + 0.1 - 1.2) ** 2, rel=1e-15)
