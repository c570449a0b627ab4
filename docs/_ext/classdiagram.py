"""Class diagrams drawn as SVG when the documentation is built: no script, no network.

:func:`render_svg` lays out a :class:`Diagram` (boxes of fields and the links
between them) and returns one self-contained ``<svg>`` element, which the docs put
inline in the page, so that a reader sees it without JavaScript and offline. The
drawing is UML-like:

- a box is a class: its name, then one line per field, ``name: type``;
- a *holds* link (a field holding other records) starts at its field's line with a
  filled diamond and ends at the box it holds, as a solid line;
- a *refers* link (a field holding another record's id) starts at its field's line
  and ends with an open arrowhead, as a dashed line;
- an *inherits* link starts at the base class with a hollow triangle and ends at
  the subclass;
- a box drawn with a dashed frame and no fields stands for a class drawn on another
  diagram.

The layout is layered, top to bottom: every link points down from the box it starts
at (the holder, the referrer, the base class) to a lower row, as far as the links
allow (a cycle is broken by letting one of its links point up). Links that skip
rows pass between the boxes of the rows in between; the boxes of each row are
ordered to reduce crossings (barycentre sweeps) and spread to keep long links
straight. Text is measured as monospace characters, so the boxes fit their text in
any monospace font. Colours are the page theme's (furo's CSS variables, so dark
mode works), with fallbacks for the file on its own.

The module needs only the standard library: the catalogue extension builds the
diagrams from the pydantic models (``docs/_ext/catalogue.py``) and the tests call
:func:`render_svg` directly.
"""

from __future__ import annotations

import html
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

__all__ = ["Box", "Diagram", "Field", "Link", "render_svg"]

LinkKind = Literal["inherits", "holds", "refers"]


@dataclass(frozen=True)
class Field:
    """One line of a box: a field's name and its type as text."""

    name: str
    type: str


@dataclass(frozen=True)
class Box:
    """A class: its name and fields; ``elsewhere`` for a class drawn on another diagram."""

    name: str
    fields: tuple[Field, ...] = ()
    elsewhere: bool = False


@dataclass(frozen=True)
class Link:
    """A link from ``source`` to ``target``.

    For ``inherits``, ``source`` is the subclass and ``target`` its base class; for
    ``holds`` and ``refers``, ``source`` is the class whose field ``field`` holds
    ``target`` records or their ids.
    """

    kind: LinkKind
    source: str
    target: str
    field: str | None = None


@dataclass(frozen=True)
class Diagram:
    """Boxes and links; a link's classes must be boxes of the diagram."""

    boxes: tuple[Box, ...]
    links: tuple[Link, ...]


# --------------------------------------------------------------------------- metrics (px)

FONT = 12.0  # the fields' font size
NAME_FONT = 13.0  # the class names' (bold)
CHAR = 0.62  # a monospace character's advance, in em (most are 0.60; some 0.55)
LINE = 17.0  # the height of a field's line
HEAD = 27.0  # the height of a box's name band
PAD_X = 10.0  # text to frame, left and right
PAD_Y = 6.0  # above the first field and below the last
WRAP = 46  # a field line longer than this wraps its type at " | "
MARGIN = 12.0  # around the drawing
ROW_GAP = 64.0  # between rows of boxes
BOX_GAP = 36.0  # between boxes of a row
PASS_GAP = 12.0  # between links passing a row, and from them to a box
LANE = 14.0  # from a box's side to the first lane of the links leaving that side
LANE_STEP = 8.0  # between two lanes on one side
LOOP = 46.0  # how far a link from a box to itself reaches out
DIAMOND = 13.0  # the length of a holds link's diamond
TRIANGLE = 12.0  # the height of an inherits link's triangle
ARROW = 8.0  # the length of a refers link's arrowhead


def _width(text: str, size: float) -> float:
    return len(text) * size * CHAR


def _lines(item: Field) -> list[tuple[str, str]]:
    """The (name part, type part) of each line a field takes: long types wrap at ``|``."""
    head = f"{item.name}: "
    if len(head) + len(item.type) <= WRAP or " | " not in item.type:
        return [(head, item.type)]
    lines: list[tuple[str, str]] = []
    current = ""
    for part in item.type.split(" | "):
        candidate = f"{current} | {part}" if current else part
        lead = head if not lines else "    "
        if current and len(lead) + len(candidate) + len(" |") > WRAP:
            lines.append((lead, current + " |"))
            current = part
        else:
            current = candidate
    lines.append((head if not lines else "    ", current))
    return lines


@dataclass
class _Node:
    """A box, or a point where a link passes a row (``box`` is None)."""

    key: str
    box: Box | None
    width: float = 0.0
    height: float = 0.0
    layer: int = 0
    x: float = 0.0  # the centre
    left_lanes: int = 0
    right_lanes: int = 0
    field_y: dict[str, float] = field(default_factory=dict)  # field -> offset from the top

    @property
    def is_box(self) -> bool:
        return self.box is not None

    def reach_left(self) -> float:
        return self.width / 2 + (LANE + LANE_STEP * (self.left_lanes - 1) if self.left_lanes else 0)

    def reach_right(self) -> float:
        lanes = LANE + LANE_STEP * (self.right_lanes - 1) if self.right_lanes else 0
        return self.width / 2 + lanes


def _measure(box: Box) -> _Node:
    node = _Node(key=box.name, box=box)
    widths = [_width(box.name, NAME_FONT)]
    y = HEAD + PAD_Y
    for item in box.fields:
        lines = _lines(item)
        node.field_y[item.name] = y + LINE / 2
        widths += [_width(name + kind, FONT) for name, kind in lines]
        y += LINE * len(lines)
    node.width = math.ceil(max(widths) + 2 * PAD_X)
    node.height = y + PAD_Y if box.fields else HEAD
    return node


# --------------------------------------------------------------------------- layers


@dataclass
class _Edge:
    """A link as the layout sees it: from its upper end (``up``) to its lower end."""

    link: Link
    up: str
    down: str
    chain: list[str] = field(default_factory=list)  # the nodes from up to down


def _directed(link: Link) -> tuple[str, str]:
    """The link's (upper, lower) ends as wished: the base, holder or referrer above."""
    if link.kind == "inherits":
        return link.target, link.source
    return link.source, link.target


def _break_cycles(names: Sequence[str], pairs: list[tuple[str, str]]) -> set[int]:
    """The indices of the pairs to turn round so that the rest has no cycle (depth first)."""
    out: dict[str, list[int]] = {name: [] for name in names}
    for index, (upper, _lower) in enumerate(pairs):
        out[upper].append(index)
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    reversed_: set[int] = set()
    for root in names:
        if root in state:
            continue
        stack = [(root, iter(out[root]))]
        state[root] = 1
        while stack:
            name, edges = stack[-1]
            index = next(edges, None)
            if index is None:
                state[name] = 2
                stack.pop()
                continue
            lower = pairs[index][1]
            if state.get(lower) == 1:
                reversed_.add(index)
            elif lower not in state:
                state[lower] = 1
                stack.append((lower, iter(out[lower])))
    return reversed_


def _layers(names: Sequence[str], edges: list[_Edge]) -> dict[str, int]:
    """A row for each box: every edge goes down at least one row, and edges are short."""
    above: dict[str, list[str]] = {name: [] for name in names}
    below: dict[str, list[str]] = {name: [] for name in names}
    for edge in edges:
        above[edge.down].append(edge.up)
        below[edge.up].append(edge.down)
    layer: dict[str, int] = {}
    remaining = {name: len(set(above[name])) for name in names}
    ready = [name for name in names if remaining[name] == 0]
    order: list[str] = []
    while ready:
        name = ready.pop(0)
        order.append(name)
        layer[name] = max((layer[u] + 1 for u in above[name]), default=0)
        for lower in dict.fromkeys(below[name]):
            remaining[lower] -= 1
            if remaining[lower] == 0:
                ready.append(lower)
    # Shorten the edges: move a box to the row, within what its edges allow, that
    # makes its edges shortest (a box with edges only below moves down to them).
    for _ in range(len(names)):
        moved = False
        for name in order:
            low = max((layer[u] + 1 for u in above[name]), default=0)
            high = min((layer[d] - 1 for d in below[name]), default=None)
            if high is None:
                best = low
            else:
                spans = [layer[u] for u in above[name]] + [layer[d] for d in below[name]]

                def cost(row: int, spans: list[int] = spans) -> int:
                    return sum(abs(row - other) for other in spans)

                best = min(
                    range(low, high + 1), key=lambda row: (cost(row), abs(row - layer[name]))
                )
            if best != layer[name]:
                layer[name], moved = best, True
        if not moved:
            break
    rows = sorted(set(layer.values()))
    return {name: rows.index(row) for name, row in layer.items()}


def _narrow(layer: dict[str, int], widths: dict[str, float], edges: list[_Edge]) -> None:
    """Move boxes down out of the widest row while that makes the drawing narrower.

    A box moves down one row at a time, and only while all its edges still go down.
    The width of a row counts its boxes and the links passing it.
    """
    below: dict[str, list[str]] = {name: [] for name in layer}
    for edge in edges:
        below[edge.up].append(edge.down)

    def row_widths(layer: dict[str, int]) -> list[float]:
        count = max(layer.values(), default=0) + 1
        sizes = [0.0] * count
        boxes = [0] * count
        for name, row in layer.items():
            sizes[row] += widths[name]
            boxes[row] += 1
        for row in range(count):
            sizes[row] += BOX_GAP * max(boxes[row] - 1, 0)
        for edge in edges:
            for row in range(layer[edge.up] + 1, layer[edge.down]):
                sizes[row] += PASS_GAP
        return sizes

    for _ in range(len(layer) * 2):
        sizes = row_widths(layer)
        widest = max(sizes)
        row = sizes.index(widest)
        best: tuple[float, str] | None = None
        for name, current in layer.items():
            if current != row or any(layer[d] <= row + 1 for d in below[name]):
                continue
            trial = {**layer, name: row + 1}
            width = max(row_widths(trial))
            if width < widest - 1 and (best is None or width < best[0]):
                best = (width, name)
        if best is None:
            break
        layer[best[1]] = row + 1
    rows = sorted(set(layer.values()))  # no row left empty
    for name, row in layer.items():
        layer[name] = rows.index(row)


# --------------------------------------------------------------------------- order and place


def _crossings(rows: list[list[str]], pairs: list[tuple[str, str]]) -> int:
    position = {key: i for row in rows for i, key in enumerate(row)}
    by_row: dict[int, list[tuple[int, int]]] = {}
    row_of = {key: r for r, row in enumerate(rows) for key in row}
    for upper, lower in pairs:
        by_row.setdefault(row_of[upper], []).append((position[upper], position[lower]))
    count = 0
    for segments in by_row.values():
        for i, (a1, b1) in enumerate(segments):
            for a2, b2 in segments[i + 1 :]:
                count += (a1 - a2) * (b1 - b2) < 0
    return count


def _order(rows: list[list[str]], pairs: list[tuple[str, str]]) -> list[list[str]]:
    """The boxes and passing points of each row, ordered to reduce crossings."""
    up: dict[str, list[str]] = {}
    down: dict[str, list[str]] = {}
    for upper, lower in pairs:
        down.setdefault(upper, []).append(lower)
        up.setdefault(lower, []).append(upper)

    def sweep(rows: list[list[str]], downwards: bool) -> list[list[str]]:
        rows = [list(row) for row in rows]
        indices = range(1, len(rows)) if downwards else range(len(rows) - 2, -1, -1)
        for r in indices:
            fixed = rows[r - 1] if downwards else rows[r + 1]
            position = {key: i for i, key in enumerate(fixed)}
            neighbours = up if downwards else down

            def key(
                item: tuple[int, str],
                position: dict[str, int] = position,
                neighbours: dict[str, list[str]] = neighbours,
            ) -> float:
                index, name = item
                linked = [position[n] for n in neighbours.get(name, []) if n in position]
                return sum(linked) / len(linked) if linked else index

            rows[r] = [name for _, name in sorted(enumerate(rows[r]), key=key)]
        return rows

    best, best_count = rows, _crossings(rows, pairs)
    current = rows
    for turn in range(24):
        current = sweep(current, downwards=turn % 2 == 0)
        count = _crossings(current, pairs)
        if count < best_count:
            best, best_count = current, count
    return best


def _fit(targets: list[float], weights: list[float], gaps: list[float]) -> list[float]:
    """Positions closest to ``targets`` (weighted least squares) keeping the ``gaps``.

    ``gaps[i]`` is the least distance from position ``i`` to ``i + 1``. With the
    gaps taken out, this is an isotonic regression, solved by pooling adjacent
    violators.
    """
    offsets = [0.0]
    for gap in gaps:
        offsets.append(offsets[-1] + gap)
    blocks: list[list[float]] = []  # [weight, mean, count]
    for target, weight, offset in zip(targets, weights, offsets, strict=True):
        blocks.append([weight, target - offset, 1])
        while len(blocks) > 1 and blocks[-2][1] > blocks[-1][1]:
            w2, m2, c2 = blocks.pop()
            w1, m1, c1 = blocks.pop()
            blocks.append([w1 + w2, (w1 * m1 + w2 * m2) / (w1 + w2), c1 + c2])
    values: list[float] = []
    for weight_, mean, count in blocks:
        del weight_
        values += [mean] * int(count)
    return [value + offset for value, offset in zip(values, offsets, strict=True)]


def _place(rows: list[list[str]], nodes: dict[str, _Node], pairs: list[tuple[str, str]]) -> None:
    """Set each node's centre: near its neighbours, the boxes of a row kept apart."""
    neighbours: dict[str, list[tuple[str, float, bool]]] = {key: [] for key in nodes}
    for upper, lower in pairs:
        # Passing points pull hard on each other, so that long links run straight.
        weight = 1.0 + 3.0 * (not nodes[upper].is_box) + 3.0 * (not nodes[lower].is_box)
        neighbours[upper].append((lower, weight, False))
        neighbours[lower].append((upper, weight, True))

    def gap(left: _Node, right: _Node) -> float:
        space = BOX_GAP if left.is_box and right.is_box else PASS_GAP
        return left.reach_right() + space + right.reach_left()

    for row in rows:
        x = 0.0
        for i, key in enumerate(row):
            if i:
                x += gap(nodes[row[i - 1]], nodes[key])
            nodes[key].x = x
        for key in row:
            nodes[key].x -= x / 2
    order = list(range(len(rows)))
    passes = [(order, True), (order[::-1], False), (order, None), (order[::-1], None)] * 6
    for sequence, from_above in passes:
        for r in sequence:
            row = rows[r]
            targets, weights = [], []
            for key in row:
                pulls = [
                    (nodes[other].x, weight)
                    for other, weight, is_above in neighbours[key]
                    if from_above is None or is_above == from_above
                ]
                total = sum(weight for _, weight in pulls)
                if total:
                    targets.append(sum(x * weight for x, weight in pulls) / total)
                    weights.append(total)
                else:
                    targets.append(nodes[key].x)
                    weights.append(0.05)
            gaps = [gap(nodes[a], nodes[b]) for a, b in itertools.pairwise(row)]
            for key, x in zip(row, _fit(targets, weights, gaps), strict=True):
                nodes[key].x = x


# --------------------------------------------------------------------------- drawing


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _n(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def _curve(x1: float, y1: float, x2: float, y2: float) -> str:
    """A vertical S-curve from one point down (or up) to another."""
    middle = (y1 + y2) / 2
    return f"C {_n(x1)} {_n(middle)} {_n(x2)} {_n(middle)} {_n(x2)} {_n(y2)}"


# The theme's colours (furo's variables) where there is one, fallbacks elsewhere. The
# rules apply to the diagram's own classes only, and the style element goes inside
# each <svg> so that the file also stands alone.
_STYLE = (
    ".ikb-diagram{font-family:var(--font-stack--monospace,ui-monospace,SFMono-Regular,"
    'Menlo,Consolas,"Liberation Mono","DejaVu Sans Mono",monospace);font-size:12px}\n'
    ".ikb-diagram .ikb-frame{fill:var(--color-background-primary,#fff);"
    "stroke:var(--color-foreground-secondary,#5a5c63);stroke-width:1.2}\n"
    ".ikb-diagram .ikb-head{fill:var(--color-background-secondary,#f3f4f6)}\n"
    ".ikb-diagram .ikb-rule{stroke:var(--color-foreground-secondary,#5a5c63);stroke-width:1}\n"
    ".ikb-diagram .ikb-elsewhere .ikb-frame{stroke-dasharray:4 3}\n"
    ".ikb-diagram .ikb-name{font-size:13px;font-weight:bold;"
    "fill:var(--color-foreground-primary,#000)}\n"
    ".ikb-diagram .ikb-field{fill:var(--color-foreground-primary,#000)}\n"
    ".ikb-diagram .ikb-type{fill:var(--color-foreground-muted,#6b6f76)}\n"
    ".ikb-diagram .ikb-link{fill:none;stroke-width:1.3}\n"
    ".ikb-diagram .ikb-holds{stroke:var(--color-brand-primary,#0a4bff)}\n"
    ".ikb-diagram .ikb-refers{stroke:var(--color-foreground-muted,#6b6f76);"
    "stroke-dasharray:5 4}\n"
    ".ikb-diagram .ikb-inherits{stroke:var(--color-foreground-primary,#000)}\n"
    ".ikb-diagram .ikb-mark{stroke-width:1.3;stroke-linejoin:round;stroke-dasharray:none}\n"
    ".ikb-diagram .ikb-mark.ikb-holds{fill:var(--color-brand-primary,#0a4bff)}\n"
    ".ikb-diagram path.ikb-mark.ikb-refers{fill:none}\n"
    ".ikb-diagram circle.ikb-mark.ikb-refers{fill:var(--color-foreground-muted,#6b6f76);"
    "stroke:none}\n"
    ".ikb-diagram .ikb-mark.ikb-inherits{fill:var(--color-background-primary,#fff)}"
)
CORNER = 5.0  # the radius of a link's bend from its field's line into its lane


def _field_of(link: Link) -> str:
    if link.field is None:
        raise ValueError(f"a {link.kind} link needs the field it starts at: {link}")
    return link.field


def _starts_at(link: Link, name: str) -> bool:
    """Whether ``name`` is the end a link starts at: its holder, referrer or base class."""
    return name == (link.target if link.kind == "inherits" else link.source)


class _Drawing:
    """The laid-out diagram: boxes placed, links routed, ready to write as SVG."""

    def __init__(self, diagram: Diagram) -> None:
        names = [box.name for box in diagram.boxes]
        if len(set(names)) != len(names):
            raise ValueError("two boxes have the same name")
        self.nodes: dict[str, _Node] = {box.name: _measure(box) for box in diagram.boxes}
        self.boxes = {box.name: box for box in diagram.boxes}
        for link in diagram.links:
            for end in (link.source, link.target):
                if end not in self.nodes:
                    raise ValueError(f"the link {link} names {end!r}, which is not a box")
            if link.kind != "inherits" and _field_of(link) not in self.nodes[link.source].field_y:
                raise ValueError(f"the link {link} starts at a field {link.source} lacks")
        self.loops = [link for link in diagram.links if link.source == link.target]
        others = [link for link in diagram.links if link.source != link.target]
        wished = [_directed(link) for link in others]
        turned = _break_cycles(names, wished)
        self.edges: list[_Edge] = []
        for index, link in enumerate(others):
            upper, lower = wished[index]
            if index in turned:
                upper, lower = lower, upper
            self.edges.append(_Edge(link, upper, lower))
        layer = _layers(names, self.edges)
        _narrow(layer, {name: node.width for name, node in self.nodes.items()}, self.edges)
        for name, row in layer.items():
            self.nodes[name].layer = row
        rows: list[list[str]] = [[] for _ in range(max(layer.values(), default=0) + 1)]
        for name in names:
            rows[layer[name]].append(name)
        # Links that skip rows pass each row in between at a point of their own.
        self.pairs: list[tuple[str, str]] = []
        for number, edge in enumerate(self.edges):
            edge.chain = [edge.up]
            for row in range(layer[edge.up] + 1, layer[edge.down]):
                key = f"\0{number}:{row}"
                self.nodes[key] = _Node(key=key, box=None, layer=row)
                rows[row].append(key)
                edge.chain.append(key)
            edge.chain.append(edge.down)
            self.pairs += list(itertools.pairwise(edge.chain))
        self.rows = _order(rows, self.pairs)
        _place(self.rows, self.nodes, self.pairs)
        self._sides()
        _place(self.rows, self.nodes, self.pairs)  # again, with room for the lanes
        self._frame()
        self.lane_x = self._lane_positions()

    # -- the sides links leave their boxes from, and the room their lanes take

    def _sides(self) -> None:
        """Choose the side of its box each holds or refers link leaves from.

        A link leaves towards the next point it goes to; a link from a box to itself
        goes on the side where fewer lanes pass its field.
        """
        self.side: dict[int, int] = {}
        for number, edge in enumerate(self.edges):
            link = edge.link
            if link.kind == "inherits":
                continue
            chain = edge.chain if edge.up == link.source else edge.chain[::-1]
            here, there = self.nodes[chain[0]], self.nodes[chain[1]]
            self.side[number] = 1 if there.x >= here.x else -1
        for node in self.nodes.values():
            node.left_lanes = node.right_lanes = 0
        for number, side in self.side.items():
            node = self.nodes[self.edges[number].link.source]
            if side < 0:
                node.left_lanes += 1
            else:
                node.right_lanes += 1
        self.loop_side: dict[int, int] = {}
        for number, link in enumerate(self.loops):
            node = self.nodes[link.source]
            y = node.field_y[_field_of(link)]
            passing = {-1: 0, 1: 0}
            for other, side in self.side.items():
                edge = self.edges[other]
                if edge.link.source == link.source:
                    other_y = node.field_y[_field_of(edge.link)]
                    going_down = edge.up == link.source
                    passing[side] += other_y < y if going_down else other_y > y
            side = -1 if passing[-1] < passing[1] else 1
            self.loop_side[number] = side
            needed = math.ceil((LOOP - LANE) / LANE_STEP) + 1
            if side < 0:
                node.left_lanes = max(node.left_lanes, needed)
            else:
                node.right_lanes = max(node.right_lanes, needed)

    def _frame(self) -> None:
        left = min(n.x - n.reach_left() for n in self.nodes.values())
        right = max(n.x + n.reach_right() for n in self.nodes.values())
        for node in self.nodes.values():
            node.x += MARGIN - left
        self.width = math.ceil(right - left + 2 * MARGIN)
        self.top: list[float] = []
        self.bottom: list[float] = []
        y = MARGIN
        for row in self.rows:
            height = max((self.nodes[key].height for key in row), default=0.0)
            self.top.append(y)
            self.bottom.append(y + height)
            y += height + ROW_GAP
        self.height = math.ceil(y - ROW_GAP + MARGIN)

    def _lane_positions(self) -> dict[int, float]:
        """The x of the lane each link takes beside its box.

        Of the links going down one side, the one from the upper field takes the
        outer lane, so that the lanes do not cross the lines into them (and the
        other way round for links going up).
        """
        by_side: dict[tuple[str, int], list[int]] = {}
        for number, side in self.side.items():
            by_side.setdefault((self.edges[number].link.source, side), []).append(number)
        lanes: dict[int, float] = {}
        for (name, side), numbers in by_side.items():
            node = self.nodes[name]

            def order(number: int, node: _Node = node, name: str = name) -> float:
                y = node.field_y[_field_of(self.edges[number].link)]
                return y if self.edges[number].up == name else -y

            ranked = sorted(numbers, key=order)
            for rank, number in enumerate(ranked):
                offset = LANE + LANE_STEP * (len(ranked) - 1 - rank)
                lanes[number] = node.x + side * (node.width / 2 + offset)
        return lanes

    def _ports(self) -> dict[tuple[int, str], float]:
        """The x where each link meets the top (or bottom) of the box it ends at.

        The links meeting one side of a box share it out evenly, in the order they
        come from, so that they do not cross just before it.
        """
        arriving: dict[tuple[str, bool], list[tuple[float, int]]] = {}
        for number, edge in enumerate(self.edges):
            for key, at_top in ((edge.down, True), (edge.up, False)):
                # Where a link starts it leaves from its field's line or, for a base
                # class above, from the middle of its bottom; elsewhere it needs a port.
                if _starts_at(edge.link, key) and (edge.link.kind != "inherits" or not at_top):
                    continue
                neighbour = edge.chain[-2] if at_top else edge.chain[1]
                approach = self.nodes[neighbour].x
                if number in self.lane_x and neighbour == edge.link.source:
                    approach = self.lane_x[number]
                arriving.setdefault((key, at_top), []).append((approach, number))
        ports: dict[tuple[int, str], float] = {}
        for (key, _at_top), items in arriving.items():
            node = self.nodes[key]
            items.sort()
            inner = node.width - 2 * PAD_X
            for rank, (_, number) in enumerate(items):
                ports[number, key] = node.x - inner / 2 + inner * (rank + 1) / (len(items) + 1)
        return ports

    # -- the SVG

    def svg(self, label: str, ident: str) -> str:
        links, marks = self._links()
        parts = [
            f'<svg xmlns="http://www.w3.org/2000/svg" class="ikb-diagram" id="{_e(ident)}" '
            f'viewBox="0 0 {self.width} {self.height}" width="{self.width}" '
            f'height="{self.height}" role="img" aria-label="{_e(label)}">',
            f"<style>\n{_STYLE}\n</style>",
            '<g class="ikb-links">',
            *links,
            "</g>",
            '<g class="ikb-boxes">',
        ]
        for row in self.rows:
            for key in row:
                if key in self.boxes:
                    parts += self._box(self.nodes[key], self.boxes[key])
        parts += ["</g>", '<g class="ikb-marks">', *marks, "</g>", "</svg>"]
        return "\n".join(parts) + "\n"

    def _box(self, node: _Node, box: Box) -> list[str]:
        x = node.x - node.width / 2
        y = self.top[node.layer]
        cls = "ikb-box ikb-elsewhere" if box.elsewhere else "ikb-box"
        out = [
            f'<g class="{cls}" data-class="{_e(box.name)}">',
            f'<rect class="ikb-frame" x="{_n(x)}" y="{_n(y)}" width="{_n(node.width)}" '
            f'height="{_n(node.height)}" rx="3"/>',
        ]
        if box.fields:
            out += [
                f'<path class="ikb-head" d="M {_n(x + 0.6)} {_n(y + HEAD)} v {_n(-HEAD + 3.6)} '
                f'q 0 -3 3 -3 h {_n(node.width - 7.2)} q 3 0 3 3 v {_n(HEAD - 3.6)} z"/>',
                f'<line class="ikb-rule" x1="{_n(x)}" y1="{_n(y + HEAD)}" '
                f'x2="{_n(x + node.width)}" y2="{_n(y + HEAD)}"/>',
            ]
        out.append(
            f'<text class="ikb-name" x="{_n(node.x)}" y="{_n(y + HEAD / 2 + NAME_FONT * 0.36)}" '
            f'text-anchor="middle">{_e(box.name)}</text>'
        )
        line_y = y + HEAD + PAD_Y
        for item in box.fields:
            for name, kind in _lines(item):
                baseline = line_y + LINE / 2 + FONT * 0.36
                out.append(
                    f'<text class="ikb-field" data-field="{_e(item.name)}" x="{_n(x + PAD_X)}" '
                    f'y="{_n(baseline)}" xml:space="preserve">{_e(name)}'
                    f'<tspan class="ikb-type">{_e(kind)}</tspan></text>'
                )
                line_y += LINE
        out.append("</g>")
        return out

    def _links(self) -> tuple[list[str], list[str]]:
        ports = self._ports()
        paths: list[str] = []
        marks: list[str] = []
        triangles: set[str] = set()
        for number, edge in enumerate(self.edges):
            link = edge.link
            upper = self.nodes[edge.up]
            row_bottom = self.bottom[upper.layer]
            # The upper end: a field's line, a base class's triangle, or the bottom of
            # the box a link turned round to break a cycle arrives at.
            if link.kind != "inherits" and edge.up == link.source:
                x0, y0 = self._field_point(number, upper)
                x = self.lane_x[number]
                d = [
                    f"M {_n(x0)} {_n(y0)}",
                    self._bend(x0, y0, x, row_bottom),
                    f"V {_n(row_bottom)}",
                ]
                marks += self._start_mark(link, x0, y0, self.side[number])
            else:
                x = upper.x if _starts_at(link, edge.up) else ports[number, edge.up]
                y0 = self.top[upper.layer] + upper.height
                if _starts_at(link, edge.up) and edge.up not in triangles:
                    triangles.add(edge.up)
                    marks.append(self._triangle(x, y0, pointing_up=True))
                elif not _starts_at(link, edge.up):
                    marks += self._end_mark(link, x, y0, pointing_up=True)
                y0 += TRIANGLE if link.kind == "inherits" and _starts_at(link, edge.up) else 0
                d = [f"M {_n(x)} {_n(y0)} V {_n(row_bottom)}"]
            y = row_bottom
            # The rows it passes.
            for key in edge.chain[1:-1]:
                node = self.nodes[key]
                d.append(_curve(x, y, node.x, self.top[node.layer]))
                x, y = node.x, self.bottom[node.layer]
                d.append(f"V {_n(y)}")
            # The lower end: a field's line, or the top of the box it arrives at.
            lower = self.nodes[edge.down]
            top = self.top[lower.layer]
            if link.kind != "inherits" and edge.down == link.source:
                x1, y1 = self._field_point(number, lower)
                lane = self.lane_x[number]
                d += [_curve(x, y, lane, top), self._bend(lane, top, x1, y1, vertical_first=True)]
                marks += self._start_mark(link, x1, y1, self.side[number])
            else:
                port = ports[number, edge.down]
                triangle = link.kind == "inherits" and _starts_at(link, edge.down)
                d.append(_curve(x, y, port, top - TRIANGLE if triangle else top))
                if triangle:
                    marks.append(self._triangle(port, top, pointing_up=False))
                else:
                    marks += self._end_mark(link, port, top, pointing_up=False)
            paths.append(self._path(link, " ".join(d)))
        for number, link in enumerate(self.loops):
            paths.append(self._loop(number, link, marks))
        return paths, marks

    @staticmethod
    def _bend(x0: float, y0: float, x1: float, y1: float, *, vertical_first: bool = False) -> str:
        """From (x0, y0), across then up or down to (x1, y1), with a rounded corner.

        With ``vertical_first``, up or down first, then across.
        """
        if vertical_first:
            sy = 1 if y1 > y0 else -1
            sx = 1 if x1 > x0 else -1
            r = min(CORNER, abs(x1 - x0), abs(y1 - y0))
            return f"V {_n(y1 - sy * r)} Q {_n(x0)} {_n(y1)} {_n(x0 + sx * r)} {_n(y1)} H {_n(x1)}"
        sx = 1 if x1 > x0 else -1
        sy = 1 if y1 > y0 else -1
        r = min(CORNER, abs(x1 - x0), abs(y1 - y0))
        return f"H {_n(x1 - sx * r)} Q {_n(x1)} {_n(y0)} {_n(x1)} {_n(y0 + sy * r)}"

    def _path(self, link: Link, d: str) -> str:
        attributes = f'data-kind="{link.kind}" data-from="{_e(link.source)}" '
        attributes += f'data-to="{_e(link.target)}"'
        if link.field is not None:
            attributes += f' data-field="{_e(link.field)}"'
        return f'<path class="ikb-link ikb-{link.kind}" {attributes} d="{d}"/>'

    def _field_point(self, number: int, node: _Node) -> tuple[float, float]:
        """Where a holds or refers link leaves its box: the frame, at its field's line."""
        y = self.top[node.layer] + node.field_y[_field_of(self.edges[number].link)]
        return node.x + self.side[number] * node.width / 2, y

    def _loop(self, number: int, link: Link, marks: list[str]) -> str:
        """A link from a box to itself: out from its field's line and back into it."""
        node = self.nodes[link.source]
        side = self.loop_side[number]
        y = self.top[node.layer] + node.field_y[_field_of(link)]
        x0 = node.x + side * node.width / 2
        reach = x0 + side * LOOP
        y0, y1 = y - 4, y + 4
        marks += self._start_mark(link, x0, y0, side)
        marks.append(self._arrow(x0, y1, direction=(-side, 0), kind=link.kind))
        d = (
            f"M {_n(x0)} {_n(y0)} C {_n(reach)} {_n(y0 - 9)} "
            f"{_n(reach)} {_n(y1 + 9)} {_n(x0)} {_n(y1)}"
        )
        return self._path(link, d)

    # -- the marks at the ends

    @staticmethod
    def _start_mark(link: Link, x: float, y: float, side: int) -> list[str]:
        if link.kind == "holds":
            tip = x + side * DIAMOND
            return [
                f'<path class="ikb-mark ikb-holds" d="M {_n(x)} {_n(y)} '
                f"L {_n((x + tip) / 2)} {_n(y - 4.5)} L {_n(tip)} {_n(y)} "
                f'L {_n((x + tip) / 2)} {_n(y + 4.5)} Z"/>'
            ]
        return [f'<circle class="ikb-mark ikb-refers" cx="{_n(x)}" cy="{_n(y)}" r="2.6"/>']

    def _end_mark(self, link: Link, x: float, y: float, *, pointing_up: bool) -> list[str]:
        if link.kind == "refers":
            return [self._arrow(x, y, direction=(0, -1 if pointing_up else 1), kind="refers")]
        return []

    @staticmethod
    def _arrow(x: float, y: float, direction: tuple[int, int], kind: str) -> str:
        """An open arrowhead, its tip at (x, y), pointing along ``direction``."""
        dx, dy = direction
        bx, by = x - dx * ARROW, y - dy * ARROW
        px, py = -dy * ARROW * 0.55, dx * ARROW * 0.55
        return (
            f'<path class="ikb-mark ikb-{kind}" d="M {_n(bx + px)} {_n(by + py)} '
            f'L {_n(x)} {_n(y)} L {_n(bx - px)} {_n(by - py)}"/>'
        )

    @staticmethod
    def _triangle(x: float, y: float, *, pointing_up: bool) -> str:
        """An inherits link's hollow triangle, its tip at (x, y) on the base class's frame."""
        base = y + TRIANGLE if pointing_up else y - TRIANGLE
        return (
            f'<path class="ikb-mark ikb-inherits" d="M {_n(x)} {_n(y)} '
            f'L {_n(x - 7)} {_n(base)} L {_n(x + 7)} {_n(base)} Z"/>'
        )


def render_svg(diagram: Diagram, *, label: str, ident: str) -> str:
    """The diagram as one ``<svg>`` element, laid out, with its own style.

    ``label`` is read by screen readers (``aria-label``); ``ident`` is the element's
    id, unique on the page.
    """
    return _Drawing(diagram).svg(label, ident)
