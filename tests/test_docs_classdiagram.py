"""The class diagrams of the docs (docs/_ext/classdiagram.py) are drawn sensibly.

The SVG is parsed back and its geometry checked, for the two diagrams of the data
model and for random diagrams (cycles, links from a box to itself, long types,
boxes without fields): every box and every link is drawn, once; boxes do not
overlap and lie inside the drawing; each link runs between the boxes it joins, a
holds or refers link from the line of its field.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

DOCS = Path(__file__).resolve().parents[1] / "docs"
if not (DOCS / "_ext" / "classdiagram.py").is_file():  # an unpacked wheel's tests
    pytest.skip("docs/_ext/classdiagram.py is not available", allow_module_level=True)
sys.path.insert(0, str(DOCS / "_ext"))

import classdiagram as cd  # noqa: E402

_SVG = "{http://www.w3.org/2000/svg}"
_NUMBER = r"-?\d+(?:\.\d+)?"


def _points(d: str) -> tuple[tuple[float, float], tuple[float, float]]:
    """The first and the last point of a path made of absolute M, L, H, V, C and Q."""
    tokens = re.findall(rf"[MLHVCQZ]|{_NUMBER}", d)
    x = y = 0.0
    first: tuple[float, float] | None = None
    command = ""
    numbers: list[float] = []

    def flush() -> None:
        nonlocal x, y, first
        if command == "H":
            x = numbers[-1]
        elif command == "V":
            y = numbers[-1]
        elif command in "MLCQ" and numbers:
            x, y = numbers[-2], numbers[-1]
        if first is None and command == "M":
            first = (x, y)

    for token in tokens:
        if token.isalpha():
            if command:
                flush()
            command, numbers = token, []
        else:
            numbers.append(float(token))
    flush()
    assert first is not None
    return first, (x, y)


def _distance_to_frame(point: tuple[float, float], rect: tuple[float, ...]) -> float:
    """How far a point is from a rectangle's outline (x, y, width, height)."""
    px, py = point
    x, y, w, h = rect
    dx = max(x - px, 0.0, px - (x + w))
    dy = max(y - py, 0.0, py - (y + h))
    outside = (dx * dx + dy * dy) ** 0.5
    if outside:
        return outside
    return min(px - x, x + w - px, py - y, y + h - py)


def _parse(svg: str) -> dict[str, Any]:
    root = ElementTree.fromstring(svg)  # noqa: S314 - our own output
    assert root.tag == f"{_SVG}svg"
    view = [float(v) for v in (root.get("viewBox") or "").split()]
    boxes: dict[str, dict[str, Any]] = {}
    for group in root.iter(f"{_SVG}g"):
        classes = (group.get("class") or "").split()
        if "ikb-box" not in classes:
            continue
        name = group.get("data-class")
        assert name is not None
        assert name not in boxes, f"{name} is drawn twice"
        frame = group.find(f"{_SVG}rect")
        assert frame is not None
        fields: dict[str, float] = {}
        for text in group.iter(f"{_SVG}text"):
            field = text.get("data-field")
            if field is not None:
                fields.setdefault(field, float(text.get("y") or 0))
        titles = [t.text for t in group.iter(f"{_SVG}text") if t.get("class") == "ikb-name"]
        boxes[name] = {
            "rect": tuple(float(frame.get(k) or 0) for k in ("x", "y", "width", "height")),
            "fields": fields,
            "elsewhere": "ikb-elsewhere" in classes,
            "titles": titles,
        }
    links = []
    for path in root.iter(f"{_SVG}path"):
        kind = path.get("data-kind")
        if kind is None:
            continue
        start, end = _points(path.get("d") or "")
        links.append(
            {
                "key": (kind, path.get("data-from"), path.get("data-to"), path.get("data-field")),
                "start": start,
                "end": end,
            }
        )
    return {"view": view, "boxes": boxes, "links": links}


def check_drawing(diagram: cd.Diagram, svg: str) -> dict[str, Any]:
    """Assert that ``svg`` draws ``diagram`` sensibly; return what was parsed."""
    drawn = _parse(svg)
    boxes = drawn["boxes"]
    assert set(boxes) == {box.name for box in diagram.boxes}
    for box in diagram.boxes:
        assert boxes[box.name]["titles"] == [box.name]
        assert list(boxes[box.name]["fields"]) == [f.name for f in box.fields]
        assert boxes[box.name]["elsewhere"] == box.elsewhere
    # Inside the drawing, and apart.
    _, _, width, height = drawn["view"]
    rects = {name: box["rect"] for name, box in boxes.items()}
    for name, (x, y, w, h) in rects.items():
        assert x >= 0, name
        assert y >= 0, name
        assert x + w <= width, name
        assert y + h <= height, name
    names = sorted(rects)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            ax, ay, aw, ah = rects[a]
            bx, by, bw, bh = rects[b]
            apart = ax + aw <= bx or bx + bw <= ax or ay + ah <= by or by + bh <= ay
            assert apart, (a, b)
    # Every link once, between its own boxes.
    wanted = Counter((k.kind, k.source, k.target, k.field) for k in diagram.links)
    assert Counter(link["key"] for link in drawn["links"]) == wanted
    slack = cd.TRIANGLE + 1  # an inherits link starts below its triangle
    for link in drawn["links"]:
        kind, source, target, field = link["key"]
        ends = [link["start"], link["end"]]
        near = [
            {name for name, rect in rects.items() if _distance_to_frame(p, rect) <= slack}
            for p in ends
        ]
        assert source in near[0] | near[1], link
        assert target in near[0] | near[1], link
        if source != target:
            assert (source in near[0] and target in near[1]) or (
                source in near[1] and target in near[0]
            ), link
        if kind != "inherits":
            # It leaves its box from a side of the frame, at its field's line.
            x, y, w, _ = rects[source]
            baseline = boxes[source]["fields"][field]
            at_field = [
                p
                for p in ends
                if min(abs(p[0] - x), abs(p[0] - x - w)) < 0.5
                and -cd.LINE / 2 <= p[1] - baseline <= cd.LINE / 4
            ]
            assert at_field, link
    return drawn


# --------------------------------------------------------------------------- random diagrams

_NAMES = st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", min_size=1, max_size=14)
_TYPES = st.lists(
    st.text("abcdefghijklmnopqrstuvwxyz[], .'", min_size=1, max_size=24), min_size=1, max_size=5
).map(" | ".join)


@st.composite
def diagrams(draw: st.DrawFn) -> cd.Diagram:
    names = draw(st.lists(_NAMES, min_size=1, max_size=8, unique=True))
    boxes = []
    for name in names:
        field_names = draw(st.lists(_NAMES, max_size=7, unique=True))
        fields = tuple(cd.Field(f, draw(_TYPES)) for f in field_names)
        boxes.append(cd.Box(name, fields, elsewhere=not fields and draw(st.booleans())))
    links = []
    for box in boxes:
        for field in box.fields:
            for _ in range(draw(st.integers(0, 2))):
                kind = draw(st.sampled_from(["holds", "refers"]))
                links.append(cd.Link(kind, box.name, draw(st.sampled_from(names)), field.name))
        if draw(st.integers(0, 3)) == 0:
            base = draw(st.sampled_from(names))
            if base != box.name:
                links.append(cd.Link("inherits", box.name, base))
    return cd.Diagram(tuple(boxes), tuple(links))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(diagrams())
def test_any_diagram_is_drawn_sensibly(diagram: cd.Diagram) -> None:
    check_drawing(diagram, cd.render_svg(diagram, label="a diagram", ident="d"))


def test_text_is_escaped_and_long_types_wrap() -> None:
    long_type = " | ".join(["Alpha", "Beta", "Gamma", "Delta", "Epsilon", "Zeta", "Eta"] * 2)
    diagram = cd.Diagram(
        (
            cd.Box("A<&>", (cd.Field("x", "Literal['a&b'] | <T>"), cd.Field("y", long_type))),
            cd.Box("B"),
        ),
        (cd.Link("holds", "A<&>", "B", "y"),),
    )
    svg = cd.render_svg(diagram, label='say "hi" & <bye>', ident="e")
    drawn = check_drawing(diagram, svg)
    root = ElementTree.fromstring(svg)  # noqa: S314 - our own output
    assert root.get("aria-label") == 'say "hi" & <bye>'
    lines = ["".join(t.itertext()) for t in root.iter(f"{_SVG}text") if t.get("data-field")]
    assert lines[0] == "x: Literal['a&b'] | <T>"
    wrapped = lines[1:]
    assert len(wrapped) > 1  # the long type takes several lines
    assert all(len(line) <= cd.WRAP for line in wrapped)
    assert " ".join(line.strip() for line in wrapped) == f"y: {long_type}"
    assert drawn["boxes"]["A<&>"]["rect"][2] < cd.WRAP * cd.FONT


def test_a_link_to_a_missing_box_or_field_is_refused() -> None:
    box = cd.Box("A", (cd.Field("x", "int"),))
    with pytest.raises(ValueError, match="not a box"):
        cd.render_svg(cd.Diagram((box,), (cd.Link("holds", "A", "B", "x"),)), label="", ident="")
    with pytest.raises(ValueError, match="lacks"):
        cd.render_svg(cd.Diagram((box,), (cd.Link("holds", "A", "A", "y"),)), label="", ident="")
    with pytest.raises(ValueError, match="same name"):
        cd.render_svg(cd.Diagram((box, box), ()), label="", ident="")
