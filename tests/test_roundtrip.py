"""Valid documents load as written, and document -> model -> document -> model is stable.

The corpora come from ``doc_strategies.corpora()``; ``docwriter`` writes models back
to documents. Building goes through ``immunokb._build.build`` on ``(path, bytes)``
pairs (fast), and once through ``immunokb.load`` on files.
"""

from __future__ import annotations

import tempfile
import warnings
from enum import Enum
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import immunokb
from doc_strategies import SCRIPTS, Corpus, corpora
from docwriter import encode, write_kb
from immunokb._build import build
from immunokb._provenance import normalize_quote

NEWLINES = ("\n", "\r\n", "\r")


def _build(documents: list[tuple[str, bytes]]) -> immunokb.KnowledgeBase:
    try:
        return build(documents)
    except immunokb.DocumentError as exc:  # show every problem, not just the first
        raise AssertionError("\n".join(str(p) for p in exc.problems)) from exc


def _rebuild(kb: immunokb.KnowledgeBase) -> tuple[list[tuple[str, str]], immunokb.KnowledgeBase]:
    written = write_kb(kb)
    return written, _build([(path, encode(text)) for path, text in written])


def _all_citations(kb: immunokb.KnowledgeBase) -> list[immunokb.Citation]:
    found: list[immunokb.Citation] = []
    for entity in kb.entities:
        found += entity.citations
        evidenced: list[object] = list(entity.statements)
        if isinstance(entity, immunokb.Therapy):
            evidenced += [*entity.status_claims, *entity.indications, *entity.side_effects]
            for claim in [*entity.status_claims, *entity.indications]:
                for dispute in claim.disputed_by:
                    found += dispute.citations
        for item in evidenced:
            found += item.citations  # type: ignore[attr-defined]
    return found


HOUSE_FIELDS = {
    "url": "url",
    "source": "publisher",
    "sourceType": "source_type",
    "citation": "citation",
    "language": "language",
    "reviewFrequency": "review_frequency",
    "status": "status",
    "version": "version",
    "notes": "notes",
}
"""House fields read as they are written (null: None)."""


def _check_house_fields(meta: dict[str, object], source: immunokb.Source) -> None:
    for key, attribute in HOUSE_FIELDS.items():
        value = getattr(source, attribute)
        assert (value.value if isinstance(value, Enum) else value) == meta.get(key), key
    assert source.license.value == (meta.get("license") or "unknown")
    assert source.audience.value == (meta.get("audienceLevel") or "unknown")
    assert source.tags == tuple(meta.get("tags", ()))
    assert source.cancer_types == tuple(meta.get("cancerTypes", ()))
    reviewed = meta.get("lastReviewed")
    # A date, ' 2024-05-01 ', '2024-05', '2024' or 2024: shown as precisely as written.
    expected = None if reviewed is None else str(reviewed).strip()
    assert source.last_reviewed_display == expected
    if source.source_type is not None:
        assert source.tier == int(source.source_type[:2])


def _check_against_generation(corpus: Corpus, kb: immunokb.KnowledgeBase) -> None:
    """What loaded is what was generated: texts, titles, unknown fields, names, quotes."""
    assert [s.id for s in kb.sources] == sorted(corpus.bodies)
    for doc in corpus.sources:
        source = kb.source(doc.path.removeprefix("sources/").removesuffix(".md"))
        assert source.path == doc.path
        assert source.text == corpus.bodies[source.id]
        if "title" in doc.meta:
            assert source.title == doc.meta["title"]
        else:  # the body's first heading
            assert source.text.split("\n", 1)[0] == f"# {source.title}"
        extra = {k: v for k, v in doc.meta.items() if k.startswith("zqx")}
        assert source.model_dump(mode="json")["extra"] == extra
        _check_house_fields(doc.meta, source)
    assert len(kb.warnings) == corpus.extra_fields
    assert all(w.reason.startswith("unknown field") for w in kb.warnings)

    assert sorted(e.id for e in kb.entities) == sorted(d.meta["id"] for d in corpus.entities)
    for doc in corpus.entities:
        entity = kb.get(doc.meta["id"])
        assert entity.kind == doc.meta["kind"]
        assert entity.name == doc.meta["name"]["value"]
        assert entity.aliases == tuple(a["value"] for a in doc.meta.get("aliases", ()))
        assert entity.broader == tuple(b["value"] for b in doc.meta.get("broader", ()))
        assert entity.summary == doc.body
        for label in (entity.name, *entity.aliases):
            assert kb.get(label) is entity

    cited = _all_citations(kb)
    assert {(c.source_id, c.quote, c.lead_in) for c in cited} == set(corpus.quotes)
    for citation in cited:
        text = kb.source(citation.source_id).text
        assert normalize_quote(text[citation.start : citation.end]) == normalize_quote(
            citation.quote
        )
        if citation.lead_in is not None:
            assert citation.lead_in_start is not None
            assert citation.lead_in_end is not None
            lead = text[citation.lead_in_start : citation.lead_in_end]
            assert normalize_quote(lead) == normalize_quote(citation.lead_in)


@settings(max_examples=120)
@given(corpora())
def test_generated_documents_load_as_generated(corpus: Corpus) -> None:
    _check_against_generation(corpus, _build(corpus.documents()))


@settings(max_examples=120)
@given(corpora())
def test_document_model_document_model_is_stable(corpus: Corpus) -> None:
    first = _build(corpus.documents())
    written, second = _rebuild(first)
    assert second.sources == first.sources
    assert second.entities == first.entities
    assert second.fingerprint == first.fingerprint
    # The same warnings, about the same fields (their lines follow the new layout).
    assert sorted((w.path, w.field, w.reason) for w in second.warnings) == sorted(
        (w.path, w.field, w.reason) for w in first.warnings
    )
    # Writing the rebuilt models gives the very same documents: a fixpoint.
    assert write_kb(second) == written


@settings(max_examples=60)
@given(corpora(), st.sampled_from(NEWLINES), st.booleans())
def test_line_endings_and_bom_give_the_same_kb(corpus: Corpus, newline: str, bom: bool) -> None:
    plain = _build(corpus.documents())
    variant = _build(corpus.documents(newline=newline, bom=bom))
    assert variant.fingerprint == plain.fingerprint
    assert variant.sources == plain.sources
    assert variant.entities == plain.entities


@settings(max_examples=20)
@given(corpora(max_entities=3), st.sampled_from(NEWLINES), st.booleans())
def test_load_from_a_folder_matches_the_build(corpus: Corpus, newline: str, bom: bool) -> None:
    expected = _build(corpus.documents())
    with tempfile.TemporaryDirectory() as tmp:
        for path, data in corpus.documents(newline=newline, bom=bom):
            target = Path(tmp, path)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            kb = immunokb.load(paths=[tmp], bundled=False)
            cached = immunokb.load(paths=[tmp], bundled=False)  # read back from the cache
        # Declared as the user's own, the unknown fields are kept without a warning.
        own = {k for d in corpus.sources for k in d.meta if k.startswith("zqx")}
        declared = immunokb.load(paths=[tmp], bundled=False, cache=False, extra_fields=own)
    # One warning per load (the first, counting the others), and only if there is any.
    assert [type(w.message) for w in caught] == [immunokb.DocumentWarning] * (
        2 * bool(corpus.extra_fields)
    )
    assert len(kb.warnings) == corpus.extra_fields
    assert cached.sources == kb.sources
    assert cached.entities == kb.entities
    assert cached.warnings == kb.warnings
    assert declared.fingerprint == kb.fingerprint
    assert declared.warnings == ()
    assert kb.fingerprint == expected.fingerprint
    assert kb.entities == expected.entities
    assert [s.model_copy(update={"path": ""}) for s in kb.sources] == [
        s.model_copy(update={"path": ""}) for s in expected.sources
    ]
    assert all(Path(s.path).is_absolute() or s.path.startswith(tmp) for s in kb.sources)


@pytest.mark.parametrize("script", sorted(SCRIPTS))
@settings(max_examples=15)
@given(data=st.data())
def test_every_script_round_trips_exactly(script: str, data: st.DataObject) -> None:
    corpus = data.draw(corpora(scripts=(script,)))
    kb = _build(corpus.documents(newline="\r\n", bom=True))
    for source in kb.sources:
        assert source.text.encode("utf-8") == corpus.bodies[source.id].encode("utf-8")
    generated = {q.encode("utf-8") for _, q, _ in corpus.quotes}
    assert {c.quote.encode("utf-8") for c in _all_citations(kb)} == generated
    _, again = _rebuild(kb)
    assert [s.text for s in again.sources] == [s.text for s in kb.sources]
    assert again.entities == kb.entities


HINDI_SOURCE = """---
title: कैंसर का इलाज
language: hi
lastReviewed: 2024-03
zqxटिप्पणी: प्रतिरक्षा
---
# प्रतिरक्षा चिकित्सा

कैंसर टीका प्रतिरक्षा प्रणाली को मज़बूत करता है। 🧬

दुष्प्रभाव ये हैं:
- बुख़ार और ठंड लगना
- थकान
"""
HINDI_EFFECT = """---
kind: side_effect
id: bukhar
name:
  value: बुख़ार
  cite:
    - source: hindi
      lead_in: "दुष्प्रभाव ये हैं:"
      quote: "बुख़ार और ठंड"
cite:
  - source: hindi
    lead_in: प्रतिरक्षा चिकित्सा
    quote: कैंसर टीका प्रतिरक्षा प्रणाली
---
बुख़ार एक दुष्प्रभाव है।
"""


@pytest.mark.parametrize("newline", NEWLINES)
@pytest.mark.parametrize("bom", [False, True])
def test_devanagari_source_and_quotes_are_byte_exact(newline: str, bom: bool) -> None:
    documents = [
        ("sources/hindi.md", encode(HINDI_SOURCE, newline=newline, bom=bom)),
        ("entities/bukhar.md", encode(HINDI_EFFECT, newline=newline, bom=bom)),
    ]
    kb = build(documents)
    source = kb.source("hindi")
    body = HINDI_SOURCE.split("---\n", 2)[2].strip()
    assert source.text.encode("utf-8") == body.encode("utf-8")
    assert dict(source.extra) == {"zqxटिप्पणी": "प्रतिरक्षा"}
    assert source.last_reviewed_display == "2024-03"
    effect = kb.get("बुख़ार")
    assert effect.summary == "बुख़ार एक दुष्प्रभाव है।"
    (name_cite,) = effect.statements[0].citations
    assert source.text[name_cite.start : name_cite.end] == "बुख़ार और ठंड"
    assert name_cite.lead_in_start is not None
    assert source.text[name_cite.lead_in_start : name_cite.lead_in_end] == "दुष्प्रभाव ये हैं:"
    (cite,) = effect.citations
    assert source.text[cite.start : cite.end] == "कैंसर टीका प्रतिरक्षा प्रणाली"
    assert kb.warnings[0].field == "zqxटिप्पणी"
    _, again = _rebuild(kb)
    assert again.fingerprint == kb.fingerprint


def test_the_bundled_knowledge_base_round_trips() -> None:
    """Every bundled document, written back from its models, loads as the same models."""
    bundled = immunokb.load()
    _, again = _rebuild(bundled)
    assert again.sources == bundled.sources
    assert again.entities == bundled.entities
    assert again.fingerprint == bundled.fingerprint
