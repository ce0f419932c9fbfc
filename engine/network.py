"""The tiny network preset: one hidden unit, one data point, squared error, trained by SGD on torch's own graph.

    L = (w2·tanh(w1·x + b1) + b2 − t)²

The weights and biases are the leaves (requires_grad=True), the data point x and
its target t are plain tensors, and the graph is built with torch operations
directly (the parser only knows x and y), then traced by the same walker and
hooks as any typed function, so every parameter gets its .grad "through a
network's layers". An SGD step p ← p − lr·p.grad is done by torch on the leaf
tensors, as an optimizer would.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from functools import lru_cache

import sympy as sp
import torch

from engine.backprop import MAX_GRAPH_NODES, BackwardPass, Checks, Grads, make_leaves, run_backward, trace
from engine.compiled import MpmathCallable, TorchCallable, mpmath_callable, torch_callable

PARAMETERS: tuple[str, ...] = ("w1", "b1", "w2", "b2")
FORMULA = "L = (w2·tanh(w1·x + b1) + b2 − t)²"
DEFAULT_LEARNING_RATE = 0.05


@dataclass(frozen=True)
class Network:
    """The parameters and the one training example (x, t); the defaults learn visibly: the loss falls every step."""

    w1: float = 0.6
    b1: float = -0.4
    w2: float = 0.9
    b2: float = 0.1
    x: float = 1.5  # not 1, so that w1 (times x) and b1 get different gradients
    t: float = 1.2

    @property
    def parameters(self) -> dict[str, float]:
        return {name: float(getattr(self, name)) for name in PARAMETERS}


@dataclass(frozen=True)
class TrainingStep:
    """One SGD step: the pass whose .grad it used, the new parameters, and the pass at them (loss and graph)."""

    learning_rate: float
    before: BackwardPass
    network: Network
    after: BackwardPass

    @property
    def loss_before(self) -> float:
        return self.before.value

    @property
    def loss(self) -> float:
        return self.after.value


def _loss(x: torch.Tensor, t: torch.Tensor, w1: torch.Tensor, b1: torch.Tensor, w2: torch.Tensor, b2: torch.Tensor) -> torch.Tensor:
    hidden = torch.tanh(w1 * x + b1)
    return (w2 * hidden + b2 - t) ** 2


@dataclass(frozen=True)
class _Derivatives:
    exact: tuple[TorchCallable, ...]  # ∂L/∂p for each parameter, of (w1, b1, w2, b2, x, t)
    reference: tuple[MpmathCallable, ...]
    loss: MpmathCallable


@lru_cache(maxsize=1)
def _derivatives() -> _Derivatives:
    w1, b1, w2, b2, x, t = symbols = sp.symbols("w1 b1 w2 b2 x t", real=True)
    loss = (w2 * sp.tanh(w1 * x + b1) + b2 - t) ** 2
    gradient = [sp.diff(loss, p) for p in (w1, b1, w2, b2)]
    return _Derivatives(
        exact=tuple(torch_callable(g, symbols) for g in gradient),
        reference=tuple(mpmath_callable(g, symbols) for g in gradient),
        loss=mpmath_callable(loss, symbols),
    )


def _checks(leaves: dict[str, torch.Tensor], data: tuple[torch.Tensor, torch.Tensor]) -> Checks:
    derivatives = _derivatives()
    arguments = (*(leaf.detach() for leaf in leaves.values()), *data)
    held = tuple(float(a.to("cpu", torch.float64)) for a in arguments)
    with torch.no_grad():
        exact = {name: float(d(*arguments).to("cpu", torch.float64)) for name, d in zip(PARAMETERS, derivatives.exact, strict=True)}
    defined = math.isfinite(derivatives.loss(*held))
    reference = {
        name: value if defined and math.isfinite(value := d(*held)) else math.nan
        for name, d in zip(PARAMETERS, derivatives.reference, strict=True)
    }
    return Checks(exact, reference)


def _data(network: Network, dtype: torch.dtype, device: torch.device | str) -> tuple[torch.Tensor, torch.Tensor]:
    return tuple(torch.tensor(value, dtype=torch.float64).to(device=device, dtype=dtype) for value in (network.x, network.t))  # type: ignore[return-value]


def network_backprop(
    network: Network = Network(),
    dtype: torch.dtype = torch.float64,
    device: torch.device | str = "cpu",
    grads: Grads | None = None,
) -> BackwardPass:
    """The loss at the network's parameters and a real backward(): every parameter's .grad, node by node.

    `grads` are the parameters' .grad before backward(), as for `engine.backprop.backprop`.
    """
    leaves = make_leaves(network.parameters, dtype, device)
    x, t = data = _data(network, dtype, device)
    traced = trace(lambda w1, b1, w2, b2: _loss(x, t, w1, b1, w2, b2), leaves)
    return run_backward(FORMULA, traced, _checks(leaves, data), grads, MAX_GRAPH_NODES, output_name="L")


def sgd_step(
    network: Network,
    grads: Grads,
    learning_rate: float = DEFAULT_LEARNING_RATE,
    dtype: torch.dtype = torch.float64,
    device: torch.device | str = "cpu",
) -> Network:
    """p ← p − lr·p.grad on each parameter, by torch on the leaf tensors; a parameter whose .grad is None stays.

    `grads` is the .grad state as it stands (a pass's `.grads`): accumulated twice, the step is twice as long,
    which is why a training loop zeroes the grads before each backward().
    """
    leaves = make_leaves(network.parameters, dtype, device)
    with torch.no_grad():
        for name, leaf in leaves.items():
            grad = grads.get(name)
            if grad is not None:
                leaf -= learning_rate * torch.full_like(leaf, grad)
    return replace(network, **{name: float(leaf.detach().to("cpu", torch.float64)) for name, leaf in leaves.items()})


def train_step(
    network: Network,
    learning_rate: float = DEFAULT_LEARNING_RATE,
    dtype: torch.dtype = torch.float64,
    device: torch.device | str = "cpu",
) -> TrainingStep:
    """zero_grad, backward() and one SGD step, then the loss and graph at the new parameters."""
    before = network_backprop(network, dtype, device)
    stepped = sgd_step(network, before.grads, learning_rate, dtype, device)
    return TrainingStep(learning_rate, before, stepped, network_backprop(stepped, dtype, device))


def train(
    network: Network,
    steps: int,
    learning_rate: float = DEFAULT_LEARNING_RATE,
    dtype: torch.dtype = torch.float64,
    device: torch.device | str = "cpu",
) -> tuple[Network, tuple[float, ...]]:
    """`steps` SGD steps; the network reached and the loss before each step and after the last."""
    losses = []
    for _ in range(steps):
        current = network_backprop(network, dtype, device)  # fresh leaves: the grads start from None, as after zero_grad
        losses.append(current.value)
        network = sgd_step(network, current.grads, learning_rate, dtype, device)
    losses.append(network_backprop(network, dtype, device).value)
    return network, tuple(losses)
