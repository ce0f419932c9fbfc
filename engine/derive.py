"""Run several derivative methods over the same points and measure each against the 50-digit reference."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from engine.compiled import EvaluationError, compile_expression
from engine.devices import dtype_name
from engine.expression import Expression
from engine.methods import METHOD_FUNCTIONS, NotApplicable
from engine.reference import reference_derivative, reference_function
from engine.vocabulary import METHOD_NAMES, method

MAX_FORMULA_IN_NOTICE = 40  # characters of f' quoted in the undefined notice; a longer formula is named, not quoted


@dataclass(frozen=True)
class MethodResult:
    """One method's derivative at every point, or the reason it has none."""

    method: str
    values: torch.Tensor | None  # float64, CPU
    abs_error: torch.Tensor | None  # |value - reference|; NaN where the reference is undefined
    evaluations: int
    reason: str | None = None

    @property
    def max_error(self) -> float:
        return _reduce(self.abs_error, torch.max)

    @property
    def mean_error(self) -> float:
        return _reduce(self.abs_error, torch.mean)


def _reduce(errors: torch.Tensor | None, reduce: object) -> float:
    """Over the points where the reference exists; a method that is not finite there counts as infinite error."""
    if errors is None:
        return math.nan
    defined = errors[~torch.isnan(errors)] if errors.numel() else errors
    if defined.numel() == 0:
        return math.nan
    return float(reduce(defined))  # type: ignore[operator]


@dataclass(frozen=True)
class Derivatives:
    """What `derive` measured: the points, f, the reference f' and each method's result."""

    expression: Expression
    derivative: str
    points: torch.Tensor  # the points as the working dtype holds them, in float64
    h: float  # h as the working dtype holds it
    dtype: str
    device: str
    function_values: torch.Tensor  # f at the points, in the working dtype, as float64
    reference: torch.Tensor  # f' at the points to 50 digits, NaN where f or f' is undefined
    results: dict[str, MethodResult]
    steps_lost: int = 0  # points where x + h rounds back to x in the working dtype
    formula_outside_domain: torch.Tensor | None = None  # f not finite in the dtype, yet the formula for f' gives a number

    @property
    def defined(self) -> torch.Tensor:
        return ~torch.isnan(self.reference)

    def step_notice(self) -> str | None:
        """'h = 1e-05 is below float16's spacing at 380 of 400 points ...', or None when every step is seen."""
        if not self.steps_lost:
            return None
        return (
            f"h = {self.h:.1e} is below {self.dtype}'s spacing at {self.steps_lost} of {self.points.numel()} points: "
            "x + h rounds back to x there, so the step methods see no change"
        )

    def undefined_notice(self) -> str | None:
        """Where the points are undefined and why every method, exact and autograd too, reports nothing there; None
        when every point is defined. For log(x) on [-pi, pi]:

        'log(x) or its derivative is undefined for x in [-3.14, -0.00787]: 200 of 400 points skipped. Exact and
        autograd are undefined there too, though the formula 1/x for f'(x) is defined at x = -3.14: log(x) itself is not.'
        """
        label = str(self.expression)
        short_label = label if len(label) <= MAX_FORMULA_IN_NOTICE else "f(x)"
        sentences = []
        skipped = undefined_notice(label, self.points, ~self.defined)
        if skipped:
            sentences.append(skipped)
            outside = self.formula_outside_domain
            if outside is not None and bool(outside.any()):
                at = float(self.points[outside].flatten()[0])
                formula = f"the formula {self.derivative}" if len(self.derivative) <= MAX_FORMULA_IN_NOTICE else "the formula"
                sentences.append(
                    f"Exact and autograd are undefined there too, though {formula} for f'(x) is defined at x = {at:.3g}: "
                    f"{short_label} itself is not"
                )
        not_representable = self.defined & ~torch.isfinite(self.function_values)
        if bool(not_representable.any()):
            sentences.append(
                f"{short_label} is not finite in {self.dtype} {_where(self.points, not_representable)} "
                f"({int(not_representable.sum())} of {self.points.numel()} points), though it is at 50 digits: "
                "every method reports undefined there"
            )
        return ". ".join(sentences) + ("." if len(sentences) > 1 else "") if sentences else None


def undefined_notice(label: str, points: torch.Tensor, undefined: torch.Tensor) -> str | None:
    count = int(undefined.sum())
    if count == 0:
        return None
    return f"{label} or its derivative is undefined {_where(points, undefined)}: {count} of {undefined.numel()} points skipped"


def _where(points: torch.Tensor, mask: torch.Tensor) -> str:
    """'for x in [-3.14, -0.00787], 2.5 and 2 more', or 'at x = -1' for a single point."""
    ranges = _runs(points.flatten().tolist(), mask.flatten().tolist())
    if len(ranges) == 1 and ranges[0][0] == ranges[0][1]:
        return f"at x = {ranges[0][0]:.3g}"
    where = ", ".join(f"[{a:.3g}, {b:.3g}]" if a != b else f"{a:.3g}" for a, b in ranges[:3])
    more = f" and {len(ranges) - 3} more" if len(ranges) > 3 else ""
    return f"for x in {where}{more}"


def _runs(points: Sequence[float], mask: Sequence[bool]) -> list[tuple[float, float]]:
    runs: list[tuple[float, float]] = []
    start: float | None = None
    for index, (point, flagged) in enumerate(zip(points, mask, strict=True)):
        if flagged and start is None:
            start = point
        if start is not None and (not flagged or index == len(points) - 1):
            runs.append((start, point if flagged else points[index - 1]))
            start = None
    return runs


def reference_with_gaps(expression: Expression, points: torch.Tensor) -> torch.Tensor:
    """The reference f', NaN wherever f or f' is undefined, infinite or not real."""
    derivative = reference_derivative(expression, points)
    function = reference_function(expression, points)
    return derivative.masked_fill(~(torch.isfinite(derivative) & torch.isfinite(function)), math.nan)


def run_method(
    name: str,
    expression: Expression,
    points: torch.Tensor,
    h: float | torch.Tensor,
    dtype: torch.dtype,
    device: torch.device | str,
    reference: torch.Tensor,
) -> MethodResult:
    evaluations = method(name).evaluations
    try:
        values = METHOD_FUNCTIONS[name](expression, points, h, dtype, device).detach().to("cpu", torch.float64)
    except (NotApplicable, EvaluationError) as error:
        return MethodResult(name, None, None, evaluations, reason=str(error))
    # Not finite where the reference exists is an infinite error, not a point to skip.
    errors = torch.where(torch.isnan(reference), reference, (values - reference).abs().nan_to_num(nan=math.inf))
    return MethodResult(name, values, errors, evaluations)


def derive(
    expression: Expression,
    points: torch.Tensor,
    h: float,
    methods: Sequence[str] = METHOD_NAMES,
    dtype: torch.dtype = torch.float64,
    device: torch.device | str = "cpu",
) -> Derivatives:
    """Every requested method at every point, each with its error against the 50-digit reference."""
    working = points.detach().to(device=device, dtype=dtype)
    as_held = working.to("cpu", torch.float64)
    reference = reference_with_gaps(expression, as_held)
    with torch.no_grad():
        try:
            function_values = compile_expression(expression).function(working).to("cpu", torch.float64)
        except EvaluationError:
            function_values = torch.full_like(as_held, math.nan)
    return Derivatives(
        expression=expression,
        derivative=compile_expression(expression).derivative_text,
        points=as_held,
        h=float(torch.as_tensor(h, dtype=dtype)),
        dtype=dtype_name(dtype),
        device=str(working.device),
        function_values=function_values,
        reference=reference,
        results={m: run_method(m, expression, working, h, dtype, device, reference) for m in methods},
        steps_lost=int(((working + torch.as_tensor(h, dtype=dtype, device=working.device)) == working).sum()),
        formula_outside_domain=_formula_outside_domain(expression, working, function_values),
    )


def _formula_outside_domain(expression: Expression, working: torch.Tensor, function_values: torch.Tensor) -> torch.Tensor | None:
    """Points where f is not finite in the working dtype but the formula for f' is: there exact and autograd would
    give a number (log'(x) = 1/x at x = -1) if the methods did not report such points as undefined."""
    undefined = ~torch.isfinite(function_values)
    if not bool(undefined.any()):
        return None
    with torch.no_grad():
        try:
            formula = compile_expression(expression).exact[0](working).to("cpu", torch.float64)
        except EvaluationError:
            return None
    return undefined & torch.isfinite(formula)
