"""The numerical core of calc-tui: expressions, derivatives, error-vs-h sweeps, fields and descent.

Pure functions over torch tensors returning small result objects; no UI and no
global state. Submodules import torch lazily where they can, so that parsing an
expression does not pay for `import torch`.
"""

import os
import sys

# torch reads THP_MEM_ALLOC_ENABLE once, at its first allocation: set before torch loads, buffers of 2 MiB and more
# are advised onto transparent huge pages, which held the Speed demo's CPU timings at N = 1e6 within a few percent
# between runs where 4 KiB pages let them swing by 30-40% (engine.speed.machine.steady_allocator says more).
# A user's own setting stands.
TORCH_HUGE_PAGES = "torch" not in sys.modules and os.environ.setdefault("THP_MEM_ALLOC_ENABLE", "1") == "1"
