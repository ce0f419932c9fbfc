"""Demo 5, Backprop: every key path, checked on the numbers a user reads on screen.

Expected values come from hand-derived formulas (math.sin, math.tanh), never from the engine.
"""

from __future__ import annotations

import math
from itertools import pairwise

import pytest
from textual.widgets import Input

from engine.network import DEFAULT_LEARNING_RATE, FORMULA
from tests.tui_helpers import ready, screen_text, settle, type_text, widget_text
from tui.app import CalcApp
from tui.demos.backprop.compute import LAB, NETWORK, NETWORK_FORMULA, NETWORK_LEARNING_RATE, SURFACE, BackpropRequest, compute_backprop
from tui.demos.backprop.graph_view import GraphView
from tui.demos.backprop.screen import BackpropScreen
from tui.graph_layout import ARROW, Shape, ascii_picture, layout_graph
from tui.look import Look
from tui.widgets.function_input import FunctionInput

SIN1, COS1 = f"{math.sin(1):.4f}", f"{math.cos(1):.4f}"  # 0.8415, 0.5403
FAN_OUT = f"{SIN1} + {COS1} = {math.sin(1) + math.cos(1):.4f}"  # x*sin(x) at 1: both paths into x


def panel(app, name: str) -> str:
    return widget_text(app.screen.query_one(f"#{name}"))


def check_row(app, name: str) -> list[str]:
    """The leaf's row of the check table, split into words: leaf, (value,) .grad, this pass, exact, reference, difference."""
    return next(line.split() for line in panel(app, "leaves").splitlines() if line.startswith(f"{name} "))


async def open_backprop(pilot, *keys: str) -> BackpropScreen:
    await pilot.press("5")
    await settle(pilot)
    for key in keys:
        await pilot.press(key)
        await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, BackpropScreen)
    return screen


async def apply_function(pilot, text: str) -> None:
    await pilot.press("f")
    await pilot.pause()
    pilot.app.screen.focused.value = ""
    await type_text(pilot, text)
    await pilot.press("enter")
    await settle(pilot)


def network_loss(w1: float, b1: float, w2: float, b2: float, x: float = 1.5, t: float = 1.2) -> float:
    return (w2 * math.tanh(w1 * x + b1) + b2 - t) ** 2


def network_gradient(w1: float, b1: float, w2: float, b2: float, x: float = 1.5, t: float = 1.2) -> tuple[float, float, float, float]:
    """∂L/∂(w1, b1, w2, b2) by hand: the chain rule through the squared error, the output unit and tanh."""
    hidden = math.tanh(w1 * x + b1)
    outer = 2 * (w2 * hidden + b2 - t)
    inner = outer * w2 * (1 - hidden**2)
    return inner * x, inner, outer * hidden, outer


# -- the screen ------------------------------------------------------------------------------------


async def test_key_5_opens_the_backward_pass_of_the_labs_function_at_its_x0(pilot) -> None:
    app = pilot.app
    await open_backprop(pilot)
    assert app.current_mode == "backprop" and "Backprop" in app.sub_title
    title = panel(app, "graph-title")
    # The lab's f(x) = sin(x) at Compare's x0 = 1: f = sin(1), two nodes (SinBackward0 and x's AccumulateGrad).
    assert f"f = sin(x) at x = 1: f = {SIN1}" in title and "backward(): 2 nodes to run" in title
    assert "n0 SinBackward0 · forward value 0.8415" in panel(app, "node-detail")
    text = screen_text(app)
    assert "Sin n0" in text and "x.grad None" in text  # before backward(): .grad is None
    await pilot.press("question_mark")
    await settle(pilot)
    text = screen_text(app)
    assert "Every step of backprop is the chain rule" in text and "zero_grad" in text


async def test_space_steps_through_x_sin_x_and_the_leaf_sums_both_paths(pilot) -> None:
    app = pilot.app
    await open_backprop(pilot, "f2")  # x*sin(x)
    assert app.state.lab.function == "x*sin(x)"
    graph = screen_text(app)
    rows = graph.splitlines()
    leaf_row = next(i for i, row in enumerate(rows) if "x.grad None" in row)
    assert rows[leaf_row - 1].count(ARROW) == 2  # two edges end on the one leaf x

    await pilot.press("space")  # MulBackward0 runs: ∂f/∂x = sin(x) along the direct path
    assert "step 1 of 3, n0 MulBackward0 ran" in panel(app, "graph-title")
    detail = panel(app, "node-detail")
    assert f"∂f/∂x = ∂f/∂n0 · ∂n0/∂x = 1.0000 × {SIN1} = {SIN1}" in detail
    assert "∂f/∂n2 = ∂f/∂n0 · ∂n0/∂n2 = 1.0000 × 1.0000 = 1.0000" in detail
    assert check_row(app, "x")[:4] == ["x", "None", SIN1, "…"]  # arrived, but AccumulateGrad has not run: .grad is None

    await pilot.press("space")  # SinBackward0: cos(x) along the second path
    assert f"∂f/∂x = ∂f/∂n2 · ∂n2/∂x = 1.0000 × {COS1} = {COS1}" in panel(app, "node-detail")
    assert check_row(app, "x")[:5] == ["x", "None", SIN1, "+", COS1]

    await pilot.press("space")  # AccumulateGrad: x.grad is the sum of the two contributions
    assert f"x.grad = {FAN_OUT}" in panel(app, "node-detail")
    leaves = panel(app, "leaves")
    assert FAN_OUT in leaves and "0.0e+00" in leaves  # against the 50-digit reference: exact in float64
    assert "done, 3 of 3" in panel(app, "graph-title")
    assert f"x.grad {math.sin(1) + math.cos(1):.4f}" in screen_text(app)


async def test_backspace_resets_end_jumps_and_r_runs_and_pauses(pilot) -> None:
    app = pilot.app
    screen = await open_backprop(pilot, "f2", "end")
    assert "done, 3 of 3" in panel(app, "graph-title") and FAN_OUT in panel(app, "leaves")
    await pilot.press("backspace")
    assert "3 nodes to run" in panel(app, "graph-title") and "x.grad None" in screen_text(app)
    await pilot.press("r")
    assert screen.running
    await pilot.pause(0.8)  # three steps a second
    await pilot.press("r")
    assert not screen.running
    title = panel(app, "graph-title")
    assert "step 2 of 3" in title or "step 1 of 3" in title or "done" in title
    assert "3 nodes to run" not in title


async def test_backward_again_doubles_grad_and_zero_grad_sets_it_to_none(pilot) -> None:
    app = pilot.app
    await open_backprop(pilot, "f2", "end")
    assert "backward() runs since zero_grad(): 1" in panel(app, "grad-state")
    await pilot.press("b")  # a second backward() without zero_grad: torch adds to .grad
    once = math.sin(1) + math.cos(1)
    assert check_row(app, "x")[:2] == ["x", f"{2 * once:.4f}"] and FAN_OUT in panel(app, "leaves")  # .grad, this pass
    assert "backward() runs since zero_grad(): 2" in panel(app, "grad-state")
    assert f"x.grad {2 * once:.4f}" in screen_text(app)
    await pilot.press("b")
    assert check_row(app, "x")[1] == f"{3 * once:.4f}"
    await pilot.press("z")  # zero_grad(): .grad is None until the next backward()
    assert "backward() runs since zero_grad(): 0" in panel(app, "grad-state")
    assert "x.grad None" in screen_text(app) and "3 nodes to run" in panel(app, "graph-title")
    await pilot.press("end")
    assert FAN_OUT in panel(app, "leaves")


async def test_one_sgd_step_lowers_the_loss_and_a_forgotten_zero_grad_doubles_the_step(pilot) -> None:
    app = pilot.app
    await open_backprop(pilot, "f8")  # the tiny network
    start = (0.6, -0.4, 0.9, 0.1)
    before = network_loss(*start)
    assert f"L = {before:.4f}" in panel(app, "graph-title")
    text = screen_text(app)
    assert all(f"{name}.grad" in text for name in ("w1", "b1", "w2", "b2"))
    await pilot.press("end")
    for name, grad in zip(("w1", "b1", "w2", "b2"), network_gradient(*start), strict=True):
        assert f"{name}.grad {grad:.4f}" in screen_text(app)

    await pilot.press("o")  # p ← p − lr·p.grad, then the pass at the new parameters
    lr = NETWORK_LEARNING_RATE
    stepped = tuple(p - lr * g for p, g in zip(start, network_gradient(*start), strict=True))
    after = network_loss(*stepped)
    assert after < before
    assert f"loss after 1 SGD step (lr 0.05): {before:.4f} → {after:.4f}" in panel(app, "leaves")
    assert f"L = {after:.4f}" in panel(app, "graph-title")
    assert f"{stepped[0]:.4f}" in panel(app, "leaves")  # w1's new value in the check table
    await pilot.press("s", "s", "s")  # f(x), f(x, y) and back: the network is where training left it
    await settle(pilot)
    assert f"L = {after:.4f}" in panel(app, "graph-title") and f"{before:.4f} → {after:.4f}" in panel(app, "leaves")
    await pilot.press("end")

    await pilot.press("b", "o")  # backward() twice without zero_grad: the step uses 2·grad
    await settle(pilot)
    doubled = tuple(p - lr * 2 * g for p, g in zip(stepped, network_gradient(*stepped), strict=True))
    assert f"→ {after:.4f} → {network_loss(*doubled):.4f}" in panel(app, "leaves")

    screen = app.screen
    await pilot.press("right_square_bracket")  # the learning rate a quarter decade up
    await settle(pilot)
    assert screen.learning_rate > lr
    await pilot.press("o")
    await settle(pilot)
    assert f"(lr {screen.learning_rate:g})" in panel(app, "leaves")


async def test_a_typed_y0_moves_the_surfaces_start_and_a_value_outside_its_box_is_refused(pilot) -> None:
    app = pilot.app
    screen = await open_backprop(pilot, "s")  # f(x, y) at the gradient field's start (-1.6, 1.4) in [-4, 4]^2
    box = app.state.surface
    y0 = screen.query_one("#y0-input", Input)
    y0.focus()
    y0.value = "100"
    await pilot.press("enter")
    assert panel(app, "y0-error") == f"✗ y0 must be inside the gradient field's box [{box.y_min:g}, {box.y_max:g}]"
    assert app.state.surface.start == (-1.6, 1.4)
    y0.value = "0.5"
    await pilot.press("enter")
    await settle(pilot)
    assert app.state.surface.start == (-1.6, 0.5) and panel(app, "y0-error") == ""
    assert "at x = -1.6, y = 0.5" in panel(app, "graph-title")
    await pilot.press("s", "s")  # round to f(x): x0 is Compare's again, typed into the same field
    x0 = screen.query_one("#x0-input", Input)
    assert x0.value == f"{app.state.lab.x0:.6g}"


async def test_s_cycles_the_source_and_functions_and_points_are_shared(pilot) -> None:
    app = pilot.app
    await open_backprop(pilot, "s")  # f(x, y): the gradient field's x^2 + 3y^2 at its start (-1.6, 1.4)
    assert "f = x^2 + 3*y^2 at x = -1.6, y = 1.4" in panel(app, "graph-title")
    await pilot.press("end")
    leaves = panel(app, "leaves")
    assert f"{2 * -1.6:.4f}" in leaves and f"{6 * 1.4:.4f}" in leaves  # ∂f/∂x = 2x, ∂f/∂y = 6y

    await apply_function(pilot, "x*y")
    assert app.state.surface.function == "x*y"
    await pilot.press("shift+up")  # y0 up one step of the box (4/40)
    await settle(pilot)
    assert app.state.surface.start == (-1.6, 1.5)
    await pilot.press("4")  # the gradient field has the same function and start
    await settle(pilot)
    assert app.screen.query_one(FunctionInput).applied == "x*y"
    await pilot.press("5", "s")  # network
    await settle(pilot)
    assert FORMULA == NETWORK_FORMULA and NETWORK_FORMULA in panel(app, "graph-title")
    await apply_function(pilot, "x^2 + x")  # f on the network: its loss is fixed, so f edits f(x) again
    await pilot.press("greater_than_sign")  # x0 moves on Compare's grid of short decimals (0.1 on [-π, π]): 1 -> 1.1
    await settle(pilot)
    assert app.state.lab.function == "x^2 + x"
    x0 = 1.1
    assert app.state.lab.x0 == x0
    await pilot.press("1")  # Compare draws the same function with its tangent at the same x0
    await settle(pilot)
    text = screen_text(app)
    assert f"x0 = {x0:.4g}" in text and f"f'(x0) = {2 * x0 + 1:.6g}" in text  # the tangent of x² + x there


async def test_typed_point_and_the_errors_that_keep_the_last_good_graph(pilot) -> None:
    app = pilot.app
    screen = await open_backprop(pilot)
    await apply_function(pilot, "x*y")  # a function of y where f(x) is asked for
    assert "'y' is not a variable here" in screen.function_input.error_text
    assert app.state.lab.function == "sin(x)"

    await apply_function(pilot, "log(x)")
    field = screen.query_one("#x0-input", Input)
    for text, message in (("abc", "x0: column 1: not a number"), ("100", "x0 must be inside Compare's x range")):
        field.focus()
        field.value = text
        await pilot.press("enter")
        assert message in panel(app, "x0-error")
    field.focus()
    field.value = "0"
    await pilot.press("enter")
    await settle(pilot)
    assert app.state.lab.x0 == 0
    # log is undefined at 0: the status says why, the graph is still the last good one (log at x = 1), no crash
    status = screen.status_text
    assert "log(x) is undefined at x = 0" in status and "last good" in status
    assert "f = log(x) at x = 1: f = 0.0000" in panel(app, "graph-title")
    assert "Log n0" in screen_text(app)
    await pilot.press("b")  # nothing to build on here: a word, not a crash
    assert "no pass to build on here" in screen.status_text
    await apply_function(pilot, "2*pi")  # a constant: torch records no graph
    assert "2*pi does not depend on x" in screen.status_text
    assert app.failures == []
    await apply_function(pilot, "sqrt(x)")  # defined at 0, its gradient is not: a notice, and b refuses to add inf to inf
    assert "the gradient is not finite here" in screen.status_text
    await pilot.press("end", "b")
    assert "not finite" in screen.status_text and "x.grad inf" in screen_text(app)
    field.focus()
    field.value = "2"
    await pilot.press("enter")
    await apply_function(pilot, "log(x)")
    assert "f = log(x) at x = 2" in panel(app, "graph-title") and screen.status_text == ""


@pytest.mark.expect_failures
async def test_an_unexpected_failure_is_a_notice_and_the_last_graph_stays(pilot, monkeypatch: pytest.MonkeyPatch) -> None:
    import engine.backprop

    app = pilot.app
    await open_backprop(pilot, "f2", "end")

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("injected failure")

    monkeypatch.setattr(engine.backprop, "backprop", broken)
    await pilot.press("d")  # float32: a new pass, which fails
    await settle(pilot)
    text = screen_text(app)
    assert "backprop failed" in text and "RuntimeError: injected failure" in text
    assert "the last computation failed" in text and FAN_OUT in panel(app, "leaves")  # the last good pass stays
    assert app.failures == ["RuntimeError: injected failure"]


async def test_arrow_keys_move_the_selection_and_the_panel_explains_it(pilot) -> None:
    app = pilot.app
    await open_backprop(pilot, "f3", "end")  # x^2 + x: Add n0 -> Pow n1 -> x, and Add n0 -> x
    assert "n0 AddBackward0" in panel(app, "node-detail")
    await pilot.press("down")
    detail = panel(app, "node-detail")
    assert "n1 PowBackward0 · forward value 1.0000" in detail
    assert "∂f/∂x = ∂f/∂n1 · ∂n1/∂x = 1.0000 × 2.0000 = 2.0000" in detail  # d(x²)/dx = 2x at 1
    await pilot.press("down")
    detail = panel(app, "node-detail")
    assert "x leaf tensor" in detail and "reached by 2 paths" in detail
    assert "x.grad = 1.0000 + 2.0000 = 3.0000" in detail
    await pilot.press("up", "up")
    assert "n0 AddBackward0" in panel(app, "node-detail")
    await pilot.press("down", "right", "left", "home")
    assert "n0 AddBackward0" in panel(app, "node-detail")


async def test_float32_checks_against_the_reference_with_a_visible_difference(pilot) -> None:
    app = pilot.app
    await open_backprop(pilot, "f2", "d", "end")
    assert app.state.precision.dtype == "float32"
    leaves = panel(app, "leaves")
    row = next(line for line in leaves.splitlines() if line.startswith("x "))
    difference = float(row.split()[-1])
    assert 0 < abs(difference) < 1e-6  # float32 rounding, about 1e-7, against the 50-digit value


@pytest.mark.size(80, 24)
async def test_compact_layout_shows_the_selected_node_and_its_neighbours(pilot) -> None:
    app = pilot.app
    await open_backprop(pilot, "f8", "end")
    for _ in range(8):  # down through the layers to the deepest parameter
        await pilot.press("down")
    await settle(pilot)
    assert "w1 leaf tensor" in panel(app, "node-detail")
    graph = app.screen.query_one(GraphView)
    assert graph.scroll_offset.y > 0  # the 18-row graph scrolled in a small window
    text = screen_text(app)
    assert "w1.grad" in text and "Mul n8" in text  # the node and the node that feeds it


@pytest.mark.size(80, 24)
async def test_selecting_a_leaf_near_the_top_keeps_the_top_of_the_network_graph_in_sight(pilot) -> None:
    app = pilot.app
    await open_backprop(pilot, "f8", "end")
    graph = app.screen.query_one(GraphView)
    await pilot.press("down", "down", "down")  # Mul n3: its inputs below make the view scroll down
    await settle(pilot)
    assert graph.scroll_offset.y > 0
    await pilot.press("right")  # the leaf b2, joined only to Add n2 above it: both fit with the top of the graph
    await settle(pilot)
    assert "b2 leaf tensor" in panel(app, "node-detail")
    assert graph.scroll_offset.y == 0
    text = screen_text(app)
    assert "Pow n0" in text and "b2.grad" in text and "L = (w2·tanh(w1·x + b1) + b2 − t)²" in text


async def test_the_largest_graph_the_parser_allows_scrolls_to_the_selected_node(pilot) -> None:
    app = pilot.app
    screen = await open_backprop(pilot, "s")
    terms = [f"x^{k}y" for k in range(2, 62)]
    text = "+".join("(" + "+".join(terms[i : i + 30]) + ")" for i in range(0, len(terms), 30))
    assert len(text) <= 500
    panel_input = screen.query_one("#surface-function", FunctionInput)
    panel_input.input.value = text
    panel_input.apply(text)
    await settle(pilot)
    result = screen.result
    assert result is not None and len(result.nodes) > 150
    await pilot.press("end")
    depth = max(node.depth for node in result.nodes)
    for _ in range(depth // 10 + 1):  # ten layers a press, down to the leaves at the far end
        await pilot.press("pagedown")
    await settle(pilot)
    detail = panel(app, "node-detail")
    assert "leaf tensor" in detail and "(60 terms)" in detail  # x is reached by one path per term: the sum is cut short
    assert app.screen.query_one(GraphView).scroll_offset.y > 100
    assert "x.grad" in screen_text(app) or "y.grad" in screen_text(app)
    await pilot.press("home")
    assert app.screen.query_one(GraphView).scroll_offset.y == 0 and "n0 AddBackward0" in panel(app, "node-detail")


async def test_ascii_mode_draws_the_graph_and_the_chain_rule_in_ascii() -> None:
    app = CalcApp(device="cpu", dtype="float64", look=Look(ascii=True, color=False))
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await ready(pilot)
        for key in ("5", "f2", "space", "space"):
            await pilot.press(key)
            await settle(pilot)
        app.clear_notifications()  # the preset's toast would cover the panels
        await pilot.pause()
        text = screen_text(app)
        assert text.isascii(), sorted({c for c in text if not c.isascii()})
        assert f"df/dx = df/dn2 . dn2/dx = 1.0000 x {COS1} = {COS1}" in text  # ∂, · and × spelled in ASCII
        assert f" x     None {SIN1} + {COS1}  " in text and "x.grad None" in text
        assert app.failures == []


async def test_the_difference_column_is_this_passs_gradient_against_the_reference_as_its_header_says(pilot) -> None:
    app = pilot.app
    await open_backprop(pilot, "f2", "d", "end", "b")  # float32, x*sin(x) at 1, backward() twice: .grad holds 2 passes
    header = panel(app, "leaves").splitlines()[0]
    assert header.split() == ["leaf", ".grad", "this", "pass", "exact", "(SymPy)", "50-digit", "ref", "pass", "−", "ref"]
    row = check_row(app, "x")
    once = math.sin(1) + math.cos(1)
    assert row[1] == f"{2 * once:.4f}" and row[2:7] == [SIN1, "+", COS1, "=", f"{once:.4f}"]
    difference = float(row[-1])
    assert 0 < abs(difference) < 1e-6  # float32's rounding of one pass, not 2.76 - 1.38
    result = app.screen.result
    assert difference == pytest.approx(result.leaves["x"].received - once, rel=0.05)

    await open_backprop(pilot, "f8", "end", "b")  # the network, backward() twice
    for name, grad in zip(("w1", "b1", "w2", "b2"), network_gradient(0.6, -0.4, 0.9, 0.1), strict=True):
        row = check_row(app, name)
        assert row[2:4] == [f"{2 * grad:.4f}", f"{grad:.4f}"]  # .grad accumulated, this pass on its own
        assert abs(float(row[-1])) < 1e-6  # still float32: this pass against the reference (not 2·grad − grad)


async def test_backprop_export_reads_back_with_every_column_as_on_screen(tmp_path) -> None:
    import csv
    import json

    app = CalcApp(device="cpu", dtype="float64", export_dir=tmp_path)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await ready(pilot)
        await open_backprop(pilot, "f2", "end", "b")  # x*sin(x) at 1, backward() twice: grad_before, grad and this pass differ
        await pilot.press("x")
        await pilot.pause(0.2)
        document = json.loads(next(tmp_path.glob("*.json")).read_text())
        screen_row = check_row(app, "x")
    once = math.sin(1) + math.cos(1)
    leaves = document["tables"]["leaves"]
    assert leaves["columns"] == ["leaf", "value", "grad_before", "grad", "this_pass", "contributions", "exact", "reference", "difference"]
    (row,) = leaves["rows"]
    leaf = dict(zip(leaves["columns"], row, strict=True))
    assert leaf["leaf"] == "x" and leaf["value"] == 1.0
    assert leaf["grad_before"] == pytest.approx(once, rel=1e-15)  # the first pass's .grad
    assert leaf["grad"] == pytest.approx(2 * once, rel=1e-15) and f"{leaf['grad']:.4f}" == screen_row[1]
    assert leaf["this_pass"] == pytest.approx(once, rel=1e-15) and f"{leaf['this_pass']:.4f}" == screen_row[6]
    assert [float(c) for c in leaf["contributions"].split()] == [math.sin(1), math.cos(1)]
    assert leaf["exact"] == pytest.approx(once, rel=1e-15) and leaf["reference"] == pytest.approx(once, rel=1e-15)
    assert leaf["difference"] == leaf["this_pass"] - leaf["reference"]
    nodes = document["tables"]["nodes"]
    assert nodes["columns"] == ["id", "op", "label", "depth", "value", "grad", "inputs", "step"]
    by_op = {row[1]: dict(zip(nodes["columns"], row, strict=True)) for row in nodes["rows"]}
    assert by_op["MulBackward0"] | {"value": 0, "grad": 0} == {
        "id": "n0", "op": "MulBackward0", "label": "n0", "depth": 0, "value": 0, "grad": 0, "inputs": "n1 n2", "step": 1
    }  # fmt: skip
    assert (by_op["MulBackward0"]["value"], by_op["MulBackward0"]["grad"]) == (math.sin(1), 1.0)
    assert (by_op["SinBackward0"]["value"], by_op["SinBackward0"]["grad"], by_op["SinBackward0"]["depth"]) == (math.sin(1), 1.0, 1)
    assert (by_op["AccumulateGrad"]["label"], by_op["AccumulateGrad"]["depth"], by_op["AccumulateGrad"]["step"]) == ("x", 2, 3)
    assert by_op["AccumulateGrad"]["value"] == 1.0 and by_op["AccumulateGrad"]["grad"] == pytest.approx(once, rel=1e-15)
    csv_path = next(tmp_path.glob("*-leaves.csv"))
    with csv_path.open() as file:
        rows = list(csv.reader(file))
    assert rows[0] == leaves["columns"]
    assert [float(rows[1][i]) for i in (1, 2, 3, 4, 6, 7, 8)] == [
        leaf[c] for c in ("value", "grad_before", "grad", "this_pass", "exact", "reference", "difference")
    ]


async def test_network_losses_export_is_the_hand_computed_sequence(tmp_path) -> None:
    import json

    app = CalcApp(device="cpu", dtype="float64", export_dir=tmp_path)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await ready(pilot)
        await open_backprop(pilot, "f8", "end", "o", "o")  # two SGD steps at lr 0.05
        await pilot.press("x")
        await pilot.pause(0.2)
        document = json.loads(next(tmp_path.glob("*.json")).read_text())
    params, expected = (0.6, -0.4, 0.9, 0.1), []
    for _ in range(3):
        expected.append(network_loss(*params))
        params = tuple(p - 0.05 * g for p, g in zip(params, network_gradient(*params), strict=True))
    losses = document["tables"]["losses"]
    assert losses["columns"] == ["step", "loss"] and [row[0] for row in losses["rows"]] == [0, 1, 2]
    assert [row[1] for row in losses["rows"]] == pytest.approx(expected, rel=1e-13)
    shown = (0.6, -0.4, 0.9, 0.1)
    for _ in range(2):  # the parameters after two steps, where the last pass ran
        shown = tuple(p - 0.05 * g for p, g in zip(shown, network_gradient(*shown), strict=True))
    leaves = document["tables"]["leaves"]
    for row in leaves["rows"]:
        leaf = dict(zip(leaves["columns"], row, strict=True))
        index = ("w1", "b1", "w2", "b2").index(leaf["leaf"])
        assert leaf["value"] == pytest.approx(shown[index], rel=1e-13)
        assert leaf["grad_before"] is None  # the SGD step zeroed .grad before this pass
        assert leaf["grad"] == pytest.approx(network_gradient(*shown)[index], rel=1e-12)


async def test_at_a_kink_the_screen_says_the_derivative_does_not_exist(pilot) -> None:
    app = pilot.app
    screen = await open_backprop(pilot)
    await apply_function(pilot, "abs(x)")
    field = screen.query_one("#x0-input", Input)
    field.focus()
    field.value = "0"
    await pilot.press("enter")
    await settle(pilot)
    assert "f'(x) does not exist at x = 0: a kink, -1 from the left and 1 from the right" in screen.status_text
    await pilot.press("end")
    assert check_row(app, "x")[1:3] == ["0.0000", "0.0000"]  # torch's convention, which the notice explains
    field.focus()
    field.value = "0.5"
    await pilot.press("enter")
    await settle(pilot)
    assert "does not exist" not in screen.status_text


async def test_the_graph_is_torchs_graph_of_the_text_as_typed(pilot) -> None:
    app = pilot.app
    await open_backprop(pilot)
    await apply_function(pilot, "x*x + sin(x)")
    text = screen_text(app)
    assert "Mul n1" in text and "Pow" not in text  # SymPy would have made x*x a power
    rows = text.splitlines()
    leaf = next(i for i, row in enumerate(rows) if "x.grad None" in row)
    assert rows[leaf - 1].count(ARROW) == 3  # Mul sends to x twice, Sin once

    await apply_function(pilot, "sin(x)^2 + sin(x)*x")  # sin(x) typed twice: one node, used twice
    field = app.screen.query_one("#x0-input", Input)
    field.focus()
    field.value = "2"
    await pilot.press("enter")
    await settle(pilot)
    result = app.screen.result
    assert sum(node.op == "SinBackward0" for node in result.nodes) == 1
    await pilot.press("end", "down", "down")  # Add n0, then Pow or Mul, then the one Sin node
    s = math.sin(2)
    detail = panel(app, "node-detail")
    assert "SinBackward0" in detail
    both = {f"{2.0:.4f} + {2 * s:.4f} = {2 + 2 * s:.4f}", f"{2 * s:.4f} + {2.0:.4f} = {2 + 2 * s:.4f}"}
    assert any(text in detail for text in both)  # d/ds of s*x (x = 2) and of s^2, summed at the node
    await pilot.press("down")  # the leaf: one contribution is negative, written as a subtraction
    through_sin = (2 * s + 2) * math.cos(2)
    assert f"x.grad = {s:.4f} − {-through_sin:.4f} = {s + through_sin:.4f}" in panel(app, "node-detail")


WIDE_GRAPH = "tanh(softplus(x)) + sigmoid(x^2)*exp(-x) + log(1 + x^2)*cos(x) + sqrt(x)*sin(x) + tanh(x)*atan(x)"


def graph_rows(view: GraphView) -> list[str]:
    """The graph widget's visible rows as text, as it paints them."""
    return ["".join(segment.text for segment in view.render_line(y)) for y in range(view.scrollable_content_region.height)]


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
async def test_a_wide_graph_is_never_cut_mid_label_and_keeps_off_the_border(size: tuple[int, int]) -> None:
    app = CalcApp(device="cpu", dtype="float64")
    async with app.run_test(size=size) as pilot:
        await ready(pilot)
        screen = await open_backprop(pilot)
        await apply_function(pilot, WIDE_GRAPH)
        result = screen.result
        assert result is not None and len(result.nodes) >= 22
        view = screen.query_one(GraphView)
        layout = view.graph
        assert layout is not None and layout.width + 2 > view.scrollable_content_region.width  # it must scroll
        for keys in ((), ("home",), ("pagedown",), ("left",) * 4, ("right",) * 4, ("end",), ("pageup",)):
            await pilot.press(*keys)
            await settle(pilot)
            rows = graph_rows(view)
            width = view.scrollable_content_region.width
            scroll_x, scroll_y = int(view.scroll_offset.x), int(view.scroll_offset.y)
            for box in layout.boxes.values():
                row = box.y - scroll_y
                if not 0 <= row < len(rows):
                    continue
                start = box.x + 1 - scroll_x  # one column of margin
                text = box.text
                shown = rows[row][max(0, start) : min(width, start + len(text))]
                if start >= 0 and start + len(text) <= width:
                    assert shown == text, (keys, box.id, rows[row])  # whole
                elif start + len(text) > 0 and start < width:
                    assert "…" in shown, (keys, box.id, rows[row])  # cut, and it says so
            assert screen.cursor in layout.boxes
            cursor = layout.boxes[screen.cursor]
            start = cursor.x + 1 - scroll_x
            assert start >= 0 and start + cursor.width <= width  # the selected node is always whole
        for x in (0, view.max_scroll_x):  # scrolled to either side, a blank column between the graph and the border
            view.scroll_to(x=x, y=0, animate=False, immediate=True)
            await pilot.pause()
            rows = graph_rows(view)
            assert all(line[0 if x == 0 else -1] == " " for line in rows), (x, rows)
            for box in layout.boxes.values():
                if x == 0 and box.x == 0 and box.y < len(rows):
                    assert rows[box.y][1:].startswith(box.text)  # the leftmost node, whole, one column in
        assert app.failures == []


# -- the compute function and the layout, without the app ---------------------------------------------


def test_compute_accumulates_from_the_grads_in_the_request() -> None:
    first = compute_backprop(BackpropRequest(LAB, "x*sin(x)", (1.0,)))
    assert first.result is not None and first.error is None
    once = math.sin(1) + math.cos(1)
    assert math.isclose(first.result.leaves["x"].grad or 0, once, rel_tol=1e-15)
    again = compute_backprop(BackpropRequest(LAB, "x*sin(x)", (1.0,), grads=(once,), calls=2))
    assert again.result is not None and math.isclose(again.result.leaves["x"].grad or 0, 2 * once, rel_tol=1e-15)


def test_compute_reports_user_errors_in_the_view() -> None:
    for request, message in (
        (BackpropRequest(LAB, "log(x)", (0.0,)), "log(x) is undefined at x = 0"),
        (BackpropRequest(LAB, "2*pi", (1.0,)), "does not depend on x"),
        (BackpropRequest(SURFACE, "x^2", (1.0, 2.0)), None),  # not an error: y is never reached (a notice)
    ):
        view = compute_backprop(request)
        if message is None:
            assert view.error is None and view.result is not None and view.result.notice is not None
        else:
            assert view.result is None and view.error is not None and message in view.error


def test_compute_network_step_uses_the_grads_and_learning_rate_of_the_request() -> None:
    assert NETWORK_LEARNING_RATE == DEFAULT_LEARNING_RATE
    start = (0.6, -0.4, 0.9, 0.1)
    grads = network_gradient(*start)
    view = compute_backprop(BackpropRequest(NETWORK, "", start, grads, 1, 0.1, (network_loss(*start),)))
    stepped = tuple(p - 0.1 * g for p, g in zip(start, grads, strict=True))
    assert all(math.isclose(a, b, rel_tol=1e-14) for a, b in zip(view.point, stepped, strict=True))
    assert len(view.losses) == 2 and math.isclose(view.losses[1], network_loss(*stepped), rel_tol=1e-13)
    assert set(view.tables()) == {"nodes", "leaves", "losses"}


def test_layout_draws_both_paths_into_one_leaf_and_keeps_boxes_apart() -> None:
    # x*sin(x): Mul n0 -> (x, Sin n2), Sin n2 -> x
    shapes = [Shape("n0", "Mul n0", "n0", 0, ("n1", "n2")), Shape("n1", "x.grad", "x", 2, ()), Shape("n2", "Sin n2", "n2", 1, ("n1",))]
    layout = layout_graph(shapes)
    picture = ascii_picture(layout).splitlines()
    leaf = layout.boxes["n1"]
    assert picture[leaf.y - 1][leaf.x : leaf.x + leaf.width].count(ARROW) == 2
    assert [box.y for box in sorted(layout.boxes.values(), key=lambda b: b.id)] == [0, leaf.y, layout.boxes["n2"].y]
    assert layout.boxes["n0"].y < layout.boxes["n2"].y < leaf.y  # output on top, leaf at the bottom


def test_layout_of_a_long_chain_stays_narrow_and_stubs_what_would_not_fit() -> None:
    # A sum of 60 terms c_k·x: an Add chain 60 deep whose every term also points at the one leaf x.
    shapes = []
    for k in range(60):
        targets = (f"a{k + 1}", f"m{k}") if k < 59 else (f"m{k}",)
        shapes.append(Shape(f"a{k}", f"Add a{k}", f"a{k}", k, targets))
        shapes.append(Shape(f"m{k}", f"Mul m{k}", f"m{k}", k + 1, ("x",)))
    shapes.append(Shape("x", "x.grad", "x", 61, ()))
    layout = layout_graph(shapes)
    assert layout.width < 200  # the chain runs (nearly) straight down instead of drifting a box (~8 columns) per layer
    assert layout.stubbed and all(key[0].startswith("m") for key in layout.stubbed)
    drawn = {(source, index) for edges in layout.owners.values() for source, index in edges}
    every = {(shape.id, index) for shape in shapes for index in range(len(shape.targets))}
    assert drawn | layout.stubbed == every  # every edge is drawn or written as a stub
    for layer in layout.layers:  # boxes of a layer do not overlap
        boxes = sorted((layout.boxes[node] for node in layer), key=lambda b: b.x)
        assert all(a.x + a.width <= b.x for a, b in pairwise(boxes))


def test_layout_drops_columns_that_hold_only_horizontal_lines_and_keeps_every_edge() -> None:
    from engine.backprop import backprop
    from engine.expression import parse_expression
    from tui.demos.backprop.compute import graph_shapes
    from tui.graph_layout import GAP

    result = backprop(parse_expression(WIDE_GRAPH), {"x": 1.0})
    shapes = graph_shapes(result)
    layout = layout_graph(shapes)
    picture = ascii_picture(layout).splitlines()
    grid = [line.ljust(layout.width) for line in layout.lines] + [""] * (layout.height - len(layout.lines))
    covered = {(box.y, box.x + i) for box in layout.boxes.values() for i in range(box.width)}
    free = [
        all((row, column) not in covered and (grid[row][column:column + 1] or " ") in " ─" for row in range(layout.height))
        for column in range(layout.width)
    ]  # fmt: skip
    longest, run = 0, 0
    for is_free in free:
        run = run + 1 if is_free else 0
        longest = max(longest, run)
    assert longest <= GAP and not free[0]  # stretches of nothing but ─ are squeezed to the gap; none at the left edge
    assert not any(grid[row][column] != " " for row, column in covered if column < len(grid[row]))  # no line under a box
    for layer in layout.layers:
        boxes = sorted((layout.boxes[node] for node in layer), key=lambda b: b.x)
        assert all(a.x + a.width + GAP <= b.x for a, b in pairwise(boxes))
    into: dict[str, int] = {}
    for shape in shapes:
        for target in shape.targets:
            into[target] = into.get(target, 0) + 1
    for node, count in into.items():  # every edge still ends in an arrow over its target
        box = layout.boxes[node]
        assert picture[box.y - 1][box.x : box.x + box.width].count(ARROW) == count, node


def test_compute_names_nodes_as_the_graph_shows_them() -> None:
    from tui.demos.backprop.compute import box_text, op_name

    assert [op_name(op) for op in ("MulBackward0", "RsubBackward1", "PowBackward1", "CatBackward2", "AccumulateGrad")] == [
        "Mul",
        "Rsub",
        "Pow",
        "Cat",
        "AccumulateGrad",
    ]
    assert (box_text("SinBackward0", "n2", None), box_text("AccumulateGrad", "n1", "x")) == ("Sin n2", "x.grad")
    view = compute_backprop(BackpropRequest(LAB, "2 - x", (1.0,)))  # torch's RsubBackward1 for a number minus a tensor
    assert view.layout is not None and "Rsub n0" in ascii_picture(view.layout)
