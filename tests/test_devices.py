"""engine/devices.py: choosing a device and a dtype by name, with torch.cuda faked where the test needs a GPU.

No GPU is needed: `torch.cuda.is_available`, `device_count` and `get_device_name` are replaced with
monkeypatch, which is all engine.devices asks of torch.cuda. torch.device("cuda:1") is only a name, so it can be
built on a CPU-only torch.
"""

from __future__ import annotations

import pytest
import torch

from engine import devices
from engine.devices import DeviceError, available_devices, describe_device, dtype_name, parse_dtype, resolve_device, supported_dtypes


def fake_cuda(monkeypatch: pytest.MonkeyPatch, count: int, name: str = "NVIDIA H100 80GB HBM3") -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: count > 0)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: count)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda device=None: name)


# --- resolve_device -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["cpu", "CPU", " cpu "])
def test_cpu_by_name(name: str) -> None:
    assert resolve_device(name) == torch.device("cpu")


def test_auto_is_cpu_without_cuda_and_cuda_0_with_it(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_cuda(monkeypatch, 0)
    assert resolve_device("auto") == torch.device("cpu")
    assert resolve_device() == torch.device("cpu")
    fake_cuda(monkeypatch, 2)
    assert resolve_device("auto") == torch.device("cuda:0")


@pytest.mark.parametrize(("name", "device"), [("cuda", "cuda:0"), ("cuda:0", "cuda:0"), ("cuda:1", "cuda:1"), ("CUDA:1", "cuda:1")])
def test_cuda_by_name_with_two_gpus(monkeypatch: pytest.MonkeyPatch, name: str, device: str) -> None:
    fake_cuda(monkeypatch, 2)
    assert resolve_device(name) == torch.device(device)


def test_cuda_index_beyond_the_gpus_says_which_there_are(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_cuda(monkeypatch, 2)
    with pytest.raises(DeviceError) as raised:
        resolve_device("cuda:2")
    assert str(raised.value) == "device 'cuda:2' asked for, but torch sees 2 CUDA device(s): cuda:0..cuda:1"


@pytest.mark.parametrize("name", ["cuda", "cuda:0", "cuda:3"])
def test_cuda_on_a_cpu_only_build_says_so(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    fake_cuda(monkeypatch, 0)
    monkeypatch.setattr(torch.version, "cuda", None)
    with pytest.raises(DeviceError) as raised:
        resolve_device(name)
    assert str(raised.value) == (
        f"device {name!r} asked for, but torch {torch.__version__} (a CPU-only build) sees no CUDA device; use --device cpu"
    )


def test_cuda_build_without_a_visible_gpu_names_its_cuda_version(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_cuda(monkeypatch, 0)
    monkeypatch.setattr(torch.version, "cuda", "12.4")
    with pytest.raises(DeviceError, match=r"\(a CUDA 12.4 build\) sees no CUDA device; use --device cpu"):
        resolve_device("cuda")


@pytest.mark.parametrize("name", ["cuda:x", "cuda:-1", "cuda:1.5", "cuda: 1"])
def test_cuda_index_must_be_a_number(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    fake_cuda(monkeypatch, 2)  # the format is checked before what the machine has
    with pytest.raises(DeviceError) as raised:
        resolve_device(name)
    assert str(raised.value) == f"bad device {name.strip().lower()!r}: write cuda or cuda:N with N a number"


@pytest.mark.parametrize("name", ["tpu", "mps", "gpu", "", "cudax"])
def test_unknown_devices_list_the_known_ones(name: str) -> None:
    with pytest.raises(DeviceError) as raised:
        resolve_device(name)
    assert str(raised.value) == f"unknown device {name!r}: use auto, cpu, cuda or cuda:N"


def test_device_errors_are_value_errors() -> None:
    # the CLI turns ValueError subclasses into one line on stderr and exit status 2
    assert issubclass(DeviceError, ValueError)


# --- dtypes -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "dtype"),
    [("float64", torch.float64), ("float32", torch.float32), ("Float16", torch.float16), (" bfloat16 ", torch.bfloat16)],
)
def test_parse_dtype(name: str, dtype: torch.dtype) -> None:
    assert parse_dtype(name) is dtype
    assert dtype_name(dtype) == name.strip().lower()


@pytest.mark.parametrize("name", ["float8", "double", "int32", "complex64", ""])
def test_unsupported_dtypes_list_the_supported_ones(name: str) -> None:
    with pytest.raises(DeviceError) as raised:
        parse_dtype(name)
    assert str(raised.value) == f"unknown dtype {name!r}: use one of float64, float32, float16, bfloat16"


def test_every_dtype_works_on_this_cpu() -> None:
    assert supported_dtypes(torch.device("cpu")) == ["float64", "float32", "float16", "bfloat16"]


def test_a_dtype_whose_functions_fail_is_left_out(monkeypatch: pytest.MonkeyPatch) -> None:
    # as on a backend without float16 log: supported_dtypes runs sin, exp, log and autograd in each dtype
    real_log = torch.log

    def log(x: torch.Tensor) -> torch.Tensor:
        if x.dtype == torch.float16:
            raise RuntimeError("\"log_vml_cpu\" not implemented for 'Half'")
        return real_log(x)

    monkeypatch.setattr(devices.torch, "log", log)
    assert supported_dtypes(torch.device("cpu")) == ["float64", "float32", "bfloat16"]


# --- listing and describing ---------------------------------------------------------------------------


def test_available_devices(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_cuda(monkeypatch, 0)
    assert available_devices() == ["cpu"]
    fake_cuda(monkeypatch, 2)
    assert available_devices() == ["cpu", "cuda:0", "cuda:1"]


def test_describe_device(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_cuda(monkeypatch, 1)
    assert describe_device(torch.device("cpu")) == "cpu"
    assert describe_device(torch.device("cuda:0")) == "cuda:0 (NVIDIA H100 80GB HBM3)"


def test_rounding_notice_names_what_the_dtype_does_to_a_point() -> None:
    from engine.devices import held, rounding_notice

    assert held(1000.3, torch.float16) == 1000.5 and held(1e8, torch.bfloat16) == 100139008.0
    moved = "x = 1000.3 is 1000.5 in float16, the nearest value it holds: every figure is at x = 1000.5"
    assert rounding_notice(1000.3, torch.float16) == moved
    flushed = "x0 = 1e-10 is 0 in float16, the nearest value it holds: every figure is at x0 = 0"
    assert rounding_notice(1e-10, torch.float16, "x0") == flushed
    assert rounding_notice(-1e5, torch.float16) == "x = -100000 is beyond float16's range (at most 65504 in size): it becomes -inf"
    # a move hidden at 6 significant digits is not worth a note: float32's 0.3 is 0.30000001
    assert rounding_notice(0.3, torch.float32) is None and rounding_notice(0.1, torch.float64) is None


@pytest.mark.parametrize(
    "argv",
    [["derive", "sin(x)", "--at", "1"], ["sweep", "sin(x)", "--at", "1"], ["backprop", "x*sin(x)", "--at", "2"]],
    ids=["derive", "sweep", "backprop"],
)
def test_headless_commands_compute_on_one_thread(
    argv: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """torch's first parallel sin in a fresh process gave one thread's half 6.8e-9 off on a busy machine
    (scripts/parallel-sin-check); the commands' numbers come from one thread, and the caller's count comes back."""
    from engine.cli.main import main

    before = torch.get_num_threads()
    torch.set_num_threads(2)
    counts: list[int] = []
    real = torch.set_num_threads
    monkeypatch.setattr(torch, "set_num_threads", lambda n: (counts.append(n), real(n))[1])
    try:
        assert main([*argv, "--device", "cpu"]) == 0
        assert counts == [1, 2] and torch.get_num_threads() == 2
    finally:
        real(before)
    capsys.readouterr()
