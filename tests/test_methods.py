"""The seven derivative methods against derivatives worked out by hand, at float64 and the small dtypes.

The expected values come from f and f' written by hand and evaluated by SymPy at 30 digits, not from the
engine's reference. Each method's error at each point is held to what the mathematics gives there, with f's
own derivatives (SymPy differentiating the hand-written f'):

    step method    h       truncation (two Taylor terms)          round-off (f within an ulp, x + kh rounded)
    forward        1e-7    h/2 |f''| + h^2/6 |f'''|               eps (2 |f| + |x f'| / 2) / h
    backward       1e-7    the same                               the same
    central        1e-5    h^2/6 |f'''| + h^4/120 |f^(5)|         eps (|f| + |x f'| / 2) / h
    five-point     1e-3    h^4/30 |f^(5)| + h^6/252 |f^(7)|       eps (1.5 |f| + 1.5 |x f'| / 2) / h
    complex-step   1e-20   h^2/6 |f'''| ~ 1e-40                   none: it subtracts nothing
    exact/autograd  -      none                                   none

plus 4 eps max(1, |f'|) for the rounding of the formula or the last operations (a few ulps of f', or of the
terms of size ~1 that cancel in formulas like 1 - tanh(x)^2), all times 2 for what the bound leaves out:
the third Taylor term and the rounding inside a composite f (5x in sin(5x)), up to 1.2x the one-ulp round-off.
"""

from __future__ import annotations

import math

import pytest
import sympy as sp
import torch

from engine.compiled import EvaluationError, compile_expression
from engine.derive import derive
from engine.expression import SYMBOLS, parse_expression
from engine.methods import METHOD_FUNCTIONS, NotApplicable, complex_step
from engine.vocabulary import METHOD_NAMES as METHODS
from engine.vocabulary import STEP_METHOD_NAMES as STEP_METHODS
from engine.vocabulary import method as method_info
from engine.vocabulary import parse_methods

EPS = float(torch.finfo(torch.float64).eps)
STEP = {
    "exact": 0.0,
    "autograd": 0.0,
    "forward": 1e-7,
    "backward": 1e-7,
    "central": 1e-5,
    "five-point": 1e-3,
    "complex-step": 1e-20,
    "richardson": 0.0,  # it picks its own steps; its bound is its own error estimate (tests/test_orders.py)
}
# (coefficient, order of the derivative, power of h) of the two leading Taylor terms of each step method's error
TAYLOR: dict[str, tuple[tuple[float, int, int], ...]] = {
    "exact": (),
    "autograd": (),
    "forward": ((1 / 2, 2, 1), (1 / 6, 3, 2)),
    "backward": ((1 / 2, 2, 1), (1 / 6, 3, 2)),
    "central": ((1 / 6, 3, 2), (1 / 120, 5, 4)),
    "five-point": ((1 / 30, 5, 4), (1 / 252, 7, 6)),
    "complex-step": ((1 / 6, 3, 2), (1 / 120, 5, 4)),
    "richardson": (),
}
# (sum of |stencil weights|, the same without the weight at x): how many ulps of f and of x the round-off adds up
ROUNDING = {
    "exact": (0, 0),
    "autograd": (0, 0),
    "forward": (2, 1),
    "backward": (2, 1),
    "central": (1, 1),
    "five-point": (1.5, 1.5),
    "complex-step": (0, 0),
    "richardson": (0, 0),
}
MARGIN = 2  # the third Taylor term and the rounding inside a composite f (see the module docstring)

x = SYMBOLS["x"]
ANYWHERE = [-2.0, -0.7, 0.3, 1.1, 2.4]
POSITIVE = [0.5, 1.0, 1.7, 3.0]
INSIDE_ONE = [-0.6, -0.1, 0.4, 0.7]

# (text, f written by hand, f' written by hand, points)
KNOWN_DERIVATIVES = [
    ("sin(x)", sp.sin(x), sp.cos(x), ANYWHERE),
    ("cos(x)", sp.cos(x), -sp.sin(x), ANYWHERE),
    ("exp(x)", sp.exp(x), sp.exp(x), ANYWHERE),
    ("x^3 - 2*x", x**3 - 2 * x, 3 * x**2 - 2, ANYWHERE),
    ("log(x)", sp.log(x), 1 / x, POSITIVE),
    ("sqrt(x)", sp.sqrt(x), 1 / (2 * sp.sqrt(x)), POSITIVE),
    ("tanh(x)", sp.tanh(x), 1 - sp.tanh(x) ** 2, ANYWHERE),
    ("sigmoid(x)", 1 / (1 + sp.exp(-x)), sp.exp(-x) / (1 + sp.exp(-x)) ** 2, ANYWHERE),
    ("softplus(x)", sp.log(1 + sp.exp(x)), 1 / (1 + sp.exp(-x)), ANYWHERE),
    ("atan(x)", sp.atan(x), 1 / (1 + x**2), ANYWHERE),
    ("exp(-x^2)*sin(5x)", sp.exp(-(x**2)) * sp.sin(5 * x), sp.exp(-(x**2)) * (5 * sp.cos(5 * x) - 2 * x * sp.sin(5 * x)), ANYWHERE),
    ("0.3*sin(3*x) + 0.5*x^2", sp.Rational(3, 10) * sp.sin(3 * x) + x**2 / 2, sp.Rational(9, 10) * sp.cos(3 * x) + x, ANYWHERE),
    ("log(1+x^2)", sp.log(1 + x**2), 2 * x / (1 + x**2), ANYWHERE),
    ("1/x", 1 / x, -1 / x**2, POSITIVE),
    ("asin(x)", sp.asin(x), 1 / sp.sqrt(1 - x**2), INSIDE_ONE),
    ("acos(x)", sp.acos(x), -1 / sp.sqrt(1 - x**2), INSIDE_ONE),
    ("sinh(x)", sp.sinh(x), sp.cosh(x), ANYWHERE),
    ("cosh(x)", sp.cosh(x), sp.sinh(x), ANYWHERE),
    ("tan(x)", sp.tan(x), 1 / sp.cos(x) ** 2, INSIDE_ONE),
    ("log10(x)", sp.log(x) / sp.log(10), 1 / (x * sp.log(10)), POSITIVE),
    ("log2(x)", sp.log(x) / sp.log(2), 1 / (x * sp.log(2)), POSITIVE),
    ("2^x", 2**x, 2**x * sp.log(2), ANYWHERE),
    ("x^x", x**x, x**x * (sp.log(x) + 1), POSITIVE),
    ("pow(x, 3)", x**3, 3 * x**2, ANYWHERE),
]


def at_points(expr: sp.Expr, points: list[float]) -> torch.Tensor:
    return torch.tensor([float(sp.N(expr.subs(x, sp.Float(p, 30)), 30)) for p in points], dtype=torch.float64)


def error_bound(method: str, function: sp.Expr, derivative: sp.Expr, points: list[float]) -> torch.Tensor:
    """What the mathematics lets `method` be off by at each point (see the module docstring)."""
    h = STEP[method]
    slope = at_points(derivative, points).abs()
    bound = 4 * EPS * slope.clamp(min=1.0)
    for coefficient, order, power in TAYLOR[method]:
        bound += coefficient * at_points(sp.diff(derivative, x, order - 1), points).abs() * h**power
    values_weight, step_weight = ROUNDING[method]
    if values_weight:
        xs = torch.tensor(points, dtype=torch.float64)
        bound += EPS * (values_weight * at_points(function, points).abs() + step_weight * xs.abs() * slope / 2) / h
    return MARGIN * bound


@pytest.mark.parametrize(("text", "function", "derivative", "points"), KNOWN_DERIVATIVES, ids=[row[0] for row in KNOWN_DERIVATIVES])
def test_the_hand_written_derivatives_are_right(text: str, function: sp.Expr, derivative: sp.Expr, points: list[float]) -> None:
    assert sp.simplify(sp.diff(function, x) - derivative) == 0
    # and f is what the text means: the engine's own float64 evaluation of the text, to the rounding inside a composite
    # f (5x in sin(5x): ~10 ulps where f is small); a wrong row in the table is off by far more
    values = compile_expression(parse_expression(text)).function(torch.tensor(points, dtype=torch.float64))
    assert torch.allclose(values, at_points(function, points), rtol=1e-13, atol=1e-15)


CASES = [
    pytest.param(text, function, derivative, points, method, id=f"{method}:{text}")
    for text, function, derivative, points in KNOWN_DERIVATIVES
    for method in METHODS
    if method != "richardson"  # no a-priori bound: it is held to its own error estimate in tests/test_orders.py
]


@pytest.mark.parametrize(("text", "function", "derivative", "points", "method"), CASES)
def test_method_matches_the_known_derivative(text: str, function: sp.Expr, derivative: sp.Expr, points: list[float], method: str) -> None:
    expression = parse_expression(text)
    at = torch.tensor(points, dtype=torch.float64)
    values = METHOD_FUNCTIONS[method](expression, at, STEP[method], torch.float64, "cpu").values
    assert values.dtype == torch.float64
    assert values.shape == at.shape
    error = (values - at_points(derivative, points)).abs()
    bound = error_bound(method, function, derivative, points)
    worst = int(torch.argmax(error / bound))
    assert error[worst] <= bound[worst], f"{method} on {text} at x = {points[worst]}: error {error[worst]:.2e} > {bound[worst]:.2e}"


def test_the_table_covers_every_method() -> None:
    assert set(STEP) == set(TAYLOR) == set(ROUNDING) == set(METHODS) == set(METHOD_FUNCTIONS)


def test_complex_step_on_sin_at_one_is_cos_one_to_the_last_digit() -> None:
    value = complex_step(parse_expression("sin(x)"), torch.tensor([1.0], dtype=torch.float64), 1e-20).values
    assert abs(value.item() - math.cos(1.0)) <= 1e-15


def test_complex_step_keeps_full_precision_where_central_cancels() -> None:
    # at h = 1e-12, central difference loses ~4 digits to cancellation; the complex step subtracts nothing
    expression = parse_expression("exp(x)")
    at = torch.tensor([1.0], dtype=torch.float64)
    cs = complex_step(expression, at, 1e-12).values.item()
    central = METHOD_FUNCTIONS["central"](expression, at, 1e-12).values.item()
    assert abs(cs - math.e) <= 2 * EPS * math.e
    assert abs(central - math.e) > 1e-6


@pytest.mark.parametrize(
    ("name", "order", "h"),
    [("forward", 1, 1e-2), ("backward", 1, 1e-2), ("central", 2, 1e-2), ("five-point", 4, 1e-1), ("complex-step", 2, 1e-2)],
)
def test_halving_h_divides_the_error_by_two_to_the_order(name: str, order: int, h: float) -> None:
    # in the truncation-dominated range, error(h) / error(h/2) = 2^p
    expression = parse_expression("exp(x)")
    at = torch.tensor([0.5], dtype=torch.float64)
    exact = math.exp(0.5)
    coarse = abs(METHOD_FUNCTIONS[name](expression, at, h).values.item() - exact)
    fine = abs(METHOD_FUNCTIONS[name](expression, at, h / 2).values.item() - exact)
    assert method_info(name).accuracy == order
    assert coarse / fine == pytest.approx(2**order, rel=0.1)


def test_forward_and_backward_err_on_opposite_sides() -> None:
    # forward - f' = +h/2 f'' + ..., backward - f' = -h/2 f'' + ...; for sin at 1, f'' = -sin(1)
    expression = parse_expression("sin(x)")
    at = torch.tensor([1.0], dtype=torch.float64)
    h = 1e-3
    forward = METHOD_FUNCTIONS["forward"](expression, at, h).values.item() - math.cos(1)
    backward = METHOD_FUNCTIONS["backward"](expression, at, h).values.item() - math.cos(1)
    assert forward == pytest.approx(-h / 2 * math.sin(1), rel=1e-2)
    assert backward == pytest.approx(+h / 2 * math.sin(1), rel=1e-2)


def test_h_may_be_a_column_of_steps_that_broadcasts_against_the_points() -> None:
    expression = parse_expression("sin(x)")
    at = torch.linspace(-1, 1, 5, dtype=torch.float64)
    steps = torch.tensor([[1e-2], [1e-4]], dtype=torch.float64)
    values = METHOD_FUNCTIONS["central"](expression, at, steps).values
    assert values.shape == (2, 5)
    for row, h in enumerate((1e-2, 1e-4)):
        assert torch.allclose(values[row], METHOD_FUNCTIONS["central"](expression, at, h).values, rtol=0, atol=1e-15)


# --- not applicable --------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["abs(x)", "sign(x)", "relu(x)", "x*abs(x)", "relu(x)^2 + sin(x)"])
def test_complex_step_is_not_applicable_at_a_kink(text: str) -> None:
    expression = parse_expression(text)
    at = torch.tensor([1.0, -1.0], dtype=torch.float64)
    kink = "not applicable: the function has a kink or jump (abs, sign, relu), so it is not complex-analytic"
    with pytest.raises(NotApplicable) as raised:
        complex_step(expression, at, 1e-20)
    assert str(raised.value) == kink
    result = derive(expression, at, 1e-5)
    item = result.results["complex-step"]
    assert item.values is None
    assert item.abs_error is None
    assert item.reason == kink
    assert math.isnan(item.max_error)
    # the other methods still answer
    assert all(result.results[m].values is not None for m in METHODS if m != "complex-step")


@pytest.mark.parametrize(("text", "slope"), [("abs(x)", [1.0, -1.0]), ("relu(x)", [1.0, 0.0]), ("sign(x)", [0.0, 0.0])])
def test_kinked_functions_away_from_the_kink(text: str, slope: list[float]) -> None:
    result = derive(parse_expression(text), torch.tensor([1.0, -1.0], dtype=torch.float64), 1e-5)
    for method in ("exact", "autograd", "central", "five-point"):
        values = result.results[method].values
        assert values is not None
        assert values.tolist() == pytest.approx(slope, abs=1e-10), method


def test_relu_at_zero_follows_torch_autograd_convention() -> None:
    result = derive(parse_expression("relu(x)"), torch.tensor([0.0], dtype=torch.float64), 1e-5)
    assert result.results["exact"].values.item() == 0.0  # type: ignore[union-attr]
    assert result.results["autograd"].values.item() == 0.0  # type: ignore[union-attr]
    assert result.results["central"].values.item() == pytest.approx(0.5)  # type: ignore[union-attr]


def test_methods_need_a_function_of_x_alone() -> None:
    expression = parse_expression("x*y", ("x", "y"))
    for method in METHODS:
        with pytest.raises(NotApplicable) as raised:
            METHOD_FUNCTIONS[method](expression, torch.tensor([1.0], dtype=torch.float64), 1e-5)
        assert str(raised.value) == "the derivative methods take f(x); this expression has variables ('x', 'y')"


# --- constants and shapes ---------------------------------------------------------------------


@pytest.mark.parametrize(("text", "slope"), [("x", 1.0), ("cosh(x)^2 - sinh(x)^2", 0.0), ("3", 0.0), ("x - x + pi", 0.0), ("2x + 1", 2.0)])
@pytest.mark.parametrize("shape", [(1,), (7,), (2, 3)])
def test_constant_derivatives_keep_the_points_shape(text: str, slope: float, shape: tuple[int, ...]) -> None:
    expression = parse_expression(text)
    at = torch.linspace(-2.0, 2.0, math.prod(shape), dtype=torch.float64).reshape(shape)
    for method in METHODS:
        values = METHOD_FUNCTIONS[method](expression, at, STEP[method] or 1e-5).values
        assert values.shape == at.shape, method
        assert torch.allclose(values, torch.full_like(at, slope), atol=1e-6), f"{method}: {values}"


@pytest.mark.parametrize("text", ["x", "3", "cosh(x)^2 - sinh(x)^2"])
def test_derive_of_a_constant_derivative_has_one_value_per_point(text: str) -> None:
    at = torch.linspace(-1.0, 1.0, 9, dtype=torch.float64)
    result = derive(parse_expression(text), at, 1e-5)
    assert result.function_values.shape == at.shape
    assert result.reference.shape == at.shape
    for item in result.results.values():
        assert item.values is not None and item.values.shape == at.shape
        assert item.abs_error is not None and item.abs_error.shape == at.shape


def test_log10_uses_the_constant_log10_inside() -> None:
    expression = parse_expression("log10(x)")
    at = torch.tensor([0.5, 1.0, 10.0, 1000.0], dtype=torch.float64)
    expected = 1 / (at * math.log(10))
    result = derive(expression, at, 1e-20)  # h only matters to the complex step here
    assert "log(10)" in result.derivative
    assert torch.allclose(result.function_values, torch.log10(at), rtol=1e-15, atol=1e-15)
    for method in ("exact", "autograd", "complex-step"):
        assert torch.allclose(result.results[method].values, expected, rtol=4 * EPS, atol=0), method  # type: ignore[arg-type]


# --- derive(): the result object ------------------------------------------------------------------


def test_derive_reports_values_errors_and_the_reference() -> None:
    at = torch.tensor([0.0, 1.0, 2.0], dtype=torch.float64)
    result = derive(parse_expression("sin(x)"), at, 1e-5)
    assert result.derivative == "cos(x)"
    assert result.dtype == "float64"
    assert result.device == "cpu"
    assert result.h == 1e-5
    assert torch.equal(result.points, at)
    assert torch.allclose(result.reference, torch.cos(at), rtol=1e-16, atol=0)
    assert torch.allclose(result.function_values, torch.sin(at), rtol=0, atol=0)
    assert list(result.results) == list(METHODS)
    for name, item in result.results.items():
        assert item.method == name
        if name == "richardson":  # its cost varies from point to point: the most any point used
            assert item.evaluations_per_point is not None and item.evaluations == int(item.evaluations_per_point.max()) >= 8
        else:
            assert item.evaluations == method_info(name).evaluations and item.error_estimate is None
        assert torch.equal(item.abs_error, (item.values - result.reference).abs())  # type: ignore[operator,arg-type]
        assert item.max_error == pytest.approx(float(item.abs_error.max()))  # type: ignore[union-attr]
        assert item.mean_error == pytest.approx(float(item.abs_error.mean()))  # type: ignore[union-attr]
    assert result.undefined_notice() is None


@pytest.mark.parametrize("points", [torch.tensor(1.0, dtype=torch.float64), torch.ones(2, 3, dtype=torch.float64)], ids=["0-d", "2-D"])
def test_derive_accepts_points_of_any_shape_as_the_methods_do(points: torch.Tensor) -> None:
    result = derive(parse_expression("sin(x)"), points, 1e-5)
    assert result.results["exact"].values is not None
    assert result.results["exact"].values.shape == points.shape


def test_derive_runs_only_the_requested_methods() -> None:
    result = derive(parse_expression("sin(x)"), torch.tensor([1.0], dtype=torch.float64), 1e-5, methods=("central", "exact"))
    assert list(result.results) == ["central", "exact"]


def test_undefined_points_are_skipped_and_counted() -> None:
    at = torch.linspace(-math.pi, math.pi, 400, dtype=torch.float64)
    result = derive(parse_expression("log(x)"), at, 1e-5)
    notice = result.undefined_notice()
    assert notice is not None
    assert "200 of 400 points skipped" in notice
    assert "log(x)" in notice
    assert "-3.14" in notice
    assert int((~result.defined).sum()) == 200
    assert bool(result.defined[at > 0].all()) and not bool(result.defined[at < 0].any())
    # errors are measured only where log is defined, and there they are small
    assert result.results["exact"].max_error <= 1e-15 * 400  # |1/x| up to ~127 on this grid
    assert result.results["central"].max_error < 1e-3
    for item in result.results.values():
        assert item.abs_error is not None
        assert torch.isnan(item.abs_error[at < 0]).all()
        assert not torch.isnan(item.abs_error[at > 0]).any()


def test_a_method_that_breaks_down_where_f_is_defined_counts_as_infinite_error() -> None:
    # sqrt at 0: f is defined but f' is not, so the point is skipped; at 1e-7 forward with h=1e-5 is fine,
    # but backward steps to x < 0 where sqrt is NaN: that is an infinite error, not a skipped point
    at = torch.tensor([1e-7, 1.0], dtype=torch.float64)
    result = derive(parse_expression("sqrt(x)"), at, 1e-5)
    backward = result.results["backward"]
    assert backward.abs_error is not None
    assert backward.abs_error[0] == math.inf
    assert backward.max_error == math.inf


# --- dtypes ------------------------------------------------------------------------------------

DTYPE_CASES = [
    # dtype, h, complex step
    (torch.float64, 1e-5, "works"),
    (torch.float32, 1e-3, "works"),
    (torch.float16, 1e-2, "maybe"),  # complex32 sin is missing on some backends: not applicable, with reason
    (torch.bfloat16, 1e-1, "never"),
]


@pytest.mark.parametrize(("dtype", "h", "complex_support"), DTYPE_CASES, ids=[str(c[0]) for c in DTYPE_CASES])
def test_every_dtype_runs_and_reports_itself(dtype: torch.dtype, h: float, complex_support: str) -> None:
    name = str(dtype).removeprefix("torch.")
    eps = torch.finfo(dtype).eps
    at = torch.linspace(-1.0, 1.0, 9, dtype=torch.float64)
    result = derive(parse_expression("sin(x)"), at, h, dtype=dtype)
    assert result.dtype == name
    assert result.h == float(torch.tensor(h, dtype=dtype))  # h as the dtype holds it
    assert torch.equal(result.points, at.to(dtype).double())  # the points as the dtype holds them
    reference = torch.cos(result.points)
    for method in ("exact", "autograd"):
        values = result.results[method].values
        assert values is not None and values.dtype == torch.float64
        # cos on [-1, 1] lies in [0.54, 1], where an ulp of the dtype is eps / 2: rounded once, within half of it
        # (measured 0.17-0.26 eps); a whole ulp is allowed
        assert (values - reference).abs().max().item() <= eps / 2, method
    for method in ("forward", "backward", "central", "five-point"):
        assert result.results[method].values is not None, method
    item = result.results["complex-step"]
    if complex_support == "works" or (complex_support == "maybe" and item.values is not None):
        assert item.values is not None
        # cos(x) sinh(h) / h: truncation h^2/6 |cos x| plus an ulp for the complex evaluation (measured: float32 1.0 eps)
        assert (item.values - reference).abs().max().item() <= h * h / 6 + eps, item.reason
    elif complex_support == "maybe":
        assert item.reason == "not applicable: torch on cpu cannot compute this function in complex32, float16's complex type"
    else:
        assert item.values is None
        assert item.reason == "not applicable: torch has no complex type for bfloat16"


def test_float32_errors_are_float32_sized() -> None:
    """Central in float32 at h = 1e-2 on sin: the truncation h^2/6 |cos x| is 1.67e-5 at x = 0, where the round-off
    is nil (f(+-h) = +-sin h); elsewhere the round-off adds at most eps32 (|sin x| + |x cos x| / 2) / h."""
    h, eps32 = 1e-2, float(torch.finfo(torch.float32).eps)
    at = torch.linspace(-3.0, 3.0, 61, dtype=torch.float64)
    result = derive(parse_expression("sin(x)"), at, h, methods=("central",), dtype=torch.float32)
    held = result.points
    bound = (h**2 / 6 * torch.cos(held).abs() + eps32 * (torch.sin(held).abs() + (held * torch.cos(held)).abs() / 2) / h).max().item()
    error = result.results["central"].max_error
    assert h**2 / 6 * 0.99 <= error <= bound


# --- parse_methods -----------------------------------------------------------------------------


def test_parse_methods() -> None:
    assert parse_methods("central, Five-Point") == ("central", "five-point")
    assert parse_methods("central,central,exact") == ("central", "exact")
    assert parse_methods(",".join(METHODS)) == METHODS
    with pytest.raises(ValueError, match="unknown method 'magic': choose from exact, autograd"):
        parse_methods("central,magic")
    with pytest.raises(ValueError, match="no methods"):
        parse_methods(" , ")
    with pytest.raises(ValueError, match="unknown method 'exact'"):
        parse_methods("exact", STEP_METHODS)


# --- the h-below-spacing notice ----------------------------------------------------------------


def test_step_notice_counts_the_points_where_x_plus_h_rounds_back_to_x() -> None:
    """float16 keeps 10 bits after the leading one: x + h rounds back to x when h is below half the spacing at x.
    h = 1e-3 (0.0010004 in float16) against half-spacings 1.2e-4 (0.25), 2.4e-4 (0.5), 4.9e-4 (1), 9.8e-4 (2) and
    2.0e-3 (4): only x = 4 loses the step."""
    at = torch.tensor([0.25, 0.5, 1.0, 2.0, 4.0], dtype=torch.float64)
    result = derive(parse_expression("sin(x)"), at, 1e-3, methods=("forward",), dtype=torch.float16)
    assert result.steps_lost == 1
    assert result.step_notice() == (
        "h = 1.0e-03 is below float16's spacing at 1 of 5 points: x + h rounds back to x there, so the step methods see no change"
    )
    forward = result.results["forward"].values
    assert forward is not None and forward[4].item() == 0.0  # what the notice explains: no change, slope 0


def test_a_step_that_rounds_to_another_length_is_noticed_with_the_error_it_explains() -> None:
    """float64's spacing at 1e15 is 0.125: x +- 0.1 rounds to x +- 0.125, so central divides a difference over 0.25 by
    0.2. Its value is exactly cos(x) sin(0.125) / 0.1 (worked at 50 digits here), 25% off f'; a multiple of the
    spacing (h = 0.125) is taken as asked and noticed by nothing."""
    import mpmath

    at = torch.tensor([1e15], dtype=torch.float64)
    result = derive(parse_expression("sin(x)"), at, 0.1, methods=("central",))
    assert result.skew_notice() == (
        "h = 1.0e-01 is not a whole number of float64's spacings at x = 1e+15 (0.125): x + h rounds to a step 25% away "
        "from h, while the step methods divide by h; take h a multiple of the spacing, or larger"
    )
    with mpmath.workdps(50):
        explained = float(mpmath.cos(mpmath.mpf(10**15)) * mpmath.sin(mpmath.mpf("0.125")) / mpmath.mpf(0.1))
    central = result.results["central"].values
    assert central is not None and central[0].item() == pytest.approx(explained, rel=1e-12)
    assert derive(parse_expression("sin(x)"), at, 0.125, methods=("central",)).skew_notice() is None


def test_a_step_error_smaller_than_the_dtypes_round_off_is_not_noticed() -> None:
    """bfloat16 holds 0.1 as 0.10009765625; x +- h lands up to 1% away from it on [0.5, 1], where the round-off of f
    alone (eps |f| / (h |f'|), 8e-3 x 0.84 / 0.054) is 12%: not worth a notice. float16 at 3 with h = 1e-2: the step
    is 2% off while round-off is 1.4%: noticed, with the spacing there."""
    at = torch.linspace(0.5, 1.0, 11, dtype=torch.float64)
    assert derive(parse_expression("sin(x)"), at, 0.1, methods=("central",), dtype=torch.bfloat16).skew_notice() is None
    notice = derive(parse_expression("sin(x)"), torch.tensor([3.0]), 1e-2, methods=("central",), dtype=torch.float16).skew_notice()
    assert notice is not None and notice.startswith("h = 1.0e-02 is not a whole number of float16's spacings at x = 3 (0.00195): ")


def test_an_infinite_value_has_an_infinite_error_not_the_largest_float() -> None:
    result = derive(parse_expression("sin(x)"), torch.tensor([1.0]), 1e-3, methods=("forward", "central"), dtype=torch.float16, order=3)
    forward, central = result.results["forward"], result.results["central"]
    assert forward.values is not None and math.isinf(forward.values[0].item())  # a number over 0
    assert central.values is not None and math.isnan(central.values[0].item())  # 0 over 0
    assert forward.abs_error is not None and central.abs_error is not None
    assert forward.abs_error[0].item() == central.abs_error[0].item() == math.inf


def test_no_step_notice_when_every_step_is_seen() -> None:
    at = torch.tensor([0.25, 0.5, 1.0, 2.0, 4.0], dtype=torch.float64)
    assert derive(parse_expression("sin(x)"), at, 1e-3, methods=("forward",), dtype=torch.float32).step_notice() is None
    assert derive(parse_expression("sin(x)"), at, 1e-5, methods=("forward",)).step_notice() is None


def test_step_notice_in_float64_at_a_tiny_h() -> None:
    # spacing of float64 at 1 is 2.2e-16: h = 1e-16 is below half of it there, but not at 0.01 (spacing 1.7e-18)
    at = torch.tensor([0.01, 1.0, 3.0], dtype=torch.float64)
    result = derive(parse_expression("sin(x)"), at, 1e-16, methods=("forward",))
    assert result.steps_lost == 2
    assert "h = 1.0e-16 is below float64's spacing at 2 of 3 points" in (result.step_notice() or "")


def test_complex_step_says_what_torch_could_not_compute(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every function of the vocabulary works in complex128 on the CPU, so a failure is faked: the reason names the
    complex dtype, the device and torch's own message, and derive shows it in place of a value."""
    import dataclasses

    import engine.methods

    expression = parse_expression("sin(x)")
    real = compile_expression(expression)

    def function(*args: torch.Tensor) -> torch.Tensor:
        if args[0].is_complex():
            raise EvaluationError("cannot evaluate sin(x): no complex kernel")
        return real.function(*args)

    monkeypatch.setattr(engine.methods, "compile_expression", lambda _: dataclasses.replace(real, function=function))
    with pytest.raises(NotApplicable) as raised:
        complex_step(expression, torch.tensor([1.0], dtype=torch.float64), 1e-20)
    assert str(raised.value) == "not applicable in torch.complex128 on cpu: cannot evaluate sin(x): no complex kernel"


def test_every_method_is_one_function_with_one_result_type_and_no_import_circle() -> None:
    """engine.methods registers Richardson like every other method; engine.richardson needs nothing from it."""
    import ast
    import inspect

    import engine.richardson
    from engine.differences import Estimate

    imported = {node.module for node in ast.walk(ast.parse(inspect.getsource(engine.richardson))) if isinstance(node, ast.ImportFrom)}
    assert "engine.methods" not in imported and "engine.derive" not in imported
    for name, function in METHOD_FUNCTIONS.items():
        result = function(parse_expression("sin(x)"), torch.tensor([0.5], dtype=torch.float64), 1e-3, torch.float64, "cpu", order=1)
        assert isinstance(result, Estimate), name
        evaluations = result.evaluations if isinstance(result.evaluations, int) else int(result.evaluations.max())
        assert evaluations == (method_info(name).evaluations or evaluations) > 0, name
    assert METHOD_FUNCTIONS["richardson"] is engine.richardson.extrapolate


@pytest.mark.parametrize("x", [705.0, 709.0])
def test_richardson_near_the_top_of_float64_extrapolates_instead_of_giving_up(x: float) -> None:
    """exp(705) = 1.5e306: its round-off term |x| |f'| eps was computed as |x| |f'| first, which overflows, so every
    level looked non-finite and Richardson said f 'overflows that close to x' where f'(x) is a float64 number."""
    result = derive(parse_expression("exp(x)"), torch.tensor([x], dtype=torch.float64), 1e-5, ("richardson",)).results["richardson"]
    truth = float(result.magnitude) if result.magnitude is not None else math.nan
    value, estimate = float(result.values), float(result.error_estimate)  # type: ignore[arg-type]
    assert math.isfinite(value) and result.reason is None
    assert abs(value - truth) <= estimate <= 1e-8 * truth  # within its own estimate, and a small one
