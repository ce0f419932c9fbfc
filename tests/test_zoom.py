"""The microscopic zoom: f straightens into its tangent like w², until the dtype's staircase takes over."""

from __future__ import annotations

import math

import pytest
import torch

from engine.expression import parse_expression
from engine.vocabulary import smallest_half_width
from engine.zoom import zoom_window

SIN = parse_expression("sin(x)")


@pytest.mark.parametrize("w", [1e-1, 1e-2, 1e-3, 1e-4])
def test_the_gap_to_the_tangent_is_f_second_over_two_times_w_squared(w: float) -> None:
    window = zoom_window(SIN, 1.0, w, 201, torch.float64)
    # Taylor: sin(1 + d) - sin(1) - cos(1) d = -sin(1) d²/2 + O(d³): largest at the ends, d = ±w
    assert window.gap == pytest.approx(math.sin(1.0) * w * w / 2, rel=w + 1e-6)
    assert window.slope == pytest.approx(math.cos(1.0), rel=1e-15)
    assert not window.staircase and window.distinct_x == 201


def test_offsets_and_rises_are_relative_to_x0_and_f_x0() -> None:
    window = zoom_window(parse_expression("x^2"), 3.0, 0.5, 5, torch.float64)
    assert window.offsets == (-0.5, -0.25, 0.0, 0.25, 0.5)
    assert window.rises == pytest.approx((6 * -0.5 + 0.25, 6 * -0.25 + 0.0625, 0.0, 6 * 0.25 + 0.0625, 6 * 0.5 + 0.25))
    assert window.f0 == 9.0 and window.slope == 6.0 and window.gap == pytest.approx(0.25)


def test_below_the_dtypes_spacing_f_becomes_a_staircase_float32_long_before_float64() -> None:
    float32 = zoom_window(SIN, 1.0, 1e-6, 241, torch.float32)
    float64 = zoom_window(SIN, 1.0, 1e-6, 241, torch.float64)
    # float32 holds x 2^-24 (6e-8) apart just below 1 and 2^-23 above: ±1e-6 holds 1e-6/6e-8 + 1e-6/1.2e-7 ≈ 25 of them
    assert float32.staircase and 23 <= float32.distinct_x <= 27 and float32.distinct_f <= float32.distinct_x
    assert not float64.staircase and float64.distinct_x == 241
    # the gap no longer shrinks like w²: it is round-off, about one float32 step of f
    assert float32.gap > 1e3 * math.sin(1.0) * 1e-12 / 2
    deep = zoom_window(SIN, 1.0, 1e-15, 241, torch.float64)
    assert deep.staircase and deep.gap < 2.3e-16  # at most about one float64 step of f near 0.84


def test_where_f_is_undefined_the_window_says_nan_not_a_number() -> None:
    window = zoom_window(parse_expression("log(x)"), 0.0, 1e-3, 11, torch.float64)
    assert math.isnan(window.slope) and math.isnan(window.gap)
    assert all(math.isnan(r) for r in window.rises[:5])  # x < 0


def test_the_smallest_window_scales_with_x0_and_bad_windows_are_refused() -> None:
    assert smallest_half_width(0.5) == 1e-15 and smallest_half_width(-200.0) == pytest.approx(2e-13)
    with pytest.raises(ValueError, match="half-width must be a positive number"):
        zoom_window(SIN, 1.0, 0.0, 11, torch.float64)
    with pytest.raises(ValueError, match="at least 2 samples"):
        zoom_window(SIN, 1.0, 1.0, 1, torch.float64)
