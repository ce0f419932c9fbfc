"""The drawing helpers every plot shares: what they hand plotext must draw what the data says, dot for dot."""

from __future__ import annotations

import random

from tui.widgets.plotting import clip_polyline


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
