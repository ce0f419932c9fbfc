"""`calc-tui backprop` through the real entry point (`python -m tui`), against the engine run in this process.

Each command pays for a fresh `import torch`, so there are few of them, all started together.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path

import pytest
import torch

from engine.backprop import backprop
from engine.expression import parse_expression
from engine.network import DEFAULT_LEARNING_RATE, Network, network_backprop, train

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT_S = 120  # a hang guard on a busy machine, not a benchmark

FAN_OUT_JSON = ("backprop", "x*sin(x)", "--at", "1", "--json")
TWO_VARIABLES_JSON = ("backprop", "x^2*y + sin(x*y)", "--at", "0.5", "--y", "2", "--dtype", "float32", "--json")
FAN_OUT_TABLE = ("backprop", "x*sin(x)", "--at", "1")
NETWORK_JSON = ("backprop", "--network", "--steps", "2", "--json")
Y_WITHOUT_ITS_VALUE = ("backprop", "sin(y)", "--at", "1")
UNDEFINED = ("backprop", "log(x)", "--at", "0")
CONSTANT = ("backprop", "2*pi", "--at", "1")
NETWORK_WITH_EXPRESSION = ("backprop", "x^2", "--network")
NETWORK_LR_JSON = ("backprop", "--network", "--steps", "3", "--lr", "0.5", "--json")
KINK_TABLE = ("backprop", "abs(x)", "--at", "0")
KINK_JSON = ("backprop", "abs(x)", "--at", "0", "--json")
TYPED_TABLE = ("backprop", "x*x + sin(x)", "--at", "1")
ALL = (
    FAN_OUT_JSON,
    TWO_VARIABLES_JSON,
    FAN_OUT_TABLE,
    NETWORK_JSON,
    Y_WITHOUT_ITS_VALUE,
    UNDEFINED,
    CONSTANT,
    NETWORK_WITH_EXPRESSION,
    NETWORK_LR_JSON,
    KINK_TABLE,
    KINK_JSON,
    TYPED_TABLE,
)


@cache
def run_command(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    return subprocess.run([sys.executable, "-m", "tui", *args], capture_output=True, text=True, timeout=TIMEOUT_S, cwd=ROOT, env=env)


@pytest.fixture(scope="module", autouse=True)
def _run_all_commands_up_front() -> None:
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda args: run_command(*args), ALL))


def output_json(args: tuple[str, ...]) -> dict:
    done = run_command(*args)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    return json.loads(done.stdout)


def user_error(args: tuple[str, ...]) -> str:
    done = run_command(*args)
    assert "Traceback" not in done.stderr, done.stderr
    assert (done.returncode, done.stdout) == (2, ""), (done.returncode, done.stdout, done.stderr)
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    return lines[0]


def test_json_has_the_issue_shape_and_the_engines_numbers() -> None:
    data = output_json(FAN_OUT_JSON)
    assert list(data) == ["expression", "point", "value", "nodes", "order", "leaves", "exact", "reference", "notice"]
    assert data["notice"] is None
    assert data["expression"] == "x*sin(x)" and data["point"] == {"x": 1.0}
    assert data["value"] == math.sin(1.0)
    assert [(n["id"], n["op"], n["inputs"]) for n in data["nodes"]] == [
        ("n0", "MulBackward0", ["n1", "n2"]),
        ("n1", "AccumulateGrad", []),
        ("n2", "SinBackward0", ["n1"]),
    ]
    assert all(set(node) == {"id", "op", "inputs", "value", "grad"} for node in data["nodes"])
    assert data["order"] == ["n0", "n2", "n1"]
    assert data["leaves"] == {"x": {"grad": math.sin(1.0) + math.cos(1.0), "contributions": [math.sin(1.0), math.cos(1.0)]}}
    assert data["exact"] == pytest.approx(math.sin(1.0) + math.cos(1.0), rel=1e-15)
    assert data["reference"] == pytest.approx(math.sin(1.0) + math.cos(1.0), rel=1e-15)

    engine = backprop(parse_expression("x*sin(x)"), {"x": 1.0})
    assert [(n["value"], n["grad"]) for n in data["nodes"]] == [(n.value, n.grad) for n in engine.nodes]
    assert (data["exact"], data["reference"]) == (engine.leaves["x"].exact, engine.leaves["x"].reference)


def test_json_for_two_variables_in_float32_has_both_leaves_and_checks_per_variable() -> None:
    data = output_json(TWO_VARIABLES_JSON)
    x, y = 0.5, 2.0
    expected = {"x": 2 * x * y + y * math.cos(x * y), "y": x**2 + x * math.cos(x * y)}
    assert data["point"] == {"x": x, "y": y}
    assert set(data["leaves"]) == {"x", "y"}
    for name in "xy":
        leaf = data["leaves"][name]
        assert leaf["grad"] == pytest.approx(expected[name], rel=1e-6)
        assert len(leaf["contributions"]) == 2 and sum(leaf["contributions"]) == pytest.approx(leaf["grad"], rel=1e-6)
        assert data["exact"][name] == pytest.approx(expected[name], rel=1e-6)  # SymPy's formula in float32
        assert data["reference"][name] == pytest.approx(expected[name], rel=1e-15)  # 50 digits
    engine = backprop(parse_expression("x^2*y + sin(x*y)", ("x", "y")), {"x": x, "y": y}, dtype=torch.float32)
    assert [(n["op"], n["value"], n["grad"]) for n in data["nodes"]] == [(n.op, n.value, n.grad) for n in engine.nodes]
    assert data["order"] == list(engine.order)
    assert data["exact"] == {name: leaf.exact for name, leaf in engine.leaves.items()}
    assert data["exact"] != data["reference"]


def test_table_shows_the_graph_the_chain_rule_and_the_fan_out_sum() -> None:
    done = run_command(*FAN_OUT_TABLE)
    assert done.returncode == 0, done.stderr
    text = done.stdout
    assert "f(x) = x*sin(x)" in text
    assert "AccumulateGrad (x)" in text and "SinBackward0" in text
    assert "∂f/∂x = ∂f/∂n2 · ∂n2/∂x = 1.0000 × 0.5403 = 0.5403" in text
    assert "x.grad = 0.8415 + 0.5403 = 1.3818" in text
    leaf_row = text.splitlines()[-1].split()
    assert leaf_row[:4] == ["x", *[repr(math.sin(1.0) + math.cos(1.0))] * 3]


def test_network_json_after_sgd_steps() -> None:
    data = output_json(NETWORK_JSON)
    assert data["lr"] == DEFAULT_LEARNING_RATE  # the CLI's default is the engine's
    network, losses = train(Network(), 2, DEFAULT_LEARNING_RATE)
    assert data["losses"] == list(losses) and losses[2] < losses[1] < losses[0]
    assert data["point"] == network.parameters
    assert data["data"] == {"x": Network().x, "t": Network().t}
    assert data["value"] == losses[-1]
    engine = network_backprop(network)
    assert data["leaves"] == {name: {"grad": leaf.grad, "contributions": list(leaf.contributions)} for name, leaf in engine.leaves.items()}
    assert data["reference"] == pytest.approx({name: leaf.grad for name, leaf in engine.leaves.items()}, rel=1e-14)


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (Y_WITHOUT_ITS_VALUE, ["bad expression 'sin(y)'", "'y' is not a variable here", "--y Y"]),
        (UNDEFINED, ["log(x) is undefined at x = 0", "LogBackward0"]),
        (CONSTANT, ["2*pi does not depend on x"]),
        (NETWORK_WITH_EXPRESSION, ["--network takes no EXPR"]),
    ],
    ids=["y without --y", "undefined", "constant", "network with EXPR"],
)
def test_user_errors_are_one_line_and_exit_2(args: tuple[str, ...], fragments: list[str]) -> None:
    line = user_error(args)
    assert line.startswith("calc-tui: error: ")
    for fragment in fragments:
        assert fragment in line


def hand_network_losses(learning_rate: float, steps: int) -> list[float]:
    """The loss of L = (w2·tanh(w1·x + b1) + b2 − t)² before each SGD step and after the last, by hand."""
    w1, b1, w2, b2, x, t = 0.6, -0.4, 0.9, 0.1, 1.5, 1.2
    losses = []
    for _ in range(steps + 1):
        hidden = math.tanh(w1 * x + b1)
        residual = w2 * hidden + b2 - t
        losses.append(residual**2)
        through_tanh = 2 * residual * w2 * (1 - hidden**2)
        w1, b1, w2, b2 = (
            w1 - learning_rate * through_tanh * x,
            b1 - learning_rate * through_tanh,
            w2 - learning_rate * 2 * residual * hidden,
            b2 - learning_rate * 2 * residual,
        )
    return losses


def test_network_trains_with_the_learning_rate_it_was_given() -> None:
    data = output_json(NETWORK_LR_JSON)
    assert data["lr"] == 0.5
    assert data["losses"] == pytest.approx(hand_network_losses(0.5, 3), rel=1e-12)
    assert data["losses"] != pytest.approx(hand_network_losses(DEFAULT_LEARNING_RATE, 3), rel=1e-3)
    assert data["value"] == pytest.approx(data["losses"][-1], rel=1e-15)


def test_at_a_kink_the_cli_says_the_derivative_does_not_exist() -> None:
    done = run_command(*KINK_TABLE)
    assert done.returncode == 0, done.stderr
    note = done.stdout.splitlines()[-1]
    assert note.startswith("note: f'(x) does not exist at x = 0: a kink, -1 from the left and 1 from the right")
    data = output_json(KINK_JSON)
    assert data["notice"] == note.removeprefix("note: ")
    assert data["leaves"]["x"]["grad"] == 0.0  # torch's convention, which the note explains


def test_the_graph_is_the_one_of_the_text_as_typed() -> None:
    done = run_command(*TYPED_TABLE)
    assert done.returncode == 0, done.stderr
    text = done.stdout
    assert text.startswith("f(x) = x*x + sin(x)   at x = 1.0")  # not SymPy's x**2 + sin(x)
    assert "PowBackward0" not in text
    rows = {line.split()[0]: line.split() for line in text.splitlines() if line.startswith("n")}
    mul = next(row for row in rows.values() if row[1] == "MulBackward0")
    leaf = next(name for name, row in rows.items() if row[1] == "AccumulateGrad")
    assert mul[-2:] == [leaf, leaf]  # x used twice by one Mul
    assert f"x.grad = {math.cos(1):.4f} + 1.0000 + 1.0000 = {2 + math.cos(1):.4f}" in text
