"""`calc-tui backprop EXPR --at X [--y Y]`: torch's autograd graph of f and the real backward() through it, node by node.

`--network` does the same for the tiny network preset L = (w2·tanh(w1·x + b1) + b2 − t)²,
after `--steps` SGD steps.
"""

from __future__ import annotations

import argparse
import math
from typing import TYPE_CHECKING, Any

from engine.cli.arguments import UserError, add_output, add_precision, count, number, positive
from engine.cli.output import Output, scientific
from engine.syntax import ExpressionError

if TYPE_CHECKING:
    from engine.backprop import BackwardPass
    from engine.expression import Expression

NAME = "backprop"
MAX_STEPS = 100_000  # about a minute of SGD steps on a CPU
HELP = "torch's autograd graph of EXPR and the backward pass through it, node by node"
DEFAULT_LEARNING_RATE_TEXT = "0.05"  # engine.network.DEFAULT_LEARNING_RATE, written out so --help needs no torch


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "expression", metavar="EXPR", type=str.strip, nargs="?", help="a function of x (or of x and y with --y), e.g. 'x*sin(x)'"
    )
    parser.add_argument("--at", type=number, metavar="X", help="x at which f is evaluated (a number or constant, e.g. pi/4)")
    parser.add_argument("--y", type=number, metavar="Y", help="y, for a function of x and y")
    parser.add_argument("--network", action="store_true", help="instead of EXPR, the tiny network L = (w2·tanh(w1·x + b1) + b2 − t)²")
    steps = count(0, MAX_STEPS, "each step is a full forward and backward pass")
    parser.add_argument(
        "--steps", type=steps, metavar="N", help=f"with --network: SGD steps to take first (default 0, at most {MAX_STEPS:,})"
    )
    learning_rate = f"with --network: the SGD learning rate (default {DEFAULT_LEARNING_RATE_TEXT})"
    parser.add_argument("--lr", type=positive, metavar="LR", help=learning_rate)
    add_precision(parser)
    add_output(parser)


def run(args: argparse.Namespace) -> Output:
    _check_options(args)  # before torch is imported, so that a wrong combination is answered at once
    expression = None if args.network else _parse(args.expression, with_y=args.y is not None)

    from engine.devices import compute_on_one_thread, parse_dtype, resolve_device

    dtype, device = parse_dtype(args.dtype), resolve_device(args.device)
    compute_on_one_thread()
    if expression is None:
        return _network(args, dtype, device)

    from engine.backprop import backprop

    point = {"x": args.at} if args.y is None else {"x": args.at, "y": args.y}
    result = backprop(expression, point, dtype, device)
    data = {"expression": args.expression, **pass_data(result, scalar_checks=args.y is None)}
    header = [
        f"f({', '.join(point)}) = {expression.text}   at {_point_text(result.point)}   dtype {result.dtype}   device {result.device}",
        f"f = {result.value:.17g}",
    ]
    return Output("\n".join([*header, "", *pass_table(result)]), data)


def _check_options(args: argparse.Namespace) -> None:
    if args.network:
        given = [name for name, value in (("EXPR", args.expression), ("--at", args.at), ("--y", args.y)) if value is not None]
        if given:
            raise UserError(f"--network takes no {' or '.join(given)}: the preset is its own function")
        return
    if args.steps is not None or args.lr is not None:
        raise UserError("--steps and --lr are for --network")
    if args.expression is None:
        raise UserError("give EXPR (a function of x) or --network")
    if args.at is None:
        raise UserError("give the point with --at X")


def _parse(text: str, with_y: bool) -> Expression:
    from engine.expression import parse_expression

    if with_y:
        return parse_expression(text, ("x", "y"))
    try:
        return parse_expression(text, ("x",))
    except ExpressionError as error:
        try:
            parse_expression(text, ("x", "y"))
        except ExpressionError:
            raise error from None
        raise ExpressionError(f"{error.message}; give --y Y for a function of x and y", error.column) from None


def _network(args: argparse.Namespace, dtype: Any, device: Any) -> Output:
    from engine.network import DEFAULT_LEARNING_RATE, FORMULA, Network, network_backprop, train

    steps = args.steps or 0
    learning_rate = DEFAULT_LEARNING_RATE if args.lr is None else args.lr
    network, losses = train(Network(), steps, learning_rate, dtype, device)
    result = network_backprop(network, dtype, device)
    data = {
        "expression": FORMULA,
        **pass_data(result, scalar_checks=False),
        "data": {"x": network.x, "t": network.t},
        "lr": learning_rate,
        "losses": list(losses),
    }
    header = [
        f"{FORMULA}   on the data point x = {network.x:g}, target t = {network.t:g}   dtype {result.dtype}   device {result.device}",
        f"parameters after {steps} SGD step{'s' if steps != 1 else ''} (lr {learning_rate:g}): {_point_text(result.point)}",
    ]
    if steps:
        header.append("loss at each step: " + "  ".join(f"{loss:.6g}" for loss in losses))
    header.append(f"L = {result.value:.17g}")
    return Output("\n".join([*header, "", *pass_table(result)]), data)


def _point_text(point: dict[str, float]) -> str:
    return ", ".join(f"{name} = {value!r}" for name, value in point.items())


def pass_data(result: BackwardPass, scalar_checks: bool) -> dict[str, Any]:
    """The JSON of a backward pass; `exact` and `reference` are plain numbers for f(x), else one per leaf."""
    leaves = result.leaves
    exact: Any = {name: leaf.exact for name, leaf in leaves.items()}
    reference: Any = {name: leaf.reference for name, leaf in leaves.items()}
    if scalar_checks:
        exact, reference = exact["x"], reference["x"]
    return {
        "point": dict(result.point),
        "value": result.value,
        "nodes": [{"id": n.id, "op": n.op, "inputs": list(n.inputs), "value": n.value, "grad": n.grad} for n in result.nodes],
        "order": list(result.order),
        "leaves": {name: {"grad": leaf.grad, "contributions": list(leaf.contributions)} for name, leaf in leaves.items()},
        "exact": exact,
        "reference": reference,
        "notice": result.notice,  # a kink, a gradient that is not finite, a leaf never reached; null when none
    }


def pass_table(result: BackwardPass) -> list[str]:
    """The graph, the backward pass step by step as the chain rule, and each leaf's .grad against SymPy and mpmath."""
    f = result.output
    lines = [f"torch's graph: n0 is the output; AccumulateGrad stores a leaf's .grad; grad is ∂{f}/∂(the node's output)"]
    lines.append(f"{'node':<6}{'op':<24}{'value':>22}{'grad':>22}   inputs")
    for node in result.nodes:
        op = f"{node.op} ({node.leaf})" if node.leaf else node.op
        lines.append(f"{node.id:<6}{op:<24}{node.value:>22.15g}{node.grad:>22.15g}   {' '.join(node.inputs) or '-'}")
    lines += ["", "backward(), in the order torch ran the nodes"]
    for step, node_id in enumerate(result.order, start=1):
        node = result.node(node_id)
        texts = [result.chain_rule(node.id, index) for index in range(len(node.edges))]
        if node.leaf:
            texts = [result.leaves[node.leaf].sum_text()]
        prefix = f"{step:>3}  {node.id:<5}{node.op:<22}"
        texts = texts or ["(no inputs need a gradient)"]
        lines += [(prefix if index == 0 else " " * len(prefix)) + text for index, text in enumerate(texts)]
    # One fresh backward(): .grad is this pass's gradient, the one the difference is about.
    lines += ["", f"{'leaf':<6}{'.grad':>24}{'exact (SymPy)':>24}{'reference (50 digits)':>24}{'.grad - reference':>20}"]
    for name, leaf in result.leaves.items():
        grad = "None" if leaf.grad is None else f"{leaf.grad:.17g}"
        difference = scientific(leaf.difference, 1) if leaf.received is not None else "-"
        reference = "undefined" if math.isnan(leaf.reference) else f"{leaf.reference:.17g}"
        lines.append(f"{name:<6}{grad:>24}{leaf.exact:>24.17g}{reference:>24}{difference:>20}")
    if result.notice:
        lines += ["", f"note: {result.notice}"]
    return lines
