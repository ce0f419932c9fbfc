"""The expression parser: what users type -> the SymPy expression, or an ExpressionError naming the problem and its column."""

from __future__ import annotations

import math

import pytest
import sympy as sp

from engine.expression import SYMBOLS, Expression, ExpressionError, parse_expression, parse_number
from engine.functions import absolute, relu, sigmoid, signum, softplus

x = SYMBOLS["x"]
y = SYMBOLS["y"]
XY = ("x", "y")


def parsed(text: str, variables: tuple[str, ...] = ("x",)) -> sp.Expr:
    return parse_expression(text, variables).sympy


def error_of(text: str, variables: tuple[str, ...] = ("x",)) -> ExpressionError:
    with pytest.raises(ExpressionError) as info:
        parse_expression(text, variables)
    return info.value


# --- the spec's examples ---------------------------------------------------------------------

SPEC_EXAMPLES = [
    ("sin(x)", ("x",), sp.sin(x)),
    ("x^3 - 2*x", ("x",), x**3 - 2 * x),
    ("exp(-x**2)*sin(5x)", ("x",), sp.exp(-(x**2)) * sp.sin(5 * x)),
    ("0.3*sin(3*x) + 0.5*x^2", ("x",), sp.Rational(3, 10) * sp.sin(3 * x) + sp.Rational(1, 2) * x**2),
    ("log(1+x^2)", ("x",), sp.log(1 + x**2)),
    ("relu(x)", ("x",), relu(x)),
    ("x^2 + 3*y^2", XY, x**2 + 3 * y**2),
    ("(1-x)^2 + 100*(y-x^2)^2", XY, (1 - x) ** 2 + 100 * (y - x**2) ** 2),
]


@pytest.mark.parametrize(("text", "variables", "expected"), SPEC_EXAMPLES, ids=[t for t, _, _ in SPEC_EXAMPLES])
def test_spec_examples_parse_to_the_sympy_expression(text: str, variables: tuple[str, ...], expected: sp.Expr) -> None:
    expression = parse_expression(text, variables)
    assert isinstance(expression, Expression)
    assert expression.sympy == expected
    assert expression.variables == variables
    assert expression.symbols == tuple(SYMBOLS[v] for v in variables)


def test_decimals_become_exact_rationals_not_floats() -> None:
    # 0.3 must be 3/10 exactly, so the 50-digit reference is the derivative of what the user typed
    expression = parsed("0.3*sin(3*x) + 0.5*x^2")
    assert not expression.atoms(sp.Float)
    assert sp.Rational(3, 10) in expression.atoms(sp.Rational)


def test_symbols_are_real_and_text_is_stripped() -> None:
    assert x.is_real and y.is_real
    expression = parse_expression("  sin(x)  ")
    assert expression.text == "sin(x)"
    assert str(expression) == "sin(x)"
    assert expression.sympy.free_symbols == {x}


# --- the language --------------------------------------------------------------------------

LANGUAGE = [
    # numbers
    ("2", sp.Integer(2)),
    ("0.5", sp.Rational(1, 2)),
    ("1e-3", sp.Rational(1, 1000)),
    ("2.5e2", sp.Integer(250)),
    (".5", sp.Rational(1, 2)),
    ("007", sp.Integer(7)),
    # constants
    ("pi", sp.pi),
    ("e", sp.E),
    ("2*pi*x", 2 * sp.pi * x),
    ("e^x", sp.exp(x)),
    # binary operators
    ("x + 1", x + 1),
    ("x - 1", x - 1),
    ("2 * x", 2 * x),
    ("x / 2", x / 2),
    ("x ** 2", x**2),
    ("x ^ 2", x**2),
    # ^ is power, with power's precedence and right associativity
    ("x^2 + 1", x**2 + 1),
    ("2*x^2", 2 * x**2),
    ("x^2*3", 3 * x**2),
    ("x^2^3", x**8),
    ("2^3^2", sp.Integer(512)),
    ("x^-1", 1 / x),
    ("-x^2", -(x**2)),
    ("-2^2", sp.Integer(-4)),
    ("(x+1)^2", (x + 1) ** 2),
    ("x/2/2", x / 4),
    ("1 - x - 1", -x),
    # unary minus and plus
    ("-x", -x),
    ("--x", x),
    ("-(-x)", x),
    ("+x", x),
    ("3*-x", -3 * x),
    ("x*-2", -2 * x),
    # implicit multiplication
    ("2x", 2 * x),
    ("3(x+1)", 3 * (x + 1)),
    ("(x+1)(x-1)", (x + 1) * (x - 1)),
    ("2pi", 2 * sp.pi),
    ("2sin(x)", 2 * sp.sin(x)),
    ("sin(x)(x+1)", sp.sin(x) * (x + 1)),
    ("0.5x^2", x**2 / 2),
    ("2x^2", 2 * x**2),
]


@pytest.mark.parametrize(("text", "expected"), LANGUAGE, ids=[t for t, _ in LANGUAGE])
def test_language(text: str, expected: sp.Expr) -> None:
    assert parsed(text) == expected


FUNCTIONS = [
    ("sin(x)", sp.sin(x)),
    ("cos(x)", sp.cos(x)),
    ("tan(x)", sp.tan(x)),
    ("asin(x)", sp.asin(x)),
    ("acos(x)", sp.acos(x)),
    ("atan(x)", sp.atan(x)),
    ("sinh(x)", sp.sinh(x)),
    ("cosh(x)", sp.cosh(x)),
    ("tanh(x)", sp.tanh(x)),
    ("exp(x)", sp.exp(x)),
    ("log(x)", sp.log(x)),
    ("ln(x)", sp.log(x)),
    ("log10(x)", sp.log(x) / sp.log(10)),
    ("log2(x)", sp.log(x) / sp.log(2)),
    ("sqrt(x)", sp.sqrt(x)),
    ("abs(x)", absolute(x)),
    ("sign(x)", signum(x)),
    ("sigmoid(x)", sigmoid(x)),
    ("relu(x)", relu(x)),
    ("softplus(x)", softplus(x)),
    ("pow(x, 3)", x**3),
    ("pow(2, x)", 2**x),
]


@pytest.mark.parametrize(("text", "expected"), FUNCTIONS, ids=[t for t, _ in FUNCTIONS])
def test_every_whitelisted_function(text: str, expected: sp.Expr) -> None:
    assert parsed(text) == expected


def test_function_values_are_the_textbook_ones() -> None:
    # the SymPy objects the parser hands out evaluate to what their names promise
    assert float(parsed("log10(x)").subs(x, 1000)) == pytest.approx(3.0, rel=1e-15)
    assert float(parsed("log2(x)").subs(x, 8)) == pytest.approx(3.0, rel=1e-15)
    assert float(parsed("sigmoid(x)").subs(x, 0)) == pytest.approx(0.5)
    assert sp.diff(parsed("sigmoid(x)"), x) == sigmoid(x) * (1 - sigmoid(x))
    assert sp.diff(parsed("softplus(x)"), x) == sigmoid(x)
    assert sp.diff(parsed("relu(x)"), x) == sp.Heaviside(x, 0)


@pytest.mark.parametrize(
    ("text", "expected"), [("relu(2)^2", relu(2) ** 2), ("softplus(0)^2", softplus(0) ** 2), ("pow(relu(2), 2)", relu(2) ** 2)]
)
def test_power_of_a_relu_or_softplus_constant(text: str, expected: sp.Expr) -> None:
    assert parsed(text) == expected


def test_two_variable_expressions_and_one_variable_in_a_two_variable_input() -> None:
    assert parsed("x*y", XY) == x * y
    assert parsed("sin(x)", XY) == sp.sin(x)  # a 2-D input need not use both
    assert parse_expression("x^2 + 3*y^2", XY).symbols == (x, y)


def test_unsupported_variable_name_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unsupported variable"):
        parse_expression("z", ("z",))


# --- error messages and columns ----------------------------------------------------------------


def test_unknown_name_suggests_the_close_function() -> None:
    error = error_of("sinn(x)")
    assert error.column == 1
    assert "unknown name 'sinn'" in error.message
    assert "did you mean 'sin'" in error.message
    assert str(error).startswith("column 1: ")


def test_unknown_name_in_the_middle_has_its_own_column() -> None:
    error = error_of("x + coss(x)")
    assert error.column == 5
    assert "'cos'" in error.message


@pytest.mark.parametrize(
    ("text", "column", "message"),
    [
        ("1_000*x", 1, "'1_000': write numbers without '_' (1000)"),
        ("x + 2_500_000", 5, "'2_500_000': write numbers without '_' (2500000)"),
        ("0x10*x", 1, "'0x10' is a hexadecimal number: write it in decimal (16)"),
        ("x*0XFF", 3, "'0XFF' is a hexadecimal number: write it in decimal (255)"),
        ("0b101*x", 1, "'0b101' is a binary number: write it in decimal (5)"),
        ("0o17*x", 1, "'0o17' is an octal number: write it in decimal (15)"),
        ("10_x", 3, "unknown name '_x'; did you mean 'x'?"),  # not a number with '_': a name
        ("0xg", 2, "unknown name 'xg'; did you mean 'x'?"),  # g is no hexadecimal digit
        ("0 x10", 3, "unknown name 'x10'"),  # apart: a number, then a name
    ],
)
def test_numbers_written_as_python_writes_them_are_named(text: str, column: int, message: str) -> None:
    error = error_of(text)
    assert (error.column, error.message) == (column, message)


def test_zero_times_x_is_still_implicit_multiplication() -> None:
    assert str(parse_expression("0x").sympy) == "0" and str(parse_expression("2x").sympy) == "2*x"


def test_unknown_name_without_a_close_match_has_no_suggestion() -> None:
    error = error_of("foo(x)")
    assert error.column == 1
    assert "unknown name 'foo'" in error.message
    assert "did you mean" not in error.message


@pytest.mark.parametrize(
    ("text", "column"),
    [("sin(x", 4), ("(x", 1), ("((x)", 1), ("sin(x) + cos(", 13), ("sin(cos(x)", 4)],
)
def test_missing_closing_parenthesis_points_at_the_open_one(text: str, column: int) -> None:
    error = error_of(text)
    assert "missing ')'" in error.message
    assert error.column == column


@pytest.mark.parametrize(("text", "column"), [("sin(x))", 7), ("x)", 2), ("(x))+1", 4)])
def test_unmatched_closing_parenthesis(text: str, column: int) -> None:
    error = error_of(text)
    assert "unmatched ')'" in error.message
    assert error.column == column


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("sin(1,2)", "sin() takes 1 argument, got 2"),
        ("pow(x)", "pow() takes 2 arguments, got 1"),
        ("pow(x, 2, 3)", "pow() takes 2 arguments, got 3"),
        ("sin()", "sin() takes 1 argument, got 0"),
    ],
)
def test_wrong_argument_count(text: str, message: str) -> None:
    error = error_of(text)
    assert message in error.message
    assert error.column == 1


def test_wrong_argument_count_column_is_the_call() -> None:
    assert error_of("x + sin(1,2)").column == 5


def test_y_in_a_one_variable_expression() -> None:
    error = error_of("x + y")
    assert error.column == 5
    assert "'y'" in error.message
    assert "not a variable here" in error.message


def test_x_in_a_constant_input() -> None:
    error = error_of("2*x", ())
    assert error.column == 3
    assert "'x'" in error.message


@pytest.mark.parametrize(("text", "column", "operator"), [("x +", 3, "+"), ("x*", 2, "*"), ("sin(x)^", 7, "^"), ("x -", 3, "-")])
def test_trailing_operator(text: str, column: int, operator: str) -> None:
    error = error_of(text)
    assert "ends too early" in error.message
    assert f"'{operator}'" in error.message
    assert error.column == column


@pytest.mark.parametrize("text", ["", "   ", "\t"])
def test_empty_input(text: str) -> None:
    error = error_of(text)
    assert "empty" in error.message
    assert error.column is None
    assert str(error) == error.message  # no 'column None:' prefix


@pytest.mark.parametrize(
    ("text", "column", "fragment"),
    [
        ("x y", 3, "missing operator between 'x' and 'y'"),
        ("2 3", 3, "missing operator between '2' and '3'"),
        ("sin x", 5, "sin needs parentheses"),
        ("x +* 2", 4, "'*' cannot follow '+'"),
        ("*x", 1, "cannot start with '*'"),
        ("1/0", 3, "division by zero"),
        ("x/(x-x)", 4, "division by zero"),
        ("0^-1", 3, "0 to a negative power"),
        ("log(0)", 1, "undefined"),
        ("sqrt(-1)", 1, "not real"),
        ("sin", 1, "'sin' is a function: write sin(...)"),
        ("x(2)", 1, "'x' is not a function"),
        ("x % 2", 3, "unexpected character '%'"),
        ("x²", 2, "write ^2"),
        ("π", 1, "write pi"),
        ("x[0]", 2, "write parentheses"),
        ("()", 1, "empty parentheses"),
        ("x, 1", 1, "comma outside a function call"),
    ],
)
def test_other_errors_name_the_problem_and_column(text: str, column: int, fragment: str) -> None:
    error = error_of(text)
    assert fragment in error.message
    assert error.column == column


def test_expression_error_is_a_value_error() -> None:
    assert issubclass(ExpressionError, ValueError)


# --- parse_number ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("-pi/4", -math.pi / 4),
        ("pi/4", math.pi / 4),
        ("0.5", 0.5),
        ("1e-8", 1e-8),
        ("-1e-3", -1e-3),
        ("2", 2.0),
        ("e", math.e),
        ("2pi", 2 * math.pi),
        ("sqrt(2)", math.sqrt(2)),
        ("1/3", 1 / 3),
        (" -3 ", -3.0),
        ("log(10)", math.log(10)),
    ],
)
def test_parse_number(text: str, value: float) -> None:
    result = parse_number(text)
    assert isinstance(result, float)
    assert result == pytest.approx(value, rel=1e-15, abs=0)


@pytest.mark.parametrize(
    ("text", "fragment"), [("x", "'x'"), ("foo", "'foo'"), ("", "empty"), ("1/0", "division by zero"), ("sqrt(-2)", "not real")]
)
def test_parse_number_rejects_non_numbers(text: str, fragment: str) -> None:
    with pytest.raises(ExpressionError) as info:
        parse_number(text)
    assert fragment in info.value.message


@pytest.mark.parametrize("text", ["10^400*x", "(-10)^401 + x", "2^1024*x", "x + 10**309", "10**999", "-(10**400)"])
def test_a_constant_power_beyond_float64_is_refused_like_the_literal(text: str) -> None:
    """1e999 is refused as too large for float64; 10^400 was accepted, and every method then gave nan unexplained."""
    with pytest.raises(ExpressionError, match=r"this power is too large for float64 \(over 1.8e\+308\)"):
        parse_expression(text)


@pytest.mark.parametrize("text", ["10^308*x", "2^1023*x", "10^-400 + x", "x^400", "(1/10)^400 + x"])
def test_a_constant_power_float64_holds_or_rounds_to_zero_is_kept(text: str) -> None:
    assert parse_expression(text).sympy.free_symbols == {SYMBOLS["x"]}


def test_an_underscored_name_is_named_before_a_character_after_it() -> None:
    """The injection attempt's first problem is the name at column 1, not the quote at column 12."""
    with pytest.raises(ExpressionError) as caught:
        parse_expression("__import__('os').system('id')")
    assert (str(caught.value), caught.value.column) == ("column 1: unknown name '__import__'", 1)
    with pytest.raises(ExpressionError, match=r"column 5: unexpected character \"'\""):
        parse_expression("x + 'a'")  # no name at fault: the character is
