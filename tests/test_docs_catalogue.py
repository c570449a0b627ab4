"""The catalogue generated for the docs (docs/_ext/catalogue.py) shows every entry and quote.

The generator is imported from its file and run without Sphinx, into memory or a
temporary folder, over the whole bundled knowledge base. The checks compare the
pages with the knowledge base's own answers (``kb.references``,
``kb.side_effects_of``, ``kb.therapies_for``...), not with the generator's.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import posixpath
import re
import sys
import types
import typing
from pathlib import Path
from xml.etree import ElementTree

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import immunokb

DOCS = Path(__file__).resolve().parents[1] / "docs"
EXTENSION = DOCS / "_ext" / "catalogue.py"
if not EXTENSION.is_file():  # the docs are not next to the tests (an unpacked wheel)
    pytest.skip("docs/_ext/catalogue.py is not available", allow_module_level=True)

# A day on which some bundled sources are current and others overdue.
BUILD_DAY = dt.date(2026, 1, 15)
KB = immunokb.load()
ENTITY_IDS = [entity.id for entity in KB.entities]
SOURCE_IDS = [source.id for source in KB.sources]


def _import_extension() -> types.ModuleType:
    # The extension draws its diagrams with docs/_ext/classdiagram.py, beside it.
    if str(EXTENSION.parent) not in sys.path:
        sys.path.insert(0, str(EXTENSION.parent))
    spec = importlib.util.spec_from_file_location("immunokb_docs_catalogue", EXTENSION)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


catalogue = _import_extension()
PAGES: dict[str, str] = catalogue.render_pages(KB, today=BUILD_DAY)
_LINK = re.compile(r"(?<!\\)\]\(([^)\s]+)\)")
_TOCTREE = re.compile(r"^```\{toctree\}\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def _page(item: immunokb.Entity | immunokb.Source) -> str:
    return PAGES[catalogue.page_of(item)]


def _resolve(page: str, target: str) -> str:
    """A link target as a path relative to docs/ (``catalogue/...`` when generated)."""
    return posixpath.normpath(posixpath.join(catalogue.FOLDER, posixpath.dirname(page), target))


def _linked(page: str, item: immunokb.Entity | immunokb.Source) -> bool:
    """Whether ``page`` links to the page of ``item``."""
    wanted = f"{catalogue.FOLDER}/{catalogue.page_of(item)}"
    return any(_resolve(page, t) == wanted for t in _LINK.findall(PAGES[page]))


def _row(content: str, label: str) -> str:
    """The value of one row of a page's definition list (``label`` then ``: value``)."""
    match = re.search(rf"^{re.escape(label)}\n: (.*)$", content, flags=re.MULTILINE)
    assert match is not None, label
    return match.group(1)


# --------------------------------------------------------------------------- pages


def test_one_page_per_entity_and_source() -> None:
    def stems(folder: str) -> set[str]:
        return {
            path.removeprefix(f"{folder}/").removesuffix(".md")
            for path in PAGES
            if path.startswith(f"{folder}/")
        }

    vaccines = {v.id for v in KB.vaccines}
    assert stems("therapies") == {t.id for t in KB.therapies} - vaccines
    assert stems("vaccines") == vaccines
    assert stems("side-effects") == {e.id for e in KB.side_effects}
    assert stems("cancer-types") == {c.id for c in KB.cancer_types}
    assert stems("sources") == set(SOURCE_IDS)
    per_item = [p for p in PAGES if "/" in p]
    assert len(per_item) == len(KB.entities) + len(KB.sources)


@pytest.mark.parametrize("entity_id", ENTITY_IDS)
def test_entity_page_shows_every_piece_of_evidence(entity_id: str) -> None:
    entity = KB.get(entity_id)
    page = catalogue.page_of(entity)
    content = PAGES[page]
    assert content.splitlines()[2] == f"# {catalogue.escape(entity.name)}"
    references = KB.references(entity)
    assert references
    lines = content.splitlines()
    for reference in references:
        if reference.curated is not None:
            rationale = catalogue.escape(reference.curated)
            shown = [line for line in lines if rationale in line]
            assert shown, reference.supports
            # A curated fact is labelled, and never inside quotation marks.
            assert all(catalogue.CURATED_LABEL in line and "“" not in line for line in shown)
            continue
        assert reference.quote is not None
        quote = catalogue.escape(reference.quote)
        if reference.lead_in is not None:
            quote = f"{catalogue.escape(reference.lead_in)} … {quote}"
        shown = [line for line in lines if f"“{quote}”" in line]
        assert shown, reference.supports
        assert any(
            f"characters {reference.start}\N{EN DASH}{reference.end}" in line for line in shown
        )
        source = KB.source(reference.source_id or "")
        assert any(f"[{catalogue.escape(source.title)}](" in line for line in shown)
    assert _linked(page, KB.source(references[0].source_id or "")) or references[0].curated


@pytest.mark.parametrize("entity_id", ENTITY_IDS)
def test_entity_page_links_related_entries(entity_id: str) -> None:
    entity = KB.get(entity_id)
    page = catalogue.page_of(entity)
    related: list[immunokb.Entity] = [KB.get(b) for b in entity.broader]
    related += KB.narrower(entity.id)
    if isinstance(entity, immunokb.Therapy):
        for link in KB.side_effects_of(entity.id):
            related.append(link.side_effect)
            related += [KB.get(step) for step in link.path]
        related += [KB.get(c) for c in entity.cancer_type_ids]
    if isinstance(entity, immunokb.SideEffect):
        for link in KB.therapies_with_side_effect(entity.id):
            related += [KB.get(link.therapy_id), link.side_effect]
    if isinstance(entity, immunokb.CancerType):
        related += KB.therapies_for(entity.id)
    for other in related:
        if other.id != entity.id:
            assert _linked(page, other), other.id


def test_every_link_target_exists() -> None:
    checked = 0
    for page, content in PAGES.items():
        if not page.endswith(".md"):
            continue
        for target in _LINK.findall(content):
            if target.startswith("<http"):
                continue
            resolved = _resolve(page, target)
            prefix = f"{catalogue.FOLDER}/"
            if resolved.startswith(prefix):
                assert resolved.removeprefix(prefix) in PAGES, (page, target)
            else:
                assert (DOCS / resolved).is_file(), (page, target)
            checked += 1
    assert checked > len(KB.entities) * 3


def test_every_page_is_in_exactly_one_toctree() -> None:
    entries: list[str] = []
    for page, content in PAGES.items():
        for block in _TOCTREE.findall(content):
            entries += [
                _resolve(page, line + ".md").removeprefix("catalogue/")
                for line in block.splitlines()
                if line and not line.startswith(":")
            ]
    generated = sorted(p for p in PAGES if p.endswith(".md") and p != "index.md")
    assert sorted(entries) == generated
    assert "catalogue/index" in (DOCS / "index.md").read_text(encoding="utf-8")


def test_broader_and_narrower_links_are_symmetric() -> None:
    def targets(page: str, label: str) -> set[str]:
        return {
            _resolve(page, t).removeprefix("catalogue/")
            for t in _LINK.findall(_row(PAGES[page], label))
        }

    broader: set[tuple[str, str]] = set()
    narrower: set[tuple[str, str]] = set()
    for entity in KB.entities:
        page = catalogue.page_of(entity)
        up = targets(page, "Broader")
        assert up == {catalogue.page_of(KB.get(b)) for b in entity.broader}
        broader |= {(page, other) for other in up}
        narrower |= {(other, page) for other in targets(page, "Narrower")}
    assert broader
    assert broader == narrower


def test_every_page_carries_the_safety_note() -> None:
    for page, content in PAGES.items():
        if page.endswith(".md"):
            assert f"*{catalogue.SAFETY_NOTE}*" in content, page


@pytest.mark.parametrize("source_id", SOURCE_IDS)
def test_source_page(source_id: str) -> None:
    source = KB.source(source_id)
    page = catalogue.page_of(source)
    content = PAGES[page]
    stale = _row(content, f"Stale as of {BUILD_DAY.isoformat()} (the build date)")
    assert stale == ("yes" if source.is_stale(on=BUILD_DAY) else "no")
    address = _row(content, "Address")
    if source.url is None:
        assert address == "not stated"
        assert "](<http" not in content
    else:
        assert address.endswith(f"](<{source.url}>)")
    assert _row(content, "Licence") == f"`{source.license.value}`"
    citing = [e for e in KB.entities if any(r.source_id == source.id for r in KB.references(e))]
    assert citing
    for entity in citing:
        assert _linked(page, entity), entity.id


def test_staleness_follows_the_build_day() -> None:
    # The pages are judged on the day they are built: all stale far in the future.
    later = catalogue.render_pages(KB, today=dt.date(2100, 1, 1))
    for source in KB.sources:
        assert (
            _row(later[catalogue.page_of(source)], "Stale as of 2100-01-01 (the build date)")
            == "yes"
        )
    days = {s.is_stale(on=BUILD_DAY) for s in KB.sources}
    assert days == {True, False}  # BUILD_DAY tells them apart, so the other test bites


def test_conflicts_are_shown_on_their_pages() -> None:
    conflicts = KB.conflicts()
    assert conflicts
    adopted = {c.entity_id: c.adopted.value for c in conflicts if c.subject is None}
    listed = {c.entity_id for c in conflicts}
    for therapy in KB.therapies:
        section = _page(therapy).split("## Open disagreements", 1)[1]
        assert ("; the sides, most trusted first" in section) == (therapy.id in listed)
        if therapy.id in adopted:
            assert f"status is `{adopted[therapy.id]}`" in section, therapy.id
    for conflict in conflicts:
        for page in ("conflicts.md", catalogue.page_of(KB.get(conflict.entity_id))):
            for claim in conflict.claims:
                for citation in claim.citations:
                    assert catalogue.escape(citation.quote) in PAGES[page]
                if claim.disputes:
                    assert catalogue.escape(claim.value) in PAGES[page]


def test_index_states_the_version_counts_and_fingerprint() -> None:
    index = PAGES["index.md"]
    assert _row(index, "Fingerprint") == f"`{KB.fingerprint}`"
    assert _row(index, "Content version") == f"`{KB.content_version}`"
    assert f"| [Vaccines](vaccines.md) | {len(KB.vaccines)} |" in index
    assert f"| [Sources](sources.md) | {len(KB.sources)} |" in index
    for entity in KB.entities:
        assert _linked("index.md", entity)


# A corpus whose quotes are full of Markdown and MyST syntax, with a curated status
# claim beside a quoted one (the bundled documents have no curated claim).
_MARKUP_SOURCE = """---
title: "Notes *on* [zz] therapy | <b>"
sourceType: 03_test
---
# Notes

ZZ-1 *is* `approved` for {role}`x` <b>use</b> | $5 & 100% [ok](x).
"""
_MARKUP_THERAPY = """---
kind: therapy
scope: product
id: zz-1
name:
  value: ZZ-1
  cite:
    - source: notes
      quote: "ZZ-1 *is* `approved` for {role}`x` <b>use</b> | $5 & 100% [ok](x)."
status:
  - value: approved
    cite:
      - source: notes
        quote: "ZZ-1 *is* `approved` for {role}`x` <b>use</b> | $5 & 100% [ok](x)."
  - value: in_use
    curated: "A curator's _note_ with *markup* and a | pipe."
cite:
  - source: notes
    quote: "ZZ-1 *is* `approved` for {role}`x` <b>use</b> | $5 & 100% [ok](x)."
---
A **summary** with <i>markup</i>.
"""


def _markup_pages(folder: Path) -> tuple[immunokb.KnowledgeBase, dict[str, str]]:
    (folder / "notes.md").write_text(_MARKUP_SOURCE, encoding="utf-8")
    (folder / "zz-1.md").write_text(_MARKUP_THERAPY, encoding="utf-8")
    kb = immunokb.load(paths=[folder], bundled=False)
    return kb, catalogue.render_pages(kb, today=BUILD_DAY)


def test_curated_claim_is_attributed_to_a_curator(tmp_path: Path) -> None:
    kb, pages = _markup_pages(tmp_path)
    therapy = kb.get("ZZ-1")
    assert isinstance(therapy, immunokb.Therapy)
    assert [claim.is_curated for claim in therapy.status_claims] == [False, True]
    content = pages["therapies/zz-1.md"]
    lines = content.splitlines()
    curated = [n for n, line in enumerate(lines) if "claimed by a curator" in line]
    assert len(curated) == 1
    assert lines[curated[0]].startswith("- `in_use`")
    assert lines[curated[0] + 1].startswith(f"  - *{catalogue.CURATED_LABEL}*")
    source = pages["sources/notes.md"]
    assert _row(source, "Address") == "not stated"
    assert "(<http" not in source


def test_markup_in_quotes_renders_as_text(tmp_path: Path, myst: object) -> None:
    kb, pages = _markup_pages(tmp_path)
    therapy = kb.get("ZZ-1")
    content = pages["therapies/zz-1.md"]
    tokens = myst.parse(content)  # type: ignore[attr-defined]
    markup = [
        child.type
        for token in tokens
        if token.type == "inline"
        for child in token.children or []
        if child.type not in {"text", "softbreak", "link_open", "link_close", "code_inline"}
        and not child.type.startswith("em_")
    ]
    assert markup == []  # no HTML, role, image or other markup came out of the text
    quote = therapy.citations[0].quote
    text = " ".join(
        child.content
        for token in tokens
        if token.type == "inline"
        for child in token.children or []
        if child.type == "text"
    )
    assert f"“{quote}”" in text
    assert "A curator's _note_ with *markup* and a | pipe." in text
    assert "A **summary** with <i>markup</i>." in text


# --------------------------------------------------------------------------- writing


def test_write_pages_rewrites_only_what_changed(tmp_path: Path) -> None:
    folder = tmp_path / "catalogue"
    written, removed = catalogue.write_pages(PAGES, folder)
    assert sorted(written) == sorted(PAGES)
    assert removed == []
    assert (folder / "index.md").read_text(encoding="utf-8") == PAGES["index.md"]
    (folder / "keep.txt").write_text("not generated", encoding="utf-8")
    stamp = (folder / "index.md").stat().st_mtime_ns

    assert catalogue.write_pages(PAGES, folder) == ([], [])
    assert (folder / "index.md").stat().st_mtime_ns == stamp

    changed = dict(PAGES)
    changed["conflicts.md"] += "\nchanged\n"
    gone = catalogue.page_of(KB.sources[0])
    del changed[gone]
    assert catalogue.write_pages(changed, folder) == (["conflicts.md"], [gone])
    assert not (folder / gone).exists()
    assert (folder / "keep.txt").exists()
    assert (folder / "index.md").stat().st_mtime_ns == stamp


def test_write_pages_removes_folders_left_empty(tmp_path: Path) -> None:
    catalogue.write_pages({"a/b.md": "x\n", "c.md": "y\n"}, tmp_path)
    assert catalogue.write_pages({"c.md": "y\n"}, tmp_path) == ([], ["a/b.md"])
    assert not (tmp_path / "a").exists()


# --------------------------------------------------------------------------- diagrams

_SVG = "{http://www.w3.org/2000/svg}"


def _public_models() -> dict[str, type]:
    from pydantic import BaseModel

    return {
        name: getattr(immunokb, name)
        for name in immunokb.__all__
        if isinstance(getattr(immunokb, name), type)
        and issubclass(getattr(immunokb, name), BaseModel)
    }


def _drawn(svg: str) -> tuple[dict[str, list[str]], set[str], list[dict[str, str]]]:
    """A diagram's boxes drawn in full (name: fields), its other boxes, and its links."""
    root = ElementTree.fromstring(svg)  # noqa: S314 - generated by the catalogue
    full: dict[str, list[str]] = {}
    elsewhere: set[str] = set()
    for group in root.iter(f"{_SVG}g"):
        classes = (group.get("class") or "").split()
        if "ikb-box" not in classes:
            continue
        name = str(group.get("data-class"))
        if "ikb-elsewhere" in classes:
            elsewhere.add(name)
            continue
        fields = [
            str(t.get("data-field")) for t in group.iter(f"{_SVG}text") if t.get("data-field")
        ]
        full[name] = list(dict.fromkeys(fields))
    links = [
        {key: str(path.get(f"data-{key}")) for key in ("kind", "from", "to", "field")}
        for path in root.iter(f"{_SVG}path")
        if path.get("data-kind")
    ]
    return full, elsewhere, links


DIAGRAMS = [PAGES["stored-model.svg"], PAGES["query-results.svg"]]


def test_diagrams_show_every_public_model_and_only_real_fields() -> None:
    public = _public_models()
    drawn: dict[str, list[str]] = {}
    for svg in DIAGRAMS:
        full, elsewhere, links = _drawn(svg)
        assert not set(full) & set(drawn)  # each model in full on one diagram only
        drawn |= full
        assert elsewhere <= set(public)
        for link in links:
            assert link["from"] in full, link
            assert link["to"] in public, link
    assert set(drawn) == set(public)
    for svg in DIAGRAMS:  # a box drawn without its fields is drawn in full on the other
        assert _drawn(svg)[1] <= set(drawn)
    for name, fields in drawn.items():
        model = public[name]
        assert set(fields) <= set(model.model_fields), name
        # A box leaves out only what a drawn base class already shows.
        inherited: set[str] = set()
        for base in model.__mro__[1:]:
            if base.__name__ in drawn:
                inherited |= set(drawn[base.__name__])
        assert set(model.model_fields) <= set(fields) | inherited, name


def _models_in(annotation: object, public: dict[str, type]) -> set[type]:
    found: set[type] = set()
    stack = [annotation]
    while stack:
        current = stack.pop()
        if isinstance(current, type) and current in public.values():
            found.add(current)
        stack.extend(typing.get_args(current))
    return found


def test_diagrams_link_every_field_that_holds_records_or_their_ids() -> None:
    public = _public_models()
    checked = 0
    for svg in DIAGRAMS:
        full, _, links = _drawn(svg)
        for name, fields in full.items():
            model = public[name]
            for field in fields:
                annotation = model.model_fields[field].annotation
                held = _models_in(annotation, public)
                out = [link for link in links if (link["from"], link["field"]) == (name, field)]
                holds = {public[link["to"]] for link in out if link["kind"] == "holds"}
                refers = [link for link in out if link["kind"] == "refers"]
                # A field holding records is linked to them (or to their common base).
                assert bool(holds) == bool(held), (name, field)
                for target in holds:
                    assert all(issubclass(h, target) for h in held), (name, field)
                # A field holding an id is linked to the kind of record it names.
                if field.endswith("_id"):
                    assert refers, (name, field)
                if refers:
                    assert not held, (name, field)
                    assert "str" in str(annotation), (name, field)
                checked += bool(out)
        # Each drawn base class is linked to from its subclasses.
        for name in full:
            for base in public[name].__mro__[1:2]:
                if base.__name__ in full:
                    assert {
                        "kind": "inherits",
                        "from": name,
                        "to": base.__name__,
                        "field": "None",
                    } in links
    assert checked >= 20


def test_data_model_page_includes_the_generated_diagrams() -> None:
    page = (DOCS / "data-model.md").read_text(encoding="utf-8")
    included = re.findall(
        r"^```\{raw\} html\n:file: catalogue/(\S+)\n```$", page, flags=re.MULTILINE
    )
    assert sorted(included) == sorted(catalogue.DIAGRAMS)
    assert sorted(p for p in PAGES if p.endswith(".svg")) == sorted(catalogue.DIAGRAMS)
    # And links to each one on its own (the build copies them into the site).
    linked = re.findall(r'<a href="catalogue/(\S+\.svg)">', page)
    assert sorted(linked) == sorted(catalogue.DIAGRAMS)


# --------------------------------------------------------------------------- escaping

# Text made of pieces of Markdown and MyST syntax (so that a missed escape shows), of
# markup characters among a few letters and spaces, or of any characters at all (no
# surrogates or control characters: quotes have none).
_MARKUP = "\n\t \\*_`[]()|$<>{}&#!%:;-+=~^\"'.1ab"
_SYNTAX = [
    "*a*",
    "_a_",
    "**a**",
    "`a`",
    "``",
    "[a](b)",
    "[a]",
    "<a>",
    "</b>",
    "<http://a.b>",
    "&amp;",
    "&#35;",
    "{a}`b`",
    "{{a}}",
    "$a$",
    "$$",
    "(a)=",
    "% a",
    ":::",
    "```",
    "+++",
    "# ",
    "## ",
    "> ",
    "- ",
    "* ",
    "1. ",
    "2) ",
    ": ",
    "---",
    "===",
    "|",
    "\\",
    "\n",
    "~~a~~",
    "[^1]",
    "![a](b)",
    "a",
    " ",
]
_TEXT = st.one_of(
    st.lists(st.sampled_from(_SYNTAX), max_size=12).map("".join),
    st.text(alphabet=st.sampled_from(_MARKUP), max_size=40),
    st.text(
        alphabet=st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from(_MARKUP),
        max_size=60,
    ),
)
# Where the catalogue puts escaped text, with the tokens that must surround it.
_CONTEXTS = {
    "paragraph": ("{}", []),
    "list item": ("- {}", []),
    "heading": ("# {}", []),
    "link text": ("[{}](x.md)", ["link_open", "link_close"]),
    "table cell": ("| a | b |\n|---|---|\n| x | {} |", []),
    "definition": ("Term\n: {}", []),
}


@pytest.fixture(scope="module")
def myst() -> object:
    """A markdown-it parser set up as MyST sets it up for docs/conf.py's extensions."""
    pytest.importorskip("myst_parser")
    from markdown_it.renderer import RendererHTML
    from myst_parser.config.main import MdParserConfig
    from myst_parser.parsers.mdit import create_md_parser

    config = MdParserConfig(enable_extensions={"colon_fence", "deflist"})
    return create_md_parser(config, RendererHTML)


def _plain_text(children: list[object], markup: list[str]) -> str:
    """The text of an inline token's children; anything but text is a failure."""
    text = ""
    seen: list[str] = []
    for child in children:
        kind = child.type  # type: ignore[attr-defined]
        if kind == "text":
            text += child.content  # type: ignore[attr-defined]
        elif kind == "softbreak":
            text += " "
        else:
            seen.append(kind)
    assert seen == markup
    return text


@settings(max_examples=400)
@given(text=_TEXT)
def test_escaped_text_renders_as_the_text_itself(myst: object, text: str) -> None:
    md = myst
    escaped = catalogue.escape(text)
    assert "\n" not in escaped
    expected = " ".join(text.split())
    if not expected:
        assert escaped == ""
        return
    for name, (template, markup) in _CONTEXTS.items():
        tokens = md.parse(template.format(escaped))  # type: ignore[attr-defined]
        inline = [t for t in tokens if t.type == "inline"]
        if name == "table cell":
            inline = inline[3:]
        elif name == "definition":
            inline = inline[1:]
        assert len(inline) == 1, name
        assert _plain_text(inline[0].children or [], markup) == expected, name


def test_escape_examples() -> None:
    assert catalogue.escape("a *b* _c_") == r"a \*b\* \_c\_"
    assert catalogue.escape("  line\n  two  ") == "line two"
    assert catalogue.escape("{ref}`x` | <b>") == r"\{ref\}\`x\` \| \<b\>"
    assert catalogue.escape("café ®") == "café ®"


def test_rendered_pages_contain_every_quote_as_plain_text(myst: object) -> None:
    md = myst
    for entity in KB.entities:
        tokens = md.parse(_page(entity))  # type: ignore[attr-defined]
        rendered = " ".join(
            child.content for t in tokens if t.type == "inline" for child in t.children or []
        )
        for reference in KB.references(entity):
            text = reference.quote if reference.curated is None else reference.curated
            assert " ".join((text or "").split()) in rendered, (entity.id, reference.supports)
