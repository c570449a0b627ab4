"""Ranked search: names first, BM25 bodies, one typo per word, verbatim snippets, any script."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import immunokb
from immunokb._provenance import normalize_quote
from immunokb._search import MAX_TERMS, tokens

KB = immunokb.load()
LABELS = sorted({(label, e.id) for e in KB.entities for label in (e.name, *e.aliases)})
VOCABULARY = {t for e in KB.entities for t in tokens(f"{e.name} {' '.join(e.aliases)} {e.summary}")}
VOCABULARY |= {t for s in KB.sources for t in tokens(s.text)}


def _evidence(entity: immunokb.Entity) -> list[immunokb.Citation]:
    found = list(entity.citations)
    for statement in entity.statements:
        found += statement.citations
    if isinstance(entity, immunokb.Therapy):
        for claim in (*entity.status_claims, *entity.indications, *entity.side_effects):
            found += claim.citations
    return found


@pytest.mark.parametrize(("label", "entity_id"), LABELS)
def test_every_name_and_alias_finds_its_entity_first(label: str, entity_id: str) -> None:
    hits = KB.search(label, limit=3)
    assert hits[0].entity is not None
    assert hits[0].entity.id == entity_id


@pytest.mark.parametrize("query", ["tumor lysis", "flu", "how often", "melanoma", "vaccine"])
def test_hits_cite_verbatim_text_and_mark_matched_words(query: str) -> None:
    hits = KB.search(query, limit=10)
    assert hits
    for hit in hits:
        assert hit.citation is not None
        source = KB.source(hit.citation.source_id)
        cited = source.text[hit.citation.start : hit.citation.end]
        if hit.entity is None:
            assert cited == hit.citation.quote  # a passage is an exact slice
        assert normalize_quote(cited) == normalize_quote(hit.citation.quote)
        assert hit.source_id == hit.citation.source_id
        if hit.entity is not None:
            assert hit.citation in _evidence(hit.entity)
        marked = re.findall(r"\*\*(.+?)\*\*", hit.snippet)
        assert hit.matched
        for word in marked:
            assert set(tokens(word)) & set(hit.matched), (word, hit.matched)
        # every marked word comes from the cited text
        plain = hit.citation.quote.replace("**", "").replace("__", "")
        for word in marked:
            assert word in plain


def test_order_is_by_score_then_entities_then_ids() -> None:
    hits = KB.search("cancer vaccines", limit=50)
    keys = [
        (
            -h.score,
            0 if h.entity else 1,
            h.entity.id if h.entity else h.source_id,
            0 if h.entity or h.citation is None else h.citation.start,
        )
        for h in hits
    ]
    assert keys == sorted(keys)
    assert KB.search("cancer vaccines", limit=50) == hits


def test_limit_is_respected_and_a_prefix_of_a_longer_search() -> None:
    assert KB.search("cancer", limit=3) == KB.search("cancer", limit=20)[:3]
    assert len(KB.search("cancer", limit=3)) == 3
    assert KB.search("cancer", limit=0) == []
    assert KB.search("cancer", limit=-5) == []


@pytest.mark.parametrize("query", ["", " ", "\t\n  ", "®™", "---", "?!"])
def test_empty_queries_give_no_hits(query: str) -> None:
    assert KB.search(query) == []


@pytest.mark.parametrize(
    ("typo", "entity_id"),
    [
        ("checkpoint inhibiters", "immune-checkpoint-inhibitors"),
        ("imlygik", "talimogene-laherparepvec"),
        ("melanoam", "melanoma"),
        ("sipuleucal-T", "sipuleucel-t"),
        ("tumour lysis syndrome", "tumor-lysis-syndrome"),
        ("oncolitic virus therapy", "oncolytic-virus-therapy"),
    ],
)
def test_a_typo_per_word_still_finds_the_entity(typo: str, entity_id: str) -> None:
    hits = KB.search(typo, limit=3)
    assert hits[0].entity is not None
    assert hits[0].entity.id == entity_id


NAME_WORDS = sorted(
    {
        (word, e.id)
        for e in KB.entities
        for label in (e.name, *e.aliases)
        for word in tokens(label)
        if len(word) >= 6 and len(tokens(label)) == 1
    }
)


@st.composite
def misspelt(draw: st.DrawFn) -> tuple[str, str]:
    word, entity_id = draw(st.sampled_from(NAME_WORDS))
    i = draw(st.integers(1, len(word) - 2))
    char = draw(st.sampled_from("aeioustrnl"))
    edited = draw(
        st.sampled_from(
            [
                word[:i] + word[i + 1 :],
                word[:i] + char + word[i:],
                word[:i] + char + word[i + 1 :],
                word[:i] + word[i + 1] + word[i] + word[i + 2 :],
            ]
        )
    )
    return edited, entity_id


@settings(max_examples=60)
@given(misspelt())
def test_a_single_word_name_misspelt_once_is_found(pair: tuple[str, str]) -> None:
    edited, entity_id = pair
    if edited in VOCABULARY:  # the edit made another real word: nothing to correct
        return
    ids = [h.entity.id for h in KB.search(edited, limit=5) if h.entity is not None]
    assert entity_id in ids


def test_short_words_are_not_corrected() -> None:
    # 'cwr' is one edit from 'car', but a three-letter word is too short to guess at.
    assert KB.search("cwr") == []


def test_a_very_long_query_is_cut_to_its_first_distinct_words() -> None:
    filler = [f"zq{i}x" for i in range(MAX_TERMS)]
    assert KB.search(" ".join([*filler, "melanoma"])) == []
    long_query = "melanoma " * 20_000
    hits = KB.search(long_query, limit=5)
    assert hits[0].entity is not None
    assert hits[0].entity.id == "melanoma"


def test_repeating_a_word_changes_nothing() -> None:
    assert KB.search("stroke stroke stroke") == KB.search("stroke")


@given(st.text(max_size=300))
def test_any_text_searches_without_error_and_with_positive_scores(text: str) -> None:
    hits = KB.search(text, limit=5)
    assert len(hits) <= 5
    assert all(h.score > 0 for h in hits)


def test_the_result_is_a_list() -> None:
    hits = KB.search("stroke")
    assert isinstance(hits, list)
    assert hits == list(hits)


# ---------------------------------------------------------------- other scripts

HINDI = """---
title: प्रतिरक्षा चिकित्सा
sourceType: 02_test
language: hi
---
प्रतिरक्षा चिकित्सा कैंसर के उपचार का एक प्रकार है।

टीका प्रतिरक्षा प्रणाली को कैंसर कोशिकाओं को पहचानने में मदद करता है।

免疫療法はがんの治療法の一つです。
"""

HINDI_ENTITY = """---
kind: therapy
scope: product
id: pratiraksha-chikitsa
name:
  value: प्रतिरक्षा चिकित्सा
  cite:
    - source: hindi-immunotherapy
      quote: "प्रतिरक्षा चिकित्सा कैंसर के उपचार का एक प्रकार है।"
cite:
  - source: hindi-immunotherapy
    quote: "प्रतिरक्षा चिकित्सा कैंसर के उपचार का एक प्रकार है।"
---
प्रतिरक्षा चिकित्सा कैंसर का उपचार है।
"""


@pytest.fixture
def hindi(corpus) -> immunokb.KnowledgeBase:
    folder = corpus(
        {"sources/hindi-immunotherapy.md": HINDI, "pratiraksha-chikitsa.md": HINDI_ENTITY}
    )
    return immunokb.load(paths=[folder], bundled=False)


def test_devanagari_tokens_keep_their_vowel_signs() -> None:
    assert tokens("प्रतिरक्षा चिकित्सा।") == ["प्रतिरक्षा", "चिकित्सा"]


def test_han_and_kana_are_indexed_per_character() -> None:
    assert tokens("免疫療法") == ["免", "疫", "療", "法"]


def test_hindi_name_lookup_and_search(hindi) -> None:
    assert hindi.get("प्रतिरक्षा चिकित्सा").id == "pratiraksha-chikitsa"
    hits = hindi.search("प्रतिरक्षा चिकित्सा")
    assert hits[0].entity is not None
    assert hits[0].entity.id == "pratiraksha-chikitsa"
    assert "**प्रतिरक्षा**" in hits[0].snippet


def test_hindi_passage_search_and_typo(hindi) -> None:
    hits = [h for h in hindi.search("टीका") if h.entity is None]
    assert hits
    assert hits[0].citation is not None
    assert hits[0].citation.quote.startswith("टीका")
    # one vowel sign dropped: कोशिकाओं -> कोशकाओं
    typo = [h for h in hindi.search("कोशकाओं") if h.entity is None]
    assert typo
    assert typo[0].matched == ("कोशिकाओं",)


def test_japanese_word_inside_a_sentence(hindi) -> None:
    hits = hindi.search("免疫")
    assert hits
    assert hits[0].citation is not None
    assert hits[0].citation.quote.startswith("免疫療法")
