"""The backward graph on screen: a scrolling canvas of boxes and box-drawing edges, with the pass's progress marked.

The layout (where everything goes) comes from the compute thread; this widget paints the
visible rows only, in the style of each node and edge at the current step of backward():
not reached yet (dim), done, or the node that just ran with the edges that carried its
gradients (highlighted). The selected node is drawn in reverse, and the view scrolls so that
it stays in sight with its neighbours, whatever the size of the graph or the terminal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual.geometry import Region, Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tui.graph_layout import VALUE_WIDTH, Box, EdgeKey, GraphLayout

PENDING, DONE, CURRENT = "pending", "done", "current"
PAD = 1  # blank columns kept between the graph and the view's sides, so no node touches the border
CUT = "…"  # drawn where the view's edge cuts a node: it runs on outside the view


@dataclass(frozen=True)
class GraphMarks:
    """What the graph shows at one step of backward(): a value per node, and how far the gradient has got."""

    values: dict[str, str] = field(default_factory=dict)  # the text in each node's value field
    nodes: dict[str, str] = field(default_factory=dict)  # node id -> PENDING / DONE / CURRENT (missing: PENDING)
    edges: dict[EdgeKey, str] = field(default_factory=dict)  # the same for each edge
    cursor: str | None = None  # the selected node


class GraphView(ScrollView, can_focus=False):
    """Paints a GraphLayout with GraphMarks; the keys that move the cursor belong to the screen."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "graph-view--edge",
        "graph-view--edge-done",
        "graph-view--edge-current",
        "graph-view--node",
        "graph-view--node-done",
        "graph-view--node-current",
        "graph-view--value",
        "graph-view--cursor",
    }
    DEFAULT_CSS = """
    GraphView {
        height: 1fr;
        scrollbar-size: 1 1;
    }
    GraphView > .graph-view--edge { color: $text-disabled; }
    GraphView > .graph-view--edge-done { color: $success; }
    GraphView > .graph-view--edge-current { color: $warning; text-style: bold; }
    GraphView > .graph-view--node { color: $text-muted; }
    GraphView > .graph-view--node-done { color: $foreground; text-style: bold; }
    GraphView > .graph-view--node-current { color: $warning; text-style: bold; }
    GraphView > .graph-view--value { color: $accent; }
    GraphView > .graph-view--cursor { color: $text; background: $primary; text-style: bold; }
    /* Without colour: the node that just ran is underlined, the selected one reversed, what is done is bold. */
    GraphView:nocolor > .graph-view--edge { text-style: dim; }
    GraphView:nocolor > .graph-view--edge-current { text-style: bold underline; }
    GraphView:nocolor > .graph-view--node-current { text-style: bold underline; }
    GraphView:nocolor > .graph-view--cursor { text-style: bold reverse; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.graph: GraphLayout | None = None
        self.marks = GraphMarks()
        self._rows: dict[int, list[Box]] = {}

    def show(self, graph: GraphLayout, marks: GraphMarks) -> None:
        """Draw `graph` as `marks` say, and scroll the selected node and its neighbours into view."""
        new = graph is not self.graph
        if new:
            self.graph = graph
            self._rows = {}
            for box in graph.boxes.values():
                self._rows.setdefault(box.y, []).append(box)
            self.virtual_size = Size(graph.width + 2 * PAD, graph.height)
        self.marks = marks
        self.refresh()
        if marks.cursor is not None:
            if new:  # the scroll range follows the new size only after the next layout
                self.call_after_refresh(self.keep_in_view, marks.cursor)
            else:
                self.keep_in_view(marks.cursor)

    def region_of(self, node: str) -> Region:
        """The node's box on the canvas."""
        assert self.graph is not None
        box = self.graph.boxes[node]
        return Region(box.x + PAD, box.y, box.width, 1)

    def keep_in_view(self, node: str) -> None:
        """Show the node with the boxes it is joined to, scrolled as near the top as that allows (the output and the
        first layers stay in sight whenever they can), sideways the least; or the node alone, centred, if they do not fit."""
        graph = self.graph
        if graph is None or node not in graph.boxes:
            return
        own = self.region_of(node)
        joined = own
        for neighbour in graph.neighbours(node):
            joined = joined.union(self.region_of(neighbour))
        view = self.scrollable_content_region.size
        if joined.width <= view.width and joined.height <= view.height:
            x = int(self.scroll_offset.x)
            if joined.x < x:
                x = joined.x
            elif joined.right > x + view.width:
                x = joined.right - view.width
            self.scroll_to(x=x, y=max(0, joined.bottom - view.height), animate=False, immediate=True)
        else:
            self.scroll_to_region(own, animate=False, immediate=True, center=True)

    def render_line(self, y: int) -> Strip:
        graph = self.graph
        width = self.scrollable_content_region.width
        base = self.rich_style
        scroll_x, scroll_y = self.scroll_offset
        row = scroll_y + y
        if graph is None or row >= graph.height:
            return Strip.blank(width, base)
        left = self.margin_left(width)
        cells: list[tuple[str, Style]] = [(" ", base)] * width
        line = graph.lines[row] if row < len(graph.lines) else ""
        styles = {name: self._style(name) for name in ("edge", "edge-done", "edge-current")}
        for column in range(max(0, scroll_x - left), min(len(line), scroll_x - left + width)):
            char = line[column]
            if char != " ":
                state = self._edge_state(row, column)
                cells[column + left - scroll_x] = (char, base + styles["edge" if state == PENDING else f"edge-{state}"])
        for box in self._rows.get(row, ()):
            start = box.x + left - scroll_x  # in view columns
            box_cells = self._box_cells(box)
            for offset, (char, style) in enumerate(box_cells):
                column = start + offset
                if 0 <= column < width:
                    cells[column] = (CUT if _cut(box_cells, offset, column, width, len(box.text)) else char, base + style)
        return Strip(_runs(cells), width)

    def margin_left(self, width: int) -> int:
        """A graph narrower than the view is drawn in its middle; a wider one scrolls, PAD columns from each side."""
        return max(PAD, (width - self.graph.width) // 2) if self.graph is not None else PAD

    def _style(self, name: str) -> Style:
        return self.get_component_rich_style(f"graph-view--{name}")

    def _edge_state(self, row: int, column: int) -> str:
        assert self.graph is not None
        states = [self.marks.edges.get(edge, PENDING) for edge in self.graph.owners.get((row, column), ())]
        for state in (CURRENT, DONE):
            if state in states:
                return state
        return PENDING

    def _box_cells(self, box: Box) -> list[tuple[str, Style]]:
        marks = self.marks
        state = marks.nodes.get(box.id, PENDING)
        if box.id == marks.cursor:
            text_style = value_style = self._style("cursor")
        else:
            text_style = self._style("node" if state == PENDING else f"node-{state}")
            value_style = self._style("value") if state != PENDING else text_style
        value = marks.values.get(box.id, "·")[:VALUE_WIDTH].ljust(VALUE_WIDTH)
        cells = [(char, text_style) for char in box.text]
        cells.append((" ", text_style))
        cells += [(char, value_style) for char in value]
        if box.stubs:
            stub_style = self._style("edge")
            cells += [(char, stub_style) for char in " " + box.stubs]
        return cells


def _cut(cells: list[tuple[str, Style]], offset: int, column: int, width: int, label: int) -> bool:
    """Whether the cell at the view's edge marks a cut node: something of it (label, value or stubs) is hidden
    beyond the edge, so a fragment such as `nh n17` or `-1.3` would read as another word or another number. A label
    that ends exactly at the right edge stays whole (only its value is hidden: no fragment of it shows)."""
    if column == 0 and offset > 0:
        return any(char != " " for char, _ in cells[:offset])
    if column == width - 1 and offset < len(cells) - 1 and offset != label - 1:
        return any(char != " " for char, _ in cells[offset + 1 :])
    return False


def _runs(cells: list[tuple[str, Style]]) -> list[Segment]:
    """Neighbouring cells of one style as one segment."""
    segments: list[Segment] = []
    text, style = "", None
    for char, cell_style in cells:
        if cell_style == style:
            text += char
            continue
        if text:
            segments.append(Segment(text, style))
        text, style = char, cell_style
    if text:
        segments.append(Segment(text, style))
    return segments
