"""Every function in the vocabulary at extreme arguments, by the three backends a user's f goes through: torch (what
every method differentiates), the plain-Python preview (the app's first frame) and mpmath at 50 digits (the
reference). They must be the same mathematical function: where one is defined the others are, to within

    TOLERANCE_ULPS ulps of the reference, plus the smallest normal number (2.2e-308) absolute: a subnormal result may
    be flushed to 0 (torch.sigmoid(-740) is 1 / (1 + e^740) = 0, for a true 4.2e-322; the preview and the reference
    keep it). Where the reference is not a finite float64 (undefined, or overflowing) the others must not be either.

The points: |x| up to 700 (and past overflow), results that are subnormal or underflow, and x next to each domain edge.
softplus is log(1 + e^x) itself: torch's F.softplus returns x for x > 20 (so f'' = 0 there), the reason for this file.
"""

from __future__ import annotations

import math

import pytest
import torch

from engine.compiled import compile_expression
from engine.expression import parse_expression
from engine.preview import evaluate
from engine.reference import reference_function
from engine.vocabulary import FUNCTION_ARITY

TOLERANCE_ULPS = 4
SMALLEST_NORMAL = float(torch.finfo(torch.float64).smallest_normal)
EPS = float(torch.finfo(torch.float64).eps)
SUBNORMAL = 2.0**-1074
BELOW_ONE = 1 - EPS / 2  # the float64 just below 1

# (f, x): for each function of the vocabulary
AUDIT: list[tuple[str, float]] = [
    *[("sin(x)", x) for x in (700.0, -700.0, 1e-300, 1e300)],
    *[("cos(x)", x) for x in (700.0, -700.0, 1.5707963267948966)],
    *[("tan(x)", x) for x in (700.0, 1.5707963267948966, -1.5707963267948966, 1e-300)],
    *[("asin(x)", x) for x in (1.0, -1.0, BELOW_ONE, 1e-300, 1 + EPS, SUBNORMAL)],
    *[("acos(x)", x) for x in (1.0, -1.0, BELOW_ONE, -BELOW_ONE, 1 + EPS)],
    *[("atan(x)", x) for x in (700.0, -1e300, 1e-300)],
    *[("sinh(x)", x) for x in (700.0, -700.0, 710.0, 1e-300)],
    *[("cosh(x)", x) for x in (700.0, -700.0, 711.0)],
    *[("tanh(x)", x) for x in (700.0, -700.0, 1e-300, 19.0)],
    *[("exp(x)", x) for x in (700.0, 709.7, 710.0, -700.0, -708.0, -740.0, -745.0, -746.0)],
    *[(f"{log}(x)", x) for log in ("log", "ln", "log10", "log2") for x in (1e-300, SUBNORMAL, 1e300, 1 + EPS, BELOW_ONE, 0.0, -1.0)],
    *[("sqrt(x)", x) for x in (SUBNORMAL, 1e-300, 1e300, 0.0, -1e-300)],
    *[("abs(x)", x) for x in (-700.0, 0.0, -SUBNORMAL)],
    *[("sign(x)", x) for x in (-700.0, 0.0, SUBNORMAL, -SUBNORMAL)],
    *[("sigmoid(x)", x) for x in (700.0, -700.0, -740.0, -745.0, 20.0, 40.0, 0.0)],
    *[("relu(x)", x) for x in (-700.0, 700.0, 0.0, SUBNORMAL)],
    *[("softplus(x)", x) for x in (700.0, -700.0, -740.0, -745.0, 20.0, 20.5, 21.0, 36.0, 40.0, 0.0, -20.0)],
    *[("pow(x, 2)", x) for x in (1e154, 1e-160, 1e-170, -1e154)],
    *[("pow(x, 0.5)", x) for x in (SUBNORMAL, 1e300, -1.0)],
    *[("pow(2, x)", x) for x in (1023.0, 1024.0, -1074.0, -1075.5)],
]


def agree(value: float, reference: float) -> bool:
    if not math.isfinite(reference):
        return not math.isfinite(value)  # undefined or overflowing in both: the point is not a number in float64
    return math.isfinite(value) and abs(value - reference) <= TOLERANCE_ULPS * EPS * abs(reference) + SMALLEST_NORMAL


def test_the_audit_covers_every_function_of_the_vocabulary() -> None:
    called = {text.split("(")[0] for text, _ in AUDIT}
    assert called == set(FUNCTION_ARITY)


@pytest.mark.parametrize(("text", "x"), AUDIT, ids=[f"{t}@{x:.17g}" for t, x in AUDIT])
def test_torch_the_preview_and_mpmath_are_the_same_function(text: str, x: float) -> None:
    expression = parse_expression(text)
    point = torch.tensor([x], dtype=torch.float64)
    reference = float(reference_function(expression, point)[0])
    with torch.no_grad():
        in_torch = float(compile_expression(expression).function(point)[0])
    (preview,) = evaluate(text, [x])
    assert agree(in_torch, reference), f"torch {in_torch!r} against mpmath {reference!r}"
    assert agree(preview, reference), f"preview {preview!r} against mpmath {reference!r}"
    if 0 < abs(reference) < SMALLEST_NORMAL:
        assert preview == reference  # plain Python keeps the subnormal tail (sigmoid(-745) was 0 here before)


def test_softplus_is_the_function_not_torchs_thresholded_one() -> None:
    """F.softplus(21) is 21.0 exactly; log(1 + e^21) is 21 + 7.6e-10, and its second derivative 7.6e-10, not 0."""
    expression = parse_expression("softplus(x)")
    point = torch.tensor([21.0], dtype=torch.float64, requires_grad=True)
    value = compile_expression(expression).function(point)
    assert float(value) == 21 + math.log1p(math.exp(-21)) != 21.0
    (first,) = torch.autograd.grad(value, point, create_graph=True)
    (second,) = torch.autograd.grad(first, point)
    assert float(second) == pytest.approx(math.exp(-21) / (1 + math.exp(-21)) ** 2, rel=1e-12)
    at_zero = torch.tensor([0.0], dtype=torch.float64, requires_grad=True)  # each side's clamp passes the gradient at 0
    (slope,) = torch.autograd.grad(compile_expression(expression).function(at_zero), at_zero, create_graph=True)
    (curvature,) = torch.autograd.grad(slope, at_zero)
    assert (float(slope), float(curvature)) == (0.5, 0.25)
