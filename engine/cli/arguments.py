"""Argument types and options the subcommands share; every bad value is one clear line, exit status 2."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from typing import NoReturn

from engine.syntax import ExpressionError
from engine.vocabulary import DTYPE_NAMES


class UserError(Exception):
    """Something the user typed is wrong; the message says what."""


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def number(text: str) -> float:
    """A number or a constant expression such as pi/4 or -1e-3."""
    from engine.expression import parse_number  # SymPy: only once a value has to be read

    text = text.strip()  # a leading space may come from protect_negative_values
    try:
        value = parse_number(text)
    except ExpressionError as error:
        raise argparse.ArgumentTypeError(f"bad number {text!r}: {error}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"bad number {text!r}: not finite")
    return value


def positive(text: str) -> float:
    value = number(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text.strip()!r} must be greater than 0")
    return value


def count(minimum: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{text!r} must be at least {minimum}")
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
        raise argparse.ArgumentTypeError(f"bad domain {text!r}: write two numbers A,B such as -pi,pi")
    cut = cuts[0]
    low, high = number(text[:cut]), number(text[cut + 1 :])
    if not low < high:
        raise argparse.ArgumentTypeError(f"bad domain {text!r}: the lower end {low:g} must be below the upper end {high:g}")
    return low, high


def device_name(text: str) -> str:
    name = text.strip().lower()
    if name in ("auto", "cpu", "cuda") or (name.startswith("cuda:") and name[5:].isdigit()):
        return name
    raise argparse.ArgumentTypeError(f"unknown device {text!r}: use auto, cpu, cuda or cuda:N")


def add_precision(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dtype", default="float64", choices=DTYPE_NAMES)
    parser.add_argument("--device", default="auto", type=device_name, help="auto, cpu, cuda or cuda:N (default auto)")


def add_output(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
