"""User text -> SymPy expression, through a whitelist; nothing the user typed is ever executed.

The text is tokenised here (ASCII only), `^` becomes `**`, implicit
multiplication (`2x`, `3(x+1)`, `(x+1)(x-1)`) gets its `*`, and the result is
parsed with `ast.parse(mode="eval")`. The AST is then walked node by node and
only whitelisted nodes become SymPy objects; every rejection is an
`ExpressionError` that names the problem and its 1-based column in the user's
text. Numbers are built from their literal text, and powers of numbers are
size-checked before SymPy folds them, so `9**9**9**9` is an error, not a hang.
"""

from __future__ import annotations

import ast
import difflib
import keyword
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import sympy as sp

from engine.functions import CONSTANTS, FUNCTIONS

MAX_LENGTH = 500
MAX_PAREN_DEPTH = 25
MAX_TREE_DEPTH = 80
MAX_CONSTANT_DIGITS = 1000  # the largest exact constant (in decimal digits) we let SymPy build

SYMBOLS: dict[str, sp.Symbol] = {name: sp.Symbol(name, real=True) for name in ("x", "y")}

_TOKEN = re.compile(
    r"""
    (?P<space>[ \t]+)
  | (?P<number>(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>\*\*|[-+*/^(),])
    """,
    re.VERBOSE | re.ASCII,
)

_HINTS = {"π": "pi", "−": "-", "×": "*", "·": "*", "²": "^2", "³": "^3", "√": "sqrt(...)", "[": "parentheses ( )", "]": "parentheses ( )"}


class ExpressionError(ValueError):
    """The user's text is not a valid expression; `column` is 1-based, or None when it is about the whole text."""

    def __init__(self, message: str, column: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.column = column

    def __str__(self) -> str:
        return f"column {self.column}: {self.message}" if self.column else self.message


@dataclass(frozen=True)
class Expression:
    """A parsed user function: its text, its SymPy form and the variables it may use."""

    text: str
    sympy: sp.Expr
    variables: tuple[str, ...]

    @property
    def symbols(self) -> tuple[sp.Symbol, ...]:
        return tuple(SYMBOLS[name] for name in self.variables)

    def __str__(self) -> str:
        return sp.sstr(self.sympy)


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str
    column: int  # 1-based, in the user's text


def parse_expression(text: str, variables: Sequence[str] = ("x",)) -> Expression:
    """Parse `text` as a function of `variables` (a subset of x, y)."""
    for name in variables:
        if name not in SYMBOLS:
            raise ValueError(f"unsupported variable {name!r}")
    tokens = _tokenize(text)
    _check_sequence(tokens)
    source, columns = _python_source(tokens)
    tree = _ast_parse(source, columns, tokens)
    builder = _Builder(tuple(variables), columns)
    return Expression(text=text.strip(), sympy=builder.build(tree.body), variables=tuple(variables))


def parse_number(text: str) -> float:
    """Parse a constant such as `0.5`, `-pi/4` or `1e-8` (the same language, without variables)."""
    try:
        expression = parse_expression(text, variables=())
    except ExpressionError as error:
        raise ExpressionError(f"not a number: {error.message}", error.column) from None
    value = float(sp.N(expression.sympy, 17))
    if math.isnan(value):
        raise ExpressionError(f"{text.strip()!r} is not a number")
    return value


def _tokenize(text: str) -> list[_Token]:
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"the expression is too long: {len(text)} characters (the limit is {MAX_LENGTH})")
    if not text.strip():
        raise ExpressionError("the expression is empty: type a function of x, such as sin(x)")
    tokens: list[_Token] = []
    position, depth = 0, 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        column = position + 1
        if match is None:
            char = text[position]
            hint = f" (write {_HINTS[char]})" if char in _HINTS else ""
            raise ExpressionError(f"unexpected character {char!r}{hint}", column)
        position = match.end()
        kind = match.lastgroup or ""
        if kind == "space":
            continue
        value = match.group()
        if kind == "name" and (keyword.iskeyword(value) or keyword.issoftkeyword(value)):
            raise ExpressionError(f"{value!r} is a Python keyword, not part of a formula", column)
        if value == "(":
            depth += 1
            if depth > MAX_PAREN_DEPTH:
                raise ExpressionError(f"too deeply nested: more than {MAX_PAREN_DEPTH} levels of parentheses", column)
        elif value == ")":
            if depth == 0:
                raise ExpressionError("unmatched ')'", column)
            depth -= 1
        tokens.append(_Token(kind, value, column))
    if depth:
        opened = [t for t in tokens if t.text in "()"]
        unclosed, balance = opened[0], 0
        for token in opened:  # the last '(' left open at the end of the text
            balance += 1 if token.text == "(" else -1
            if token.text == "(" and balance <= depth:
                unclosed = token
        raise ExpressionError("missing ')': this '(' is never closed", unclosed.column)
    return tokens


_BINARY = {"*", "/", "**", "^"}
_SIGNS = {"+", "-"}


def _check_sequence(tokens: list[_Token]) -> None:
    """Catch the common slips with a precise message before Python's parser gives a vague one."""
    first, last = tokens[0], tokens[-1]
    if first.text in _BINARY or first.text in {")", ","}:
        raise ExpressionError(f"the expression cannot start with {first.text!r}", first.column)
    if last.kind == "op" and last.text != ")":
        raise ExpressionError(f"the expression ends too early, after {last.text!r}", last.column)
    for index, (left, right) in enumerate(zip(tokens, tokens[1:])):
        if right.text in _BINARY and (left.text in _BINARY | _SIGNS or left.text in {"(", ","}):
            raise ExpressionError(f"{right.text!r} cannot follow {left.text!r}: a value is missing", right.column)
        if left.text in _BINARY | _SIGNS | {","} and right.text in {")", ","}:
            raise ExpressionError(f"a value is missing after {left.text!r}", right.column)
        called = index > 0 and tokens[index - 1].kind == "name"
        if left.text == "(" and right.text == ")" and not called:
            raise ExpressionError("empty parentheses", left.column)
        values_meet = left.kind in ("name", "number") and right.kind in ("name", "number")
        if values_meet and not _needs_implicit_times(left, right):
            raise ExpressionError(f"missing operator between {left.text!r} and {right.text!r}", right.column)


def _needs_implicit_times(left: _Token, right: _Token) -> bool:
    left_ends_value = left.kind == "number" or left.text == ")"
    right_starts_value = right.kind in ("name", "number") or right.text == "("
    return left_ends_value and right_starts_value and not (left.kind == right.kind == "number")


def _python_source(tokens: list[_Token]) -> tuple[str, list[int]]:
    """Python source for the tokens, and for each source character the user's column it came from."""
    pieces: list[str] = []
    columns: list[int] = []
    previous: _Token | None = None
    for token in tokens:
        if previous is not None and _needs_implicit_times(previous, token):
            pieces.append(" * ")
            columns.extend([token.column] * 3)
        text = "**" if token.text == "^" else token.text
        if token.kind == "number" and re.fullmatch(r"0+[0-9]+", text):
            text = text.lstrip("0") or "0"  # Python rejects leading zeros in integers; users mean the number
        pieces.append(text + " ")
        columns.extend([token.column] * (len(text) + 1))
        previous = token
    return "".join(pieces), columns


def _ast_parse(source: str, columns: list[int], tokens: list[_Token]) -> ast.Expression:
    try:
        return ast.parse(source, mode="eval")
    except SyntaxError as error:
        offset = (error.offset or 1) - 1
        if offset >= len(source.rstrip()):
            raise ExpressionError(f"the expression ends too early, after {tokens[-1].text!r}") from None
        column = columns[min(offset, len(columns) - 1)]
        near = next((t.text for t in tokens if t.column >= column), "")
        raise ExpressionError(f"unexpected {near!r}: a number, name or operator is missing or extra here", column) from None
    except (RecursionError, MemoryError, ValueError):
        raise ExpressionError("the expression is too complex to read") from None


_OPERATORS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
_REJECTED = {
    ast.Attribute: "attribute access ('.') is not allowed",
    ast.Subscript: "indexing ('[]') is not allowed",
    ast.Lambda: "lambdas are not allowed",
    ast.IfExp: "conditional expressions are not allowed",
    ast.Compare: "comparisons are not allowed",
    ast.BoolOp: "'and' / 'or' are not allowed",
    ast.Tuple: "a comma outside a function call is not allowed",
    ast.Starred: "starred arguments are not allowed",
}


class _Builder:
    def __init__(self, variables: tuple[str, ...], columns: list[int]) -> None:
        self.variables = variables
        self.columns = columns

    def build(self, node: ast.AST, depth: int = 0) -> sp.Expr:
        column = self.column(node)
        if depth > MAX_TREE_DEPTH:
            raise ExpressionError("the expression is nested too deeply", column)
        result = self._build(node, depth + 1, column)
        if result.has(sp.zoo, sp.nan, sp.oo, -sp.oo):
            raise ExpressionError("this part is undefined (division by zero or log of zero)", column)
        if result.has(sp.I) or (result.is_number and math.isnan(estimate(result))):
            raise ExpressionError("this constant has no float64 value (not real, undefined, or beyond float range)", column)
        return result

    def column(self, node: ast.AST) -> int | None:
        offset = getattr(node, "col_offset", None)
        if offset is None or not self.columns:
            return None
        return self.columns[min(offset, len(self.columns) - 1)]

    def _build(self, node: ast.AST, depth: int, column: int | None) -> sp.Expr:
        if isinstance(node, ast.Constant):
            return self._number(node, column)
        if isinstance(node, ast.Name):
            return self._name(node.id, column)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            operand = self.build(node.operand, depth)
            return -operand if isinstance(node.op, ast.USub) else operand
        if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
            left, right = self.build(node.left, depth), self.build(node.right, depth)
            return self._binary(node.op, left, right, self.column(node.right))
        if isinstance(node, ast.Call):
            return self._call(node, depth, column)
        if isinstance(node, ast.BinOp):
            symbol = {ast.FloorDiv: "//", ast.Mod: "%", ast.MatMult: "@"}.get(type(node.op), "this operator")
            raise ExpressionError(f"{symbol!r} is not allowed: use + - * / ^", self.column(node.right))
        if isinstance(node, ast.UnaryOp):
            raise ExpressionError("only unary '-' and '+' are allowed", column)
        reason = _REJECTED.get(type(node), f"{type(node).__name__} is not allowed in a formula")
        raise ExpressionError(reason, column)

    def _number(self, node: ast.Constant, column: int | None) -> sp.Expr:
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ExpressionError(f"{value!r} is not a number", column)
        if isinstance(value, int):
            return sp.Integer(value)
        if math.isinf(value):
            raise ExpressionError("this number is too large for float64 (over 1.8e308)", column)
        return sp.Rational(repr(value)) if value != 0 else sp.Integer(0)

    def _name(self, name: str, column: int | None) -> sp.Expr:
        if name in self.variables:
            return SYMBOLS[name]
        if name in CONSTANTS:
            return CONSTANTS[name]
        if name in SYMBOLS:
            allowed = ", ".join(self.variables) or "no variables"
            raise ExpressionError(f"{name!r} is not a variable here: this input takes {allowed}", column)
        if name in FUNCTIONS:
            raise ExpressionError(f"{name!r} is a function: write {name}(...)", column)
        known = [*self.variables, *CONSTANTS, *FUNCTIONS] if self.variables else list(CONSTANTS)
        guess = difflib.get_close_matches(name.lower(), known, n=1, cutoff=0.6)
        hint = f"; did you mean {guess[0]!r}?" if guess else ""
        return _raise(f"unknown name {name!r}{hint}", column)

    def _binary(self, op: ast.operator, left: sp.Expr, right: sp.Expr, column: int | None) -> sp.Expr:
        if isinstance(op, ast.Add):
            return left + right
        if isinstance(op, ast.Sub):
            return left - right
        if isinstance(op, ast.Mult):
            return left * right
        if isinstance(op, ast.Div):
            if right == 0:
                raise ExpressionError("division by zero", column)
            return left / right
        return _power(left, right, column)

    def _call(self, node: ast.Call, depth: int, column: int | None) -> sp.Expr:
        if not isinstance(node.func, ast.Name):
            raise ExpressionError("only named functions such as sin(...) can be called; write * to multiply", column)
        name = node.func.id
        if node.keywords:
            raise ExpressionError(f"{name}() takes no keyword arguments", column)
        if name not in FUNCTIONS:
            if name in self.variables or name in CONSTANTS:
                raise ExpressionError(f"{name!r} is not a function: write {name}*(...) to multiply", column)
            self._name(name, column)  # raises unknown-name with a suggestion
        arity, make = FUNCTIONS[name]
        if len(node.args) != arity:
            plural = "argument" if arity == 1 else "arguments"
            raise ExpressionError(f"{name}() takes {arity} {plural}, got {len(node.args)}", column)
        args = [self.build(arg, depth) for arg in node.args]
        if name == "pow":
            return _power(args[0], args[1], column)
        return make(*args)


def _raise(message: str, column: int | None) -> sp.Expr:
    raise ExpressionError(message, column)


def _power(base: sp.Expr, exponent: sp.Expr, column: int | None) -> sp.Expr:
    """base**exponent, refusing constant powers whose exact value would be astronomically large."""
    if base.is_number and exponent.is_number:
        size = estimate(base)
        digits = abs(estimate(exponent)) * abs(math.log10(abs(size))) if size not in (0.0, 1.0, -1.0) else 0.0
        if math.isnan(digits):
            raise ExpressionError("this constant has no float64 value (not real, undefined, or beyond float range)", column)
        if not digits < MAX_CONSTANT_DIGITS:
            raise ExpressionError("this power is too large to compute (it overflows any float)", column)
        if size == 0 and estimate(exponent) < 0:
            raise ExpressionError("0 to a negative power is undefined", column)
    return sp.Pow(base, exponent)


_MATH: dict[type, object] = {
    sp.sin: math.sin, sp.cos: math.cos, sp.tan: math.tan, sp.asin: math.asin, sp.acos: math.acos,
    sp.atan: math.atan, sp.sinh: math.sinh, sp.cosh: math.cosh, sp.tanh: math.tanh, sp.exp: math.exp,
    sp.log: math.log, sp.Abs: abs,
}


def estimate(value: sp.Expr) -> float:
    """A float64 estimate of a constant SymPy expression, inf on overflow, NaN where undefined.

    Never SymPy's own evalf: for sin(exp(exp(exp(3)))) that needs a billion digits of pi.
    """
    try:
        if value.is_Rational:
            return value.p / value.q if value.q != 1 else float(value.p)
        if value in (sp.pi, sp.E):
            return float(math.pi if value == sp.pi else math.e)
        args = [estimate(arg) for arg in value.args]
        if isinstance(value, sp.Add):
            return math.fsum(args)
        if isinstance(value, sp.Mul):
            return math.prod(args)
        if isinstance(value, sp.Pow):
            return math.pow(*args)
        function = _MATH.get(value.func) or getattr(value.func, "estimate", None)
        return float(function(*args)) if callable(function) else math.nan
    except OverflowError:
        return math.inf
    except (ValueError, ZeroDivisionError, TypeError):
        return math.nan
