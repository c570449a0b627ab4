"""Hypothesis strategies for valid corpora of immunokb documents.

``corpora()`` draws a small corpus that must load: source documents with random but
valid house frontmatter (some with unknown fields of their own) and bodies in several
scripts (Latin, accented Latin, Devanagari, CJK, Cyrillic, Greek, Arabic, emoji),
and entity documents (therapies, vaccines, side effects, cancer types) whose every
quoted statement cites a generated source with a quote that is a real part of its
body: a stretch of a paragraph, the start of a list item under the sentence that
introduces the list, or a stretch of a section under its heading (with that
``lead_in``). Names and aliases are quoted as whole words, ``regulator`` and ``phase``
are written into the quotes that state them, broader links only point at entities
drawn earlier (so there is no cycle), and indications and side effects point at
generated entities of the right kind.

A ``Corpus`` keeps each document as its frontmatter mapping and body (so that tests
can mutate the structure) and renders it on demand, with LF, CRLF or CR line endings
and an optional byte-order mark. Sizes are kept small so that each example builds
in milliseconds.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from hypothesis import strategies as st

import immunokb
from docwriter import encode, render

# --------------------------------------------------------------------------- words


def _chars(*ranges: tuple[int, int]) -> str:
    return "".join(chr(c) for low, high in ranges for c in range(low, high + 1))


LATIN = _chars((0x41, 0x5A), (0x61, 0x7A))
ACCENTED = "àáâãäåæçèéêëìíîïñòóôõöøùúûüýÿœßÀÉÖÜŒŠžłŁğış"
DEVANAGARI_LETTERS = _chars((0x0905, 0x0939))
DEVANAGARI_SIGNS = _chars((0x0901, 0x0903), (0x093E, 0x094D))
DEVANAGARI_WORDS = ("कैंसर", "प्रतिरक्षा", "चिकित्सा", "टीका", "इलाज", "रोग", "दुष्प्रभाव")
CJK = _chars((0x4E00, 0x4FFF))
CYRILLIC = _chars((0x0410, 0x044F))
GREEK = _chars((0x03B1, 0x03C9))
ARABIC = _chars((0x0627, 0x063A), (0x0641, 0x064A))
EMOJI = ("😀", "🧬", "💉", "🩺", "👩\u200d⚕\ufe0f", "🇮🇳", "🔬", "✨")
PUNCTUATION = (",", ".", ";", "!", "?", "\u2019s", "\u201cquoted\u201d", "(x)", "%", "&", "—")


@st.composite
def _devanagari(draw: st.DrawFn) -> str:
    if draw(st.booleans()):
        return draw(st.sampled_from(DEVANAGARI_WORDS))
    first = draw(st.sampled_from(DEVANAGARI_LETTERS))
    rest = draw(st.text(DEVANAGARI_LETTERS + DEVANAGARI_SIGNS, max_size=5))
    return first + rest


SCRIPTS: dict[str, st.SearchStrategy[str]] = {
    "latin": st.text(LATIN, min_size=1, max_size=8),
    "accented": st.text(LATIN + ACCENTED, min_size=1, max_size=8),
    "devanagari": _devanagari(),
    "cjk": st.text(CJK, min_size=1, max_size=4),
    "cyrillic": st.text(CYRILLIC, min_size=1, max_size=8),
    "greek": st.text(GREEK, min_size=1, max_size=8),
    "arabic": st.text(ARABIC, min_size=1, max_size=8),
}
"""Words of letters in one script each (names and aliases are made of these)."""


@cache
def words(scripts: tuple[str, ...] | None = None) -> st.SearchStrategy[str]:
    """One word of letters, from the given scripts (default: any)."""
    chosen = SCRIPTS if scripts is None else {name: SCRIPTS[name] for name in scripts}
    return st.one_of(*chosen.values())


@cache
def filler_words(scripts: tuple[str, ...] | None = None) -> st.SearchStrategy[str]:
    """A word of running text: letters, digits, emoji or punctuation."""
    return st.one_of(
        words(scripts),
        words(scripts),
        st.integers(0, 9999).map(str),
        st.sampled_from(EMOJI),
        st.sampled_from(PUNCTUATION),
    )


frontmatter_texts = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1, max_size=20),
    st.lists(words(), min_size=1, max_size=4).map(" ".join),
).filter(lambda s: s.strip() != "")
"""Text for a frontmatter field: any printable characters, at least one not a space."""


# --------------------------------------------------------------------------- documents


@dataclass
class Doc:
    """One document: its path, frontmatter mapping, body, and YAML style."""

    path: str
    meta: dict[str, Any]
    body: str
    style: dict[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        """The document with LF line endings."""
        return render(self.meta, self.body, **self.style)


@dataclass
class Corpus:
    """A valid set of documents, and what loading them must give."""

    sources: list[Doc]
    entities: list[Doc]
    quotes: list[tuple[str, str, str | None]]
    """Every citation written: ``(source id, quote, lead_in)``."""
    extra_fields: int
    """How many unknown source fields there are (one warning each)."""
    bodies: dict[str, str]
    """Each source id's body, as generated."""

    @property
    def docs(self) -> list[Doc]:
        """Sources, then entities."""
        return [*self.sources, *self.entities]

    def documents(self, *, newline: str = "\n", bom: bool = False) -> list[tuple[str, bytes]]:
        """``(path, bytes)`` of every document, for ``immunokb._build.build``."""
        return [(d.path, encode(d.text, newline=newline, bom=bom)) for d in self.docs]


yaml_styles = st.fixed_dictionaries(
    {},
    optional={
        "allow_unicode": st.booleans(),
        "width": st.sampled_from([20, 60, 100, 10_000]),
        "indent": st.sampled_from([2, 4]),
        "flow": st.sampled_from([False, None]),
    },
)
"""Layouts of the frontmatter YAML: none of them may change what it means."""


# --------------------------------------------------------------------------- quotes


@cache
def _fillers(scripts: tuple[str, ...] | None, low: int, high: int) -> st.SearchStrategy[list[str]]:
    return st.lists(filler_words(scripts), min_size=low, max_size=high)


@cache
def _labels(scripts: tuple[str, ...] | None, high: int) -> st.SearchStrategy[str]:
    return st.lists(words(scripts), min_size=1, max_size=high).map(" ".join)


class _Bodies:
    """The source bodies being written: blocks of text that quotes are taken from."""

    def __init__(self, draw: st.DrawFn, source_ids: list[str], scripts: tuple[str, ...] | None):
        self.draw = draw
        self.source_ids = source_ids
        self.scripts = scripts
        self.blocks: dict[str, list[str]] = {sid: [] for sid in source_ids}
        self.quotes: list[tuple[str, str, str | None]] = []

    def filler(self, low: int = 0, high: int = 3) -> list[str]:
        return self.draw(_fillers(self.scripts, low, high))

    def line(self) -> str:
        return " ".join(self.filler(1, 6))

    def citation(self, source_id: str | None = None, must: tuple[str, ...] = ()) -> dict[str, Any]:
        """A new citation of ``source_id`` (or any source) whose quote contains ``must``."""
        draw = self.draw
        if source_id is None:
            source_id = draw(st.sampled_from(self.source_ids))
        tokens = self.filler()
        for phrase in must:
            tokens += [phrase, *self.filler()]
        if not tokens:
            tokens = self.filler(1, 3)
        firsts = [i for i, t in enumerate(tokens) if t in must] or [len(tokens) - 1]
        lasts = [i for i, t in enumerate(tokens) if t in must] or [0]
        form = draw(st.sampled_from(["paragraph", "heading", "list"]))
        start = 0 if form == "list" else draw(st.integers(0, min(firsts)))
        end = draw(st.integers(max(*lasts, start) + 1, len(tokens)))
        quote = " ".join(tokens[start:end])
        sentence = " ".join(tokens)
        lead_in: str | None = None
        if form == "paragraph":
            block = "\n".join([*(self.line() for _ in range(draw(st.integers(0, 2)))), sentence])
        elif form == "heading":
            lead_in = draw(_labels(self.scripts, 3))
            level = draw(st.integers(1, 6))
            block = f"{'#' * level} {lead_in}\n\n{sentence}"
        else:
            lead_in = self.line() + ":"
            marker = draw(st.sampled_from(["-", "*", "+", "1.", "2)", "\u2022"]))
            items = [self.line() for _ in range(draw(st.integers(0, 2)))]
            items.insert(draw(st.integers(0, len(items))), sentence)
            block = "\n".join([lead_in, *(f"{marker} {item}" for item in items)])
        self.blocks[source_id].append(block)
        self.quotes.append((source_id, quote, lead_in))
        cite: dict[str, Any] = {"source": source_id}
        if lead_in is not None:
            cite["lead_in"] = lead_in
        cite["quote"] = quote
        return cite

    def citations(
        self, source_id: str | None = None, must: tuple[str, ...] = (), *, each: bool = False
    ) -> list[Any]:
        """One or two citations; ``must`` goes into the first, or into ``each`` one."""
        first = self.citation(source_id, must)
        count = self.draw(st.integers(0, 1))
        return [first, *(self.citation(source_id, must if each else ()) for _ in range(count))]

    def finish(self, source_id: str, title_heading: str | None) -> str:
        """The body: the quoted blocks with filler paragraphs, breaks and headings between."""
        draw = self.draw
        blocks = list(self.blocks[source_id])
        for _ in range(draw(st.integers(0, 3))):
            kind = draw(st.sampled_from(["line", "line", "---", "***", "heading", "list"]))
            extra = {"---": "---", "***": "* * *"}.get(kind)
            if extra is None:
                prefix = {"line": "", "heading": "### ", "list": "- "}[kind]
                extra = prefix + self.line()
            blocks.insert(draw(st.integers(0, len(blocks))), extra)
        if title_heading is not None:
            blocks.insert(0, f"# {title_heading}")
        return "\n\n".join(blocks)


# --------------------------------------------------------------------------- sources


slugs = st.from_regex(r"\A[a-z][a-z0-9]{0,6}(-[a-z0-9]{1,4})?\Z")
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**12), 10**12)
    | st.floats(allow_nan=False, allow_infinity=False)
    | frontmatter_texts,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.text(LATIN + ACCENTED + "_- ", min_size=1, max_size=8), inner, max_size=3
        )
    ),
    max_leaves=5,
)
"""JSON-like values of an unknown field (numbers small enough to print)."""
extra_keys = st.text(LATIN + "_", min_size=1, max_size=6).map(lambda s: "zqx" + s)
"""Unknown field names that are not near misses of a house field (all start 'zqx')."""
review_dates = st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2099, 12, 31))


@st.composite
def _last_reviewed(draw: st.DrawFn) -> object:
    day = draw(review_dates)
    return draw(
        st.sampled_from(
            [
                day,
                day.isoformat(),
                day.isoformat()[:7],
                day.isoformat()[:4],
                day.year,  # unquoted: YAML reads a number
                f" {day} ",
                None,
            ]
        )
    )


def _maybe(value: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """A value, or None (the field written as null: not stated)."""
    return st.none() | value


HOUSE_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "url": _maybe(
        st.tuples(
            st.sampled_from(["https://", "http://"]), st.from_regex(r"\A[a-z0-9/?=.]{0,12}\Z")
        ).map(lambda t: t[0] + "example.org/" + t[1])
    ),
    "source": _maybe(frontmatter_texts),
    "sourceType": _maybe(
        st.sampled_from(["01_guidelines", "02_nci_core", "07_commercial_service", "99_other"])
        | st.from_regex(r"\A[0-9]{2}_[a-z0-9_]{1,8}\Z")
    ),
    "citation": _maybe(frontmatter_texts),
    "license": _maybe(st.sampled_from([m.value for m in immunokb.License])),
    "language": _maybe(st.sampled_from(["en", "hi", "zh-Hans", "pt-BR", "es", "ar"])),
    "audienceLevel": _maybe(st.sampled_from([m.value for m in immunokb.Audience])),
    "cancerTypes": st.lists(frontmatter_texts, max_size=3),
    "tags": st.lists(frontmatter_texts, max_size=3),
    "lastReviewed": _last_reviewed(),
    "reviewFrequency": _maybe(st.sampled_from([m.value for m in immunokb.ReviewFrequency])),
    "status": _maybe(st.sampled_from([m.value for m in immunokb.DocumentStatus])),
    "version": _maybe(frontmatter_texts),
    "notes": _maybe(frontmatter_texts | st.text(LATIN + " \n", max_size=60)),
}
"""Every house field but ``title``, with valid values (None: written as null)."""


def _source_meta(draw: st.DrawFn) -> tuple[dict[str, Any], str | None]:
    """House frontmatter, and the heading the body must start with when there is no title."""
    keys = draw(st.lists(st.sampled_from(sorted(HOUSE_VALUES)), unique=True, max_size=8))
    meta = {key: draw(HOUSE_VALUES[key]) for key in keys}
    heading = None
    if draw(st.integers(0, 3)) == 3:  # no title: the body's first heading is the title
        heading = draw(_labels(None, 3))
    else:
        meta["title"] = draw(frontmatter_texts)
    for key in draw(st.lists(extra_keys, unique_by=str.lower, max_size=2)):
        meta[key] = draw(json_values)
    order = draw(st.permutations(list(meta)))
    return {key: meta[key] for key in order}, heading


# --------------------------------------------------------------------------- entities

FAMILY = {
    "therapy": "therapy",
    "vaccine": "therapy",
    "side_effect": "side_effect",
    "cancer_type": "cancer_type",
}
REGULATORS = ("FDA", "EMA", "NMPA", "Food and Drug Administration")
PHASES: dict[str, tuple[str, ...]] = {
    "phase_1": ("Phase I", "Phase 1", "phase 1"),
    "phase_1_2": ("Phase I/II", "Phase 1/2"),
    "phase_2": ("Phase II", "Phase 2"),
    "phase_2_3": ("Phase II/III", "Phase 2/3"),
    "phase_3": ("Phase III", "Phase 3"),
    "phase_4": ("Phase IV", "Phase 4"),
}
"""How a quote may state each phase."""
CLAIMABLE = ("approved", "in_use", "investigational", "discontinued", "failed")
CLASS_CLAIMABLE = ("in_use", "investigational")
"""What a class of treatment may claim: approvals and failures belong to products."""


def _label_key(label: str) -> str:
    return immunokb.normalize(label)


def _evidence(draw: st.DrawFn, bodies: _Bodies, must: tuple[str, ...] = ()) -> dict[str, Any]:
    """Quoted (two times in three: citations whose quotes each contain ``must``) or curated."""
    if draw(st.integers(0, 2)) > 0:
        return {"cite": bodies.citations(must=must, each=True)}
    return {"curated": draw(frontmatter_texts)}


def _statement(
    draw: st.DrawFn, bodies: _Bodies, value: str, *, label: bool = False
) -> dict[str, Any]:
    """``{value, cite | curated}``; a quoted name or alias is in its quote as whole words."""
    return {"value": value, **_evidence(draw, bodies, (value,) if label else ())}


def _claim(
    draw: st.DrawFn, bodies: _Bodies, key: str, allowed: tuple[str, ...] = CLAIMABLE
) -> dict[str, Any]:
    """A status claim (``key`` 'value') or the claim part of an indication ('status')."""
    claim: dict[str, Any] = {key: draw(st.sampled_from(allowed))}
    source_id = None
    if draw(st.integers(0, 2)) > 0:
        source_id = draw(st.sampled_from(bodies.source_ids))
        regulator = draw(st.none() | st.sampled_from(REGULATORS))
        phase = draw(st.none() | st.sampled_from(sorted(PHASES)))
        must = tuple(
            m
            for m in (regulator, None if phase is None else draw(st.sampled_from(PHASES[phase])))
            if m is not None
        )
        claim["cite"] = bodies.citations(source_id, must)
        if phase is not None:
            claim["phase"] = phase
        if regulator is not None:
            claim["regulator"] = regulator
    else:
        claim["curated"] = draw(frontmatter_texts)
    others = [s for s in bodies.source_ids if s != source_id]
    if others and draw(st.integers(0, 3)) == 0:
        other = draw(st.sampled_from(others))
        claim["disputed_by"] = [{"claim": draw(frontmatter_texts), "cite": bodies.citations(other)}]
    return claim


@st.composite
def corpora(
    draw: st.DrawFn,
    *,
    scripts: tuple[str, ...] | None = None,
    max_sources: int = 3,
    max_entities: int = 5,
) -> Corpus:
    """A small valid corpus: 1 to ``max_sources`` sources, 0 to ``max_entities`` entities.

    ``scripts`` restricts the words of names, aliases and bodies (emoji, digits and
    punctuation still appear in running text).
    """
    source_ids = draw(st.lists(slugs, min_size=1, max_size=max_sources, unique=True))
    bodies = _Bodies(draw, source_ids, scripts)
    kinds = draw(
        st.lists(
            st.sampled_from(["therapy", "vaccine", "side_effect", "cancer_type"]),
            max_size=max_entities,
        )
    )
    entity_ids = draw(st.lists(slugs, min_size=len(kinds), max_size=len(kinds), unique=True))
    alias_counts = [draw(st.integers(0, 2)) for _ in kinds]
    taken = {_label_key(i) for i in entity_ids}
    labels = draw(
        st.lists(
            _labels(scripts, 2).filter(
                lambda s: _label_key(s) != "" and _label_key(s) not in taken
            ),
            min_size=len(kinds) + sum(alias_counts),
            max_size=len(kinds) + sum(alias_counts),
            unique_by=_label_key,
        )
    )
    cancer_types = [i for i, k in zip(entity_ids, kinds, strict=True) if k == "cancer_type"]
    effects = [i for i, k in zip(entity_ids, kinds, strict=True) if k == "side_effect"]

    entities: list[Doc] = []
    for index, (kind, entity_id) in enumerate(zip(kinds, entity_ids, strict=True)):
        name, *aliases = labels[: 1 + alias_counts[index]]
        labels = labels[1 + alias_counts[index] :]
        meta: dict[str, Any] = {"kind": kind, "id": entity_id}
        meta["name"] = _statement(draw, bodies, name, label=True)
        if aliases:
            meta["aliases"] = [_statement(draw, bodies, a, label=True) for a in aliases]
        family = [
            other
            for other, other_kind in zip(entity_ids[:index], kinds[:index], strict=True)
            if FAMILY[other_kind] == FAMILY[kind]
        ]
        broader = draw(st.lists(st.sampled_from(family), unique=True, max_size=2)) if family else []
        if broader:
            meta["broader"] = [_statement(draw, bodies, b) for b in broader]
        cite = [bodies.citation()]
        shared = [c for key in ("name", "aliases") for c in _cites(meta.get(key))]
        if shared and draw(st.booleans()):
            cite.append(draw(st.sampled_from(shared)))  # the same object: a YAML anchor
        meta["cite"] = cite
        if FAMILY[kind] == "therapy":
            _therapy_fields(
                draw, bodies, meta=meta, kind=kind, cancer_types=cancer_types, effects=effects
            )
        order = draw(st.permutations(list(meta)))
        entities.append(
            Doc(
                path=f"entities/{entity_id}.md",
                meta={key: meta[key] for key in order},
                body=" ".join(bodies.filler(0, 8)).strip(),
                style=draw(yaml_styles),
            )
        )

    sources: list[Doc] = []
    extra_fields = 0
    generated: dict[str, str] = {}
    for source_id in source_ids:
        meta, heading = _source_meta(draw)
        extra_fields += sum(key.startswith("zqx") for key in meta)
        body = bodies.finish(source_id, heading)
        generated[source_id] = body
        sources.append(Doc(f"sources/{source_id}.md", meta, body, draw(yaml_styles)))
    return Corpus(sources, entities, bodies.quotes, extra_fields, generated)


def _cites(statements: Any) -> list[Any]:
    if statements is None:
        return []
    if isinstance(statements, dict):
        statements = [statements]
    return [c for s in statements for c in s.get("cite", [])]


def _therapy_fields(
    draw: st.DrawFn,
    bodies: _Bodies,
    *,
    meta: dict[str, Any],
    kind: str,
    cancer_types: list[str],
    effects: list[str],
) -> None:
    scope = draw(st.sampled_from(["product", "class"]))
    meta["scope"] = scope
    allowed = CLAIMABLE if scope == "product" else CLASS_CLAIMABLE
    claims = [_claim(draw, bodies, "value", allowed) for _ in range(draw(st.integers(0, 3)))]
    if len(claims) == 1 and draw(st.booleans()):
        meta["status"] = claims[0]  # one claim may be written as a mapping
    elif claims:
        meta["status"] = claims
    routes = draw(
        st.lists(st.sampled_from([r.value for r in immunokb.Route]), unique=True, max_size=2)
    )
    if routes:
        meta["routes"] = [_statement(draw, bodies, r) for r in routes]
    indications = [
        {
            "cancer_type": draw(st.sampled_from(cancer_types)),
            **_claim(draw, bodies, "status", allowed),
        }
        for _ in range(draw(st.integers(0, 2) if cancer_types else st.just(0)))
    ]
    if indications:
        meta["indications"] = indications
    if effects:
        relations = [
            {"side_effect": effect, **_evidence(draw, bodies)}
            for effect in draw(st.lists(st.sampled_from(effects), unique=True, max_size=2))
        ]
        if relations:
            meta["side_effects"] = relations
    if kind == "vaccine":
        platform = draw(st.none() | st.sampled_from([p.value for p in immunokb.VaccinePlatform]))
        if platform is not None:
            meta["platform"] = _statement(draw, bodies, platform)
        purpose = draw(st.sampled_from([p.value for p in immunokb.VaccinePurpose]))
        meta["purpose"] = _statement(draw, bodies, purpose)
