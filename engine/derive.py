"""Run several derivative methods over the same points and measure each against the 50-digit reference."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import sympy as sp
import torch

from engine.compiled import EvaluationError, compile_expression, derivative_formula, higher_derivative
from engine.devices import dtype_name, parse_dtype
from engine.expression import Expression
from engine.kinks import Kink, jumps, kink_mask, kinks
from engine.methods import METHOD_FUNCTIONS, NotApplicable
from engine.reference import reference_derivative, reference_function
from engine.vocabulary import METHOD_NAMES, ORDERS, derivative_name, method, ordinal

LOSS_ALLOWANCE = 16  # exact and autograd claim the answer to rounding: a few ulps of the formula's last operations
WRONG_SHARE = 0.1  # an answer this far off (relative) is flagged even where it lost less than a digit beyond rounding
ESTIMATE_TRUST = 10  # an error estimate more than 10x below the true error is flagged as too optimistic
STEP_SKEW = 0.01  # x + h landing over 1% away from a step of h is noticed: the quotients are that far off at any h
MAX_FORMULA_IN_NOTICE = 40  # characters of f' quoted in the undefined notice; a longer formula is named, not quoted


@dataclass(frozen=True)
class MethodResult:
    """One method's derivative at every point, or the reason it has none."""

    method: str
    values: torch.Tensor | None  # float64, CPU
    abs_error: torch.Tensor | None  # |value - reference|; NaN where the reference is undefined
    evaluations: int  # evaluations of f per point (for Richardson, the most any point used)
    reason: str | None = None
    # Richardson reports its own error estimate, the step it ended on and the evaluations, per point
    error_estimate: torch.Tensor | None = None
    final_h: torch.Tensor | None = None
    evaluations_per_point: torch.Tensor | None = None
    # No estimate is judged below the dtype's resolution of the answer, eps x its largest |value|: an error of a few
    # eps there (log(1+x^2) near 0 rounds 1 + x^2, beyond any model of f's rounding) is not a lying estimate
    resolution: float = 0.0
    # Where the derivative does not exist (a kink, see engine.kinks): no estimate there can be right
    no_derivative: torch.Tensor | None = None
    # Why some values are undefined although f is defined there (the stencil reached outside f's domain, ...)
    undefined_reason: str | None = None
    eps: float = 0.0  # the working dtype's machine epsilon: what a method without an estimate claims to be within
    magnitude: torch.Tensor | None = None  # |reference| at each point: the scale a relative error is taken against

    @property
    def digits_lost(self) -> float:
        """For a method without an estimate of its own and without a step (exact, autograd), which claims the answer to
        rounding: how many digits its worst point lost against the 50-digit reference beyond that, log10(|error| /
        (LOSS_ALLOWANCE eps |f^(n)|)), or 0 where it holds. A formula exact on paper can cancel in floating point."""
        known = self._claimed_points()
        if known is None or self.abs_error is None or self.values is None:
            return 0.0
        error = self.abs_error[known]
        # eps x |f^(n)| there (|value| + |error| is at least |f^(n)|), and never below the resolution of the answer,
        # eps x the largest |f^(n)|: near a zero of f^(n) on a grid a few eps of the scale is all any method holds
        rounding = (self.eps * (self.values[known].abs() + error)).clamp(min=self.resolution)
        ratio = float((error / (LOSS_ALLOWANCE * rounding).clamp(min=torch.finfo(torch.float64).tiny)).max())
        return math.log10(ratio) if ratio > 1 else 0.0

    @property
    def name_has_step(self) -> bool:
        return method(self.method).has_step

    def _claimed_points(self) -> torch.Tensor | None:
        """Where a method without an estimate or a step (exact, autograd) claims the answer to rounding and can be
        judged: a finite value and error, and a derivative that exists. None when there is no such point."""
        if self.error_estimate is not None or self.abs_error is None or self.values is None or not self.eps or self.name_has_step:
            return None
        known = torch.isfinite(self.abs_error) & torch.isfinite(self.values)
        if self.no_derivative is not None:
            known &= ~self.no_derivative
        return known if bool(known.any()) else None

    @property
    def relative_error(self) -> float:
        """For exact and autograd, the worst |error| over the scale of the answer there (|f^(n)|, never below the
        largest |f^(n)| of a grid's resolution): 1.0 when a value of 0 stands for 8e-9 (tanh' at 10 in bfloat16)."""
        known = self._claimed_points()
        if known is None or self.abs_error is None or self.values is None:
            return 0.0
        error = self.abs_error[known]
        true = self.magnitude[known] if self.magnitude is not None else self.values[known].abs() + error
        scale = true.clamp(min=max(self.resolution / self.eps, torch.finfo(torch.float64).tiny))
        return float((error / scale).max())

    @property
    def loses_digits(self) -> bool:
        """Lost digits beyond rounding, or in a dtype with two or three digits to lose (bfloat16, float16), an answer
        WRONG_SHARE or more off and beyond the rounding allowance: 'loses 0 digits' would hide a 100% error."""
        return self.digits_lost >= 1 or (self.digits_lost > 0 and self.relative_error >= WRONG_SHARE)

    @property
    def rounding_loss(self) -> str:
        """'loses 7 digits' or 'is off by 29%' (the second where less than one digit is lost), "" when nothing is."""
        if not self.loses_digits:
            return ""
        if self.digits_lost >= 1:
            return f"loses {self.digits_lost:.0f} digits"
        return f"is off by {self.relative_error:.0%}"

    @property
    def max_estimate(self) -> float:
        return _reduce(self.error_estimate, torch.max)

    @property
    def too_optimistic(self) -> bool:
        """Somewhere the true error is more than ESTIMATE_TRUST times the method's own estimate."""
        if self.error_estimate is None or self.abs_error is None:
            return False
        known = ~torch.isnan(self.abs_error) & ~torch.isnan(self.error_estimate)
        if self.no_derivative is not None and bool((self.no_derivative & known).any()):
            return True
        error, estimate = self.abs_error[known], self.error_estimate[known].clamp(min=self.resolution)
        return bool((error > ESTIMATE_TRUST * estimate).any())

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
    reference: torch.Tensor  # the order-th derivative at the points to 50 digits, NaN where it or f is undefined
    results: dict[str, MethodResult]
    steps_lost: int = 0  # points where x + h rounds back to x in the working dtype
    formula_outside_domain: torch.Tensor | None = None  # f not finite in the dtype, yet the formula for f' gives a number
    order: int = 1
    kinks: tuple[Kink, ...] = ()  # points where the derivative does not exist, though the reference gives a number
    beyond_float64: torch.Tensor | None = None  # f or the derivative finite at 50 digits but beyond float64 (so NaN above)
    step_skew: torch.Tensor | None = None  # how far x +- h lands from a step of h, relative to h (NaN where it is lost)
    jumps: torch.Tensor | None = None  # points where f (or a lower derivative) jumps: the derivative does not exist

    def kink_notice(self) -> str | None:
        """'f'(x) does not exist at x = 0: a kink, -1 from the left and 1 from the right. ...', or None."""
        if not self.kinks:
            return None
        name = derivative_name(self.order)
        mask = kink_mask(self.kinks, self.points)
        if len(self.kinks) == 1:
            k = self.kinks[0]
            where = f"at x = {k.x:.3g}: a kink, {k.left:.4g} from the left and {k.right:.4g} from the right"
        else:
            where = f"{_where(self.points, mask)} ({len(self.kinks)} points): a kink at each"
        convention = float(self.reference[mask].flatten()[0])
        return (
            f"{name}(x) does not exist {where}. The reference, exact and autograd give {convention:.4g}, the convention "
            "of SymPy and torch (sign(0) = 0, relu'(0) = 0): no error or estimate there means much"
        )

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

    def skew_notice(self) -> str | None:
        """'h = 1.0e-01 is not a whole number of float64's spacings at x = 1e+15 (0.125): ...', or None where every
        step lands close enough to h. The difference quotients divide by h, so a step taken 25% longer is a 25% error."""
        if self.step_skew is None:
            return None
        # Noticed where the step's error is over 1% and over the round-off every step method has anyway,
        # eps |f| / (h^n |f^(n)|) relative: in bfloat16 at h = 0.1 a 1% longer step is lost in its 12% round-off.
        roundoff = torch.finfo(self.dtype_of).eps * self.function_values.abs() / (self.h**self.order * self.reference.abs())
        skewed = self.step_skew > roundoff.clamp(min=STEP_SKEW)
        if not bool(skewed.any()):
            return None
        worst = int(torch.nan_to_num(self.step_skew, nan=0.0).flatten().argmax())
        x = self.points.flatten()[worst : worst + 1].to(self.dtype_of)
        spacing = float((torch.nextafter(x.abs(), torch.full_like(x, math.inf)) - x.abs()).double())
        count, skew = int(skewed.sum()), float(self.step_skew.flatten()[worst])
        if count == 1 and self.points.numel() == 1:
            where, how = f"at x = {float(x):.3g} ({spacing:.3g})", f"{skew:.0%} away from h"
        else:
            where = f"{_where(self.points, skewed)} ({spacing:.3g} at x = {float(x):.3g})"
            how = f"up to {skew:.0%} away from h at {count} of {self.points.numel()} points"
        return (
            f"h = {self.h:.1e} is not a whole number of {self.dtype}'s spacings {where}: x + h rounds to a step {how}, "
            "while the step methods divide by h; take h a multiple of the spacing, or larger"
        )

    @property
    def dtype_of(self) -> torch.dtype:
        return parse_dtype(self.dtype)

    def undefined_notice(self) -> str | None:
        """Where the points are undefined and why every method, exact and autograd too, reports nothing there; None
        when every point is defined. For log(x) on [-pi, pi]:

        'log(x) or its derivative is undefined for x in [-3.14, -0.00787]: 200 of 400 points skipped. Exact and
        autograd are undefined there too, though the formula 1/x for f'(x) is defined at x = -3.14: log(x) itself is not.'
        """
        label = str(self.expression)
        short_label = label if len(label) <= MAX_FORMULA_IN_NOTICE else "f(x)"
        sentences = []
        beyond = self.beyond_float64 if self.beyond_float64 is not None else torch.zeros_like(self.points, dtype=torch.bool)
        jumping = self.jumps if self.jumps is not None else torch.zeros_like(self.points, dtype=torch.bool)
        if bool(jumping.any()):
            # the lowest derivative that jumps: the first order whose formula holds a DiracDelta there
            lowest = next(k for k in range(1, self.order + 1) if bool((jumps(self.expression, self.points, k) & jumping).any()))
            what = short_label if lowest == 1 else f"{derivative_name(lowest - 1)}(x)"
            sentences.append(
                f"{what} jumps {_where(self.points, jumping)}: {derivative_name(self.order)}(x) does not exist there "
                f"({int(jumping.sum())} of {self.points.numel()} points, no reference, no error measured); a difference "
                "quotient across it grows without bound as h shrinks"
            )
        skipped = undefined_notice(label, self.points, ~self.defined & ~beyond & ~jumping)
        too_large = beyond_notice(label, self.points, beyond)
        if too_large:
            sentences.append(too_large)
        if skipped:
            sentences.append(skipped)
            outside = self.formula_outside_domain
            if outside is not None and bool(outside.any()):
                at = float(self.points[outside].flatten()[0])
                formula = f"the formula {self.derivative}" if len(self.derivative) <= MAX_FORMULA_IN_NOTICE else "the formula"
                sentences.append(
                    f"Exact and autograd are undefined there too, though {formula} for {derivative_name(self.order)}(x) is defined "
                    f"at x = {at:.3g}: {short_label} itself is not"
                )
        not_representable = self.defined & ~torch.isfinite(self.function_values)
        if bool(not_representable.any()):
            sentences.append(
                f"{short_label} is not finite in {self.dtype} {_where(self.points, not_representable)} "
                f"({int(not_representable.sum())} of {self.points.numel()} points), though it is at 50 digits: "
                "every method reports undefined there"
            )
        return ". ".join(sentences) + ("." if len(sentences) > 1 else "") if sentences else None


def step_skew(working: torch.Tensor, h: float) -> torch.Tensor:
    """|step taken - h| / h at each point, the larger of x + h and x - h, in float64 on the CPU; NaN where a step
    rounds back to x (`Derivatives.step_notice` says that). The subtractions are exact: x +- h lies near x."""
    step = torch.as_tensor(h, dtype=working.dtype, device=working.device)
    ahead, behind = working + step, working - step
    skew = torch.maximum(((ahead - working) - step).abs(), ((working - behind) - step).abs()).double() / float(step)
    return skew.masked_fill((ahead == working) | (behind == working), math.nan).cpu()


def beyond_notice(label: str, points: torch.Tensor, beyond: torch.Tensor) -> str | None:
    """Where f or its derivative is finite at 50 digits but too large for float64; None where nothing is."""
    count = int(beyond.sum())
    if count == 0:
        return None
    return (
        f"{label} or its derivative is beyond float64's range {_where(points, beyond)} (finite at 50 digits, above "
        f"{torch.finfo(torch.float64).max:.2g} in size): {count} of {beyond.numel()} points skipped, no error can be measured there"
    )


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


def beyond_float64(expression: Expression, points: torch.Tensor, order: int = 1) -> torch.Tensor:
    """Where f or its order-th derivative is finite at 50 digits but too large for float64 (x^20 at x = 1e20)."""
    return torch.isinf(reference_derivative(expression, points, order)) | torch.isinf(reference_function(expression, points))


def reference_with_gaps(expression: Expression, points: torch.Tensor, order: int = 1) -> torch.Tensor:
    """The reference f' (or the order-th derivative), NaN wherever it or f is undefined, infinite or not real."""
    derivative = reference_derivative(expression, points, order)
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
    order: int = 1,
) -> MethodResult:
    """One method's result at the points, measured against the reference (the same path for every method)."""
    try:
        estimate = METHOD_FUNCTIONS[name](expression, points, h, dtype, device, order=order)
    except (NotApplicable, EvaluationError) as error:
        return MethodResult(name, None, None, method(name).evaluations_at(order) or 0, reason=str(error))
    values = _cpu(estimate.values)
    # Not finite where the reference exists is an infinite error, not a point to skip.
    errors = torch.where(torch.isnan(reference), reference, (values - reference).abs().nan_to_num(nan=math.inf, posinf=math.inf))
    scale = reference[torch.isfinite(reference)].abs()
    resolution = torch.finfo(dtype).eps * float(scale.max()) if scale.numel() else 0.0
    per_point = estimate.evaluations.to("cpu") if isinstance(estimate.evaluations, torch.Tensor) else None
    evaluations = (int(per_point.max()) if per_point.numel() else 0) if per_point is not None else int(estimate.evaluations)
    no_derivative = None
    if estimate.error_estimate is not None:
        held = points.detach().to("cpu", torch.float64)
        no_derivative = kink_mask(kinks(expression, held, order), held)
    return MethodResult(
        name, values, errors, evaluations, None,
        _cpu(estimate.error_estimate) if estimate.error_estimate is not None else None,
        _cpu(estimate.final_h) if estimate.final_h is not None else None,
        per_point, resolution, no_derivative, estimate.reason, torch.finfo(dtype).eps, reference.abs(),
    )  # fmt: skip


def _cpu(t: torch.Tensor) -> torch.Tensor:
    return t.detach().to("cpu", torch.float64)


def derive(
    expression: Expression,
    points: torch.Tensor,
    h: float,
    methods: Sequence[str] = METHOD_NAMES,
    dtype: torch.dtype = torch.float64,
    device: torch.device | str = "cpu",
    order: int = 1,
) -> Derivatives:
    """Every requested method at every point, each with its error against the 50-digit reference (of the order-th
    derivative)."""
    if order not in ORDERS:
        raise ValueError(f"the derivative's order must be one of {', '.join(map(str, ORDERS))}, got {order}")
    working = points.detach().to(device=device, dtype=dtype)
    as_held = working.to("cpu", torch.float64)
    reference = reference_with_gaps(expression, as_held, order)
    with torch.no_grad():
        try:
            function_values = compile_expression(expression).function(working).to("cpu", torch.float64)
        except EvaluationError:
            function_values = torch.full_like(as_held, math.nan)
    return Derivatives(
        expression=expression,
        derivative=derivative_text(expression, order),
        points=as_held,
        h=float(torch.as_tensor(h, dtype=dtype)),
        dtype=dtype_name(dtype),
        device=str(working.device),
        function_values=function_values,
        reference=reference,
        results={m: run_method(m, expression, working, h, dtype, device, reference, order) for m in methods},
        steps_lost=int(((working + torch.as_tensor(h, dtype=dtype, device=working.device)) == working).sum()),
        step_skew=step_skew(working, h),
        formula_outside_domain=_formula_outside_domain(expression, working, function_values, order),
        order=order,
        kinks=kinks(expression, as_held, order),
        beyond_float64=beyond_float64(expression, as_held, order),
        jumps=jumps(expression, as_held, order) & torch.isnan(reference),
    )


def derivative_text(expression: Expression, order: int = 1) -> str:
    """The order-th derivative's formula as SymPy prints it (for f(x, y): the gradient's components)."""
    if order == 1:
        return compile_expression(expression).derivative_text
    formula = derivative_formula(expression, order)
    return sp.sstr(formula) if formula is not None else f"(the {ordinal(order)} derivative's formula is too large to print)"


def _formula_outside_domain(
    expression: Expression, working: torch.Tensor, function_values: torch.Tensor, order: int = 1
) -> torch.Tensor | None:
    """Points where f is not finite in the working dtype but the formula for f' is: there exact and autograd would
    give a number (log'(x) = 1/x at x = -1) if the methods did not report such points as undefined."""
    undefined = ~torch.isfinite(function_values)
    if not bool(undefined.any()):
        return None
    with torch.no_grad():
        try:
            callable_ = compile_expression(expression).exact[0] if order == 1 else higher_derivative(expression, order)
            if callable_ is None:
                return None
            formula = callable_(working).to("cpu", torch.float64)
        except EvaluationError:
            return None
    return undefined & torch.isfinite(formula)
