"""The slow imports and the device: everything the app asks of torch before it can compute.

Called from a thread worker (the imports take seconds) and from the device key.
"""

from __future__ import annotations

import gc
import os
from dataclasses import replace

from tui.messages import TorchReady
from tui.state import Precision

# torch's own thread count (one per core), recorded before the app drops to one: the Speed demo's "all cores".
torch_threads: int | None = None
imports_frozen = False  # load_engine froze the objects its imports left (gc.freeze), once for the process


def use_interactive_threads() -> None:
    """One torch thread for the app's computations (CALC_TUI_THREADS=N: N threads, 0: torch's own count).

    A demo's arrays are small (400 points x 61 steps), and on a busy machine each parallel torch operation waits
    for its second thread to be scheduled: an Error vs h sweep took a median 293 ms with torch's 2 threads and
    64 ms with one, Compare's computation 25 and 6 ms (interleaved, load average 2.3 on 2 cores). The Speed
    demo measures with `torch_threads` unless told 1.
    """
    import torch

    global torch_threads
    if torch_threads is None:
        torch_threads = torch.get_num_threads()
    wanted = os.environ.get("CALC_TUI_THREADS", "1").strip()
    count = int(wanted) if wanted.isdigit() else 1
    torch.set_num_threads(count if count > 0 else torch_threads)


def load_engine(requested_device: str) -> TorchReady:
    """Import torch, SymPy and the engine, and resolve the device; a device torch cannot give falls back to cpu."""
    # torch, SymPy and Textual leave ~290,000 long-lived objects, and every full collection walked them all: one took
    # 160 ms in the middle of a key press (Error vs h, `d`), and the imports themselves set off four more (240 ms, the
    # UI thread waiting on each). So no collection while importing, and what is there afterwards is frozen: a full
    # collection then walks only what the app made since (13 ms measured).
    # (build_app turned the collector off already, for the app's own imports before the first frame.)
    global imports_frozen
    gc.disable()
    try:
        import engine.derive
        import engine.fields
        import engine.sweep  # noqa: F401 - imported here, off the UI thread, so no screen pays for it later
    finally:
        # Once a process: a later app in the same process (the tests run thousands) would freeze the last one's garbage.
        if not imports_frozen:
            gc.freeze()
            imports_frozen = True
        gc.enable()
    from engine.devices import DeviceError, available_devices, describe_device, resolve_device, supported_dtypes

    use_interactive_threads()
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
