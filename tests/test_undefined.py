"""Points where f is undefined: every method reports NaN there, and the notice says why exact and autograd do too.

The rule (engine/methods.py): a point is undefined where f itself is not finite in the working dtype. The
points below are outside the real domain of f, worked out by hand: log, log10, log2 and log(1 + x) of a
non-positive number, sqrt of a negative one, asin and acos beyond [-1, 1], 1/x at its pole, x^x at a negative
non-integer x (a real power of a negative base is not real).
"""

from __future__ import annotations

import math

import pytest
import torch

from engine.compiled import compile_expression
from engine.derive import derive
from engine.expression import parse_expression
from engine.methods import METHOD_FUNCTIONS, complex_step
from engine.vocabulary import METHOD_NAMES

STEP = {
    "exact": 0.0,
    "autograd": 0.0,
    "forward": 1e-5,
    "backward": 1e-5,
    "central": 1e-5,
    "five-point": 1e-3,
    "complex-step": 1e-20,
    "richardson": 0.0,  # it picks its own steps
}

# (f, a point outside its domain, whether the formula for f' is a number there: then exact and autograd would
# have answered without the rule)
OUTSIDE = [
    ("log(x)", -1.0, True),  # 1/x = -1
    ("log(x)", 0.0, False),  # 1/x = inf
    ("log10(x)", -2.0, True),
    ("log2(x)", -0.5, True),
    ("log(1+x)", -2.0, True),  # 1/(1+x) = -1
    ("sqrt(x)", -1.0, False),  # 1/(2 sqrt(x)) is NaN too
    ("asin(x)", 2.0, False),
    ("acos(x)", -1.5, False),
    ("1/x", 0.0, False),  # -1/x^2 = -inf
    ("x^x", -0.5, False),
]
CASES = [pytest.param(text, at, method, id=f"{method}:{text}@{at:g}") for text, at, _ in OUTSIDE for method in METHOD_NAMES]


@pytest.mark.parametrize(("text", "at", "method"), CASES)
def test_every_method_is_nan_where_f_is_undefined(text: str, at: float, method: str) -> None:
    value = METHOD_FUNCTIONS[method](parse_expression(text), torch.tensor([at], dtype=torch.float64), STEP[method]).values
    assert math.isnan(value.item()), f"{method} gives {value.item()} for {text} at x = {at}"


@pytest.mark.parametrize("method", METHOD_NAMES)
def test_defined_points_beside_undefined_ones_are_untouched(method: str) -> None:
    # log at 0.5 and 4 next to -1: the mask must not spill over; at 0.5 and 4 the hand values are 2 and 0.25
    at = torch.tensor([-1.0, 0.5, 4.0], dtype=torch.float64)
    values = METHOD_FUNCTIONS[method](parse_expression("log(x)"), at, STEP[method]).values
    assert math.isnan(values[0].item())
    # the step methods' own error: h/2 |f''| = 1e-5/2 * 4 at 0.5 for forward and backward, far less for the rest
    assert values[1:].tolist() == pytest.approx([2.0, 0.25], abs=3e-5)


def test_exact_and_autograd_at_log_of_minus_one_are_nan_not_the_formula() -> None:
    """Without the rule both gave -1: SymPy's 1/x and torch's LogBackward (grad / x) never look at log(-1)."""
    expression = parse_expression("log(x)")
    at = torch.tensor([-1.0], dtype=torch.float64)
    for method in ("exact", "autograd"):
        assert math.isnan(METHOD_FUNCTIONS[method](expression, at, 0.0).values.item()), method


# f in complex arithmetic, written with torch directly: what the complex step would divide by h without the rule
UNMASKED_COMPLEX = {"log(x)": torch.log, "1/x": torch.reciprocal, "log(1+x)": lambda z: torch.log(1 + z)}


@pytest.mark.parametrize(("text", "at"), [("log(x)", -1.0), ("1/x", 0.0), ("log(1+x)", -3.0)])
def test_complex_step_is_nan_where_its_complex_value_is_a_number(text: str, at: float) -> None:
    # Im log(-1 + ih) / h = arg(-1 + ih) / h ~ pi / h and Im 1/(ih) / h = -1 / h^2: finite, and meaningless
    h = 1e-20
    unmasked = UNMASKED_COMPLEX[text](torch.tensor([complex(at, h)], dtype=torch.complex128)).imag / h
    assert math.isfinite(unmasked.item())
    assert math.isnan(complex_step(parse_expression(text), torch.tensor([at], dtype=torch.float64), h).values.item())


@pytest.mark.parametrize("dtype", [torch.float32, torch.float16, torch.bfloat16], ids=str)
def test_the_rule_holds_in_every_dtype(dtype: torch.dtype) -> None:
    expression = parse_expression("log(x)")
    at = torch.tensor([-1.0, 2.0], dtype=torch.float64)
    for method in METHOD_NAMES:
        if method == "complex-step" and dtype in (torch.float16, torch.bfloat16):
            continue  # not applicable there (test_methods checks the reason)
        values = METHOD_FUNCTIONS[method](expression, at, 0.0625 if STEP[method] else 0.0, dtype).values
        assert values.dtype == dtype
        assert math.isnan(values[0].item()), method
        assert math.isfinite(values[1].item()), method


def test_a_sweep_column_of_steps_is_nan_at_the_undefined_point_for_every_h() -> None:
    steps = torch.tensor([[1e-2], [1e-4], [1e-6]], dtype=torch.float64)
    at = torch.tensor([-1.0, 0.0, 1.0], dtype=torch.float64)
    for method in ("forward", "backward", "central", "five-point", "complex-step"):
        values = METHOD_FUNCTIONS[method](parse_expression("log(x)"), at, steps).values
        assert values.shape == (3, 3)
        assert torch.isnan(values[:, :2]).all(), method
        assert torch.isfinite(values[:, 2]).all(), method


# --- decided edge cases ------------------------------------------------------------------------------


def test_sqrt_at_zero_is_defined_and_each_method_says_what_it_computes() -> None:
    """f(0) = 0 is defined and f'(0) is infinite: exact and autograd say inf; forward sqrt(h)/h = 1/sqrt(h) and the
    complex step Im sqrt(ih)/h = sqrt(h/2)/h = 1/sqrt(2h) are finite; the others step below 0 and give NaN."""
    h = 1e-4
    values = {
        m: METHOD_FUNCTIONS[m](parse_expression("sqrt(x)"), torch.tensor([0.0], dtype=torch.float64), h).values.item() for m in METHOD_NAMES
    }
    assert values["exact"] == math.inf
    assert values["autograd"] == math.inf
    assert values["forward"] == pytest.approx(1 / math.sqrt(h), rel=1e-15)
    assert values["complex-step"] == pytest.approx(1 / math.sqrt(2 * h), rel=1e-15)
    for method in ("backward", "central", "five-point"):
        assert math.isnan(values[method]), method


def test_a_value_of_f_that_overflows_the_dtype_is_undefined_in_that_dtype() -> None:
    """x^2 at 300 is 90000, beyond float16's 65504: f' = 600 fits, but no difference can see f, so none answers."""
    expression = parse_expression("x^2")
    at = torch.tensor([300.0, 2.0], dtype=torch.float64)
    for method in ("exact", "autograd", "forward", "central"):
        values = METHOD_FUNCTIONS[method](expression, at, 0.25, torch.float16).values
        assert math.isnan(values[0].item()), method
        assert values[1].item() == pytest.approx(4.0, abs=0.25 + 1e-3), method  # forward's truncation is h |f''| / 2 = 0.25
    assert METHOD_FUNCTIONS["exact"](expression, at, 0.0, torch.float64).values[0].item() == 600.0  # the same point in float64


def test_a_constant_beyond_float64_is_undefined_everywhere() -> None:
    # f = 1e308*10 is inf in float64, so even its derivative 0 is not reported
    values = METHOD_FUNCTIONS["exact"](parse_expression("1e308*10 + x"), torch.tensor([1.0, 2.0], dtype=torch.float64)).values
    assert torch.isnan(values).all()


# --- derive: errors, the notice ----------------------------------------------------------------------


def test_derive_skips_undefined_points_and_every_method_is_nan_there() -> None:
    at = torch.tensor([-2.0, -1.0, 1.0, 2.0], dtype=torch.float64)
    result = derive(parse_expression("log(x)"), at, 1e-5)
    assert result.defined.tolist() == [False, False, True, True]
    for name, item in result.results.items():
        assert item.values is not None and item.abs_error is not None
        assert torch.isnan(item.values[:2]).all(), name
        assert torch.isnan(item.abs_error[:2]).all(), name  # skipped, not an infinite error
        assert torch.isfinite(item.abs_error[2:]).all(), name
    assert result.results["exact"].values[2:].tolist() == [1.0, 0.5]  # type: ignore[index]


def test_undefined_notice_says_why_exact_and_autograd_are_blank_too() -> None:
    at = torch.linspace(-math.pi, math.pi, 400, dtype=torch.float64)
    notice = derive(parse_expression("log(x)"), at, 1e-5).undefined_notice()
    assert notice == (
        "log(x) or its derivative is undefined for x in [-3.14, -0.00787]: 200 of 400 points skipped. "
        "Exact and autograd are undefined there too, though the formula 1/x for f'(x) is defined at x = -3.14: "
        "log(x) itself is not."
    )


def test_undefined_notice_at_a_single_point() -> None:
    notice = derive(parse_expression("log(1+x)"), torch.tensor([-2.0], dtype=torch.float64), 1e-5).undefined_notice()
    assert notice == (
        "log(x + 1) or its derivative is undefined at x = -2: 1 of 1 points skipped. Exact and autograd are undefined "
        "there too, though the formula 1/(x + 1) for f'(x) is defined at x = -2: log(x + 1) itself is not."
    )


@pytest.mark.parametrize(("text", "at"), [(t, a) for t, a, formula in OUTSIDE if not formula])
def test_no_explanation_where_the_formula_is_undefined_too(text: str, at: float) -> None:
    notice = derive(parse_expression(text), torch.tensor([at, 0.25], dtype=torch.float64), 1e-5).undefined_notice()
    assert notice is not None and notice.endswith("1 of 2 points skipped")


def test_a_long_formula_is_named_not_quoted() -> None:
    text = "log(x) + exp(-x^2)*sin(5x)*cos(x)^3*tanh(x)"
    notice = derive(parse_expression(text), torch.tensor([-1.0, 1.0], dtype=torch.float64), 1e-5).undefined_notice()
    assert notice is not None
    assert notice.endswith("though the formula for f'(x) is defined at x = -1: f(x) itself is not.")


def test_notice_for_a_value_that_overflows_the_dtype() -> None:
    result = derive(parse_expression("x^2"), torch.tensor([1.0, 300.0, 400.0], dtype=torch.float64), 0.25, dtype=torch.float16)
    assert result.undefined_notice() == (
        "x**2 is not finite in float16 for x in [300, 400] (2 of 3 points), though it is at 50 digits: every method reports undefined there"
    )
    assert result.results["exact"].max_error == math.inf  # the reference exists there: a breakdown, not a skipped point
    assert derive(parse_expression("x^2"), torch.tensor([300.0], dtype=torch.float64), 0.25).undefined_notice() is None


def test_slope_field_follows_the_same_rule() -> None:
    from engine.fields import slope_field

    field = slope_field(parse_expression("log(x)"), torch.tensor([-1.0, 0.0, 0.5], dtype=torch.float64), method="exact")
    assert torch.isnan(field.slopes[:2]).all()
    assert field.slopes[2].item() == 2.0


def test_notice_lists_three_runs_of_undefined_points_and_counts_the_rest() -> None:
    # log at these points: the negative ones form 4 runs, two of them single points
    at = torch.tensor([-3.0, -2.0, 1.0, -1.0, 2.0, -0.5, 3.0, -4.0, 5.0], dtype=torch.float64)
    notice = derive(parse_expression("log(x)"), at, 1e-5, methods=("exact",)).undefined_notice()
    assert notice is not None
    assert notice.startswith("log(x) or its derivative is undefined for x in [-3, -2], -1, -0.5 and 1 more: 5 of 9 points skipped.")


def test_errors_over_no_defined_point_are_nan_and_over_one_are_that_point() -> None:
    nowhere = derive(parse_expression("log(x)"), torch.tensor([-1.0, -2.0], dtype=torch.float64), 1e-5, methods=("central",))
    assert math.isnan(nowhere.results["central"].max_error) and math.isnan(nowhere.results["central"].mean_error)
    one = derive(parse_expression("log(x)"), torch.tensor([-1.0, 2.0], dtype=torch.float64), 1e-5, methods=("central",))
    error = one.results["central"].abs_error
    assert error is not None and math.isfinite(error[1].item())
    assert one.results["central"].max_error == one.results["central"].mean_error == error[1].item()


def test_reference_is_undefined_where_f_prime_is_infinite_or_f_is_not_a_number() -> None:
    # sqrt at 0: f = 0 but f' infinite; 1e308*10 + x: f' = 1 but f is beyond float64; both skipped, not measured
    sqrt = derive(parse_expression("sqrt(x)"), torch.tensor([0.0, 4.0], dtype=torch.float64), 1e-5, methods=("exact",))
    assert sqrt.defined.tolist() == [False, True]
    assert sqrt.reference[1].item() == 0.25
    huge = derive(parse_expression("1e308*10 + x"), torch.tensor([1.0], dtype=torch.float64), 1e-5, methods=("exact",))
    assert huge.defined.tolist() == [False]


def test_notice_with_exactly_three_runs_has_no_more() -> None:
    at = torch.tensor([-3.0, 1.0, -1.0, 2.0, -0.5], dtype=torch.float64)
    notice = derive(parse_expression("log(x)"), at, 1e-5, methods=("exact",)).undefined_notice()
    assert notice is not None
    assert notice.startswith("log(x) or its derivative is undefined for x in -3, -1, -0.5: 3 of 5 points skipped.")


@pytest.mark.parametrize(
    ("digits", "label", "formula"),
    [
        (29, "1" * 29 + "*x + log(x)", "1" * 29 + " + 1/x"),  # f has 40 characters: quoted
        (30, "f(x)", "1" * 30 + " + 1/x"),  # f has 41: named
        (34, "f(x)", "1" * 34 + " + 1/x"),  # f' has 40: quoted
        (35, "f(x)", ""),  # f' has 41: named
    ],
)
def test_notice_quotes_f_and_f_prime_up_to_40_characters(digits: int, label: str, formula: str) -> None:
    # N x + log(x) with an N of `digits` ones: SymPy writes f as 'N*x + log(x)' and f' as 'N + 1/x'
    expression = parse_expression("1" * digits + "x + log(x)")
    notice = derive(expression, torch.tensor([-1.0], dtype=torch.float64), 1e-5, methods=("exact",)).undefined_notice()
    assert notice is not None
    the_formula = f"the formula {formula}" if formula else "the formula"
    assert notice.endswith(f"though {the_formula} for f'(x) is defined at x = -1: {label} itself is not.")


# --- every undefined result has its reason; exact and autograd say when they lose digits ------------------------


def test_a_step_method_that_leaves_fs_domain_says_which_value_it_needed(capsys: pytest.CaptureFixture[str]) -> None:
    """sqrt(x) at 1e-6 with h = 1e-5: central needs f(x - h) = sqrt(-9e-6). Richardson goes on to smaller steps."""
    import json

    from engine.cli.main import main

    assert main(["derive", "sqrt(x)", "--at", "1e-6", "--methods", "richardson,central", "--device", "cpu"]) == 0
    text = capsys.readouterr().out
    assert "undefined: f(x - h) = f(-9e-06) is undefined (nan), a value the stencil needs at x = 1e-06" in text
    assert main(["derive", "sqrt(x)", "--at", "1e-6", "--methods", "richardson,central", "--json", "--device", "cpu"]) == 0
    results = json.loads(capsys.readouterr().out)["results"]
    assert results["central"]["undefined_reason"].startswith("f(x - h) = f(-9e-06) is undefined")
    assert "undefined_reason" not in results["richardson"]
    assert results["richardson"]["abs_error"] < 1e-10  # 500 to 12 digits from steps below 1e-6


def test_richardson_says_why_when_no_step_fits_inside_fs_domain(capsys: pytest.CaptureFixture[str]) -> None:
    """sqrt(x) at 1e-300: its steps go down to 0.5 / 2^47 = 3.6e-15 and every one reaches below 0."""
    import json

    from engine.cli.main import main

    assert main(["derive", "sqrt(x)", "--at", "1e-300", "--methods", "richardson", "--json", "--device", "cpu"]) == 0
    richardson = json.loads(capsys.readouterr().out)["results"]["richardson"]
    assert richardson["value"] is None
    assert richardson["undefined_reason"] == (
        "no step it tried, from h = 0.5 down to h = 3.6e-15, keeps x +- h where f is finite at x = 1e-300: "
        "f is undefined or overflows that close to x"
    )
    assert main(["derive", "sqrt(x)", "--at", "1e-300", "--methods", "richardson", "--device", "cpu"]) == 0
    assert "found no step after 96 evaluations" in capsys.readouterr().out  # 48 levels of f(x - h), f(x + h)
    assert main(["derive", "sqrt(x)", "--at", "1e-300", "--methods", "richardson", "--csv", "--device", "cpu"]) == 0
    assert "no step it tried" in capsys.readouterr().out.splitlines()[1]


def test_overflow_of_a_value_the_stencil_needs_is_named_as_overflow() -> None:
    estimate = METHOD_FUNCTIONS["forward"](parse_expression("exp(x)"), torch.tensor([709.0], dtype=torch.float64), 1.0)
    assert math.isnan(estimate.values.item()) or math.isinf(estimate.values.item())
    assert estimate.reason is not None and estimate.reason.startswith("f(x + h) = f(710) overflows (inf)")


def test_a_method_with_every_value_defined_gives_no_reason() -> None:
    for method in METHOD_NAMES:
        estimate = METHOD_FUNCTIONS[method](parse_expression("sin(x)"), torch.tensor([0.5, 1.0], dtype=torch.float64), STEP[method] or 1e-5)
        assert estimate.reason is None, method


def test_the_app_shows_the_reason_and_the_lost_digits_in_compares_table() -> None:
    from tui.demos.compare.compute import ErrorRow
    from tui.demos.compare.plots import ErrorTable

    shown: list[object] = []
    table = ErrorTable()
    table.update = shown.append  # type: ignore[method-assign]
    rows = [
        ErrorRow("central", math.inf, math.inf, 2, undefined_reason="f(x - h) = f(-9e-06) is undefined (nan)"),
        ErrorRow("exact", 8e-17, 8e-17, 1, digits_lost=6.9, rounding_loss="loses 7 digits"),
        ErrorRow("autograd", 8e-9, 8e-9, 1, digits_lost=0.9, rounding_loss="is off by 100%"),
    ]
    table.show(rows, ["central", "exact", "autograd"])
    (rendered,) = shown
    caption = str(getattr(rendered, "caption", ""))
    assert "central: undefined where f is defined: f(x - h) = f(-9e-06) is undefined (nan)" in caption
    assert "exact: loses 7 digits to rounding against the 50-digit reference" in caption
    assert "autograd: is off by 100% to rounding against the 50-digit reference" in caption


@pytest.mark.parametrize(("method", "lost"), [("exact", True), ("autograd", True), ("richardson", False)])
def test_exact_and_autograd_say_when_their_formula_cancels(method: str, lost: bool, capsys: pytest.CaptureFixture[str]) -> None:
    """softplus'' = sigmoid(x) (1 - sigmoid(x)): at 21, 1 - sigmoid(21) keeps 9 of 16 digits, so exact is 1e-7
    relative off, and so is torch's double backward of softplus (the same product). Richardson has an estimate of its
    own, which is judged instead (and is honest here)."""
    import json

    from engine.cli.main import main

    args = ["derive", "softplus(x)", "--at", "21", "--order", "2", "--methods", method, "--device", "cpu"]
    assert main(args) == 0
    line = next(row for row in capsys.readouterr().out.splitlines() if row.startswith(method))
    assert ("(loses 7 digits to rounding: the formula cancels or rounds away in float64)" in line) == lost
    assert main([*args, "--json"]) == 0
    result = json.loads(capsys.readouterr().out)["results"][method]
    assert ("digits_lost" in result) == lost
    if lost:
        assert 6.5 <= result["digits_lost"] <= 7.5
        assert 1e-8 < result["abs_error"] / 7.58e-10 < 1e-6
    else:
        assert result["too_optimistic"] is False


@pytest.mark.parametrize(
    ("function", "x", "order", "off"),
    [
        ("tanh(x)", 10.0, 1, 1.0),  # 1 - tanh(10)^2 rounds to 0: 8.2e-9 lost entirely
        ("sin(exp(x))", 5.0, 1, 0.29),  # exp(5) = 148.41 held as 148: cos(148) e^5 = -139 for -107.7
        ("atan(x)", 1e8, 3, 1.33),  # held as 1.00139e8: -1.97e-32 for +5.96e-32, the wrong sign
    ],
)
def test_an_answer_far_off_in_bfloat16_is_flagged_though_under_a_digit_is_lost(function: str, x: float, order: int, off: float) -> None:
    """bfloat16 has two or three digits: with the 16 eps rounding allowance (12.5%) a 100% error is 0.9 digits lost,
    so 'loses N digits' alone never fired. An answer 10% or more off beyond the allowance is flagged by its size."""
    result = derive(parse_expression(function), torch.tensor([x], dtype=torch.float64), 1e-3, ("exact",), torch.bfloat16, order=order)
    exact = result.results["exact"]
    assert exact.digits_lost < 1 and exact.loses_digits
    assert exact.relative_error == pytest.approx(off, rel=0.02)
    assert exact.rounding_loss == f"is off by {exact.relative_error:.0%}"
    held = derive(parse_expression("sin(x)"), torch.tensor([1.0], dtype=torch.float64), 1e-3, ("exact",), torch.bfloat16).results["exact"]
    assert held.max_error > 1e-3 and not held.loses_digits and held.rounding_loss == ""  # 0.2%: what bfloat16 holds


def test_digits_lost_is_judged_at_the_answers_resolution_on_a_grid() -> None:
    """On a grid, an error of a few eps x the largest |f^(n)| is what the dtype holds: 3x^2 - 2 near its zero cancels
    in every method, and exact is not flagged for it; a single point where it cancels is judged relative to itself."""
    grid = derive(parse_expression("x^3 - 2*x"), torch.linspace(-2, 2, 401, dtype=torch.float64), 1e-5, ("exact",))
    assert not grid.results["exact"].loses_digits
    # f'' = 2/(x^2 + 1) - 4x^2/(x^2 + 1)^2 is 0 at x = 1: 2.4e-16 off there is 1.2 eps of the largest |f''| (2)
    points = torch.linspace(-3.14159, 3.14159, 400, dtype=torch.float64)
    for method in ("exact", "autograd"):
        curved = derive(parse_expression("log(1+x^2)"), points, 1e-4, (method,), order=2).results[method]
        assert curved.max_error > 1e-16 and curved.digits_lost == 0.0, method
    near_zero = derive(parse_expression("x^3 - 2*x"), torch.tensor([0.816496580927726], dtype=torch.float64), 1e-5, ("exact",))
    assert near_zero.results["exact"].digits_lost >= 1


def test_a_step_whose_power_underflows_says_so() -> None:
    """float16 holds 1e-4 but not 1e-8: the second difference is divided by h^2 = 0."""
    estimate = METHOD_FUNCTIONS["central"](
        parse_expression("sin(x)"), torch.tensor([1.0], dtype=torch.float64), 1e-4, torch.float16, order=2
    )
    assert not math.isfinite(estimate.values.item())
    assert estimate.reason == "h^2 = 0.0001^2 underflows to 0 in float16: the difference is divided by 0"
    bigger = METHOD_FUNCTIONS["central"](parse_expression("sin(x)"), torch.tensor([1.0], dtype=torch.float64), 1e-2, torch.float16, order=2)
    assert bigger.reason is None and math.isfinite(bigger.values.item())


def test_richardsons_reason_names_its_first_step_scaled_with_x() -> None:
    """sqrt(x - 1000) at the float64 next to 1000: h0 = 0.5 |x| = 500, and 47 halvings later 3.6e-12 is still 30x
    the distance to the domain's edge (1.1e-13)."""
    estimate = METHOD_FUNCTIONS["richardson"](parse_expression("sqrt(x - 1000)"), torch.tensor([1000.0000000000001], dtype=torch.float64))
    assert math.isnan(estimate.values.item())
    assert estimate.reason is not None and estimate.reason.startswith("no step it tried, from h = 5e+02 down to h = 3.6e-12,")


def test_richardson_on_subnormal_values_counts_their_spacing() -> None:
    """exp(x) at -740 is 4.2e-322: its values hold 1 part in 85, all a subnormal holds. The estimate counts the
    subnormal spacing (4.9e-324) that eps |f| (1e-337, itself 0 in float64) does not."""
    result = derive(parse_expression("exp(x)"), torch.tensor([-740.0], dtype=torch.float64), 1e-5, ("richardson",))
    richardson = result.results["richardson"]
    assert richardson.error_estimate is not None
    spacing = 2.0**-1074
    assert richardson.max_error <= 4 * spacing
    assert spacing <= float(richardson.error_estimate[0]) <= 16 * spacing
    assert not richardson.too_optimistic


def test_the_point_a_stencil_needs_is_written_with_digits_enough_to_differ_from_x() -> None:
    """x^1e10 overflows at 1 + 1e-5: 'f(1)' at three digits would name a point where f is 1."""
    result = derive(parse_expression("x**1e10"), torch.tensor([1.0], dtype=torch.float64), 1e-5, ("forward",))
    assert result.results["forward"].undefined_reason == "f(x + h) = f(1.00001) overflows (inf), a value the stencil needs at x = 1"


def test_richardson_takes_no_level_whose_steps_round_away() -> None:
    """asin at 1 in bfloat16: every h it tries leaves f(1 + h) undefined until 1 +- h rounds back to 1 (h = 2^-10),
    where the difference is f(1) - f(1) = 0. That 0 was its answer, with an estimate of 16; now it finds no step."""
    result = derive(parse_expression("asin(x)"), torch.tensor([1.0], dtype=torch.float64), 1e-3, ("richardson",), torch.bfloat16)
    richardson = result.results["richardson"]
    assert richardson.values is not None and math.isnan(float(richardson.values[0]))


def test_a_number_where_there_is_no_reference_is_marked_unchecked(capsys: pytest.CaptureFixture[str]) -> None:
    """x^x at 0: f' = x^x (log x + 1) has no value there, yet autograd gives torch's 0 and forward -11.5."""
    import json

    from engine.cli.main import main

    args = ["derive", "x^x", "--at", "0", "--methods", "exact,autograd,forward", "--device", "cpu"]
    assert main(args) == 0
    lines = {
        row.split()[0]: row for row in capsys.readouterr().out.splitlines() if row.split()[:1] in (["autograd"], ["forward"], ["exact"])
    }
    assert lines["autograd"].endswith("(unchecked: no reference here, and f' may not exist)")
    assert lines["forward"].endswith("(unchecked: no reference here, and f' may not exist)")
    assert "unchecked" not in lines["exact"]  # -inf: it says why it is undefined instead
    assert main([*args, "--json"]) == 0
    results = json.loads(capsys.readouterr().out)["results"]
    assert results["autograd"]["unchecked"] is True and "unchecked" not in results["exact"]
    # at the jump of sign, Richardson's 4.67 +- 2.67 is no derivative either
    assert main(["derive", "sign(x)", "--at", "0", "--methods", "richardson", "--device", "cpu"]) == 0
    (line,) = [row for row in capsys.readouterr().out.splitlines() if row.startswith("richardson")]
    assert line.endswith("after 96 evaluations   (unchecked: no reference here, and f' may not exist)")


def test_a_value_beyond_float64_is_named_as_such_not_as_undefined() -> None:
    """x^20 at 1e20 is 1e400 and its derivative 2e381: finite, but no float64 holds them; log at 0 is a pole."""
    points = torch.tensor([1e20, 2.0, 0.0], dtype=torch.float64)
    result = derive(parse_expression("x^20 + log(x)"), points, 1e-5)
    assert result.reference[1].item() == pytest.approx(20 * 2.0**19 + 0.5, rel=1e-15)  # the one point in range
    assert result.undefined_notice() == (
        "x**20 + log(x) or its derivative is beyond float64's range at x = 1e+20 (finite at 50 digits, above 1.8e+308 "
        "in size): 1 of 3 points skipped, no error can be measured there. x**20 + log(x) or its derivative is undefined "
        "at x = 0: 1 of 3 points skipped."
    )
    compiled = compile_expression(parse_expression("exp(x)"))
    assert compiled.reference_function(800.0) == math.inf  # e^800: finite at 50 digits, beyond float64
    assert math.isnan(compile_expression(parse_expression("log(x)")).reference_function(0.0))  # a pole: undefined
    # exp(exp(exp(10))) = exp(e^22026): its exponent is past what the reference computes (EXP_LIMIT), yet it is finite;
    # cosh(2e6) likewise. A log(0) in the same call is still a pole, and an overflow does not leak into the next call.
    towering = compile_expression(parse_expression("exp(exp(exp(x)))")).reference_function
    assert towering(10.0) == math.inf and towering(0.0) == pytest.approx(math.exp(math.e), rel=1e-15)
    assert compile_expression(parse_expression("cosh(x)")).reference_function(-2e6) == math.inf
    assert compile_expression(parse_expression("sinh(x)")).reference_function(-2e6) == -math.inf
    assert math.isnan(compile_expression(parse_expression("log(x)")).reference_function(0.0))
    far = derive(parse_expression("exp(exp(exp(x)))"), torch.tensor([10.0], dtype=torch.float64), 1e-5, methods=("exact",))
    notice = far.undefined_notice()
    assert notice is not None and notice.startswith("exp(exp(exp(x))) or its derivative is beyond float64's range at x = 10")


def test_a_jump_is_named_as_a_jump_with_the_derivative_that_jumps() -> None:
    """sign(x) at 0: f' = 2 DiracDelta(x) has no value, and the step methods see the jump: forward (1 - 0) / h."""
    points = torch.tensor([-1.0, 0.0, 1.0], dtype=torch.float64)
    result = derive(parse_expression("sign(x)"), points, 1e-5, methods=("forward",))
    assert result.undefined_notice() == (
        "sign(x) jumps at x = 0: f'(x) does not exist there (1 of 3 points, no reference, no error measured); a difference "
        "quotient across it grows without bound as h shrinks"
    )
    forward = result.results["forward"].values
    assert forward is not None and forward.tolist() == [0.0, pytest.approx(1e5), 0.0]
    # abs is continuous; its f' jumps, so f'' does not exist at 0 (and the kink note is for f' itself)
    second = derive(parse_expression("abs(x)"), points, 1e-5, methods=("central",), order=2).undefined_notice()
    assert second is not None and second.startswith("f'(x) jumps at x = 0: f''(x) does not exist there (1 of 3 points")
    assert derive(parse_expression("abs(x)"), points, 1e-5, methods=("central",)).undefined_notice() is None


def test_the_cli_names_a_reference_beyond_float64_and_an_undefined_one_in_words(capsys: pytest.CaptureFixture[str]) -> None:
    from engine.cli.main import main

    for expression, at, said in (("exp(exp(exp(x)))", "10", "beyond float64's range"), ("log(x)", "0", "undefined")):
        assert main(["derive", expression, "--at", at, "--methods", "exact", "--device", "cpu"]) == 0
        (line,) = [row for row in capsys.readouterr().out.splitlines() if row.startswith("reference")]
        assert line == f"reference f'(x) = {said}  (mpmath, 50 digits)"
