from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

import immunokb
from conftest import NCI_VACCINES


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


def test_get_by_id_name_and_curated_alias(kb) -> None:
    assert kb.get("sipuleucel-t").name == "sipuleucel-T"
    assert kb.get("Sipuleucel T").id == "sipuleucel-t"
    assert kb.get("prostate").id == "prostate-cancer"  # curated alias, marked as such
    (statement,) = kb.get("prostate cancer").statements_for("alias", "prostate")
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


def test_side_effects_of_sipuleucel_t_include_inherited_class_effects(kb) -> None:
    links = kb.side_effects_of("Sipuleucel-T")
    by_effect = {link.side_effect.id: link for link in links}
    assert by_effect["stroke"].via is None
    assert by_effect["stroke"].citations[0].quote == "Sipuleucel-T can cause stroke."
    # stated for cancer treatment vaccines, two broader levels up
    assert by_effect["flu-like-symptoms"].via == "treatment-vaccines"
    assert links[0].via is None  # direct links first
    for link in links:
        assert link.therapy_id == "sipuleucel-t"
        for citation in link.citations:
            assert kb.source(citation.source_id).text[citation.start : citation.end]


def test_side_effects_of_requires_a_therapy(kb) -> None:
    with pytest.raises(immunokb.NotFoundError) as info:
        kb.side_effects_of("stroke")
    assert info.value.what == "therapy"


def test_therapies_for(kb) -> None:
    assert [t.id for t in kb.therapies_for("melanoma")] == ["talimogene-laherparepvec"]
    assert [t.id for t in kb.therapies_for("Prostate Cancer")] == ["sipuleucel-t"]
    with pytest.raises(immunokb.NotFoundError):
        kb.therapies_for("T-VEC")


def test_narrower_and_ancestors(kb) -> None:
    assert [e.id for e in kb.ancestors("sipuleucel-t")] == [
        "dendritic-cell-vaccines",
        "treatment-vaccines",
    ]
    assert "sipuleucel-t" in {e.id for e in kb.narrower("treatment-vaccines", transitive=True)}
    assert "sipuleucel-t" not in {e.id for e in kb.narrower("treatment-vaccines")}


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
    assert immunokb.load().conflicts() == []
    folder = corpus(
        {
            "rival.md": f"""
        ---
        kind: therapy
        id: rival-therapy
        name:
          value: rival therapy
          curated: "a test entity"
        status:
          - value: approved
            cite:
              - source: {NCI_VACCINES}
                quote: "One dendritic cell vaccine has been approved"
          - value: investigational
            cite:
              - source: commercial-therapeutic-cancer-vaccines
                quote: "the field is predominantly investigational"
        cite:
          - source: commercial-therapeutic-cancer-vaccines
            quote: "Most therapeutic cancer vaccines are still in clinical trials"
        ---
        """
        }
    )
    kb = immunokb.load(paths=[folder])
    assert kb.get("rival therapy").status is immunokb.Status.APPROVED  # the first claim
    (conflict,) = kb.conflicts()
    assert conflict.entity_id == "rival-therapy"
    assert conflict.field is immunokb.StatementField.STATUS
    assert [c.value for c in conflict.claims] == ["approved", "investigational"]
    assert [c.citations[0].source_id for c in conflict.claims] == [
        NCI_VACCINES,
        "commercial-therapeutic-cancer-vaccines",
    ]


def test_stale_sources(kb) -> None:
    stale = {s.id for s in kb.stale_sources(on=dt.date(2026, 1, 1))}
    assert NCI_VACCINES not in stale  # reviewed 2025-12-30, quarterly
    assert "healthmedia-how-do-cancer-immunotherapies-work" in stale  # reviewed 2021-09
    later = {s.id for s in kb.stale_sources(on=dt.date(2026, 11, 21))}
    assert NCI_VACCINES in later
    assert later == {s.id for s in kb.sources}
