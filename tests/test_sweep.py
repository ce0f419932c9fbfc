"""Error versus h: the measured sweet spots of each step method, and the truncation + round-off model beside them."""

from __future__ import annotations

import math

import pytest
import torch

from engine.expression import parse_expression
from engine.sweep import Sweep, h_grid, sweep
from engine.theory import error_model

SIN = parse_expression("sin(x)")
DOMAIN = torch.linspace(-math.pi, math.pi, 400, dtype=torch.float64)
GRID_RATIO = 10**0.25  # neighbouring h values on the default grid differ by this factor


@pytest.fixture(scope="module")
def sin_float64() -> Sweep:
    return sweep(SIN, DOMAIN)


@pytest.fixture(scope="module")
def sin_float32() -> Sweep:
    return sweep(SIN, DOMAIN, dtype=torch.float32)


# --- the h grid -----------------------------------------------------------------------------------


def test_default_grid_runs_from_one_tenth_to_1e_minus_16_at_four_per_decade() -> None:
    grid = h_grid()
    assert grid.dtype == torch.float64
    assert len(grid) == 61
    assert grid[0].item() == pytest.approx(1e-1, rel=1e-12)
    assert grid[-1].item() == pytest.approx(1e-16, rel=1e-12)
    ratios = grid[:-1] / grid[1:]
    assert torch.allclose(ratios, torch.full_like(ratios, GRID_RATIO), rtol=1e-9)
    assert grid[4].item() == pytest.approx(1e-2, rel=1e-12)  # a decade every four steps


@pytest.mark.parametrize(("h_max", "h_min", "per_decade", "count"), [(1e-1, 1e-3, 4, 9), (1.0, 1e-8, 1, 9), (1e-2, 1e-12, 10, 101)])
def test_grid_density(h_max: float, h_min: float, per_decade: int, count: int) -> None:
    grid = h_grid(h_max, h_min, per_decade)
    assert len(grid) == count
    assert grid[0].item() == pytest.approx(h_max, rel=1e-12)
    assert grid[-1].item() == pytest.approx(h_min, rel=1e-12)


@pytest.mark.parametrize(
    ("h_max", "h_min", "per_decade"),
    [(1e-5, 1e-3, 4), (1e-3, 1e-3, 4), (1e-1, 0.0, 4), (1e-1, -1.0, 4), (math.inf, 1e-3, 4), (1e-1, 1e-3, 0)],
)
def test_bad_grids_are_refused(h_max: float, h_min: float, per_decade: int) -> None:
    with pytest.raises(ValueError):
        h_grid(h_max, h_min, per_decade)


# --- float64 sin on [-pi, pi] -----------------------------------------------------------------------


def test_sweep_shape(sin_float64: Sweep) -> None:
    assert sin_float64.dtype == "float64"
    assert sin_float64.device == "cpu"
    assert torch.equal(sin_float64.h, h_grid())
    assert torch.equal(sin_float64.points, DOMAIN)
    assert list(sin_float64.methods) == ["forward", "backward", "central", "five-point", "complex-step"]
    for name, result in sin_float64.methods.items():
        assert result.method == name
        assert result.errors is not None and result.errors.shape == (61,)
        assert result.reason is None
        assert result.model is not None and result.model.errors.shape == (61,)


def test_best_error_is_the_smallest_measured_and_sits_at_best_h(sin_float64: Sweep) -> None:
    for result in sin_float64.methods.values():
        assert result.errors is not None and result.best_h is not None and result.best_error is not None
        index = int(torch.argmin(result.errors))
        assert result.best_error == result.errors[index].item()
        assert result.best_h == sin_float64.h[index].item()


def test_central_sweet_spot(sin_float64: Sweep) -> None:
    central = sin_float64.methods["central"]
    assert 1e-12 < central.best_error < 1e-10  # type: ignore[operator]
    assert 1e-6 < central.best_h < 1e-4  # type: ignore[operator]


def test_forward_sweet_spot(sin_float64: Sweep) -> None:
    forward = sin_float64.methods["forward"]
    assert 1e-9 < forward.best_error < 1e-7  # type: ignore[operator]
    assert 1e-9 < forward.best_h < 1e-7  # type: ignore[operator]


def test_backward_mirrors_forward_on_an_odd_function_over_a_symmetric_domain(sin_float64: Sweep) -> None:
    forward, backward = sin_float64.methods["forward"], sin_float64.methods["backward"]
    assert backward.best_h == forward.best_h
    assert backward.best_error == pytest.approx(forward.best_error, rel=0.05)


def test_five_point_sweet_spot(sin_float64: Sweep) -> None:
    five = sin_float64.methods["five-point"]
    assert five.best_error < 1e-12  # type: ignore[operator]
    assert 1e-4 < five.best_h < 1e-2  # type: ignore[operator]


def test_error_falls_as_h_to_the_order_then_rises_as_eps_over_h(sin_float64: Sweep) -> None:
    hs = sin_float64.h
    central = sin_float64.methods["central"].errors
    assert central is not None
    at = {round(math.log10(h)): i for i, h in enumerate(hs.tolist()) if abs(math.log10(h) - round(math.log10(h))) < 1e-9}
    # truncation range: two decades of h -> four decades of error (second order)
    assert central[at[-2]] / central[at[-3]] == pytest.approx(100, rel=0.05)
    # round-off range: error grows as h shrinks, ~ eps / h
    assert central[at[-12]] > central[at[-9]] > central[at[-6]]
    assert 1e-6 < central[at[-12]] < 1e-2
    # forward at h = 1e-16: x + h == x for |x| > 1, so the difference is 0 and the error ~ |cos x|
    forward = sin_float64.methods["forward"].errors
    assert forward is not None and forward[-1] > 0.1


def test_complex_step_stays_at_machine_precision_for_tiny_h(sin_float64: Sweep) -> None:
    complex_step = sin_float64.methods["complex-step"]
    assert complex_step.errors is not None
    tiny = complex_step.errors[sin_float64.h <= 1e-8]
    assert len(tiny) == 33
    assert tiny.max().item() < 1e-15
    assert complex_step.best_error < 1e-15  # type: ignore[operator]


# --- the model ------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["forward", "backward", "central", "five-point"])
def test_model_optimal_h_within_a_factor_four_of_the_measured_one(sin_float64: Sweep, method: str) -> None:
    # the measured optimum is only known to one grid step (10^0.25 = 1.8x) and is noisy; factor 4 is honest
    result = sin_float64.methods[method]
    assert result.model is not None and result.model.optimal_h is not None and result.best_h is not None
    ratio = result.model.optimal_h / result.best_h
    assert 1 / 4 < ratio < 4, f"{method}: model h* {result.model.optimal_h:.2e}, measured {result.best_h:.2e}"


@pytest.mark.parametrize("method", ["forward", "central", "five-point"])
def test_model_optimal_error_within_a_factor_ten_of_the_measured_one(sin_float64: Sweep, method: str) -> None:
    result = sin_float64.methods[method]
    assert result.model is not None and result.model.optimal_error is not None and result.best_error is not None
    assert 1 / 10 < result.model.optimal_error / result.best_error < 10


def test_model_orders_and_rules(sin_float64: Sweep) -> None:
    models = {name: r.model for name, r in sin_float64.methods.items()}
    assert {name: m.order for name, m in models.items() if m} == {
        "forward": 1,
        "backward": 1,
        "central": 2,
        "five-point": 4,
        "complex-step": 2,
    }
    assert models["central"].rule == "h* ~ eps^(1/3)"  # type: ignore[union-attr]
    assert models["forward"].rule == "h* ~ eps^(1/2)"  # type: ignore[union-attr]


def test_model_optimal_h_follows_the_eps_scaling_law() -> None:
    # forward h* ~ sqrt(eps), central h* ~ eps^(1/3): float32 moves both up by (eps32/eps64)^(1/p+1)
    eps64, eps32 = torch.finfo(torch.float64).eps, torch.finfo(torch.float32).eps
    hs = h_grid()
    for method, power in (("forward", 1 / 2), ("central", 1 / 3)):
        h64 = error_model(SIN, DOMAIN, hs, method, eps64).optimal_h
        h32 = error_model(SIN, DOMAIN, hs, method, eps32).optimal_h
        assert h64 is not None and h32 is not None
        assert h32 / h64 == pytest.approx((eps32 / eps64) ** power, rel=0.2)


def test_model_curve_tracks_the_measured_curve_in_the_truncation_range(sin_float64: Sweep) -> None:
    central = sin_float64.methods["central"]
    assert central.errors is not None and central.model is not None
    truncation = (sin_float64.h >= 1e-3) & (sin_float64.h <= 1e-2)
    ratio = central.model.errors[truncation] / central.errors[truncation]
    assert ratio.min() > 0.5 and ratio.max() < 2


# --- float32 --------------------------------------------------------------------------------------


def test_float32_moves_the_sweet_spots_to_larger_h(sin_float32: Sweep, sin_float64: Sweep) -> None:
    assert sin_float32.dtype == "float32"
    forward = sin_float32.methods["forward"]
    assert 1e-4 < forward.best_h < 1e-3  # type: ignore[operator]  (measured: 5.6e-4; sqrt(eps32) = 3.5e-4)
    assert 1e-4 < forward.best_error < 1e-3  # type: ignore[operator]
    central = sin_float32.methods["central"]
    assert 1e-3 < central.best_h < 1e-1  # type: ignore[operator]
    for method in ("forward", "central", "five-point"):
        assert sin_float32.methods[method].best_h > 10 * sin_float64.methods[method].best_h  # type: ignore[operator]
        assert sin_float32.methods[method].best_error > 100 * sin_float64.methods[method].best_error  # type: ignore[operator]


def test_float32_model_agrees_with_the_measured_forward_optimum(sin_float32: Sweep) -> None:
    forward = sin_float32.methods["forward"]
    assert forward.model is not None and forward.model.optimal_h is not None
    assert 1 / 4 < forward.model.optimal_h / forward.best_h < 4  # type: ignore[operator]


def test_bfloat16_complex_step_is_not_applicable_but_the_rest_sweeps() -> None:
    result = sweep(SIN, DOMAIN, dtype=torch.bfloat16)
    assert result.dtype == "bfloat16"
    complex_step = result.methods["complex-step"]
    assert complex_step.errors is None and complex_step.best_h is None and complex_step.best_error is None
    assert "not applicable" in (complex_step.reason or "")
    for method in ("forward", "backward", "central", "five-point"):
        assert result.methods[method].errors is not None
        assert result.methods[method].best_error < 0.5  # type: ignore[operator]


# --- single points, subsets, special functions ------------------------------------------------------


@pytest.mark.parametrize("point", [torch.tensor([1.0], dtype=torch.float64), torch.tensor(1.0, dtype=torch.float64)], ids=["(1,)", "0-d"])
def test_single_point_sweep(point: torch.Tensor) -> None:
    result = sweep(SIN, point)
    assert result.points.tolist() == [1.0]
    central = result.methods["central"]
    assert central.errors is not None and central.errors.shape == (61,)
    assert 1e-6 < central.best_h < 1e-4  # type: ignore[operator]
    assert central.best_error < 1e-11  # type: ignore[operator]
    assert result.methods["complex-step"].best_error < 1e-15  # type: ignore[operator]


def test_sweep_over_chosen_methods_and_steps() -> None:
    hs = torch.tensor([1e-2, 1e-4, 1e-6], dtype=torch.float64)
    result = sweep(SIN, DOMAIN, hs, methods=("central",))
    assert list(result.methods) == ["central"]
    assert torch.equal(result.h, hs)
    errors = result.methods["central"].errors
    assert errors is not None
    # h^2/6 * max|cos'''| = h^2/6 at the grid's largest steps
    assert errors[0].item() == pytest.approx(1e-4 / 6, rel=1e-2)
    assert errors[1].item() == pytest.approx(1e-8 / 6, rel=1e-2)


@pytest.mark.parametrize("method", ["exact", "autograd", "magic"])
def test_methods_without_a_step_cannot_be_swept(method: str) -> None:
    with pytest.raises(ValueError, match="no step h to sweep"):
        sweep(SIN, DOMAIN, methods=(method,))


def test_abs_sweep_skips_the_complex_step_with_a_reason() -> None:
    result = sweep(parse_expression("abs(x)"), DOMAIN)
    complex_step = result.methods["complex-step"]
    assert complex_step.errors is None
    assert "not applicable" in (complex_step.reason or "")
    # 400 points: none sits at the kink, so the step methods are accurate at small enough h
    assert result.methods["central"].best_error < 1e-12  # type: ignore[operator]


def test_sweep_ignores_points_where_f_is_undefined() -> None:
    result = sweep(parse_expression("log(x)"), DOMAIN)
    central = result.methods["central"]
    assert central.errors is not None and central.best_error is not None
    assert math.isfinite(central.best_error)
    # the worst defined point is x = 0.0079, where the truncation term ~ h^2 / x^3 dominates
    assert central.best_error < 1e-7
    assert result.methods["complex-step"].best_error < 1e-14  # type: ignore[operator]


def test_complex_step_best_h_is_the_largest_h_on_its_floor() -> None:
    """Below about 1e-8 every h gives the same 1e-16: the best h is where the floor starts, not rounding noise."""
    result = sweep(parse_expression("sin(x)"), torch.linspace(-math.pi, math.pi, 400, dtype=torch.float64), methods=("complex-step",))
    curve = result.methods["complex-step"]
    assert curve.best_error is not None and curve.best_error < 3e-16
    assert 1e-9 <= curve.best_h <= 1e-7
    floor = min(curve.errors.tolist())
    larger = [e for h, e in zip(result.h.tolist(), curve.errors.tolist(), strict=True) if h > curve.best_h]
    assert all(e > 2 * floor for e in larger)
