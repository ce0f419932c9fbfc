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
        """'log(x) is undefined ... : 200 of 400 points skipped (x in [-3.14, 0])', or None when all points are fine."""
        return undefined_notice(str(self.expression), self.points, ~self.defined)


def undefined_notice(label: str, points: torch.Tensor, undefined: torch.Tensor) -> str | None:
    count = int(undefined.sum())
    if count == 0:
        return None
    ranges = _runs(points.flatten().tolist(), undefined.flatten().tolist())
    where = ", ".join(f"[{a:.3g}, {b:.3g}]" if a != b else f"{a:.3g}" for a, b in ranges[:3])
    more = f" and {len(ranges) - 3} more" if len(ranges) > 3 else ""
    return f"{label} or its derivative is undefined for x in {where}{more}: {count} of {undefined.numel()} points skipped"


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
    )
