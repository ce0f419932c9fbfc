"""The derivative of every point of x, one callable per method, eager or through torch.compile.

Each kernel takes the points already on the device in the working dtype and
returns f'(x) of the same shape, so what is timed is the derivative alone. The
kernels call the lambdified torch function itself once a probe has shown that
it returns a tensor of the points' shape: `TorchCallable`'s checks
(`torch.broadcast_shapes` on every call) cost about 7 us, a quarter of an
autograd call at N = 1000, and they guard nothing the probe has not checked.
"""

from __future__ import annotations

import importlib.util
import math
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sympy as sp
import torch

from engine.compiled import Compiled, TorchCallable
from engine.speed.report import base_method, is_compiled

Kernel = Callable[[torch.Tensor], torch.Tensor]
Compiler = Callable[[Kernel], Kernel]


@dataclass(frozen=True)
class Graphs:
    """What dynamo makes of a kernel: how many graphs, how many breaks between them, and why it broke."""

    graphs: int
    breaks: int
    reasons: tuple[str, ...] = ()
    complex_ops: bool = False  # an operation on complex tensors: inductor generates no code for it (eager fallback)
    operations: tuple[str, ...] = ()  # the tensor operations in the graphs, in order (one: nothing for a compiler to fuse)


GraphCheck = Callable[[Kernel, torch.Tensor], Graphs]

_COMPLEX_OF = {torch.float64: torch.complex128, torch.float32: torch.complex64, torch.float16: torch.complex32}

# Tensors of the working dtype alive at the peak of one call, per point: (fixed, per operation of f or f').
# An estimate made before a size runs; on CUDA the measured peak raises it.
_FOOTPRINT: dict[str, tuple[int, int]] = {
    "exact": (2, 1),  # x, f'(x), and the temporaries of f'
    "autograd": (4, 2),  # x, f(x), ones, the gradient, and per operation a saved tensor and a backward temporary
    "vmap-grad": (4, 2),
    "central": (6, 1),  # x, x+h, x-h, f(x+h), f(x-h), their difference, and f's temporaries
    "complex-step": (5, 2),  # z = x+ih (two words a point), the temporaries of f(z) (two each), h, the result
}


class Unavailable(Exception):
    """This method cannot run here; the message says why (shown in place of its row)."""


def operation_count(expr: sp.Expr) -> int:
    return max(1, int(sp.count_ops(expr)))


def footprint_bytes_per_point(compiled: Compiled, method: str, itemsize: int) -> int:
    fixed, per_operation = _FOOTPRINT[base_method(method)]
    expr = compiled.gradient[0] if base_method(method) == "exact" else compiled.expression.sympy
    return itemsize * (fixed + per_operation * operation_count(expr))


def bare(function: TorchCallable, probe: torch.Tensor) -> Callable[[torch.Tensor], Any]:
    """The lambdified function without its wrapper when it maps the probe to a tensor of its shape and dtype."""
    inner: Callable[[torch.Tensor], Any] = function._function  # the wrapper's only job is checked here, once
    try:
        out = inner(probe)
    except (RuntimeError, OverflowError, TypeError, ValueError, ZeroDivisionError, NameError):
        return function
    if isinstance(out, torch.Tensor) and out.shape == probe.shape and out.dtype == probe.dtype:
        return inner
    return function


def _step(dtype: torch.dtype, power: float) -> float:
    return math.pow(torch.finfo(dtype).eps, power)


AUTOGRAD_TRACED_AS = "compiled as torch.func.grad(sum of f): dynamo cannot trace torch.autograd.grad"


def build_kernel(compiled: Compiled, method: str, dtype: torch.dtype, device: torch.device) -> Kernel:
    """The kernel of `method` (a name from ALL_SPEED_METHODS) before any compiling; Unavailable when it does not apply.

    autograd's compiled twin is the same reverse-mode derivative written with torch.func.grad of the sum of f (for
    an elementwise f, d/dx_i sum f = f'(x_i)): dynamo breaks the graph at torch.autograd.grad and at requires_grad_,
    and would run the eager code with the compiler's overhead on top.
    """
    probe = torch.linspace(0.1, 0.9, 8, dtype=dtype, device=device)
    f = bare(compiled.function, probe)
    name = base_method(method)
    if name == "exact":
        exact: Kernel = bare(compiled.exact[0], probe)
        return exact
    if name == "autograd" and is_compiled(method):

        def summed(x: torch.Tensor) -> torch.Tensor:
            return f(x).sum()  # type: ignore[no-any-return]

        whole: Kernel = torch.func.grad(summed)
        return whole
    if name == "autograd":

        def autograd(x: torch.Tensor) -> torch.Tensor:
            x = x.detach().requires_grad_(True)
            y = f(x)
            if not y.requires_grad:  # f is constant: nothing to differentiate
                return torch.zeros_like(x)
            (grad,) = torch.autograd.grad(y, x, grad_outputs=torch.ones_like(y))
            return grad

        return autograd
    if name == "vmap-grad":
        per_point: Kernel = torch.func.vmap(torch.func.grad(f))
        return per_point
    if name == "central":
        h = _step(dtype, 1 / 3)

        def central(x: torch.Tensor) -> torch.Tensor:
            with torch.no_grad():
                return (f(x + h) - f(x - h)) / (2 * h)  # type: ignore[no-any-return]

        return central
    if name == "complex-step":
        if not compiled.analytic:
            raise Unavailable("not applicable: f has a kink or jump (abs, sign, relu), so it is not complex-analytic")
        if dtype not in _COMPLEX_OF:
            raise Unavailable(f"not applicable: torch has no complex type for {str(dtype).removeprefix('torch.')}")
        h = _step(dtype, 1.0)

        def complex_step(x: torch.Tensor) -> torch.Tensor:
            with torch.no_grad():
                z = torch.complex(x, torch.full((), h, dtype=x.dtype, device=x.device))
                return f(z).imag / h  # type: ignore[no-any-return]

        return complex_step
    raise ValueError(f"unknown speed method {method!r}")


def compile_problem(device: torch.device) -> str | None:
    """Why torch.compile cannot work here, found before trying (a missing compiler), or None."""
    if device.type == "cpu":
        compilers = [os.environ.get("CXX", ""), "g++", "c++", "clang++"]
        if not any(name and shutil.which(name) for name in compilers):
            return "no C++ compiler found: torch.compile on the CPU needs g++ or clang++ (or CXX set to one)"
    if device.type == "cuda" and importlib.util.find_spec("triton") is None:
        return "triton is not installed: torch.compile on CUDA needs it"
    return None


def explain_graphs(kernel: Kernel, probe: torch.Tensor) -> Graphs:
    """Dynamo's account of `kernel` on `probe` (tracing only, no code generated): its graphs and graph breaks."""
    import torch._dynamo

    explained = torch._dynamo.explain(kernel)(probe)  # the caller resets dynamo before compiling for real
    reasons = tuple(dict.fromkeys(_break_reason(str(getattr(b, "reason", b))) for b in explained.break_reasons))
    nodes = [node for graph in explained.graphs for node in graph.graph.nodes]
    complex_ops = any(getattr(node.meta.get("example_value"), "is_complex", lambda: False)() for node in nodes)
    tensor_calls = [n for n in nodes if n.op in ("call_function", "call_method") and isinstance(n.meta.get("example_value"), torch.Tensor)]
    operations = tuple(_operation_name(node.target) for node in tensor_calls)
    return Graphs(int(explained.graph_count), int(explained.graph_break_count), reasons, complex_ops, operations)


def _operation_name(target: object) -> str:
    return target if isinstance(target, str) else str(getattr(target, "__name__", target))


def _break_reason(text: str) -> str:
    """The first line of dynamo's reason, shortened to its cause: `torch.autograd.grad` where that is the cause."""
    line = text.strip().splitlines()[0] if text.strip() else "unknown"
    if "torch.autograd.grad" in line:
        return "torch.autograd.grad"
    return line if len(line) <= 120 else line[:119] + "…"


def torch_compile(kernel: Kernel) -> Kernel:
    """One compiled kernel for every N (dynamic shapes), so compiling happens once, at the first call."""
    compiled: Kernel = torch.compile(kernel, dynamic=True)
    return compiled


def kernel_for(compiled: Compiled, method: str, dtype: torch.dtype, device: torch.device, compiler: Compiler = torch_compile) -> Kernel:
    """The kernel of `method`, compiled when its name ends in -compiled; Unavailable with the reason otherwise."""
    kernel = build_kernel(compiled, method, dtype, device)
    if not is_compiled(method):
        return kernel
    problem = compile_problem(device)
    if problem is not None:
        raise Unavailable(problem)
    return compiler(kernel)
