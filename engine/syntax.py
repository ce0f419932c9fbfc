"""User text -> a checked Python AST, through a whitelist; nothing the user typed is ever executed.

The text is tokenised here (ASCII only), `^` becomes `**`, implicit
multiplication (`2x`, `3(x+1)`, `(x+1)(x-1)`) gets its `*`, and the result is
parsed with `ast.parse(mode="eval")`. A `Walker` then visits the AST node by
node, accepting only whitelisted nodes and handing each to a backend: SymPy in
`engine.expression`, numpy in `engine.preview`. Every rejection is an
`ExpressionError` that names the problem and its 1-based column in the user's
text. This module needs neither SymPy nor torch, so the app can draw before
either is imported.
"""

from __future__ import annotations

import ast
import itertools
import keyword
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from engine.vocabulary import CONSTANT_NAMES, FUNCTION_ARITY, VARIABLES

MAX_LENGTH = 500
MAX_PAREN_DEPTH = 25
MAX_TREE_DEPTH = 80

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


QUOTE_WIDTH = 40  # characters of the user's text quoted in an error; a longer text is quoted around the error


def quote(text: str, column: int | None = None, width: int = QUOTE_WIDTH) -> str:
    """`text` in quotes for an error message; a longer text as a window of `width` characters around the 1-based
    `column` (its start when None), with '…' where it is cut, so that a 5,000-character paste is not echoed whole."""
    if len(text) <= width:
        return repr(text)
    centre = (column or 1) - 1
    start = max(0, min(centre - width // 2, len(text) - width))
    window = text[start : start + width]
    return ("…" if start > 0 else "") + repr(window) + ("…" if start + width < len(text) else "")


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str
    column: int  # 1-based, in the user's text


_PYTHON_BASES = {"x": ("a hexadecimal", "[0-9a-fA-F]+"), "b": ("a binary", "[01]+"), "o": ("an octal", "[0-7]+")}


def _refuse_python_number(number: _Token, name: str) -> None:
    """A number written as Python writes it (`1_000`, `0x10`) would otherwise read as a number times an unknown name."""
    if re.fullmatch(r"(?:_[0-9]+)+", name):
        written = number.text + name
        raise ExpressionError(f"{written!r}: write numbers without '_' ({written.replace('_', '')})", number.column)
    base = _PYTHON_BASES.get(name[:1].lower())
    if number.text == "0" and base is not None and re.fullmatch(base[1], name[1:], re.ASCII):
        written = "0" + name
        raise ExpressionError(f"{written!r} is {base[0]} number: write it in decimal ({int(written, 0)})", number.column)


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
            # no formula name starts with '_': name `__import__` at column 1 before the quote at column 12 that follows it
            underscored = next((t for t in tokens if t.kind == "name" and t.text.startswith("_")), None)
            if underscored is not None:
                raise ExpressionError(f"unknown name {underscored.text!r}", underscored.column)
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
        if kind == "name" and tokens and tokens[-1].kind == "number" and tokens[-1].column + len(tokens[-1].text) == column:
            _refuse_python_number(tokens[-1], value)
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
    for index, (left, right) in enumerate(itertools.pairwise(tokens)):
        if right.text in _BINARY and (left.text in _BINARY | _SIGNS or left.text in {"(", ","}):
            raise ExpressionError(f"{right.text!r} cannot follow {left.text!r}: a value is missing", right.column)
        if left.text in _BINARY | _SIGNS | {","} and right.text in {")", ","}:
            raise ExpressionError(f"a value is missing after {left.text!r}", right.column)
        called = index > 0 and tokens[index - 1].kind == "name"
        if left.text == "(" and right.text == ")" and not called:
            raise ExpressionError("empty parentheses", left.column)
        if left.kind == "name" and left.text in FUNCTION_ARITY and right.text != "(":
            raise ExpressionError(f"{left.text} needs parentheses: write {left.text}(...)", right.column)
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


def parse_tree(text: str) -> tuple[ast.expr, list[int]]:
    """The checked AST of `text` and, for each character of the Python source, the user's column."""
    tokens = _tokenize(text)
    _check_sequence(tokens)
    source, columns = _python_source(tokens)
    return _ast_parse(source, columns, tokens).body, columns


T = TypeVar("T")


class Walker(Generic[T]):
    """Visits a parsed formula, rejecting anything outside the language, and builds a T through the hooks."""

    def __init__(self, variables: Sequence[str], columns: list[int]) -> None:
        unknown = [name for name in variables if name not in VARIABLES]
        if unknown:
            raise ValueError(f"unsupported variables {unknown}")
        self.variables = tuple(variables)
        self.columns = columns

    # -- the backend's hooks ------------------------------------------------------------------------

    def number(self, value: int | float, column: int | None) -> T:
        raise NotImplementedError

    def variable(self, name: str) -> T:
        raise NotImplementedError

    def constant(self, name: str) -> T:
        raise NotImplementedError

    def negate(self, value: T) -> T:
        raise NotImplementedError

    def binary(self, operator: str, left: T, right: T, column: int | None) -> T:
        """operator is one of + - * / **."""
        raise NotImplementedError

    def call(self, name: str, args: list[T], column: int | None) -> T:
        raise NotImplementedError

    def check(self, value: T, column: int | None) -> None:
        """Reject a finished node (an undefined constant, say); nothing by default."""

    # -- the walk ---------------------------------------------------------------------------------

    def walk(self, node: ast.AST, depth: int = 0) -> T:
        column = self.column(node)
        if depth > MAX_TREE_DEPTH:
            raise ExpressionError("the expression is nested too deeply", column)
        result = self._visit(node, depth + 1, column)
        self.check(result, column)
        return result

    def column(self, node: ast.AST) -> int | None:
        offset = getattr(node, "col_offset", None)
        if offset is None or not self.columns:
            return None
        return self.columns[min(int(offset), len(self.columns) - 1)]

    def _visit(self, node: ast.AST, depth: int, column: int | None) -> T:
        if isinstance(node, ast.Constant):
            value = node.value
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ExpressionError(f"{value!r} is not a number", column)
            if isinstance(value, float) and value == float("inf"):
                raise ExpressionError("this number is too large for float64 (over 1.8e308)", column)
            return self.number(value, column)
        if isinstance(node, ast.Name):
            return self._name(node.id, column)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            operand = self.walk(node.operand, depth)
            return self.negate(operand) if isinstance(node.op, ast.USub) else operand
        if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
            left, right = self.walk(node.left, depth), self.walk(node.right, depth)
            return self.binary(_OPERATORS[type(node.op)], left, right, self.column(node.right))
        if isinstance(node, ast.Call):
            return self._call(node, depth, column)
        if isinstance(node, ast.BinOp):
            symbol = {ast.FloorDiv: "//", ast.Mod: "%", ast.MatMult: "@"}.get(type(node.op), "this operator")
            raise ExpressionError(f"{symbol!r} is not allowed: use + - * / ^", self.column(node.right))
        if isinstance(node, ast.UnaryOp):
            raise ExpressionError("only unary '-' and '+' are allowed", column)
        reason = _REJECTED.get(type(node), f"{type(node).__name__} is not allowed in a formula")
        raise ExpressionError(reason, column)

    def _name(self, name: str, column: int | None) -> T:
        if name in self.variables:
            return self.variable(name)
        if name in CONSTANT_NAMES:
            return self.constant(name)
        if name in VARIABLES:
            allowed = ", ".join(self.variables) or "no variables"
            raise ExpressionError(f"{name!r} is not a variable here: this input takes {allowed}", column)
        if name in FUNCTION_ARITY:
            raise ExpressionError(f"{name!r} is a function: write {name}(...)", column)
        known = [*self.variables, *CONSTANT_NAMES, *FUNCTION_ARITY] if self.variables else list(CONSTANT_NAMES)
        import difflib  # only for a misspelt name; kept off the app's start-up

        guess = difflib.get_close_matches(name.lower(), known, n=1, cutoff=0.6)
        hint = f"; did you mean {guess[0]!r}?" if guess else ""
        raise ExpressionError(f"unknown name {name!r}{hint}", column)

    def _call(self, node: ast.Call, depth: int, column: int | None) -> T:
        if not isinstance(node.func, ast.Name):
            raise ExpressionError("only named functions such as sin(...) can be called; write * to multiply", column)
        name = node.func.id
        if node.keywords:
            raise ExpressionError(f"{name}() takes no keyword arguments", column)
        if name not in FUNCTION_ARITY:
            if name in self.variables or name in CONSTANT_NAMES:
                raise ExpressionError(f"{name!r} is not a function: write {name}*(...) to multiply", column)
            self._name(name, column)  # raises: unknown name, with a suggestion
        arity = FUNCTION_ARITY[name]
        if len(node.args) != arity:
            plural = "argument" if arity == 1 else "arguments"
            raise ExpressionError(f"{name}() takes {arity} {plural}, got {len(node.args)}", column)
        return self.call(name, [self.walk(arg, depth) for arg in node.args], column)


# -- the formula as typed -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Typed:
    """One operation of a formula exactly as typed, before any algebra: what a torch program written from it runs.

    `kind` is "number" (`value` holds it, pi and e included), "variable" (`name`), "negate", one of
    + - * / ** (two `args`, left then right), or a function name from the vocabulary ("sin", "pow", ...).
    Frozen, so two identical pieces of text are equal values (`sin(x)` typed twice is one `Typed`).
    """

    kind: str
    args: tuple[Typed, ...] = ()
    value: float = 0.0
    name: str = ""


_CONSTANT_VALUES = {"pi": math.pi, "e": math.e}


class _TypedWalker(Walker[Typed]):
    """The backend that keeps the formula as typed: `x*x` stays a product of x with itself, `x - x` a difference."""

    def number(self, value: int | float, column: int | None) -> Typed:
        try:
            return Typed("number", value=float(value))
        except OverflowError:  # an integer literal beyond float64
            raise ExpressionError("this number is too large for float64 (over 1.8e308)", column) from None

    def variable(self, name: str) -> Typed:
        return Typed("variable", name=name)

    def constant(self, name: str) -> Typed:
        return Typed("number", value=_CONSTANT_VALUES[name])

    def negate(self, value: Typed) -> Typed:
        return Typed("negate", (value,))

    def binary(self, operator: str, left: Typed, right: Typed, column: int | None) -> Typed:
        return Typed(operator, (left, right))

    def call(self, name: str, args: list[Typed], column: int | None) -> Typed:
        return Typed(name, tuple(args))


def parse_typed(text: str, variables: Sequence[str] = ("x",)) -> Typed:
    """`text` as typed (no simplification, no SymPy): the same whitelist walk, and syntax errors, as parse_expression.

    Checks on values (division by zero, constants beyond float64, powers too large to compute) belong to the SymPy
    backend: parse the text with parse_expression first, as engine.backprop does, then build this tree of it."""
    tree, columns = parse_tree(text)
    return _TypedWalker(variables, columns).walk(tree)
