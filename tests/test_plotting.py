"""The drawing helpers every plot shares: what they hand plotext must draw what the data says, dot for dot."""

from __future__ import annotations

import math
import random

import pytest
from plotext._utility import get_matrix_data
from rich.text import Text
from textual_plotext.plot import Plot

from tui.demos.compare.plots import slope_on_dot_grid
from tui.widgets.ansi_text import ansi_text
from tui.widgets.plotting import clip_polyline, on_dot_grid, row_aligned_axis


def test_a_polyline_inside_the_box_is_kept_in_one_piece_with_its_points_exact() -> None:
    # y0 + 1.0 * (y1 - y0) misses y1 by an ulp for about a third of random pairs: a clipped end recomputed that way
    # cut the curve into pieces, and where two pieces met in one character the later one's braille erased the other's dots.
    rng = random.Random(0)
    xs = [float(i) for i in range(200)]
    ys = [rng.gauss(0, 1) for _ in xs]
    assert clip_polyline(xs, ys, (-1.0, 200.0, -10.0, 10.0)) == [(xs, ys)]


def test_a_polyline_leaving_the_box_is_cut_at_its_edges() -> None:
    pieces = clip_polyline([0.0, 1.0, 2.0, 3.0, 4.0], [0.0, 0.5, 4.0, 0.5, 0.0], (0.0, 4.0, -1.0, 1.0))
    assert len(pieces) == 2
    (x_left, y_left), (x_right, y_right) = pieces
    assert x_left[:2] == [0.0, 1.0] and y_left[-1] == 1.0 and x_left[-1] == 1.0 + 0.5 / 3.5
    assert x_right[0] == 3.0 - 0.5 / 3.5 and y_right[0] == 1.0 and x_right[-2:] == [3.0, 4.0]


@pytest.mark.parametrize("dots", [2, 17, 72])
def test_a_value_moved_to_its_dot_lands_in_the_dot_plotext_draws_it_in(dots: int) -> None:
    rng = random.Random(dots)
    low, high = -1.3, 2.9
    per_dot = (high - low) / (dots - 1)
    values = [rng.uniform(low - 1, high + 1) for _ in range(2000)]
    values += [low + (k - 0.5) * per_dot for k in range(dots + 1)]  # on the edges between two dots
    values += [low, high]
    snapped = on_dot_grid(values, low, high, dots)
    assert get_matrix_data(snapped, [low, high], dots) == get_matrix_data(values, [low, high], dots)
    assert all(abs((s - low) / per_dot - round((s - low) / per_dot)) < 1e-9 for s in snapped)  # each a dot's centre
    gaps = on_dot_grid([math.nan, math.inf, 0.0], low, high, dots)
    assert math.isnan(gaps[0]) and gaps[1] == math.inf  # a gap stays a gap


def test_two_values_in_one_dot_become_the_same_value() -> None:
    # What lets Compare keep its built plot when a new h moves no curve by a dot.
    a, b = on_dot_grid([0.501, 0.509], 0.0, 1.0, 41)
    assert a == b == 0.5


def test_a_rounded_slope_keeps_the_line_through_x0_and_its_ends_within_half_a_dot() -> None:
    axis = row_aligned_axis(-1.2, 1.2, 18, 5)
    dots = 18 * 4
    per_dot = (axis.high - axis.low) / (dots - 1)
    ends, x0 = [-3.0, 3.0], 1.0
    rng = random.Random(1)
    for slope in (0.5403023058681398, -7.25, 1e-9, *(rng.uniform(-3, 3) for _ in range(200))):
        rounded = slope_on_dot_grid(slope, ends, x0, axis, dots)
        assert all(abs((rounded - slope) * (e - x0)) <= per_dot / 2 + 1e-12 for e in ends)
    # two secants a thousandth apart draw the same line
    assert slope_on_dot_grid(0.54026, ends, x0, axis, dots) == slope_on_dot_grid(0.54030, ends, x0, axis, dots)


# --- plotext's ANSI output read back -----------------------------------------------------------------------------


def text_fields(text: Text) -> tuple[object, ...]:
    return (text.plain, text.spans, text.style, text.justify, text.overflow, text.no_wrap, text.end, text.tab_size)


@pytest.mark.parametrize("theme", ["dark", "clear", "pro", "matrix"])
def test_plotext_output_reads_back_as_text_from_ansi_reads_it(theme: str) -> None:
    plt = Plot()
    plt.plotsize(90, 28)
    plt.theme(theme)
    xs = [i / 40 for i in range(-120, 121)]
    plt.plot(xs, [math.sin(x) for x in xs], color=(200, 30, 30), label="sin")
    plt.plot(xs, [math.cos(x) for x in xs], marker="dot", color="blue+")
    plt.scatter([0.0, 1.0], [0.0, 0.5], marker="O", style="bold")
    plt.title("f'(x) for f(x) = sin(x)")
    built = plt.build()
    assert text_fields(ansi_text(built)) == text_fields(Text.from_ansi(built))


@pytest.mark.parametrize(
    "terminal_text",
    [
        "",
        "plain\nlines\n",
        "\x1b[38;5;196mred\nstill red\x1b[0m\n\nplain\x1b[1m",  # a style runs across newlines and empty lines
        "\x1b[1;38;2;10;20;30;48;5;17mbold on blue\x1b[22mnot bold\x1b[39;49m plain?",
        "\x1b[mreset by an empty code\x1b[;1m",
        "\x1b[38;5mcut short\x1b[48;2;1;2mcut short too",
        "over\rwritten\x1b[31m red",  # a carriage return: Text.from_ansi's own reading
        "\x1b]8;;https://example.com\x1b\\link\x1b]8;;\x1b\\",  # an OSC link
        "\x1b[2Jnot a colour code",
    ],
)
def test_any_ansi_text_reads_back_as_text_from_ansi_reads_it(terminal_text: str) -> None:
    assert text_fields(ansi_text(terminal_text)) == text_fields(Text.from_ansi(terminal_text))
