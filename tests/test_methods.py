"""The seven derivative methods against derivatives worked out by hand, at float64 and the small dtypes.

The expected values come from hand-written derivatives evaluated by SymPy at 30
digits, not from the engine's own reference. Tolerances follow from each
method's order p and step h: truncation C h^p |f^(p+1)|, round-off ~ eps |f| / h
(eps = 2.2e-16), with |f^(k)| up to ~10 for most rows and up to a few thousand
for exp(-x^2)*sin(5x) and 1/x at 0.5 in the five-point row.

    method         h       truncation              round-off    tolerance (relative to max(1, |f'|))
    forward        1e-7    h/2 |f''|      ~ 1e-7   ~ 2e-9       2e-6
    backward       1e-7    h/2 |f''|      ~ 1e-7   ~ 2e-9       2e-6
    central        1e-5    h^2/6 |f'''|   ~ 1e-10  ~ 2e-11      2e-9
    five-point     1e-3    h^4/30 |f^(5)| ~ 1e-10  ~ 3e-13      2e-10
    complex-step   1e-20   h^2/6 |f'''|   ~ 1e-40  none         4 eps
    exact/autograd  -      none                    a few ulps   4 eps
"""

from __future__ import annotations

import math

import pytest
import sympy as sp
import torch

from engine.derive import derive
from engine.expression import SYMBOLS, parse_expression
from engine.methods import METHOD_FUNCTIONS, NotApplicable, complex_step
from engine.vocabulary import METHOD_NAMES as METHODS
from engine.vocabulary import STEP_METHOD_NAMES as STEP_METHODS
from engine.vocabulary import method as method_info
from engine.vocabulary import parse_methods

EPS = float(torch.finfo(torch.float64).eps)
STEP = {"exact": 0.0, "autograd": 0.0, "forward": 1e-7, "backward": 1e-7, "central": 1e-5, "five-point": 1e-3, "complex-step": 1e-20}
TOLERANCE = {
    "exact": 4 * EPS,
    "autograd": 4 * EPS,
    "forward": 2e-6,
    "backward": 2e-6,
    "central": 2e-9,
    "five-point": 2e-10,
    "complex-step": 4 * EPS,
}

x = SYMBOLS["x"]
ANYWHERE = [-2.0, -0.7, 0.3, 1.1, 2.4]
POSITIVE = [0.5, 1.0, 1.7, 3.0]
INSIDE_ONE = [-0.6, -0.1, 0.4, 0.7]

# (text, f' written by hand, points)
KNOWN_DERIVATIVES = [
    ("sin(x)", sp.cos(x), ANYWHERE),
    ("cos(x)", -sp.sin(x), ANYWHERE),
    ("exp(x)", sp.exp(x), ANYWHERE),
    ("x^3 - 2*x", 3 * x**2 - 2, ANYWHERE),
    ("log(x)", 1 / x, POSITIVE),
    ("sqrt(x)", 1 / (2 * sp.sqrt(x)), POSITIVE),
    ("tanh(x)", 1 - sp.tanh(x) ** 2, ANYWHERE),
    ("sigmoid(x)", sp.exp(-x) / (1 + sp.exp(-x)) ** 2, ANYWHERE),
    ("softplus(x)", 1 / (1 + sp.exp(-x)), ANYWHERE),
    ("atan(x)", 1 / (1 + x**2), ANYWHERE),
    ("exp(-x^2)*sin(5x)", sp.exp(-(x**2)) * (5 * sp.cos(5 * x) - 2 * x * sp.sin(5 * x)), ANYWHERE),
    ("0.3*sin(3*x) + 0.5*x^2", sp.Rational(9, 10) * sp.cos(3 * x) + x, ANYWHERE),
    ("log(1+x^2)", 2 * x / (1 + x**2), ANYWHERE),
    ("1/x", -1 / x**2, POSITIVE),
    ("asin(x)", 1 / sp.sqrt(1 - x**2), INSIDE_ONE),
    ("acos(x)", -1 / sp.sqrt(1 - x**2), INSIDE_ONE),
    ("sinh(x)", sp.cosh(x), ANYWHERE),
    ("cosh(x)", sp.sinh(x), ANYWHERE),
    ("tan(x)", 1 / sp.cos(x) ** 2, INSIDE_ONE),
    ("log10(x)", 1 / (x * sp.log(10)), POSITIVE),
    ("log2(x)", 1 / (x * sp.log(2)), POSITIVE),
    ("2^x", 2**x * sp.log(2), ANYWHERE),
    ("x^x", x**x * (sp.log(x) + 1), POSITIVE),
    ("pow(x, 3)", 3 * x**2, ANYWHERE),
]


def expected_derivative(derivative: sp.Expr, points: list[float]) -> torch.Tensor:
    return torch.tensor([float(sp.N(derivative.subs(x, sp.Float(p, 30)), 30)) for p in points], dtype=torch.float64)


CASES = [
    pytest.param(text, derivative, points, method, id=f"{method}:{text}")
    for text, derivative, points in KNOWN_DERIVATIVES
    for method in METHODS
]


@pytest.mark.parametrize(("text", "derivative", "points", "method"), CASES)
def test_method_matches_the_known_derivative(text: str, derivative: sp.Expr, points: list[float], method: str) -> None:
    expression = parse_expression(text)
    at = torch.tensor(points, dtype=torch.float64)
    values = METHOD_FUNCTIONS[method](expression, at, STEP[method], torch.float64, "cpu")
    assert values.dtype == torch.float64
    assert values.shape == at.shape
    expected = expected_derivative(derivative, points)
    relative = ((values - expected).abs() / expected.abs().clamp(min=1.0)).max().item()
    assert relative <= TOLERANCE[method], f"{method} on {text}: relative error {relative:.2e} > {TOLERANCE[method]:.0e}"


def test_the_table_covers_every_method() -> None:
    assert set(STEP) == set(TOLERANCE) == set(METHODS) == set(METHOD_FUNCTIONS)


def test_complex_step_on_sin_at_one_is_cos_one_to_the_last_digit() -> None:
    value = complex_step(parse_expression("sin(x)"), torch.tensor([1.0], dtype=torch.float64), 1e-20)
    assert abs(value.item() - math.cos(1.0)) <= 1e-15


def test_complex_step_keeps_full_precision_where_central_cancels() -> None:
    # at h = 1e-12, central difference loses ~4 digits to cancellation; the complex step subtracts nothing
    expression = parse_expression("exp(x)")
    at = torch.tensor([1.0], dtype=torch.float64)
    cs = complex_step(expression, at, 1e-12).item()
    central = METHOD_FUNCTIONS["central"](expression, at, 1e-12).item()
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
    coarse = abs(METHOD_FUNCTIONS[name](expression, at, h).item() - exact)
    fine = abs(METHOD_FUNCTIONS[name](expression, at, h / 2).item() - exact)
    assert method_info(name).accuracy == order
    assert coarse / fine == pytest.approx(2**order, rel=0.1)


def test_forward_and_backward_err_on_opposite_sides() -> None:
    # forward - f' = +h/2 f'' + ..., backward - f' = -h/2 f'' + ...; for sin at 1, f'' = -sin(1)
    expression = parse_expression("sin(x)")
    at = torch.tensor([1.0], dtype=torch.float64)
    h = 1e-3
    forward = METHOD_FUNCTIONS["forward"](expression, at, h).item() - math.cos(1)
    backward = METHOD_FUNCTIONS["backward"](expression, at, h).item() - math.cos(1)
    assert forward == pytest.approx(-h / 2 * math.sin(1), rel=1e-2)
    assert backward == pytest.approx(+h / 2 * math.sin(1), rel=1e-2)


def test_h_may_be_a_column_of_steps_that_broadcasts_against_the_points() -> None:
    expression = parse_expression("sin(x)")
    at = torch.linspace(-1, 1, 5, dtype=torch.float64)
    steps = torch.tensor([[1e-2], [1e-4]], dtype=torch.float64)
    values = METHOD_FUNCTIONS["central"](expression, at, steps)
    assert values.shape == (2, 5)
    for row, h in enumerate((1e-2, 1e-4)):
        assert torch.allclose(values[row], METHOD_FUNCTIONS["central"](expression, at, h), rtol=0, atol=1e-15)


# --- not applicable --------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["abs(x)", "sign(x)", "relu(x)", "x*abs(x)", "relu(x)^2 + sin(x)"])
def test_complex_step_is_not_applicable_at_a_kink(text: str) -> None:
    expression = parse_expression(text)
    at = torch.tensor([1.0, -1.0], dtype=torch.float64)
    with pytest.raises(NotApplicable, match="not applicable"):
        complex_step(expression, at, 1e-20)
    result = derive(expression, at, 1e-5)
    item = result.results["complex-step"]
    assert item.values is None
    assert item.abs_error is None
    assert "not applicable" in (item.reason or "")
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
        with pytest.raises(NotApplicable):
            METHOD_FUNCTIONS[method](expression, torch.tensor([1.0], dtype=torch.float64), 1e-5)


# --- constants and shapes ---------------------------------------------------------------------


@pytest.mark.parametrize(("text", "slope"), [("x", 1.0), ("cosh(x)^2 - sinh(x)^2", 0.0), ("3", 0.0), ("x - x + pi", 0.0), ("2x + 1", 2.0)])
@pytest.mark.parametrize("shape", [(1,), (7,), (2, 3)])
def test_constant_derivatives_keep_the_points_shape(text: str, slope: float, shape: tuple[int, ...]) -> None:
    expression = parse_expression(text)
    at = torch.linspace(-2.0, 2.0, math.prod(shape), dtype=torch.float64).reshape(shape)
    for method in METHODS:
        values = METHOD_FUNCTIONS[method](expression, at, STEP[method] or 1e-5)
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
        assert item.evaluations == method_info(name).evaluations
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
    # dtype, h, how close exact/autograd must be to cos (the dtype's own rounding), complex step
    (torch.float64, 1e-5, 1e-15, "works"),
    (torch.float32, 1e-3, 1e-6, "works"),
    (torch.float16, 1e-2, 2e-3, "maybe"),  # complex32 sin is missing on some backends: not applicable, with reason
    (torch.bfloat16, 1e-1, 2e-2, "never"),
]


@pytest.mark.parametrize(("dtype", "h", "tolerance", "complex_support"), DTYPE_CASES, ids=[str(c[0]) for c in DTYPE_CASES])
def test_every_dtype_runs_and_reports_itself(dtype: torch.dtype, h: float, tolerance: float, complex_support: str) -> None:
    name = str(dtype).removeprefix("torch.")
    at = torch.linspace(-1.0, 1.0, 9, dtype=torch.float64)
    result = derive(parse_expression("sin(x)"), at, h, dtype=dtype)
    assert result.dtype == name
    assert result.h == float(torch.tensor(h, dtype=dtype))  # h as the dtype holds it
    assert torch.equal(result.points, at.to(dtype).double())  # the points as the dtype holds them
    reference = torch.cos(result.points)
    for method in ("exact", "autograd"):
        values = result.results[method].values
        assert values is not None and values.dtype == torch.float64
        assert (values - reference).abs().max().item() <= tolerance, method
    for method in ("forward", "backward", "central", "five-point"):
        assert result.results[method].values is not None, method
    item = result.results["complex-step"]
    if complex_support == "works" or (complex_support == "maybe" and item.values is not None):
        assert item.values is not None
        assert (item.values - reference).abs().max().item() <= max(tolerance, h * h), item.reason
    else:
        assert item.values is None
        assert "not applicable" in (item.reason or "")
    if complex_support == "never":
        assert "bfloat16" in (item.reason or "")


def test_float32_errors_are_float32_sized() -> None:
    # central at its float32 sweet spot is ~1e-5 accurate, far worse than float64 and far better than nothing
    at = torch.linspace(-3.0, 3.0, 61, dtype=torch.float64)
    result = derive(parse_expression("sin(x)"), at, 1e-2, methods=("central",), dtype=torch.float32)
    error = result.results["central"].max_error
    assert 1e-7 < error < 1e-4


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
