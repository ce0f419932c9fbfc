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
    ("h_max", "h_min", "per_decade", "message"),
    [
        (1e-5, 1e-3, 4, "need 0 < hmin < hmax, got hmin=0.001, hmax=1e-05"),
        (1e-3, 1e-3, 4, "need 0 < hmin < hmax, got hmin=0.001, hmax=0.001"),
        (1e-1, 0.0, 4, "need 0 < hmin < hmax, got hmin=0, hmax=0.1"),
        (1e-1, -1.0, 4, "need 0 < hmin < hmax, got hmin=-1, hmax=0.1"),
        (math.inf, 1e-3, 4, "need 0 < hmin < hmax, got hmin=0.001, hmax=inf"),
        (1e-1, 1e-3, 0, "need at least 1 step per decade, got 0"),
    ],
)
def test_bad_grids_are_refused(h_max: float, h_min: float, per_decade: int, message: str) -> None:
    with pytest.raises(ValueError) as raised:
        h_grid(h_max, h_min, per_decade)
    assert str(raised.value) == message


def test_a_grid_narrower_than_a_step_still_has_both_ends() -> None:
    # half a decade at one step per decade rounds to 1 step: the two ends
    assert h_grid(1e-1, 5e-2, 1).tolist() == pytest.approx([1e-1, 5e-2], rel=1e-12)


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


# The textbook error of each difference method on sin, worked out by hand: truncation c h^p |f^(p+1)| (sin's
# derivatives are +-sin and +-cos) plus round-off eps (S |sin x| + R |x cos x| / 2) / h, S and R the sums of the
# stencil's |weights| (f within an ulp, x + kh rounded to half an ulp of x); the max over the points, as measured.
SIN_TRUNCATION = {
    "forward": (1 / 2, 1, torch.sin),
    "backward": (1 / 2, 1, torch.sin),
    "central": (1 / 6, 2, torch.cos),
    "five-point": (1 / 30, 4, torch.cos),
}
STENCIL_SUMS = {"forward": (2.0, 1.0), "backward": (2.0, 1.0), "central": (1.0, 1.0), "five-point": (1.5, 1.5)}


def textbook_error(method: str, hs: torch.Tensor, eps: float, x: torch.Tensor = DOMAIN) -> torch.Tensor:
    coefficient, power, derivative = SIN_TRUNCATION[method]
    values, steps = STENCIL_SUMS[method]
    h = hs.unsqueeze(1)
    truncation = coefficient * derivative(x).abs() * h**power
    roundoff = eps * (values * torch.sin(x).abs() + steps * (x * torch.cos(x)).abs() / 2) / h
    return (truncation + roundoff).amax(dim=1)


def textbook_optimum(method: str, eps: float) -> tuple[float, float]:
    fine = torch.logspace(0, -16, 1601, dtype=torch.float64)
    errors = textbook_error(method, fine, eps)
    best = int(torch.argmin(errors))
    return float(fine[best]), float(errors[best])


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=str)
@pytest.mark.parametrize("method", ["forward", "backward", "central", "five-point"])
def test_sweet_spot_is_where_the_textbook_puts_it(sin_float64: Sweep, sin_float32: Sweep, method: str, dtype: torch.dtype) -> None:
    """float64: forward h* = 3.2e-8, central 1.0e-5, five-point 1.3e-3; float32 7.2e-4, 8.5e-3, 7.4e-2. The measured best
    h is a grid point (1.8x apart) at or below h*, as the textbook's round-off is a bound about twice the typical
    one (measured 0.32-1.19 h*), and the measured best error is below the textbook's (measured 0.22-0.60 of it)."""
    result = (sin_float64 if dtype == torch.float64 else sin_float32).methods[method]
    optimal_h, optimal_error = textbook_optimum(method, float(torch.finfo(dtype).eps))
    assert result.best_h is not None and result.best_error is not None
    assert 1 / 4 <= result.best_h / optimal_h <= 1.5, f"best h {result.best_h:.2e}, textbook {optimal_h:.2e}"
    assert 0.2 <= result.best_error / optimal_error <= 1.0, f"best error {result.best_error:.2e}, textbook {optimal_error:.2e}"


def test_backward_mirrors_forward_on_an_odd_function_over_a_symmetric_domain(sin_float64: Sweep) -> None:
    forward, backward = sin_float64.methods["forward"], sin_float64.methods["backward"]
    assert backward.best_h == forward.best_h
    assert backward.best_error == pytest.approx(forward.best_error, rel=0.05)


def test_error_falls_as_h_to_the_order_then_rises_as_eps_over_h(sin_float64: Sweep) -> None:
    hs = sin_float64.h
    central = sin_float64.methods["central"].errors
    assert central is not None
    at = {round(math.log10(h)): i for i, h in enumerate(hs.tolist()) if abs(math.log10(h) - round(math.log10(h))) < 1e-9}
    # truncation range: two decades of h -> four decades of error (second order)
    # (the next term, h^2/20 of the first, moves the ratio by 5e-5)
    assert central[at[-2]] / central[at[-3]] == pytest.approx(100, rel=1e-3)
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


def test_model_orders_and_rules(sin_float64: Sweep) -> None:
    models = {name: r.model for name, r in sin_float64.methods.items()}
    assert {name: m.order for name, m in models.items() if m} == {
        "forward": 1,
        "backward": 1,
        "central": 2,
        "five-point": 4,
        "complex-step": 2,
    }
    # h* balances C h^p against eps / h: h* ~ eps^(1/(p+1)); the complex step has no eps / h term
    assert {name: m.rule for name, m in models.items() if m} == {
        "forward": "h* ~ eps^(1/2)",
        "backward": "h* ~ eps^(1/2)",
        "central": "h* ~ eps^(1/3)",
        "five-point": "h* ~ eps^(1/5)",
        "complex-step": "no cancellation: any h below ~ eps^(1/2) gives full precision",
    }


def test_model_optimal_h_follows_the_eps_scaling_law() -> None:
    # forward h* ~ sqrt(eps), central h* ~ eps^(1/3): float32 moves both up by (eps32/eps64)^(1/p+1)
    eps64, eps32 = torch.finfo(torch.float64).eps, torch.finfo(torch.float32).eps
    hs = h_grid()
    for method, power in (("forward", 1 / 2), ("central", 1 / 3)):
        h64 = error_model(SIN, DOMAIN, hs, method, eps64).optimal_h
        h32 = error_model(SIN, DOMAIN, hs, method, eps32).optimal_h
        assert h64 is not None and h32 is not None
        # exact for one truncation term; the second moves it by ~1%, and the model's fine grid is 6% apart
        assert h32 / h64 == pytest.approx((eps32 / eps64) ** power, rel=0.1)


# --- float32 --------------------------------------------------------------------------------------


def test_float32_moves_the_sweet_spots_to_larger_h(sin_float32: Sweep, sin_float64: Sweep) -> None:
    assert sin_float32.dtype == "float32"
    for method in ("forward", "central", "five-point"):
        assert sin_float32.methods[method].best_h > 10 * sin_float64.methods[method].best_h  # type: ignore[operator]
        assert sin_float32.methods[method].best_error > 100 * sin_float64.methods[method].best_error  # type: ignore[operator]


def test_bfloat16_complex_step_is_not_applicable_but_the_rest_sweeps() -> None:
    result = sweep(SIN, DOMAIN, dtype=torch.bfloat16)
    assert result.dtype == "bfloat16"
    complex_step = result.methods["complex-step"]
    assert complex_step.errors is None and complex_step.best_h is None and complex_step.best_error is None
    assert "not applicable" in (complex_step.reason or "")
    eps = float(torch.finfo(torch.bfloat16).eps)
    for method in ("forward", "backward", "central", "five-point"):
        curve = result.methods[method]
        assert curve.errors is not None and curve.best_error is not None
        # bfloat16's optimum (h* ~ 0.2-0.7, see test_theory) lies above the grid, so the best is its largest h, 0.1,
        # and the error there is the textbook's at 0.1 or below (measured 0.48-0.55 of it)
        assert curve.best_h == pytest.approx(0.1)
        bound = textbook_error(method, torch.tensor([0.1], dtype=torch.float64), eps).item()
        assert 0.25 * bound <= curve.best_error <= bound, method


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
    # (the next Taylor term is h^2/20 of it, round-off 1e-8 of it)
    assert errors[0].item() == pytest.approx(1e-4 / 6, rel=1e-4)
    assert errors[1].item() == pytest.approx(1e-8 / 6, rel=1e-4)


@pytest.mark.parametrize("method", ["exact", "autograd", "magic"])
def test_methods_without_a_step_cannot_be_swept(method: str) -> None:
    with pytest.raises(ValueError) as raised:
        sweep(SIN, DOMAIN, methods=(method,))
    assert str(raised.value) == f"{method!r} has no step h to sweep; choose from forward, backward, central, five-point, complex-step"


def test_abs_sweep_skips_the_complex_step_with_a_reason() -> None:
    result = sweep(parse_expression("abs(x)"), DOMAIN)
    complex_step = result.methods["complex-step"]
    assert complex_step.errors is None
    assert "not applicable" in (complex_step.reason or "")
    # 400 points: none sits at the kink, so the step methods are accurate at small enough h
    assert result.methods["central"].best_error < 1e-12  # type: ignore[operator]


def test_methods_after_one_that_does_not_apply_are_still_swept() -> None:
    result = sweep(parse_expression("abs(x)"), DOMAIN, methods=("complex-step", "central", "forward"))
    assert list(result.methods) == ["complex-step", "central", "forward"]
    assert result.methods["central"].errors is not None and result.methods["forward"].errors is not None


def test_a_sweep_where_f_is_undefined_at_every_point() -> None:
    result = sweep(parse_expression("log(x)"), torch.tensor([-2.0, -1.0], dtype=torch.float64), methods=("central",))
    central = result.methods["central"]
    assert central.errors is not None and central.errors.shape == (61,)  # one per h, not per point
    assert torch.isnan(central.errors).all()
    assert central.best_h is None and central.best_error is None


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


def test_a_best_h_at_the_grid_edge_is_noted_only_above_round_off(capsys: pytest.CaptureFixture[str]) -> None:
    """x^2's central difference is exact at every h, so its best sits at --hmax with a round-off error: nothing beyond
    the edge to find. sin's forward difference with --hmin 1e-3 is best at the edge and far above round-off."""
    import json

    from engine.cli.main import main

    assert main(["sweep", "x^2", "--at", "1", "--methods", "central", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["notes"] == []
    assert main(["sweep", "sin(x)", "--at", "1", "--methods", "forward", "--hmin", "1e-3", "--json"]) == 0
    notes = json.loads(capsys.readouterr().out)["notes"]
    assert notes == ["best h of forward is at the edge of the h grid: the true best may lie beyond it (widen --hmin)"]


def test_the_round_off_floor_of_the_edge_note_scales_with_the_derivative(capsys: pytest.CaptureFixture[str]) -> None:
    """x^3 at 2: five-point is exact but for round-off, and f'(2) = 12, so its best error 8.9e-15 (3 ulp of 12) at
    --hmax is the floor, not a best h beyond the grid (an absolute 16 eps, 3.6e-15, called it one)."""
    import json

    from engine.cli.main import main

    assert main(["sweep", "x^3", "--at", "2", "--methods", "five-point", "--json"]) == 0
    swept = json.loads(capsys.readouterr().out)
    assert swept["best"]["five-point"]["h"] == pytest.approx(0.1) and swept["best"]["five-point"]["error"] > 16 * 2.2e-16
    assert swept["notes"] == []
