"""Argument types and options the subcommands share; every bad value is one clear line, exit status 2."""

from __future__ import annotations

import argparse
import difflib
import math
from collections.abc import Callable, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any, NoReturn

from engine.syntax import ExpressionError, quote
from engine.vocabulary import DTYPE_NAMES

MAX_DIGITS = 18  # whole numbers up to 10^18: far above any limit, small enough to read at once


class UserError(Exception):
    """Something the user typed is wrong; the message says what."""


class Parser(argparse.ArgumentParser):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.app_options: list[argparse.Action] = []  # the app's own options: an error before a subcommand

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")

    def check_options_before(self, argv: Sequence[str], commands: Sequence[str]) -> None:
        """Name an unknown option before the subcommand, such as `--dev cpu`.

        Left to argparse, an unknown option is put aside and the word after it is read as the subcommand, so the
        user hears "invalid choice: 'cpu'", not about the option they mistyped (abbreviations are off here, so
        that a subcommand's options are never read as the app's).
        """
        for token in argv:
            if token in commands or token == "--":
                return
            if not token.startswith("--"):
                continue
            option = token.split("=", 1)[0]
            if option in self._option_string_actions:
                continue
            known = sorted(name for name in self._option_string_actions if name.startswith("--"))
            guesses = [name for name in known if name.startswith(option)] or difflib.get_close_matches(option, known, n=1)
            hint = f": did you mean {' or '.join(guesses)}? (options are spelled out in full)" if guesses else ""
            self.error(f"unknown option {quote(option)}{hint}")


class SubcommandParser(Parser):
    """A subcommand's parser, filled in by `fill` (its module's add_arguments) only when it is first used.

    Plain `calc-tui --no-config` then skips every subcommand's options, and the imports they need (speed's method
    list, ...): about 7 ms before the app's first frame.
    """

    def __init__(self, *args: Any, fill: Callable[[argparse.ArgumentParser], None] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._fill = fill

    def fill(self) -> SubcommandParser:
        fill, self._fill = self._fill, None
        if fill is not None:
            fill(self)
        return self

    def parse_known_args(self, args: Any = None, namespace: Any = None) -> Any:
        return super(SubcommandParser, self.fill()).parse_known_args(args, namespace)

    def format_usage(self) -> str:
        return super(SubcommandParser, self.fill()).format_usage()

    def format_help(self) -> str:
        return super(SubcommandParser, self.fill()).format_help()


def number(text: str) -> float:
    """A number or a constant expression such as pi/4 or -1e-3."""
    from engine.expression import parse_number  # SymPy: only once a value has to be read

    text = text.strip()  # a leading space may come from protect_negative_values
    try:
        value = parse_number(text)
    except ExpressionError as error:
        raise argparse.ArgumentTypeError(f"bad number {quote(text)}: {error}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"bad number {quote(text)}: not finite")
    return value


def positive(text: str) -> float:
    value = number(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text.strip()!r} must be greater than 0")
    return value


def whole_number(text: str) -> int:
    """1000, 1_000, 1e7 or 2.5e3: a whole number, written plainly or in scientific notation; ValueError otherwise."""
    text = text.strip()
    try:
        return int(text)
    except ValueError:
        pass
    try:
        value = Decimal(text.replace("_", ""))
    except InvalidOperation:
        raise ValueError(f"{quote(text)} is not a whole number") from None
    if not value.is_finite() or value != value.to_integral_value():
        raise ValueError(f"{quote(text)} is not a whole number")
    if value.adjusted() > MAX_DIGITS:  # refused before int() builds a number with a billion digits
        raise ValueError(f"{quote(text)} is too large")
    return int(value)


def count(minimum: int, maximum: int | None = None, why: str = "") -> Callable[[str], int]:
    """A whole number from `minimum` to `maximum` (`why` says what the limit protects); 1e7 is read as 10000000,
    while 1.5 and 1e-3 are errors."""

    def parse(text: str) -> int:
        try:
            value = whole_number(text)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{text.strip()!r} must be at least {minimum}")
        if maximum is not None and value > maximum:
            raise argparse.ArgumentTypeError(f"{text.strip()!r} is above the limit of {maximum:,}{f': {why}' if why else ''}")
        return value

    return parse


def domain(text: str) -> tuple[float, float]:
    text = text.strip()
    depth, cuts = 0, []
    for index, char in enumerate(text):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            cuts.append(index)
    if len(cuts) != 1:
        raise argparse.ArgumentTypeError(f"bad domain {quote(text)}: write two numbers A,B such as -pi,pi")
    cut = cuts[0]
    low, high = number(text[:cut]), number(text[cut + 1 :])
    if not low < high:
        raise argparse.ArgumentTypeError(f"bad domain {quote(text)}: the lower end {low:g} must be below the upper end {high:g}")
    return low, high


def device_name(text: str) -> str:
    name = text.strip().lower()
    if name in ("auto", "cpu", "cuda") or (name.startswith("cuda:") and name[5:].isdigit()):
        return name
    raise argparse.ArgumentTypeError(f"unknown device {quote(text)}: use auto, cpu, cuda or cuda:N")


def add_precision(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dtype", default="float64", choices=DTYPE_NAMES)
    parser.add_argument("--device", default="auto", type=device_name, help="auto, cpu, cuda or cuda:N (default auto)")


def add_output(parser: argparse.ArgumentParser, csv: bool = False) -> None:
    """--json, and with `csv` also --csv (one or the other)."""
    if not csv:
        parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
        return
    formats = parser.add_mutually_exclusive_group()
    formats.add_argument("--json", action="store_true", help="print JSON instead of a table")
    formats.add_argument("--csv", action="store_true", help="print CSV instead of a table (undefined values are empty cells)")
