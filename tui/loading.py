"""The slow imports and the device: everything the app asks of torch before it can compute.

Called from a thread worker (the imports take seconds) and from the device key.
"""

from __future__ import annotations

from dataclasses import replace

from tui.messages import TorchReady
from tui.state import Precision


def load_engine(requested_device: str) -> TorchReady:
    """Import torch, SymPy and the engine, and resolve the device; a device torch cannot give falls back to cpu."""
    import engine.derive
    import engine.fields
    import engine.sweep  # noqa: F401 - imported here, off the UI thread, so no screen pays for it later
    from engine.devices import DeviceError, available_devices, describe_device, resolve_device, supported_dtypes

    warning = None
    try:
        device = resolve_device(requested_device)
    except DeviceError as error:
        warning, device = f"{error}; using cpu", resolve_device("cpu")
    return TorchReady(str(device), describe_device(device), tuple(supported_dtypes(device)), tuple(available_devices()), warning)


def switch_device(precision: Precision, device_name: str) -> Precision:
    """The precision on another device, keeping the dtype where that device supports it."""
    from engine.devices import describe_device, resolve_device, supported_dtypes

    device = resolve_device(device_name)
    dtypes = tuple(supported_dtypes(device))
    dtype = precision.dtype if precision.dtype in dtypes else "float64"
    return replace(precision, device=str(device), device_label=describe_device(device), dtypes=dtypes, dtype=dtype)
