"""One vocabulary, every backend: the names in engine.vocabulary are exactly what each part of the app implements.

Adding a function or a method is one edit to the vocabulary plus its formula in each
backend; these tests say which backend is missing it (or has one too many).
"""

from __future__ import annotations

import math

import pytest
import torch

from engine.cli.main import build_parser
from engine.compiled import compile_expression
from engine.devices import DTYPES
from engine.expression import parse_expression
from engine.functions import FUNCTIONS
from engine.methods import METHOD_FUNCTIONS
from engine.preview import MATH_FUNCTIONS, evaluate
from engine.syntax import ExpressionError
from engine.theory import truncation_terms
from engine.vocabulary import (
    DTYPE_NAMES,
    FUNCTION_ARITY,
    H_STEPS_PER_DECADE,
    METHOD_NAMES,
    METHODS,
    ORDERS,
    grid_index,
    h_on_grid,
    method_keys,
)
from tui.state import H_BOUNDS, shifted_on_grid
from tui.style import METHOD_COLORS

# A point inside every function's real domain (asin/acos need |t| < 1, log and sqrt t > 0).
AT = 0.3


def call(name: str) -> str:
    return f"{name}(x, 2)" if FUNCTION_ARITY[name] == 2 else f"{name}(x)"


def test_the_sympy_builders_cover_exactly_the_vocabulary() -> None:
    assert set(FUNCTIONS) == set(FUNCTION_ARITY)


def test_the_first_frames_preview_covers_exactly_the_vocabulary() -> None:
    assert set(MATH_FUNCTIONS) == set(FUNCTION_ARITY)


@pytest.mark.parametrize("name", sorted(FUNCTION_ARITY))
def test_every_function_parses_and_agrees_across_torch_mpmath_and_the_preview(name: str) -> None:
    expression = parse_expression(call(name))
    compiled = compile_expression(expression)
    by_torch = float(compiled.function(torch.tensor([AT], dtype=torch.float64))[0])
    by_mpmath = compiled.reference_function(AT)
    by_preview = evaluate(call(name), [AT])[0]
    assert math.isfinite(by_mpmath)
    assert by_torch == pytest.approx(by_mpmath, rel=1e-15, abs=1e-15)  # float64 rounding of the same function
    assert by_preview == pytest.approx(by_mpmath, rel=1e-15, abs=1e-15)
    # and f' through the torch namespace agrees with the 50-digit one
    assert float(compiled.exact[0](torch.tensor([AT], dtype=torch.float64))[0]) == pytest.approx(compiled.reference[0](AT), rel=1e-14)


@pytest.mark.parametrize("name", sorted(FUNCTION_ARITY))
def test_the_parser_checks_each_functions_arity(name: str) -> None:
    wrong = f"{name}(x)" if FUNCTION_ARITY[name] == 2 else f"{name}(x, 2)"
    with pytest.raises(ExpressionError, match=rf"{name}\(\) takes {FUNCTION_ARITY[name]} argument"):
        parse_expression(wrong)


def test_every_method_has_a_function_a_key_a_colour_and_a_step_methods_model() -> None:
    assert list(METHOD_FUNCTIONS) == list(METHOD_NAMES)
    assert set(METHOD_COLORS) == set(METHOD_NAMES)
    for method in METHODS:
        for order in ORDERS:
            if method.has_step and method.evaluations_at(order) is not None:
                assert truncation_terms(method.name, order)[0][0] == method.accuracy, (method.name, order)  # leading power of h
    keys = [m.key for m in METHODS]
    assert len(set(keys)) == len(keys)
    # the method keys must not shadow the demos' own keys
    assert not set(keys) & set("dDfpqtsnrgmzZxXo123456?")


def test_dtype_names_are_torch_dtypes_and_what_the_cli_offers() -> None:
    assert list(DTYPES) == list(DTYPE_NAMES)
    assert all(DTYPES[name] == getattr(torch, name) for name in DTYPE_NAMES)
    choices = {action.dest: action.choices for action in build_parser()._actions}  # argparse has no public accessor
    assert list(choices["app_dtype"] or ()) == list(DTYPE_NAMES)


def test_the_h_keys_stay_on_the_sweeps_grid() -> None:
    assert H_STEPS_PER_DECADE == 4 and h_on_grid(-16) == pytest.approx(1e-4)
    h = 1e-4
    for steps in (1, 1, 4, -1, -4, -4, -4, 3):
        h = shifted_on_grid(h, steps, H_BOUNDS)
        assert h == h_on_grid(grid_index(h))  # exactly a grid point, so the marker sits on a measured h
    assert shifted_on_grid(1e-4, 1, H_BOUNDS) == pytest.approx(10**-3.75)
    assert shifted_on_grid(3e-4, 0, H_BOUNDS) == pytest.approx(10**-3.5)  # snaps first


def test_method_keys_list_the_apps_keys_as_a_sentence() -> None:
    assert method_keys(METHOD_NAMES) == "e, a, w, b, c, v, i or R"
    assert method_keys(("central",)) == "c"
