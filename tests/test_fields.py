"""Slope fields, gradient fields and gradient descent against the calculus done by hand."""

from __future__ import annotations

import math

import pytest
import torch

from engine.expression import parse_expression
from engine.fields import central_gradient, descend, gradient, gradient_field, slope_field
from engine.methods import NotApplicable

LOSS = parse_expression("0.3*sin(3*x) + 0.5*x^2")
XY = ("x", "y")
BOWL = parse_expression("x^2 + 3*y^2", XY)
ROSENBROCK = parse_expression("(1-x)^2 + 100*(y-x^2)^2", XY)
SADDLE = parse_expression("x^2 - y^2", XY)
XS = torch.linspace(-3.0, 3.0, 61, dtype=torch.float64)
EPS = 2.0**-52


def loss(x: torch.Tensor) -> torch.Tensor:
    return 0.3 * torch.sin(3 * x) + 0.5 * x**2


def loss_slope(x: torch.Tensor) -> torch.Tensor:
    return 0.9 * torch.cos(3 * x) + x


# --- slope field --------------------------------------------------------------------------------


def test_slope_field_values_and_slopes_are_the_analytic_ones() -> None:
    field = slope_field(LOSS, XS)
    assert field.method == "autograd"
    assert torch.equal(field.x, XS)
    assert field.values.dtype == field.slopes.dtype == torch.float64
    assert torch.allclose(field.values, loss(XS), rtol=0, atol=1e-15)
    assert torch.allclose(field.slopes, loss_slope(XS), rtol=0, atol=1e-14)


# On [-3, 3] the loss has |f| <= 4.8, |f'| <= 3.9, |x f'| <= 11.7, |f''| <= 3.7, |f^(3)| <= 8.1, |f^(5)| <= 73; h = 1e-5.
# Each tolerance is the method's truncation plus round-off, eps (S |f| + R |x f'| / 2) / h (measured beside):
SLOPE_TOLERANCE = [
    ("exact", 8 * EPS * 4),  # both formulas within a few ulps of |f'| <= 3.9 (measured 4.4e-16)
    ("central", 4e-10),  # h^2/6 8.1 = 1.4e-10 + eps (4.8 + 5.9) / h = 2.4e-10 (measured 1.4e-10)
    ("five-point", 4e-10),  # h^4/30 73 = 2e-20 + eps 1.5 (4.8 + 5.9) / h = 3.6e-10 (measured 8.6e-11)
    ("complex-step", 1.4e-10),  # h^2/6 8.1 = 1.35e-10, no round-off to speak of (measured 1.35e-10)
    ("forward", 2e-5),  # h/2 3.7 = 1.85e-5 + eps (2 4.8 + 5.9) / h = 3.4e-10 (measured 1.85e-5)
]


@pytest.mark.parametrize(("method", "atol"), SLOPE_TOLERANCE, ids=[c[0] for c in SLOPE_TOLERANCE])
def test_slope_field_by_other_methods_agrees_with_autograd(method: str, atol: float) -> None:
    autograd = slope_field(LOSS, XS)
    other = slope_field(LOSS, XS, method=method, h=1e-5)
    assert other.method == method
    assert torch.allclose(other.slopes, autograd.slopes, rtol=0, atol=atol)
    assert torch.equal(other.values, autograd.values)


def test_slope_field_is_nan_where_the_loss_is_undefined() -> None:
    field = slope_field(parse_expression("log(x)"), torch.tensor([-1.0, 0.0, 0.5, 2.0], dtype=torch.float64))
    assert torch.isnan(field.slopes[:2]).all()
    assert field.slopes[2:].tolist() == pytest.approx([2.0, 0.5], rel=1e-15)


def test_slope_field_in_float32() -> None:
    field = slope_field(LOSS, XS, dtype=torch.float32)
    assert field.slopes.dtype == torch.float64  # reported in float64, computed in float32
    # float32 rounds the points (|f''| <= 3.7 times eps32 |x| / 2 <= 1.8e-7: 6.6e-7) and the slope 0.9 cos 3x + x
    # (eps32 (0.9 + 3) = 4.6e-7): 1.2e-6 in all (measured 4.8e-7)
    assert torch.allclose(field.slopes, loss_slope(XS), rtol=0, atol=1.2e-6)


# --- descent in one variable ---------------------------------------------------------------------

MINIMUM = -0.3788  # 0.9 cos(3x) + x = 0, the global minimum of the loss


@pytest.mark.parametrize("start", [-2.5, 2.5])
def test_descent_converges_to_the_global_minimum_from_both_sides(start: float) -> None:
    path = descend(LOSS, [start], learning_rate=0.1, steps=1000)
    assert path.outcome == "converged"
    assert "|grad|" in path.reason
    end = path.points[-1, 0].item()
    assert end == pytest.approx(MINIMUM, abs=1e-4)
    assert abs(loss_slope(torch.tensor(end, dtype=torch.float64)).item()) < 1e-7
    assert path.points.shape == (path.steps + 1, 1)
    assert path.values.shape == (path.steps + 1,)
    assert path.gradients.shape == (path.steps + 1, 1)
    assert path.points[0, 0].item() == start
    assert path.values[-1].item() < path.values[0].item()
    assert 0 < path.steps < 1000


def test_descent_follows_the_update_rule() -> None:
    path = descend(parse_expression("x^2"), [1.0], learning_rate=0.1, steps=3)
    # x <- x - 0.1 * 2x = 0.8 x
    assert path.points[:, 0].tolist() == pytest.approx([1.0, 0.8, 0.64, 0.512], rel=1e-15)
    assert path.gradients[:, 0].tolist() == pytest.approx([2.0, 1.6, 1.28, 1.024], rel=1e-15)
    assert path.outcome == "max-steps"
    assert "step limit (3)" in path.reason


def test_descent_can_step_along_central_differences_instead_of_autograd() -> None:
    """f = x^3 + y at (1, 2): autograd's gradient is (3, 1); central differences' x-part is 3 + h^2 = 3 + 1e-12 plus
    round-off, and each step uses that one."""
    from engine.fields import central_gradient, gradient

    f = parse_expression("x^3 + y", ("x", "y"))
    by_central = descend(f, [1.0, 2.0], learning_rate=0.01, steps=3, gradient_by="central")
    by_autograd = descend(f, [1.0, 2.0], learning_rate=0.01, steps=3)
    for k in range(4):
        point = by_central.points[k]
        assert torch.equal(by_central.gradients[k], central_gradient(f, point, 1e-6))
        assert by_central.gradients[k][0].item() == pytest.approx(3 * point[0].item() ** 2 + 1e-12, abs=1e-9)
    assert by_autograd.gradients[0].tolist() == [3.0, 1.0] and by_central.gradients[0][0].item() != 3.0
    assert torch.equal(by_central.points[1], by_central.points[0] - 0.01 * by_central.gradients[0])
    assert gradient(f, by_central.points[0])[1].tolist() == [3.0, 1.0]
    with pytest.raises(ValueError, match="autograd or central"):
        descend(f, [1.0, 2.0], learning_rate=0.01, steps=3, gradient_by="forward")


def test_ascent_and_momentum() -> None:
    ascent = descend(parse_expression("-x^2"), [1.0], learning_rate=0.1, steps=2, ascent=True)
    assert ascent.points[:, 0].tolist() == pytest.approx([1.0, 0.8, 0.64], rel=1e-15)
    momentum = descend(parse_expression("x^2"), [1.0], learning_rate=0.1, steps=2, momentum=0.5)
    # v1 = 2, x1 = 0.8; v2 = 0.5*2 + 1.6 = 2.6, x2 = 0.8 - 0.26 = 0.54
    assert momentum.points[:, 0].tolist() == pytest.approx([1.0, 0.8, 0.54], rel=1e-15)


def test_learning_rate_of_one_on_x_squared_oscillates_forever() -> None:
    path = descend(parse_expression("x^2"), [1.0], learning_rate=1.0, steps=20)
    assert path.outcome == "max-steps"
    assert set(path.points[:, 0].tolist()) == {1.0, -1.0}


@pytest.mark.parametrize("learning_rate", [1.5, 1.1])
def test_too_large_learning_rate_diverges_without_raising(learning_rate: float) -> None:
    # x <- (1 - 2 lr) x: |1 - 2 lr| > 1 for lr > 1
    path = descend(parse_expression("x^2"), [1.0], learning_rate=learning_rate, steps=5000)
    assert path.outcome == "diverged"
    assert path.reason
    assert path.steps < 5000  # stopped early, and said why
    ratios = (path.points[1:, 0] / path.points[:-1, 0]).tolist()
    assert ratios == pytest.approx([1 - 2 * learning_rate] * path.steps, rel=1e-12)
    assert bool((path.values[1:] > path.values[:-1]).all())  # f grew at every step


@pytest.mark.parametrize(("start", "learning_rate"), [(0.5, 0.5), (1.0, 1.0), (2.0, 5.0)])
def test_log_descent_that_leaves_the_domain_diverges(start: float, learning_rate: float) -> None:
    # x <- x - lr / x leaves x > 0 in one step for these starts
    path = descend(parse_expression("log(x)"), [start], learning_rate=learning_rate, steps=100)
    assert path.outcome == "diverged"
    assert "not finite" in path.reason
    assert path.steps == 1
    assert path.points[-1, 0].item() == pytest.approx(start - learning_rate / start)


@pytest.mark.parametrize("learning_rate", [0.0, -0.1, math.nan, math.inf])
def test_learning_rate_must_be_positive_and_finite(learning_rate: float) -> None:
    with pytest.raises(ValueError, match="learning rate"):
        descend(LOSS, [1.0], learning_rate=learning_rate, steps=10)


def test_bad_momentum_and_start_are_refused() -> None:
    with pytest.raises(ValueError, match="momentum"):
        descend(LOSS, [1.0], learning_rate=0.1, steps=10, momentum=1.0)
    with pytest.raises(ValueError, match="2 coordinates"):
        descend(BOWL, [1.0], learning_rate=0.1, steps=10)


def test_descent_from_the_minimum_converges_at_step_zero() -> None:
    path = descend(parse_expression("x^2"), [0.0], learning_rate=0.1, steps=10)
    assert path.outcome == "converged"
    assert path.steps == 0


# --- gradient fields --------------------------------------------------------------------------------


def test_gradient_field_of_the_bowl_is_2x_6y() -> None:
    xs = torch.linspace(-2.0, 2.0, 9, dtype=torch.float64)
    ys = torch.linspace(-1.0, 1.0, 5, dtype=torch.float64)
    field = gradient_field(BOWL, xs, ys)
    grid_y, grid_x = torch.meshgrid(ys, xs, indexing="ij")
    assert field.values.shape == field.grad_x.shape == field.grad_y.shape == (5, 9)
    assert torch.equal(field.x, xs) and torch.equal(field.y, ys)
    assert torch.allclose(field.values, grid_x**2 + 3 * grid_y**2, rtol=0, atol=1e-15)
    assert torch.allclose(field.grad_x, 2 * grid_x, rtol=0, atol=1e-15)
    assert torch.allclose(field.grad_y, 6 * grid_y, rtol=0, atol=1e-15)
    assert field.check_max_difference is not None and field.check_max_difference < 1e-8
    assert field.undefined == 0


def test_gradient_field_counts_undefined_points() -> None:
    xs = torch.tensor([-1.0, 0.0, 1.0, 2.0], dtype=torch.float64)
    ys = torch.tensor([0.0, 1.0], dtype=torch.float64)
    field = gradient_field(parse_expression("log(x) + y", XY), xs, ys)
    assert field.undefined == 4  # x = -1 and x = 0, in both rows
    assert torch.isnan(field.grad_x[:, :2]).all()
    assert field.grad_x[:, 2:].tolist() == [[1.0, 0.5], [1.0, 0.5]]
    assert field.grad_y[:, 2:].tolist() == [[1.0, 1.0], [1.0, 1.0]]


def test_gradient_field_needs_two_variables() -> None:
    with pytest.raises(NotApplicable):
        gradient_field(LOSS, XS, XS)


def test_rosenbrock_gradient_at_a_point() -> None:
    # d/dx = -2(1 - x) - 400 x (y - x^2), d/dy = 200 (y - x^2); at (0.5, 2): (-351, 350)
    value, grad = gradient(ROSENBROCK, torch.tensor([0.5, 2.0], dtype=torch.float64))
    assert value.item() == pytest.approx(0.25 + 100 * 1.75**2, rel=1e-15)
    assert grad.tolist() == pytest.approx([-351.0, 350.0], rel=1e-15)
    check = central_gradient(ROSENBROCK, torch.tensor([0.5, 2.0], dtype=torch.float64))
    assert check.tolist() == pytest.approx([-351.0, 350.0], rel=1e-7)
    _, at_minimum = gradient(ROSENBROCK, torch.tensor([1.0, 1.0], dtype=torch.float64))
    assert at_minimum.tolist() == [0.0, 0.0]


def test_rosenbrock_field_check_agrees() -> None:
    xs = torch.linspace(-2.0, 2.0, 21, dtype=torch.float64)
    ys = torch.linspace(-1.0, 3.0, 21, dtype=torch.float64)
    field = gradient_field(ROSENBROCK, xs, ys)
    grid_y, grid_x = torch.meshgrid(ys, xs, indexing="ij")
    assert torch.allclose(field.grad_x, -2 * (1 - grid_x) - 400 * grid_x * (grid_y - grid_x**2), rtol=1e-14, atol=1e-12)
    assert torch.allclose(field.grad_y, 200 * (grid_y - grid_x**2), rtol=1e-14, atol=1e-12)
    assert field.check_max_difference is not None and field.check_max_difference < 1e-5


def test_gradient_of_a_function_of_x_only_in_two_variables() -> None:
    _, grad = gradient(parse_expression("x^2", XY), torch.tensor([3.0, 5.0], dtype=torch.float64))
    assert grad.tolist() == [6.0, 0.0]


# --- descent in two variables ------------------------------------------------------------------------


def test_bowl_descent_converges_to_the_origin() -> None:
    path = descend(BOWL, [1.0, 1.0], learning_rate=0.1, steps=1000)
    assert path.outcome == "converged"
    assert path.points[-1].abs().max().item() < 1e-8
    assert path.points.shape[1] == 2


def test_saddle_descent_escapes_along_y() -> None:
    # x <- 0.8 x shrinks, y <- 1.2 y grows from 1e-3: the saddle at the origin is left along the y axis
    path = descend(SADDLE, [1.0, 1e-3], learning_rate=0.1, steps=100)
    assert path.outcome in ("max-steps", "diverged")
    x_end, y_end = path.points[-1].tolist()
    assert abs(x_end) < 1e-6
    assert abs(y_end) > 1e3
    ys = path.points[:, 1].abs()
    assert bool((ys[1:] > ys[:-1]).all())  # |y| grows at every step
    assert path.points[1].tolist() == pytest.approx([0.8, 1.2e-3], rel=1e-12)
    assert path.values[-1].item() < -1e6  # f = x^2 - y^2 is unbounded below


def test_rosenbrock_descent_drops_into_the_curved_valley() -> None:
    path = descend(ROSENBROCK, [-1.2, 1.0], learning_rate=1e-3, steps=200)
    assert path.outcome == "max-steps"  # the valley floor is famously slow: no convergence in 200 steps
    x_end, y_end = path.points[-1].tolist()
    assert abs(y_end - x_end**2) < 0.1  # but it is on the floor y = x^2
    assert path.values[-1].item() < path.values[0].item() / 4


def test_rosenbrock_descent_with_too_large_a_step_diverges() -> None:
    path = descend(ROSENBROCK, [-1.2, 1.0], learning_rate=0.01, steps=1000)
    assert path.outcome == "diverged"
    assert path.reason


def test_a_start_where_f_is_undefined_is_reported_as_such() -> None:
    path = descend(parse_expression("log(x)"), [-1.0], learning_rate=0.1, steps=10)
    assert path.outcome == "undefined"
    assert path.reason == "f is not finite (NaN or inf) at the start point"
    assert path.steps == 0
