"""The truncation + round-off model (engine/theory.py) against errors measured by running each method.

The measured errors come from the methods themselves, against derivatives written by hand (exp, cos), in the
three ranges of h that the Error vs h demo shows:

- truncation range (round-off below 1e-5 of the error): Taylor's theorem gives the error exactly, term by term.
  exp(2x) (exp(-2x) for backward, sin(2x) for the complex step) has Taylor terms all of one sign, so the model's
  two terms are the measured error to within the third term; at the h chosen below the second term is 1-3% of the
  error and the third under 0.1%, so a coefficient off by a few percent in the first term, or by 2x in the second,
  or a term built on the wrong derivative (each order is 2x the last) fails. sin over [-pi, pi] is the second
  function, in the middle of each truncation range.
- round-off range (truncation below 1% of the model): the model is a bound, eps (S |f| + R |x f'| / 2) / h,
  checked on a function where each part dominates: exp(x) near 0 (the values of f) and sin(x - 1024.5) near
  1024 (the rounding of x + h, 1000 times larger than the values there).
- near the optimum: the model's h* and error against the measured best h and error, over a domain.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest
import torch

from engine.compiled import EvaluationError
from engine.expression import parse_expression
from engine.methods import METHOD_FUNCTIONS
from engine.stencils import STENCILS
from engine.sweep import Sweep, h_grid, sweep
from engine.theory import error_model, function_weight, step_weight

EPS64 = 2.0**-52
EPS32 = 2.0**-23
STEP_METHODS = ["forward", "backward", "central", "five-point", "complex-step"]
DIFFERENCES = ["forward", "backward", "central", "five-point"]
Derivative = Callable[[torch.Tensor], torch.Tensor]


def measured(text: str, derivative: Derivative, points: torch.Tensor, hs: torch.Tensor, method: str) -> torch.Tensor:
    """max over the points of |method - f'| at each h, f' written by hand."""
    values = METHOD_FUNCTIONS[method](parse_expression(text), points, hs.unsqueeze(1)).values
    return (values - derivative(points)).abs().amax(dim=1)


def model(text: str, points: torch.Tensor, hs: torch.Tensor, method: str, eps: float = EPS64) -> torch.Tensor:
    return error_model(parse_expression(text), points, hs, method, eps).errors


def linspace(a: float, b: float, n: int = 400) -> torch.Tensor:
    return torch.linspace(a, b, n, dtype=torch.float64)


def steps(h_max: float, h_min: float) -> torch.Tensor:
    return h_grid(h_max, h_min, 4)


# --- truncation range ---------------------------------------------------------------------------------

# (method, f, f', points, h, how close the model's two terms must be: the third Taylor term over the error)
# exp(2x) has f^(n) = 2^n exp(2x), all of one sign and each order twice the last, so a term built on the wrong
# derivative is off by 2x; with u = 2h the errors are
#   forward      exp(2x):  2 e^2x (u/2 + u^2/6 + u^3/24 ...);          u = 0.1: second term 3.2%, third 0.08%
#   backward     exp(-2x): the same, mirrored
#   central      exp(2x):  2 e^2x (u^2/6 + u^4/120 + u^6/5040 ...);    u = 0.5: second term 1.2%, third 0.007%
#   five-point   exp(2x):  2 e^2x (u^4/30 + u^6/252 + u^8/4320 ...);   u = 0.5: second term 3.0%, third 0.04%
#   complex-step sin(2x):  2 |cos 2x| (u^2/6 + u^4/120 + ...)  (Im sin(2x + iu) / h = 2 cos 2x sinh(u) / u)
TWO_TERMS = [
    ("forward", "exp(2x)", lambda x: 2 * torch.exp(2 * x), linspace(-1, 1, 41), 0.05, 1e-3),
    ("backward", "exp(-2x)", lambda x: -2 * torch.exp(-2 * x), linspace(-1, 1, 41), 0.05, 1e-3),
    ("central", "exp(2x)", lambda x: 2 * torch.exp(2 * x), linspace(-1, 1, 41), 0.25, 2e-4),
    ("five-point", "exp(2x)", lambda x: 2 * torch.exp(2 * x), linspace(-1, 1, 41), 0.25, 1e-3),
    ("complex-step", "sin(2x)", lambda x: 2 * torch.cos(2 * x), linspace(-math.pi, math.pi), 0.25, 2e-4),
]


@pytest.mark.parametrize(("method", "text", "derivative", "points", "h", "tolerance"), TWO_TERMS, ids=[c[0] for c in TWO_TERMS])
def test_both_truncation_terms_match_the_measured_error(
    method: str, text: str, derivative: Derivative, points: torch.Tensor, h: float, tolerance: float
) -> None:
    hs = torch.tensor([h], dtype=torch.float64)
    error = measured(text, derivative, points, hs, method).item()
    assert model(text, points, hs, method).item() == pytest.approx(error, rel=tolerance)


# On a second function, sin over [-pi, pi], in the middle of each truncation range: there the leading term alone
# is the error (the next one is h^2 |f'''/f''| / 3 or less of it, below 1e-4) and round-off is below 1e-5 of it.
LEADING_TERM = [("forward", 1e-4), ("backward", 1e-4), ("central", 1e-3), ("five-point", 1e-2), ("complex-step", 1e-3)]


@pytest.mark.parametrize(("method", "h"), LEADING_TERM, ids=[c[0] for c in LEADING_TERM])
def test_leading_truncation_term_on_sin_over_a_domain(method: str, h: float) -> None:
    points = linspace(-math.pi, math.pi)
    hs = torch.tensor([h], dtype=torch.float64)
    error = measured("sin(x)", torch.cos, points, hs, method).item()
    # the hand formula too: forward h/2 max|sin|, central h^2/6 max|cos|, five-point h^4/30 max|cos|
    by_hand = {"forward": h / 2, "backward": h / 2, "central": h**2 / 6, "five-point": h**4 / 30, "complex-step": h**2 / 6}[method]
    assert error == pytest.approx(by_hand, rel=1e-3)
    assert model("sin(x)", points, hs, method).item() == pytest.approx(error, rel=1e-3)


# --- round-off range ----------------------------------------------------------------------------------

# h where the model's truncation is below 1% of its round-off, and x + h still differs from x
ROUND_OFF_STEPS = {
    "forward": steps(1e-10, 1e-13),
    "backward": steps(1e-10, 1e-13),
    "central": steps(1e-7, 1e-13),
    "five-point": steps(1e-5, 1e-13),
}


def ratios(text: str, derivative: Derivative, points: torch.Tensor, method: str, hs: torch.Tensor | None = None) -> torch.Tensor:
    hs = ROUND_OFF_STEPS[method] if hs is None else hs
    return measured(text, derivative, points, hs, method) / model(text, points, hs, method)


@pytest.mark.parametrize("method", DIFFERENCES)
def test_round_off_of_the_values_of_f(method: str) -> None:
    """exp on [0, 0.01]: |f| in [1, 1.01] where one ulp is exactly eps |f|, and |x f'| / 2 is below 0.5% of |f|.
    Each value of exp is rounded to within half an ulp, so the measured error reaches half the model's one-ulp
    bound (measured: 0.47-0.49), never more than the bound."""
    ratio = ratios("exp(x)", torch.exp, linspace(0.0, 0.01), method)
    assert ratio.max().item() <= 1.0
    assert 0.35 <= ratio.max().item() <= 0.7


@pytest.mark.parametrize("method", DIFFERENCES)
def test_round_off_of_the_step_x_plus_h(method: str) -> None:
    """sin(x - 1024.5) on [1024.01, 1025]: x - 1024.5 is exact there, |f| < 0.5, and x + h is rounded to the
    spacing of 1024, 2.3e-13 = eps |x|: the step's rounding, R eps |x f'| / 2h, is the whole round-off and the bound
    is reached (the same rounding error at every point, so some h land near it; measured 0.84-0.93)."""
    hs = steps(1e-8, 1e-12)
    ratio = ratios("sin(x - 1024.5)", lambda x: torch.cos(x - 1024.5), linspace(1024.01, 1025.0), method, hs)
    assert ratio.max().item() <= 1.0
    assert ratio.max().item() >= 0.8


@pytest.mark.parametrize("method", DIFFERENCES)
def test_round_off_on_sin_over_its_domain(method: str) -> None:
    # both parts at once: 2 |sin x| and |x cos x| / 2 are of the same size on [-pi, pi] (measured: 0.53-0.59)
    ratio = ratios("sin(x)", torch.cos, linspace(-math.pi, math.pi), method)
    assert ratio.max().item() <= 1.0
    assert ratio.max().item() >= 0.4


def test_complex_step_floor_is_one_ulp_of_f_prime() -> None:
    """Below h ~ 1e-8 the complex step's truncation is under 1e-17: the error is the rounding of Im f(x + ih) / h,
    which is at most an ulp of |cos x| here, half the model's eps |f'| (measured: exactly 1.1e-16 = eps / 2)."""
    points = linspace(-math.pi, math.pi)
    hs = steps(1e-9, 1e-16)
    ratio = measured("sin(x)", torch.cos, points, hs, "complex-step") / model("sin(x)", points, hs, "complex-step")
    assert ratio.max().item() <= 1.0
    assert ratio.max().item() >= 0.4


def test_the_stencils_are_the_methods() -> None:
    """The model's S and R come from STENCILS; each stencil must compute what its method computes, at every order."""
    text, h = "exp(x)", 0.25
    points = torch.tensor([-0.5, 0.3, 1.7], dtype=torch.float64)
    for (method, order), stencil in STENCILS.items():
        by_stencil = sum(weight * torch.exp(points + k * h) for k, weight in stencil.weights) / (stencil.denominator * h**order)
        values = METHOD_FUNCTIONS[method](parse_expression(text), points, h, order=order).values
        # the two sums round differently: by up to the stencil's round-off, eps S |f| / h^n, on each side
        roundoff = 2 * EPS64 * stencil.function_weight * float(torch.exp(points).max()) / h**order
        assert torch.allclose(values, by_stencil, rtol=0, atol=roundoff), (method, order)
    # S = sum |w|, R = the same without the weight at x itself: five-point is (1 + 8 + 8 + 1) / 12 for both
    weights = {m: (function_weight(m), step_weight(m)) for m, order in STENCILS if order == 1}
    assert weights == {"forward": (2, 1), "backward": (2, 1), "central": (1, 1), "five-point": (pytest.approx(1.5), pytest.approx(1.5))}


# --- near the optimum -----------------------------------------------------------------------------------

OPTIMUM_CASES = [
    pytest.param(text, a, b, dtype, method, id=f"{text}-{str(dtype).removeprefix('torch.')}-{method}")
    for text, a, b in [("sin(x)", -math.pi, math.pi), ("exp(x)", -1.0, 1.0)]
    for dtype in (torch.float64, torch.float32)
    for method in STEP_METHODS
    if not (text == "exp(x)" and method == "complex-step")  # exp's complex step is exact to the last bit: error 0
]


@pytest.fixture(scope="module")
def sweeps() -> dict[tuple[str, torch.dtype], Sweep]:
    return {
        (text, dtype): sweep(parse_expression(text), linspace(a, b), dtype=dtype)
        for text, a, b in [("sin(x)", -math.pi, math.pi), ("exp(x)", -1.0, 1.0)]
        for dtype in (torch.float64, torch.float32)
    }


@pytest.mark.parametrize(("text", "a", "b", "dtype", "method"), OPTIMUM_CASES)
def test_model_optimum_beside_the_measured_one(
    sweeps: dict[tuple[str, torch.dtype], Sweep], text: str, a: float, b: float, dtype: torch.dtype, method: str
) -> None:
    """The measured best h is a point of the 4-per-decade grid (1.8x apart) and sits at or below the model's h*,
    since the model's round-off is a bound about twice the typical one (measured: 0.32-1.19 h*). The measured best
    error is below the model's, by the same factor and by truncation and round-off partly cancelling at the
    optimum (measured: 0.22-0.60 of it)."""
    result = sweeps[(text, dtype)].methods[method]
    assert result.model is not None and result.model.optimal_h is not None and result.model.optimal_error is not None
    assert result.best_h is not None and result.best_error is not None
    assert 1 / 4 <= result.best_h / result.model.optimal_h <= 1.5
    assert 0.2 <= result.best_error / result.model.optimal_error <= 1.0


@pytest.mark.parametrize("method", ["forward", "central", "five-point"])
def test_bfloat16_optimum_is_where_the_model_puts_it(method: str) -> None:
    """bfloat16 (eps = 2^-7): the optimum moves up to h ~ 0.2-0.7, so the grid runs to h = 1. The model bounds the
    measured best error (measured: 0.28-0.59 of it) and puts h* within a grid step of the best h."""
    result = sweep(parse_expression("sin(x)"), linspace(-math.pi, math.pi), h_grid(1.0, 1e-4), methods=(method,), dtype=torch.bfloat16)
    curve = result.methods[method]
    assert curve.model is not None and curve.model.optimal_h is not None and curve.model.optimal_error is not None
    assert curve.best_h is not None and curve.best_error is not None
    assert 1 / 1.8 <= curve.best_h / curve.model.optimal_h <= 1.8
    assert 0.25 <= curve.best_error / curve.model.optimal_error <= 1.0


# --- where the model has no optimum, or no model ---------------------------------------------------------

SIN_DOMAIN = linspace(-math.pi, math.pi)


def test_complex_step_h_star_is_where_its_truncation_reaches_the_floor() -> None:
    """sin on [-pi, pi]: the model is |cos x| (h^2/6 + h^4/120 + eps), largest at x = +-pi, so its floor is eps and it
    is twice the floor where h^2/6 = eps, h = sqrt(6 eps) = 3.65e-8; h* is the first point of the model's
    40-per-decade grid at or below that."""
    model = error_model(parse_expression("sin(x)"), SIN_DOMAIN, h_grid(), "complex-step", EPS64)
    assert model.optimal_h is not None and model.optimal_error is not None
    assert math.sqrt(6 * EPS64) * 10 ** (-1 / 40) < model.optimal_h <= math.sqrt(6 * EPS64)
    assert EPS64 < model.optimal_error <= 2 * EPS64


@pytest.mark.parametrize(
    ("text", "points"),
    [("3", linspace(-1, 1, 5)), ("x^3", torch.tensor([0.0], dtype=torch.float64))],
    ids=["a constant", "x^3 at 0"],
)
def test_no_optimum_where_nothing_balances(text: str, points: torch.Tensor) -> None:
    """A constant has no truncation, only round-off, which falls as h grows: no h*. x^3 at 0 has no round-off (f and
    f' vanish there) and its truncation falls as h shrinks: no h* either, not even a complex-step floor."""
    for method in STEP_METHODS:
        model = error_model(parse_expression(text), points, h_grid(), method, EPS64)
        assert model.optimal_h is None and model.optimal_error is None, method
    assert sweep(parse_expression(text), points).methods["central"].model is not None  # no crash, and a curve to draw


def test_model_leaves_out_the_points_where_f_is_undefined() -> None:
    # log on [-pi, pi]: no log for half the points; over the other half the model is finite at every h, its h* beside
    # the measured best h (the worst point, x = 0.0079, has |f'''| = 2 / x^3 = 4e6)
    result = sweep(parse_expression("log(x)"), SIN_DOMAIN)
    for method, curve in result.methods.items():
        assert curve.model is not None and curve.model.optimal_h is not None, method
        assert torch.isfinite(curve.model.errors).all(), method
        assert curve.best_h is not None
        assert 1 / 4 <= curve.best_h / curve.model.optimal_h <= 1.5, method


def test_no_model_where_f_is_undefined_at_every_point() -> None:
    points = torch.tensor([-2.0, -1.0], dtype=torch.float64)
    with pytest.raises(EvaluationError, match=r"^f or its derivatives are undefined at every point$"):
        error_model(parse_expression("log(x)"), points, h_grid(), "central", EPS64)
    curve = sweep(parse_expression("log(x)"), points, methods=("central",)).methods["central"]
    assert curve.reason == "no error model: f or its derivatives are undefined at every point"


def test_no_model_when_its_derivatives_are_too_large_to_build() -> None:
    # five-point needs f^(5), which for this f has more than MAX_DERIVATIVE_OPS operations; the error is still measured
    expression = parse_expression("sigmoid(sin(exp(x)))*log(1+x^2)*atan(x^3)")
    points = linspace(0.5, 1.5, 5)
    with pytest.raises(EvaluationError, match=r"^the derivatives the model needs are too large to build$"):
        error_model(expression, points, h_grid(), "five-point", EPS64)
    curve = sweep(expression, points, methods=("five-point",)).methods["five-point"]
    assert curve.model is None
    assert curve.reason == "no error model: the derivatives the model needs are too large to build"
    assert curve.errors is not None and curve.best_h is not None


def test_the_model_is_for_f_of_x() -> None:
    with pytest.raises(EvaluationError, match=r"^the error model is for f\(x\)$"):
        error_model(parse_expression("x*y", ("x", "y")), SIN_DOMAIN, h_grid(), "central", EPS64)
