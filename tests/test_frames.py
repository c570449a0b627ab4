from __future__ import annotations

import json
import subprocess
import sys

import pytest
from hypothesis import given

from immunokb._errors import ImmunoKBError, MissingDependencyError, QueryError
from immunokb._frames import KINDS, frame, kb_frame, kb_records, records
from immunokb._results import ResultList
from strategies import any_model

pd = pytest.importorskip("pandas")
from pandas.api import types as ptypes  # noqa: E402 - only once pandas is known to be there

JSON_LIKE = (str, int, float, bool, type(None))

ENTITY_COLUMNS = [
    "id",
    "name",
    "kind",
    "aliases",
    "broader",
    "summary",
    "n_citations",
    "source_ids",
]


def _sizes(kb) -> dict[str, int]:
    return {
        "therapies": len(kb.therapies),
        "vaccines": len(kb.vaccines),
        "side-effects": len(kb.side_effects),
        "cancer-types": len(kb.cancer_types),
        "sources": len(kb.sources),
        "indications": sum(len(t.indications) for t in kb.therapies),
    }


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_has_a_row_per_record(kb, kind: str) -> None:
    rows = kb_records(kb, kind)
    df = kb_frame(kb, kind)
    assert isinstance(df, pd.DataFrame)
    assert len(df) == len(rows)
    if kind == "citations":
        assert len(df) >= sum(len(e.citations) for e in kb.entities)
    else:
        assert len(df) == _sizes(kb)[kind]
    assert list(df.columns) == list(rows[0])
    for row in rows:
        assert list(row) == list(df.columns)
        assert all(isinstance(v, JSON_LIKE) for v in row.values()), row
    json.dumps(rows)


def test_entity_columns_and_ids(kb) -> None:
    df = kb_frame(kb, "side-effects")
    assert list(df.columns) == ENTITY_COLUMNS
    assert list(df["id"]) == [e.id for e in kb.side_effects]
    assert ptypes.is_integer_dtype(df["n_citations"])
    assert ptypes.is_string_dtype(df["name"])
    assert (df["n_citations"] >= 1).all()

    therapies = kb_frame(kb, "therapies")
    assert list(therapies.columns) == [
        "id",
        "name",
        "kind",
        "scope",
        "status",
        "routes",
        "cancer_type_ids",
        "platform",
        "purpose",
        *ENTITY_COLUMNS[3:],
    ]
    by_id = therapies.set_index("id")
    for therapy in kb.therapies:
        row = by_id.loc[therapy.id]
        assert row["status"] == therapy.status.value
        assert row["scope"] == therapy.scope.value
        assert row["kind"] == therapy.kind
        expected = "; ".join(therapy.cancer_type_ids) if therapy.cancer_type_ids else None
        value = row["cancer_type_ids"]
        assert (None if pd.isna(value) else value) == expected
    vaccines = kb_frame(kb, "vaccines").set_index("id")
    for vaccine in kb.vaccines:
        assert vaccines.loc[vaccine.id, "purpose"] == vaccine.purpose.value
        platform = vaccines.loc[vaccine.id, "platform"]
        assert (None if pd.isna(platform) else platform) == (
            vaccine.platform.value if vaccine.platform else None
        )


def test_source_columns_and_dtypes(kb) -> None:
    df = kb_frame(kb, "sources")
    assert list(df.columns) == [
        "id",
        "title",
        "publisher",
        "url",
        "license",
        "audience",
        "tier",
        "last_reviewed",
        "last_reviewed_precision",
        "review_due",
        "stale",
    ]
    assert ptypes.is_integer_dtype(df["tier"])
    assert ptypes.is_bool_dtype(df["stale"])
    for source, row in zip(kb.sources, kb_records(kb, "sources"), strict=True):
        assert row["id"] == source.id
        assert row["tier"] == source.tier
        assert row["stale"] is source.is_stale()
        assert row["last_reviewed"] == (
            None if source.last_reviewed is None else source.last_reviewed.isoformat()
        )
        assert row["license"] == source.license.value


def test_indication_rows_carry_claim_and_adopted_status(kb) -> None:
    rows = kb_records(kb, "indications")
    by_therapy = {t.id: t for t in kb.therapies}
    for row in rows:
        therapy = by_therapy[str(row["therapy_id"])]
        cancer_type_id = str(row["cancer_type_id"])
        assert row["adopted_status"] == therapy.indication_status(cancer_type_id).value
        claims = therapy.indications_for(cancer_type_id)
        assert row["status"] in {c.status.value for c in claims}
        if row["curated"] is None:
            assert row["source_id"] is not None
            assert row["quotes"]
        else:
            assert row["source_id"] is None
            assert row["quotes"] is None
    df = kb_frame(kb, "indications")
    assert ptypes.is_integer_dtype(df["tier"])


def test_citation_rows_cover_every_piece_of_evidence(kb) -> None:
    rows = kb_records(kb, "citations")
    fields = {row["field"] for row in rows}
    assert {"summary", "name", "alias", "broader", "status", "indication"} <= fields
    summary = [
        (r["entity_id"], r["source_id"], r["start"]) for r in rows if r["field"] == "summary"
    ]
    assert summary == [(e.id, c.source_id, c.start) for e in kb.entities for c in e.citations]
    curated = [r for r in rows if r["curated"] is not None]
    assert curated, "the bundled KB has curated statements"
    for row in curated:
        assert row["source_id"] is None
        assert row["quote"] is None
    assert {
        "entity_id": "prostate-cancer",
        "field": "cancer_type_tag",
        "value": "prostate",
    }.items() <= next(
        r for r in curated if r["entity_id"] == "prostate-cancer" and r["value"] == "prostate"
    ).items()
    quoted = [r for r in rows if r["curated"] is None]
    sources = {s.id: s for s in kb.sources}
    for row in quoted:
        text = sources[str(row["source_id"])].text
        assert isinstance(row["start"], int)
        assert isinstance(row["end"], int)
        assert text[row["start"] : row["end"]]
    df = kb_frame(kb, "citations")
    assert ptypes.is_integer_dtype(df["start"])
    assert ptypes.is_integer_dtype(df["end"])


def test_unknown_kind_names_the_valid_kinds(kb) -> None:
    with pytest.raises(ValueError, match="therapies, vaccines") as caught:
        kb_frame(kb, "drugs")
    assert isinstance(caught.value, QueryError)
    assert isinstance(caught.value, ImmunoKBError)
    for kind in KINDS:
        assert kind in str(caught.value)
    with pytest.raises(QueryError):
        kb_records(kb, "Therapies")


def test_result_lists_become_frames(kb) -> None:
    hits = kb.search("checkpoint inhibitor", limit=5)
    df = frame(hits)
    assert list(df.columns) == ["score", "entity_id", "source_id", "section", "snippet", "quote"]
    assert len(df) == len(hits)
    assert ptypes.is_float_dtype(df["score"])
    assert list(df["score"]) == [h.score for h in hits]
    assert ResultList(hits).to_dataframe().equals(df)

    links = kb.side_effects_of("sipuleucel-t")
    rows = records(links)
    assert len(rows) == len(links)
    assert list(rows[0])[:4] == ["therapy_id", "side_effect_id", "side_effect", "via"]
    for link, row in zip(links, rows, strict=True):
        assert row["side_effect_id"] == link.side_effect.id
        assert row["via"] == link.via
        path = getattr(link, "path", None)
        if path is not None:
            assert row["path"] == "; ".join(path)

    conflicts = kb.conflicts()
    rows = records(conflicts)
    assert len(rows) == sum(len(c.claims) for c in conflicts)
    assert {"entity_id", "field", "subject", "value", "source_id", "tier"} <= set(rows[0])
    assert any(r["disputes"] for r in rows)
    assert all(r["against"] for r in rows if r["disputes"])


def test_mixed_list_has_the_union_of_columns(kb) -> None:
    side_effect = kb.side_effects[0]
    vaccine = kb.vaccines[0]
    source = kb.sources[0]
    rows = records([side_effect, vaccine, source])
    assert len(rows) == 3
    assert all(list(r) == list(rows[0]) for r in rows)
    columns = list(rows[0])
    assert columns[:5] == ["id", "name", "kind", "scope", "status"]
    assert {"platform", "purpose", "title", "stale"} <= set(columns)
    assert rows[0]["status"] is None
    assert rows[1]["status"] == vaccine.status.value
    assert rows[2]["name"] is None
    assert rows[2]["title"] == source.title
    df = frame([side_effect, vaccine, source])
    assert list(df.columns) == columns


def test_empty_lists_give_empty_frames() -> None:
    assert records([]) == []
    df = frame([])
    assert isinstance(df, pd.DataFrame)
    assert df.empty
    assert ResultList([]).to_dataframe().empty


def test_missing_pandas_raises_a_helpful_error(kb, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "pandas", None)  # makes `import pandas` fail
    for build in (lambda: frame([]), lambda: kb_frame(kb, "sources"), ResultList().to_dataframe):
        with pytest.raises(MissingDependencyError) as caught:
            build()
        error = caught.value
        assert isinstance(error, ImportError)
        assert isinstance(error, ImmunoKBError)
        assert str(error).endswith(
            "needs pandas, which is not installed; install pandas, or immunokb with its "
            "'pandas' extra"
        )
        assert error.extra == "pandas"
        assert isinstance(error.__cause__, ImportError)
    assert kb_records(kb, "sources")  # records need no pandas


def test_no_pandas_import_until_a_frame_is_built() -> None:
    code = (
        "import sys\n"
        "import immunokb, immunokb._frames as f, immunokb._display as d\n"
        "kb = immunokb.load()\n"
        "hits = kb.search('vaccine')\n"
        "f.records(hits); f.kb_records(kb, 'citations'); d.to_html(hits)\n"
        "assert 'pandas' not in sys.modules\n"
        "f.frame(hits)\n"
        "assert 'pandas' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@given(any_model)
def test_any_model_gives_flat_json_like_rows(model) -> None:
    rows = records([model])
    assert rows
    for row in rows:
        assert all(isinstance(v, JSON_LIKE) for v in row.values()), row
    json.dumps(rows)
    assert len(frame([model, model])) == 2 * len(rows)
