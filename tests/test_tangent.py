"""engine.tangent.at_point: the one question Compare's tangent panel asks, against hand-derived values."""

from __future__ import annotations

import math

import pytest
import torch

from engine.expression import parse_expression
from engine.tangent import at_point


def test_sin_at_one_to_the_third_order() -> None:
    h = 1e-3
    at = at_point(parse_expression("sin(x)"), 1.0, h, 3, torch.float64)
    assert at.x0 == 1.0 and at.h == h
    assert at.f0 == pytest.approx(math.sin(1), rel=1e-15)
    # exact derivatives: cos, -sin, -cos, to the last bits (float64 evaluation of the formula)
    assert at.derivatives == pytest.approx((math.cos(1), -math.sin(1), -math.cos(1)), rel=1e-14)
    assert at.secant == pytest.approx((math.sin(1 + h) - math.sin(1)) / h, rel=1e-9)
    assert not at.kink and at.kink_notice is None and at.zoom is None
    d = 0.1
    assert at.taylor_at(1 + d) == pytest.approx(math.sin(1) + math.cos(1) * d - math.sin(1) * d**2 / 2 - math.cos(1) * d**3 / 6, rel=1e-14)


def test_the_order_sets_how_many_derivatives() -> None:
    assert len(at_point(parse_expression("x^3"), 2.0, 1e-4, 1, torch.float64).derivatives) == 1
    at = at_point(parse_expression("x^3"), 2.0, 1e-4, 2, torch.float64)
    assert at.derivatives == (12.0, 12.0)


def test_a_kink_says_so() -> None:
    at = at_point(parse_expression("abs(x)"), 0.0, 1e-4, 1, torch.float64)
    assert at.kink and at.kink_notice is not None and "kink" in at.kink_notice
    assert not at_point(parse_expression("abs(x)"), 0.5, 1e-4, 1, torch.float64).kink


def test_where_f_is_undefined_there_is_no_tangent() -> None:
    at = at_point(parse_expression("log(x)"), -1.0, 1e-4, 2, torch.float64)
    assert math.isnan(at.f0) and all(math.isnan(d) for d in at.derivatives) and math.isnan(at.secant)


def test_the_zoom_window_and_the_one_ten_times_wider() -> None:
    w = 1e-3
    at = at_point(parse_expression("sin(x)"), 1.0, 1e-4, 1, torch.float64, zoom_half_width=w)
    assert at.zoom is not None
    assert at.zoom.window.half_width == w and at.zoom.wider.half_width == 10 * w
    # a smooth f straightens like |f''| w^2 / 2: ten times wider, a hundred times the gap
    assert at.zoom.window.gap == pytest.approx(math.sin(1) * w**2 / 2, rel=0.01)
    assert at.zoom.wider.gap == pytest.approx(math.sin(1) * (10 * w) ** 2 / 2, rel=0.01)
