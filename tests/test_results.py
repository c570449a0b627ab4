"""ResultList is a list in every way that matters, plus display and DataFrames."""

from __future__ import annotations

import immunokb


def test_result_lists_behave_as_lists(kb) -> None:
    hits = kb.search("stroke")
    assert isinstance(hits, list)
    assert isinstance(hits, immunokb.ResultList)
    assert hits == list(hits)
    assert isinstance(hits[0], immunokb.Hit)
    assert hits[-1] == list(hits)[-1]


def test_a_slice_is_still_a_result_list(kb) -> None:
    links = kb.side_effects_of("sipuleucel-T")
    head = links[:2]
    assert isinstance(head, immunokb.ResultList)
    assert head == list(links)[:2]
    assert "<table" in head._repr_html_()
    assert links[::-1] == list(reversed(links))


def test_every_query_returns_a_result_list(kb) -> None:
    results = [
        kb.side_effects_of("T-VEC"),
        kb.therapies_with_side_effect("stroke"),
        kb.therapies_for("melanoma"),
        kb.conflicts(),
        kb.stale_sources(),
        kb.search("vaccine"),
        kb.find_therapies(),
        kb.find_vaccines(),
        kb.find_side_effects(),
        kb.find_cancer_types(),
        kb.find_sources(),
        kb.references("T-VEC"),
    ]
    assert all(isinstance(r, immunokb.ResultList) for r in results)
