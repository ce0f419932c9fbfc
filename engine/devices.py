"""Which device and dtype the numbers are computed on, chosen by name."""

from __future__ import annotations

import math

import torch

from engine.vocabulary import DTYPE_NAMES

DTYPES: dict[str, torch.dtype] = {name: getattr(torch, name) for name in DTYPE_NAMES}


class DeviceError(ValueError):
    """The user asked for a device or dtype this machine's torch cannot give."""


def resolve_device(name: str = "auto") -> torch.device:
    """`auto` (CUDA when torch sees one, else CPU), `cpu`, `cuda` or `cuda:N`."""
    name = name.strip().lower()
    if name == "auto":
        return torch.device("cuda:0" if torch.cuda.is_available() else "cpu")
    if name == "cpu":
        return torch.device("cpu")
    if name == "cuda" or name.startswith("cuda:"):
        index_text = name.partition(":")[2] or "0"
        if not index_text.isdigit():
            raise DeviceError(f"bad device {name!r}: write cuda or cuda:N with N a number")
        if not torch.cuda.is_available():
            built = f"a CUDA {torch.version.cuda} build" if torch.version.cuda else "a CPU-only build"
            raise DeviceError(f"device {name!r} asked for, but torch {torch.__version__} ({built}) sees no CUDA device; use --device cpu")
        count = torch.cuda.device_count()
        if int(index_text) >= count:
            raise DeviceError(f"device {name!r} asked for, but torch sees {count} CUDA device(s): cuda:0..cuda:{count - 1}")
        return torch.device(f"cuda:{int(index_text)}")
    raise DeviceError(f"unknown device {name!r}: use auto, cpu, cuda or cuda:N")


def parse_dtype(name: str) -> torch.dtype:
    try:
        return DTYPES[name.strip().lower()]
    except KeyError:
        raise DeviceError(f"unknown dtype {name!r}: use one of {', '.join(DTYPES)}") from None


def dtype_name(dtype: torch.dtype) -> str:
    return next(name for name, value in DTYPES.items() if value == dtype)


def supported_dtypes(device: torch.device) -> list[str]:
    """The dtypes whose elementary functions and autograd work on `device` with this torch."""
    supported = []
    for name, dtype in DTYPES.items():
        try:
            x = torch.linspace(0.1, 1.0, 4, dtype=dtype, device=device, requires_grad=True)
            torch.autograd.grad((torch.sin(x) * torch.exp(x) + torch.log(x)).sum(), x)
        except (RuntimeError, TypeError):
            continue
        supported.append(name)
    return supported


def available_devices() -> list[str]:
    return ["cpu", *(f"cuda:{i}" for i in range(torch.cuda.device_count() if torch.cuda.is_available() else 0))]


def describe_device(device: torch.device) -> str:
    """`cpu`, or `cuda:0 (NVIDIA H100 80GB HBM3)`."""
    if device.type == "cuda":
        return f"{device} ({torch.cuda.get_device_name(device)})"
    return str(device)


def held(x: float, dtype: torch.dtype) -> float:
    """x as `dtype` holds it: the nearest value it can represent (inf beyond its range)."""
    return float(torch.tensor(x, dtype=torch.float64).to(dtype))


def rounding_notice(x: float, dtype: torch.dtype, name: str = "x") -> str | None:
    """What `dtype` does to the point x when that shows in 6 significant digits (float16 and bfloat16 move it far:
    1000.3 is 1000.5 in float16), or None. Every method and the reference then work at the held point."""
    kept, typed = held(x, dtype), f"{x:.6g}"
    if f"{kept:.6g}" == typed:
        return None
    if not math.isfinite(kept):
        limit = torch.finfo(dtype).max
        return f"{name} = {typed} is beyond {dtype_name(dtype)}'s range (at most {limit:.6g} in size): it becomes {kept:g}"
    return f"{name} = {typed} is {kept:.6g} in {dtype_name(dtype)}, the nearest value it holds: every figure is at {name} = {kept:.6g}"


def compute_on_one_thread() -> None:
    """One torch thread for a headless command's computations (derive, sweep, backprop), as the app uses.

    Measured with torch 2.13 on the 2-core Intel VM: in a fresh process, the first parallel torch.sin of a float64
    tensor split over two threads came back with the second thread's half up to 6.8e-9 off (rows 8-15 of a 16 x 400
    sweep: forward differences 6.8e+00 wrong at h = 1e-9), in 3 of 20 processes while another process kept the
    cores busy; never with one thread (`scripts/parallel-sin-check` repeats it). The arrays here are small, so one
    thread costs little, and a number that depends on thread timing is not a number to print.
    `restore_threads` puts the caller's count back (engine.cli.main does, after each command).
    """
    global _threads_before
    if _threads_before is None:
        _threads_before = torch.get_num_threads()
    torch.set_num_threads(1)


_threads_before: int | None = None  # the count compute_on_one_thread replaced, until restore_threads


def restore_threads() -> None:
    global _threads_before
    if _threads_before is not None:
        torch.set_num_threads(_threads_before)
        _threads_before = None
