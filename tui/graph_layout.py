"""Where each node of a backward graph goes on a character grid, and the box-drawing lines of its edges.

Pure Python (no Textual, no torch): the compute thread lays a graph out once per pass, the widget
only paints it. Layers are the engine's depths (the longest path from the output), top to bottom:
the output on the first row, the leaves at the far end, and every edge points down the page, the
way backward() sends gradients. Between two layers each edge gets a horizontal track of its own
(edges that share a source or a target may share one: they read as a split or a merge), and ends in
a ▼ above its target. Several edges into one node arrive side by side, so the two paths of
x*sin(x) are two arrows into the one leaf x.

An edge that skips layers runs as a vertical lane through the layers between (one dummy cell per
layer). A 250-node sum of x^k*y terms would need thousands of such cells, so past `LANE_BUDGET` the
longest edges are written as a stub under their source instead (`↓x`: "this node also sends to x"),
and the layers stay narrow.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from itertools import pairwise

VALUE_WIDTH = 9  # the number shown after each node's text (its gradient so far)
GAP = 2  # columns between neighbouring boxes or lanes
LANE_BUDGET = 60  # dummy cells allowed for edges that skip layers; longer ones become stubs
SWEEPS = 3  # rounds of barycentre ordering and placement

EdgeKey = tuple[str, int]  # (source node id, index of the edge among its inputs)

NORTH, SOUTH, EAST, WEST = 1, 2, 4, 8
GLYPHS = {
    NORTH | SOUTH: "│",
    EAST | WEST: "─",
    NORTH | EAST: "└",
    NORTH | WEST: "┘",
    SOUTH | EAST: "┌",
    SOUTH | WEST: "┐",
    NORTH | SOUTH | EAST: "├",
    NORTH | SOUTH | WEST: "┤",
    EAST | WEST | NORTH: "┴",
    EAST | WEST | SOUTH: "┬",
    NORTH | SOUTH | EAST | WEST: "┼",
    NORTH: "│",
    SOUTH: "│",
    EAST: "─",
    WEST: "─",
}
ARROW = "▼"


@dataclass(frozen=True)
class Shape:
    """What the layout needs of one node: its text, its layer and where its edges go (in torch's order)."""

    id: str
    text: str  # "Mul n0", "x.grad"
    name: str  # what a stub calls it: "n0", "x"
    depth: int
    targets: tuple[str, ...]


@dataclass(frozen=True)
class Box:
    """A node's place: `text`, then a value field of VALUE_WIDTH, then its stubs (`↓x ↓y`)."""

    id: str
    x: int
    y: int
    text: str
    stubs: str

    @property
    def width(self) -> int:
        return len(self.text) + 1 + VALUE_WIDTH + (1 + len(self.stubs) if self.stubs else 0)

    @property
    def value_x(self) -> int:
        return self.x + len(self.text) + 1


@dataclass(frozen=True)
class GraphLayout:
    width: int
    height: int
    boxes: dict[str, Box]
    lines: tuple[str, ...]  # the edges in box-drawing characters, one string per row, spaces elsewhere
    owners: dict[tuple[int, int], tuple[EdgeKey, ...]]  # (row, column) -> the edges drawn through that cell
    layers: tuple[tuple[str, ...], ...]  # node ids of each layer, left to right
    targets: dict[str, tuple[str, ...]] = field(default_factory=dict)  # each node's edges, in torch's order
    stubbed: frozenset[EdgeKey] = field(default_factory=frozenset)  # edges written as `↓name` under their source

    def neighbours(self, node: str) -> list[str]:
        """The nodes joined to `node` by a drawn edge, above and below it."""
        below = {target for index, target in enumerate(self.targets.get(node, ())) if (node, index) not in self.stubbed}
        above = {
            source
            for source, targets in self.targets.items()
            for index, target in enumerate(targets)
            if target == node and (source, index) not in self.stubbed
        }
        return sorted((below | above) - {node})


@dataclass
class _Item:
    """A node or a dummy cell of a lane, in one layer."""

    key: str
    layer: int
    width: int
    x: float = 0.0
    ups: list[_Segment] = field(default_factory=list)
    downs: list[_Segment] = field(default_factory=list)

    @property
    def center(self) -> float:
        return self.x + (self.width - 1) / 2


@dataclass
class _Segment:
    """One layer-to-layer piece of an edge."""

    edge: EdgeKey
    upper: _Item
    lower: _Item
    final: bool  # the lower end is the edge's real target (an arrow head goes there)
    top: int = 0  # attach columns, set once the items are placed
    bottom: int = 0


def layout_graph(shapes: Sequence[Shape], lane_budget: int = LANE_BUDGET) -> GraphLayout:
    """Lay out `shapes` (the output first): layers top to bottom, boxes placed to keep edges short and straight."""
    if not shapes:
        return GraphLayout(0, 0, {}, (), {}, ())
    by_id = {shape.id: shape for shape in shapes}
    edges = [((shape.id, index), shape, by_id[target]) for shape in shapes for index, target in enumerate(shape.targets)]
    skipping = sorted(
        (edge for edge in edges if edge[2].depth - edge[1].depth > 1), key=lambda edge: (edge[2].depth - edge[1].depth, edge[0])
    )
    lanes, stubbed, used = set(), set(), 0
    for key, source, target in skipping:
        cost = target.depth - source.depth - 1
        if used + cost <= lane_budget:
            lanes.add(key)
            used += cost
        else:
            stubbed.add(key)
    stubs = {
        shape.id: " ".join(f"↓{by_id[shape.targets[i]].name}" for i in range(len(shape.targets)) if (shape.id, i) in stubbed)
        for shape in shapes
    }
    boxes_text = {shape.id: Box(shape.id, 0, 0, shape.text, stubs[shape.id]) for shape in shapes}

    depth_count = max(shape.depth for shape in shapes) + 1
    layers: list[list[_Item]] = [[] for _ in range(depth_count)]
    items: dict[str, _Item] = {}
    for shape in shapes:
        item = _Item(shape.id, shape.depth, boxes_text[shape.id].width)
        items[shape.id] = item
        layers[shape.depth].append(item)
    for key, source, target in edges:
        if key in stubbed:
            continue
        chain = [items[source.id]]
        for layer in range(source.depth + 1, target.depth):
            dummy = _Item(f"{key[0]}:{key[1]}@{layer}", layer, 1)
            layers[layer].append(dummy)
            chain.append(dummy)
        chain.append(items[target.id])
        for upper, lower in pairwise(chain):
            segment = _Segment(key, upper, lower, final=lower is chain[-1])
            upper.downs.append(segment)
            lower.ups.append(segment)

    _order(layers)
    _place(layers)
    _attach(layers)
    _straighten(layers)
    layout = _draw(layers, boxes_text, frozenset(stubbed))
    return replace(layout, targets={shape.id: shape.targets for shape in shapes})


def _order(layers: list[list[_Item]]) -> None:
    """Order each layer by where its neighbours are (barycentre sweeps), starting from torch's input order."""
    for upper, lower in pairwise(layers):
        position = {id(item): index for index, item in enumerate(upper)}
        first = {id(item): min((position[id(s.upper)], s.edge[1]) for s in item.ups) if item.ups else (len(upper), 0) for item in lower}
        lower.sort(key=lambda item: first[id(item)])
    for _ in range(SWEEPS):
        for index in range(1, len(layers)):
            _sort_by(layers[index], layers[index - 1], up=True)
        for index in range(len(layers) - 2, -1, -1):
            _sort_by(layers[index], layers[index + 1], up=False)


def _sort_by(layer: list[_Item], neighbours: list[_Item], up: bool) -> None:
    position = {id(item): index for index, item in enumerate(neighbours)}

    def barycentre(index_item: tuple[int, _Item]) -> float:
        index, item = index_item
        links = [position[id(s.upper)] for s in item.ups] if up else [position[id(s.lower)] for s in item.downs]
        return sum(links) / len(links) if links else float(index)

    layer[:] = [item for _, item in sorted(enumerate(layer), key=lambda pair: (barycentre(pair), pair[0]))]


def _place(layers: list[list[_Item]]) -> None:
    """Columns: packed left to right, then pulled under their parents and over their children, keeping order and gaps.

    The priority method of Sugiyama et al.: in each layer the items that matter most for a
    straight picture (lanes, then the nodes with the deepest graph below them) go where they want
    first and push the others aside, so a long chain such as a sum of 70 terms runs straight down
    instead of drifting one box to the side per layer.
    """
    priority = _priorities(layers)
    for layer in layers:
        x = 0
        for item in layer:
            item.x = x
            x += item.width + GAP
    for _ in range(SWEEPS):
        for layer in layers[1:]:
            _pull(layer, [_mean([s.upper.center for s in item.ups]) for item in layer], priority)
        for layer in reversed(layers[:-1]):
            _pull(layer, [_mean([s.lower.center for s in item.downs]) for item in layer], priority)
    for layer in layers[1:]:
        _pull(layer, [_mean([s.upper.center for s in item.ups]) for item in layer], priority)
    left = min(item.x for layer in layers for item in layer)
    for layer in layers:
        for item in layer:
            item.x = round(item.x - left)


def _priorities(layers: list[list[_Item]]) -> dict[int, int]:
    """How many layers of graph hang below the item: the long chains stay straight."""
    height: dict[int, int] = {}
    for layer in reversed(layers):
        for item in layer:
            height[id(item)] = 1 + max((height[id(s.lower)] for s in item.downs), default=0)
    return height


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _pull(layer: list[_Item], centers: list[float | None], priority: dict[int, int]) -> None:
    """Move items towards their wished centres (None: stay), the most important first, keeping order and GAP.

    Neighbours of equal importance that wish for the same centre (the children of one node) move as
    one block centred there, so a split is symmetric. A block may push less important neighbours
    aside, never one placed before it.
    """
    blocks: list[list[int]] = []
    for index, center in enumerate(centers):
        previous = blocks[-1][-1] if blocks else None
        if (
            previous is not None
            and center is not None
            and centers[previous] is not None
            and abs(center - (centers[previous] or 0.0)) < 0.5
            and priority[id(layer[index])] == priority[id(layer[previous])]
        ):
            blocks[-1].append(index)
        else:
            blocks.append([index])
    done: set[int] = set()
    for block in sorted(blocks, key=lambda b: -priority[id(layer[b[0]])]):
        done.update(block)
        center = centers[block[0]]
        if center is None:
            continue
        first, last = layer[block[0]], layer[block[-1]]
        shift = center - (first.x + last.x + last.width - 1) / 2
        step = 1 if shift > 0 else -1
        room, neighbour = 0.0, (block[-1] if step > 0 else block[0]) + step
        while 0 <= neighbour < len(layer):
            left, right = (layer[neighbour - 1], layer[neighbour]) if step > 0 else (layer[neighbour], layer[neighbour + 1])
            room += right.x - (left.x + left.width + GAP)
            if neighbour in done:
                break
            neighbour += step
        else:
            room = float("inf")
        moved = step * min(abs(shift), room)
        for index in block:
            layer[index].x += moved
        if step > 0:
            for index in range(block[-1] + 1, len(layer)):
                layer[index].x = max(layer[index].x, layer[index - 1].x + layer[index - 1].width + GAP)
        else:
            for index in range(block[0] - 1, -1, -1):
                layer[index].x = min(layer[index].x, layer[index + 1].x - layer[index].width - GAP)


def _spread(item: _Item, count: int) -> list[int]:
    """`count` attach columns spread across an item's width (all at its centre for a lane)."""
    x = int(item.x)
    return [x + round((index + 1) * item.width / (count + 1)) - (1 if item.width > 1 else 0) for index in range(count)]


def _tracks(segments: list[_Segment]) -> dict[int, int]:
    """A track (row of the channel) for each bent segment.

    Overlapping segments take different tracks unless they share a source or a target column (then
    they read as a split or a merge). A segment whose top column lies inside another's span goes
    above it, and one whose bottom column lies inside another's span goes below it, so that their
    vertical parts do not cross the other's horizontal part where that can be helped.
    """
    bent = sorted((s for s in segments if s.top != s.bottom), key=lambda s: (_span(s), s.edge))
    above: dict[int, set[int]] = {id(s): set() for s in bent}
    for s in bent:
        low, high = _span(s)
        for o in bent:
            if o is not s and (low < o.top < high or o.top == s.bottom):
                above[id(s)].add(id(o))
            if o is not s and (low < o.bottom < high or o.bottom == s.top):
                above[id(o)].add(id(s))
    track: dict[int, int] = {}
    rows: list[list[_Segment]] = []
    pending = list(bent)
    while pending:
        # The next segment: the first (leftmost) whose segments-above are placed; any, if a cycle remains.
        segment = next((s for s in pending if above[id(s)] <= track.keys()), pending[0])
        pending.remove(segment)
        lowest = max((track[other] + 1 for other in above[id(segment)] if other in track), default=0)
        index = lowest
        while index < len(rows) and not all(_compatible(segment, other) for other in rows[index]):
            index += 1
        if index == len(rows):
            rows.append([])
        rows[index].append(segment)
        track[id(segment)] = index
    return track


def _span(segment: _Segment) -> tuple[int, int]:
    return min(segment.top, segment.bottom), max(segment.top, segment.bottom)


def _compatible(segment: _Segment, other: _Segment) -> bool:
    """Two bent segments can share a track: apart by more than a column, or from one source or into one target."""
    (low, high), (other_low, other_high) = _span(segment), _span(other)
    return max(low, other_low) > min(high, other_high) + 1 or segment.top == other.top or segment.bottom == other.bottom


def _attach(layers: list[list[_Item]]) -> None:
    """The columns where each segment leaves its upper item and reaches its lower one, ordered to avoid crossings."""
    for layer in layers:
        for item in layer:
            _attach_item(item)


def _attach_item(item: _Item) -> None:
    downs = sorted(item.downs, key=lambda s: (s.lower.center, s.edge))
    for segment, column in zip(downs, _spread(item, len(downs)), strict=True):
        segment.top = column
    ups = sorted(item.ups, key=lambda s: (s.upper.center, s.edge))
    for segment, column in zip(ups, _spread(item, len(ups)), strict=True):
        segment.bottom = column


def _straighten(layers: list[list[_Item]]) -> None:
    """Shift an item with one edge from above by a column or two where that makes the edge straight and there is room."""
    for layer in layers[1:]:
        for index, item in enumerate(layer):
            if len(item.ups) != 1:
                continue
            shift = item.ups[0].top - item.ups[0].bottom
            x = int(item.x) + shift
            left_ok = index == 0 or x >= int(layer[index - 1].x) + layer[index - 1].width + GAP
            right_ok = index + 1 == len(layer) or x + item.width + GAP <= int(layer[index + 1].x)
            if shift and abs(shift) <= 3 and x >= 0 and left_ok and right_ok:
                item.x = x
                _attach_item(item)
                for segment in item.downs:
                    _attach_item(segment.lower)


def _draw(layers: list[list[_Item]], texts: dict[str, Box], stubbed: frozenset[EdgeKey]) -> GraphLayout:
    channels = [[s for item in layer for s in item.downs] for layer in layers[:-1]]
    tracks = [_tracks(channel) for channel in channels]
    heights = [max(track.values()) + 2 if track else 1 for track in tracks]
    rows = [0]
    for height in heights:
        rows.append(rows[-1] + height + 1)
    width = max(int(item.x) + item.width for layer in layers for item in layer)
    height = rows[-1] + 1

    directions: dict[tuple[int, int], int] = {}
    arrows: set[tuple[int, int]] = set()
    owners: dict[tuple[int, int], list[EdgeKey]] = {}

    def mark(row: int, column: int, bits: int, edge: EdgeKey) -> None:
        directions[row, column] = directions.get((row, column), 0) | bits
        owned = owners.setdefault((row, column), [])
        if edge not in owned:
            owned.append(edge)

    for index, channel in enumerate(channels):
        start, end = rows[index] + 1, rows[index + 1] - 1  # the channel's rows
        for segment in channel:
            edge = segment.edge
            if segment.top == segment.bottom:
                for row in range(start, end + 1):
                    mark(row, segment.top, NORTH | SOUTH, edge)
            else:
                turn = start + tracks[index][id(segment)]
                east = segment.bottom > segment.top
                for row in range(start, turn):
                    mark(row, segment.top, NORTH | SOUTH, edge)
                mark(turn, segment.top, NORTH | (EAST if east else WEST), edge)
                for column in range(min(segment.top, segment.bottom) + 1, max(segment.top, segment.bottom)):
                    mark(turn, column, EAST | WEST, edge)
                mark(turn, segment.bottom, SOUTH | (WEST if east else EAST), edge)
                for row in range(turn + 1, end + 1):
                    mark(row, segment.bottom, NORTH | SOUTH, edge)
            if segment.final:
                arrows.add((end, segment.bottom))
            else:  # the lane runs on through the dummy's own layer row
                mark(rows[index + 1], segment.bottom, NORTH | SOUTH, edge)

    grid = [[" "] * width for _ in range(height)]
    for (row, column), bits in directions.items():
        grid[row][column] = ARROW if (row, column) in arrows else GLYPHS[bits]
    boxes = {}
    for layer_index, layer in enumerate(layers):
        for item in layer:
            if item.key in texts:
                text = texts[item.key]
                boxes[item.key] = Box(item.key, int(item.x), rows[layer_index], text.text, text.stubs)
    column_of = _compaction(grid, boxes.values())
    width = max(column_of[box.x] + box.width for box in boxes.values())
    lines = tuple("".join(char for column, char in enumerate(row) if column in column_of).rstrip() for row in grid)
    ordered = tuple(tuple(item.key for item in sorted(layer, key=lambda i: i.x) if item.key in texts) for layer in layers)
    return GraphLayout(
        width=width,
        height=height,
        boxes={key: replace(box, x=column_of[box.x]) for key, box in boxes.items()},
        lines=lines,
        owners={(row, column_of[column]): tuple(edges) for (row, column), edges in owners.items() if column in column_of},
        layers=ordered,
        stubbed=stubbed,
    )


def _compaction(grid: list[list[str]], boxes: Iterable[Box]) -> dict[int, int]:
    """Which columns stay, and where each goes: the placement centres children under parents, which leaves wide
    stretches that hold nothing but horizontal lines. A column with no box and no vertical line in any row can go
    without changing what the picture says (the horizontal lines through it get shorter); of each run of such
    columns GAP stay, so boxes keep their distance, and none at the edges."""
    width = len(grid[0]) if grid else 0
    covered = [False] * width
    for box in boxes:
        for column in range(box.x, min(width, box.x + box.width)):
            covered[column] = True
    free = [not covered[column] and all(row[column] in (" ", GLYPHS[EAST | WEST]) for row in grid) for column in range(width)]
    keep: list[int] = []
    run: list[int] = []
    for column in range(width):
        if free[column]:
            run.append(column)
            continue
        keep += run[:GAP] if keep else []  # a run before the first kept column is the left edge: none of it stays
        run = []
        keep.append(column)
    return {column: index for index, column in enumerate(keep)}


def ascii_picture(layout: GraphLayout, values: dict[str, str] | None = None) -> str:
    """The layout as plain text (boxes over lines), for tests and for reading a layout in a terminal."""
    grid = [list(line.ljust(layout.width)) for line in layout.lines]
    for box in layout.boxes.values():
        value = (values or {}).get(box.id, "·")
        text = f"{box.text} {value:<{VALUE_WIDTH}}" + (f" {box.stubs}" if box.stubs else "")
        for offset, char in enumerate(text):
            grid[box.y][box.x + offset] = char
    return "\n".join("".join(row).rstrip() for row in grid)
