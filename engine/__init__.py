"""The numerical core of calc-tui: expressions, derivatives, error-vs-h sweeps, fields and descent.

Pure functions over torch tensors returning small result objects; no UI and no
global state. Submodules import torch lazily where they can, so that parsing an
expression does not pay for `import torch`.
"""
