from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

import immunokb
from conftest import NCI_VACCINES
from immunokb import normalize


@pytest.mark.parametrize(
    "query",
    [
        "T-VEC",
        "t-vec",
        "T VEC",
        "tvec ",
        "Imlygic®",
        "IMLYGIC",
        "Imlygic™",
        "talimogene-laherparepvec",
        "Talimogene Laherparepvec",
        "talimogene laherparepvec.",
    ],
)
def test_get_is_insensitive_to_case_hyphens_punctuation_and_marks(kb, query: str) -> None:
    if query.strip() == "tvec":
        with pytest.raises(immunokb.NotFoundError):
            kb.get(query)  # hyphen -> space, but words are not glued together
        return
    assert kb.get(query).id == "talimogene-laherparepvec"


def test_get_by_id_name_and_alias(kb) -> None:
    assert kb.get("sipuleucel-t").name == "sipuleucel-T"
    assert kb.get("Sipuleucel T").id == "sipuleucel-t"
    assert kb.get("skin cancers").id == "skin-cancer"  # a quoted alias


def test_a_house_tag_is_not_a_name(kb) -> None:
    # "kidney" tags documents about kidney cancer; in a sentence it is an organ
    with pytest.raises(immunokb.NotFoundError):
        kb.get("prostate")
    assert kb.cancer_type_for_tag("prostate").id == "prostate-cancer"
    (statement,) = kb.get("prostate cancer").statements_for("cancer_type_tag", "prostate")
    assert statement.is_curated
    assert not statement.citations


def test_miss_raises_not_found_with_suggestions(kb) -> None:
    with pytest.raises(immunokb.NotFoundError) as info:
        kb.get("sipuleucel")
    error = info.value
    assert isinstance(error, KeyError)
    assert isinstance(error, immunokb.ImmunoKBError)
    assert "sipuleucel-T" in error.suggestions
    assert "did you mean" in str(error)


@pytest.mark.parametrize("query", ["", "   ", "®"])
def test_empty_queries_miss_without_suggestions(kb, query: str) -> None:
    with pytest.raises(immunokb.NotFoundError) as info:
        kb.get(query)
    assert info.value.suggestions == ()


def test_typo_suggests_the_intended_name(kb) -> None:
    with pytest.raises(immunokb.NotFoundError) as info:
        kb.get("tumour lysis syndrome")
    assert info.value.suggestions[0] == "tumor lysis syndrome"


def test_source_lookup(kb) -> None:
    assert kb.source(NCI_VACCINES).publisher == "NCI"
    with pytest.raises(immunokb.NotFoundError) as info:
        kb.source("nci-cancer-treatment-vaccine")
    assert info.value.suggestions == (NCI_VACCINES,)


def test_collections_are_sorted_tuples_and_vaccines_are_therapies(kb) -> None:
    for collection in (kb.sources, kb.therapies, kb.vaccines, kb.side_effects, kb.cancer_types):
        assert isinstance(collection, tuple)
        assert [x.id for x in collection] == sorted(x.id for x in collection)
    assert set(kb.vaccines) <= set(kb.therapies)
    assert all(isinstance(v, immunokb.Therapy) for v in kb.vaccines)


# An invented corpus for the graph queries, so that they do not depend on what the
# bundled content says: zzqvax -> zzq dendritic vaccines -> zzq vaccines (broader),
# zzq skin cancer -> zzq cancer.
HANDBOOK = """---
title: Zzq handbook
sourceType: 02_zzq
---
Zzq vaccines can cause zzq fever.

Zzqvax can cause zzq stroke.

Zzqvax treats zzq skin cancer.
"""


def _entity(kind: str, entity_id: str, name: str, extra: str = "") -> str:
    scope = "scope: product\n" if kind in {"therapy", "vaccine"} else ""
    return f"""---
kind: {kind}
id: {entity_id}
{scope}name:
  value: {name}
  curated: "invented for a test"
cite:
  - source: zzq-handbook
    quote: "Zzqvax treats zzq skin cancer."
{extra}---
"""


def _relation(key: str, field: str, target: str, quote: str | None = None) -> str:
    evidence = (
        '    curated: "invented"\n'
        if quote is None
        else f'    cite:\n      - source: zzq-handbook\n        quote: "{quote}"\n'
    )
    return f"{key}:\n  - {field}: {target}\n{evidence}"


GRAPH = {
    "sources/zzq-handbook.md": HANDBOOK,
    "zzq-vaccines.md": _entity(
        "therapy",
        "zzq-vaccines",
        "zzq vaccines",
        _relation("side_effects", "side_effect", "zzq-fever", "Zzq vaccines can cause zzq fever."),
    ),
    "zzq-dc-vaccines.md": _entity(
        "vaccine",
        "zzq-dc-vaccines",
        "zzq dendritic vaccines",
        _relation("broader", "value", "zzq-vaccines") + "purpose:\n  value: treatment\n"
        '  curated: "invented"\n',
    ),
    "zzqvax.md": _entity(
        "vaccine",
        "zzqvax",
        "zzqvax",
        _relation("broader", "value", "zzq-dc-vaccines")
        + _relation("side_effects", "side_effect", "zzq-stroke", "Zzqvax can cause zzq stroke.")
        + _relation(
            "indications", "cancer_type", "zzq-skin-cancer", "Zzqvax treats zzq skin cancer."
        )
        + "    status: approved\n"
        + 'purpose:\n  value: treatment\n  curated: "invented"\n',
    ),
    "zzq-fever.md": _entity("side_effect", "zzq-fever", "zzq fever"),
    "zzq-stroke.md": _entity("side_effect", "zzq-stroke", "zzq stroke"),
    "zzq-cancer.md": _entity("cancer_type", "zzq-cancer", "zzq cancer"),
    "zzq-skin-cancer.md": _entity(
        "cancer_type",
        "zzq-skin-cancer",
        "zzq skin cancer",
        _relation("broader", "value", "zzq-cancer"),
    ),
}


@pytest.fixture
def graph(corpus) -> immunokb.KnowledgeBase:
    return immunokb.load(paths=[corpus(GRAPH)], bundled=False)


def test_side_effects_include_those_inherited_from_broader_classes(graph) -> None:
    links = graph.side_effects_of("Zzqvax")
    assert [(link.side_effect.id, link.via) for link in links] == [
        ("zzq-stroke", None),  # its own, first
        ("zzq-fever", "zzq-vaccines"),  # stated for a class two broader levels up
    ]
    for link in links:
        assert link.therapy_id == "zzqvax"
        (citation,) = link.citations
        assert graph.source(citation.source_id).text[citation.start : citation.end] == (
            citation.quote
        )
    assert links[0].citations[0].quote == "Zzqvax can cause zzq stroke."


def test_side_effects_of_a_class_are_its_own(graph) -> None:
    assert [(s.side_effect.id, s.via) for s in graph.side_effects_of("zzq vaccines")] == [
        ("zzq-fever", None)
    ]
    assert graph.side_effects_of("zzq dendritic vaccines")[0].via == "zzq-vaccines"


def test_side_effects_of_requires_a_therapy(graph) -> None:
    with pytest.raises(immunokb.NotFoundError) as info:
        graph.side_effects_of("zzq stroke")
    assert info.value.what == "therapy"


def test_therapies_for_includes_narrower_cancer_types(graph) -> None:
    assert [t.id for t in graph.therapies_for("zzq skin cancer")] == ["zzqvax"]
    assert [t.id for t in graph.therapies_for("Zzq Cancer")] == ["zzqvax"]
    with pytest.raises(immunokb.NotFoundError) as info:
        graph.therapies_for("zzqvax")
    assert info.value.what == "cancer type"


def test_narrower_and_ancestors(graph) -> None:
    assert [e.id for e in graph.ancestors("zzqvax")] == ["zzq-dc-vaccines", "zzq-vaccines"]
    assert [e.id for e in graph.narrower("zzq-vaccines")] == ["zzq-dc-vaccines"]
    assert [e.id for e in graph.narrower("zzq-vaccines", transitive=True)] == [
        "zzq-dc-vaccines",
        "zzqvax",
    ]
    assert graph.ancestors("zzq-vaccines") == ()
    assert graph.narrower("zzqvax") == ()


def test_search_ranks_the_named_entity_first(kb) -> None:
    hits = kb.search("tumor lysis", limit=10)
    assert hits[0].entity is not None
    assert hits[0].entity.id == "tumor-lysis-syndrome"
    assert any(h.entity is None and h.source_id == NCI_VACCINES for h in hits)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert "**tumor**" in hits[0].snippet.lower() or "**lysis**" in hits[0].snippet.lower()


def test_search_is_deterministic_and_respects_limit(kb) -> None:
    assert kb.search("cancer vaccines", limit=3) == kb.search("cancer vaccines", limit=3)
    assert len(kb.search("cancer", limit=3)) == 3
    assert kb.search("   ") == []
    assert kb.search("cancer", limit=0) == []
    assert kb.search("zzzz-qqqq") == []


@given(st.text(max_size=300))
def test_search_never_fails(text: str) -> None:
    hits = immunokb.load().search(text, limit=5)
    assert len(hits) <= 5


def test_conflicts_report_rival_status_claims(corpus) -> None:
    source = "---\ntitle: {title}\nsourceType: {tier}\n---\n{body}\n"
    folder = corpus(
        {
            "sources/zzq-weak.md": source.format(
                title="Weak", tier="07_zzq", body="Zzqmab is still investigational."
            ),
            "sources/zzq-strong.md": source.format(
                title="Strong", tier="02_zzq", body="Zzqmab has been approved."
            ),
            "rival.md": """
        ---
        kind: therapy
        scope: product
        id: zzq-rival-therapy
        name:
          value: zzq rival therapy
          curated: "a test entity"
        status:
          - value: investigational
            cite:
              - source: zzq-weak
                quote: "Zzqmab is still investigational."
          - value: approved
            cite:
              - source: zzq-strong
                quote: "Zzqmab has been approved."
        cite:
          - source: zzq-weak
            quote: "Zzqmab is still investigational."
        ---
        """,
        }
    )
    kb = immunokb.load(paths=[folder], bundled=False)
    # weighed by tier: the company page's word does not make the agency's a tie, but
    # the disagreement stays in the open
    assert kb.get("zzq rival therapy").status is immunokb.Status.APPROVED
    (conflict,) = kb.conflicts()
    assert conflict.entity_id == "zzq-rival-therapy"
    assert conflict.field is immunokb.StatementField.STATUS
    assert conflict.adopted is immunokb.Status.APPROVED
    # most trusted first, whatever the order in the document
    assert [(c.value, c.source_id, c.tier) for c in conflict.claims] == [
        ("approved", "zzq-strong", 2),
        ("investigational", "zzq-weak", 7),
    ]
    assert [c.citations[0].source_id for c in conflict.claims] == ["zzq-strong", "zzq-weak"]


def test_stale_sources(kb) -> None:
    stale = {s.id for s in kb.stale_sources(on=dt.date(2026, 1, 1))}
    assert NCI_VACCINES not in stale  # reviewed 2025-12-30, quarterly
    assert "healthmedia-how-do-cancer-immunotherapies-work" in stale  # reviewed 2021-09
    later = {s.id for s in kb.stale_sources(on=dt.date(2026, 11, 21))}
    assert NCI_VACCINES in later
    assert later == {s.id for s in kb.sources}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("checkpoint inhibiters", "immune checkpoint inhibitors"),
        ("sipuleucel", "sipuleucel-T"),
        ("talimogene", "talimogene laherparepvec"),
        ("melanomma", "melanoma"),
        ("flu like symptom", "flu-like symptoms"),
        ("Oncolitic virus", "oncolytic virus therapy"),
    ],
)
def test_typos_and_partial_names_suggest_the_entity_first(kb, query: str, expected: str) -> None:
    with pytest.raises(immunokb.NotFoundError) as info:
        kb.get(query)
    assert info.value.suggestions[0] == expected
    assert len(info.value.suggestions) <= 5


def test_a_very_long_miss_is_a_plain_miss(kb) -> None:
    with pytest.raises(immunokb.NotFoundError) as info:
        kb.get("sipuleucel " * 50_000)
    assert len(info.value.suggestions) <= 5


def test_an_unrelated_word_gets_no_suggestions(kb) -> None:
    with pytest.raises(immunokb.NotFoundError) as info:
        kb.get("xyzzy")
    assert info.value.suggestions == ()


@pytest.mark.parametrize("query", ["प्रतिरक्षा", "免疫療法", "Иммунотерапия"])
def test_non_latin_misses_are_clean(kb, query: str) -> None:
    with pytest.raises(immunokb.NotFoundError) as info:
        kb.get(query)
    assert info.value.query == query


@given(st.text(max_size=80))
def test_suggestions_are_always_known_names_of_the_right_kind(text: str) -> None:
    kb = immunokb.load()
    cancer_types = {c.id for c in kb.cancer_types}
    if normalize(text) not in {
        normalize(label) for e in kb.entities for label in (e.id, e.name, *e.aliases)
    }:
        with pytest.raises(immunokb.NotFoundError) as info:
            kb.get(text)
        names = [e.name for e in kb.entities]
        assert set(info.value.suggestions) <= set(names)
        assert len(set(info.value.suggestions)) == len(info.value.suggestions)
    if not any(
        normalize(text) in {normalize(x) for x in (c.id, c.name, *c.aliases)}
        for c in kb.cancer_types
    ):
        with pytest.raises(immunokb.NotFoundError) as info:
            kb.therapies_for(text)
        assert info.value.what == "cancer type"
        assert {kb.get(name).id for name in info.value.suggestions} <= cancer_types


def test_labels_as_written_and_their_variants_find_the_same_entity(kb) -> None:
    # `get` answers a label as written from its own map, and anything else through
    # normalize(); both must agree for every id, name and alias.
    for entity in kb.entities:
        for label in (entity.id, entity.name, *entity.aliases):
            assert kb.get(label) is entity
            assert kb.get(f" {label.upper()} ") is entity
