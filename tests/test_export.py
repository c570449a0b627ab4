"""The exports: JSON, JSON Lines, JSON Schema, JSON-LD, CSV, Parquet, and the licence filter."""

from __future__ import annotations

import io
import json
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import immunokb
from immunokb import KnowledgeBase, License, MissingDependencyError, QueryError
from immunokb._frames import KINDS, kb_frame, kb_records
from immunokb._provenance import normalize_quote

ROOT = Path(__file__).resolve().parents[1]
HOSPITAL = ROOT / "examples" / "hospital-docs"
GROUPS = {
    "therapies": immunokb.Therapy,
    "vaccines": immunokb.Vaccine,
    "side_effects": immunokb.SideEffect,
    "cancer_types": immunokb.CancerType,
}
KIND_OF_GROUP = {
    "therapies": "therapy",
    "vaccines": "vaccine",
    "side_effects": "side_effect",
    "cancer_types": "cancer_type",
}
NCI = "nci-cancer-treatment-vaccines"


def _model(kind: str) -> type[immunokb.Entity]:
    return {
        "therapy": immunokb.Therapy,
        "vaccine": immunokb.Vaccine,
        "side_effect": immunokb.SideEffect,
        "cancer_type": immunokb.CancerType,
    }[kind]


def document(kb: KnowledgeBase, **options: Any) -> dict[str, Any]:
    return json.loads(kb.export("json", **options))


def entities_of(doc: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for group in GROUPS:
        yield from doc[group]


@pytest.fixture(scope="module")
def hospital_kb() -> KnowledgeBase:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", immunokb.DocumentWarning)
        return immunokb.load(paths=[HOSPITAL], extra_fields=["department", "leafletCode"])


@pytest.fixture(scope="module")
def validator():
    jsonschema = pytest.importorskip("jsonschema")
    schema = immunokb.export_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


# --------------------------------------------------------------------------- JSON


def test_json_header_identifies_the_knowledge_base(kb: KnowledgeBase) -> None:
    header = document(kb)["header"]
    assert header == {
        "immunokb_version": immunokb.__version__,
        "content_version": kb.version,
        "fingerprint": kb.fingerprint,
        "license_filter": None,
        "counts": {
            "sources": len(kb.sources),
            "therapies": len(kb.therapies) - len(kb.vaccines),
            "vaccines": len(kb.vaccines),
            "side_effects": len(kb.side_effects),
            "cancer_types": len(kb.cancer_types),
        },
    }


def test_json_holds_every_source_and_entity_once(kb: KnowledgeBase) -> None:
    doc = document(kb)
    assert list(doc) == ["header", "sources", *GROUPS]
    assert doc["sources"] == [s.model_dump(mode="json") for s in kb.sources]
    ids = [e["id"] for e in entities_of(doc)]
    assert sorted(ids) == sorted(e.id for e in kb.entities)
    assert len(ids) == len(set(ids))
    for group, kind in KIND_OF_GROUP.items():
        assert {e["kind"] for e in doc[group]} <= {kind}
        assert [e["id"] for e in doc[group]] == sorted(e["id"] for e in doc[group])


def test_json_round_trips_into_the_models(kb: KnowledgeBase) -> None:
    doc = document(kb)
    for record in doc["sources"]:
        assert immunokb.Source.model_validate(record) == kb.source(record["id"])
    for group, model in GROUPS.items():
        for record in doc[group]:
            entity = model.model_validate(record)
            assert type(entity) is type(kb.get(record["id"]))
            assert entity == kb.get(record["id"])


def test_json_is_deterministic_utf8_text(kb: KnowledgeBase) -> None:
    text = kb.export("json")
    assert text == kb.export()  # json is the default
    assert text == immunokb.load().export("json")
    assert text.endswith("}\n")
    assert "\\u" not in text  # written as UTF-8, not escaped
    assert "Imlygic®" in text


def test_json_validates_against_the_export_schema(kb, hospital_kb, validator) -> None:
    for base, licenses in [(kb, None), (kb, ["public_domain"]), (hospital_kb, None)]:
        errors = list(validator.iter_errors(document(base, licenses=licenses)))
        assert errors == [], errors[0].message


def test_the_schema_refuses_what_the_export_never_holds(kb, validator) -> None:
    doc = document(kb)
    doc["vaccines"].append(doc["therapies"][0])  # a therapy under vaccines
    assert not validator.is_valid(doc)
    doc = document(kb)
    del doc["header"]["fingerprint"]
    assert not validator.is_valid(doc)
    doc = document(kb)
    del doc["sources"][0]["license"]  # the export always writes every field
    assert not validator.is_valid(doc)
    doc = document(kb)
    doc["side_effects"][0]["citations"] = []
    assert not validator.is_valid(doc)


def test_export_schema_has_every_exported_model_in_serialization_mode() -> None:
    schema = immunokb.export_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    for name in [
        "Source",
        "Therapy",
        "Vaccine",
        "SideEffect",
        "CancerType",
        "Citation",
        "Statement",
        "StatusClaim",
        "Indication",
        "Dispute",
        "SideEffectRelation",
        "ExportHeader",
        "LicenseFilter",
    ]:
        assert name in schema["$defs"], name
    assert "Hit" not in schema["$defs"]  # query results are not exported
    assert set(schema["$defs"]["Therapy"]["required"]) == set(immunokb.Therapy.model_fields)
    schema["$defs"].clear()  # a fresh copy each call
    assert immunokb.export_schema()["$defs"]
    assert json.loads(immunokb.load().export("schema")) == immunokb.export_schema()


# --------------------------------------------------------------------------- JSONL


def test_jsonl_is_the_header_then_one_line_per_record(kb: KnowledgeBase) -> None:
    lines = kb.export("jsonl").splitlines()
    records = [json.loads(line) for line in lines]
    header = records[0]
    assert header.pop("record") == "header"
    assert header == document(kb)["header"]
    assert len(records) == 1 + len(kb.sources) + len(kb.entities)
    for record in records[1:]:
        kind = record.pop("record")
        if kind == "source":
            assert immunokb.Source.model_validate(record) == kb.source(record["id"])
        else:
            assert kind == record["kind"]
            entity = _model(kind).model_validate(record)
            assert entity == kb.get(record["id"])
    assert [r["id"] for r in records[1:]] == [s.id for s in kb.sources] + [
        e["id"] for e in entities_of(document(kb))
    ]


# --------------------------------------------------------------------------- JSON-LD


SKOS = "http://www.w3.org/2004/02/skos/core#"
SCHEMA = "https://schema.org/"
OA = "http://www.w3.org/ns/oa#"


def parse_jsonld(text: str):
    rdflib = pytest.importorskip("rdflib")
    with warnings.catch_warnings():
        # rdflib's JSON-LD parser uses its own deprecated ConjunctiveGraph internally
        warnings.simplefilter("ignore", DeprecationWarning)
        return rdflib.Graph().parse(data=text, format="json-ld")


@pytest.fixture(scope="module")
def graph():
    return parse_jsonld(immunokb.load().export("jsonld"))


def _iri(value: str):
    from rdflib import URIRef

    return URIRef(value)


def _entity(entity_id: str):
    return _iri(f"urn:immunokb:entity:{entity_id}")


def test_jsonld_embeds_the_published_context(kb: KnowledgeBase) -> None:
    from importlib.resources import files

    published = json.loads(files("immunokb").joinpath("context.jsonld").read_text("utf-8"))
    assert published == immunokb.jsonld_context()
    doc = json.loads(kb.export("jsonld"))
    assert doc["@context"] == published["@context"]
    terms = set(published["@context"])

    def keys(node: object) -> Iterator[str]:
        if isinstance(node, dict):
            for key, value in node.items():
                yield key
                if key not in ("extra", "licenseFilter", "lastReviewed"):
                    yield from keys(value)
        elif isinstance(node, list):
            for item in node:
                yield from keys(item)

    # every key is a term of the context (an undefined key would be dropped silently)
    assert set(keys(doc["@graph"])) <= terms


def test_jsonld_labels_aliases_and_hierarchy(kb: KnowledgeBase, graph) -> None:
    from rdflib import Literal, Namespace

    skos, schema, rdf_type = (
        Namespace(SKOS),
        Namespace(SCHEMA),
        _iri("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
    )
    for entity in kb.entities:
        node = _entity(entity.id)
        assert set(graph.objects(node, skos.prefLabel)) == {Literal(entity.name)}
        assert set(graph.objects(node, schema.name)) == {Literal(entity.name)}
        assert set(graph.objects(node, skos.altLabel)) == {Literal(a) for a in entity.aliases}
        assert set(graph.objects(node, skos.broader)) == {_entity(b) for b in entity.broader}
        narrower = {_entity(n.id) for n in kb.narrower(entity.id)}
        assert set(graph.objects(node, skos.narrower)) == narrower
        assert skos.Concept in set(graph.objects(node, rdf_type))
        assert set(graph.objects(node, schema.description)) == {Literal(entity.summary)}
    for therapy in kb.therapies:
        types = set(graph.objects(_entity(therapy.id), rdf_type))
        assert schema.MedicalTherapy in types
        assert (_iri("urn:immunokb:vocab:Vaccine") in types) == isinstance(
            therapy, immunokb.Vaccine
        )
        outcomes = set(graph.objects(_entity(therapy.id), schema.adverseOutcome))
        assert outcomes == {_entity(r.side_effect_id) for r in therapy.side_effects}
        routes = set(graph.objects(_entity(therapy.id), schema.administrationRoute))
        assert routes == {Literal(r.value) for r in therapy.routes}


def test_jsonld_citations_point_at_the_source_with_the_quote(kb: KnowledgeBase, graph) -> None:
    from rdflib import Literal, Namespace

    schema, oa = Namespace(SCHEMA), Namespace(OA)
    for entity in kb.entities:
        found = set()
        for node in graph.objects(_entity(entity.id), schema.citation):
            source = graph.value(node, schema.isPartOf)
            found.add(
                (
                    str(source),
                    str(graph.value(node, schema.text)),
                    graph.value(node, oa.start).toPython(),
                    graph.value(node, oa.end).toPython(),
                )
            )
            assert (source, _iri("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"), None) in graph
        expected = {
            (f"urn:immunokb:source:{c.source_id}", c.quote, c.start, c.end)
            for c in entity.citations
        }
        assert found == expected
    for source in kb.sources:
        node = _iri(f"urn:immunokb:source:{source.id}")
        assert graph.value(node, schema.name) == Literal(source.title)
        assert graph.value(node, schema.license) == Literal(source.license.value)
        assert graph.value(node, schema.text) == Literal(source.text)
        reviewed = graph.value(node, schema.lastReviewed)
        if source.last_reviewed is None:
            assert reviewed is None
        else:
            assert str(reviewed) == source.last_reviewed_display


def test_jsonld_claims_keep_their_source_and_evidence(kb: KnowledgeBase, graph) -> None:
    from rdflib import Namespace

    ikb = Namespace("urn:immunokb:vocab:")
    lk101 = kb.get("LK101")
    claims = list(graph.objects(_entity(lk101.id), ikb.statusClaim))
    assert len(claims) == len(lk101.status_claims)
    assert str(graph.value(_entity(lk101.id), ikb.status)) == lk101.status.value
    disputes = [d for c in claims for d in graph.objects(c, ikb.disputedBy)]
    assert [str(graph.value(d, ikb.source)) for d in disputes] == [
        f"urn:immunokb:source:{d.source_id}" for c in lk101.status_claims for d in c.disputed_by
    ]
    therapy = kb.get("T-VEC")
    indications = list(graph.objects(_entity(therapy.id), _iri(SCHEMA + "indication")))
    assert {str(graph.value(i, ikb.cancerType)) for i in indications} == {
        f"urn:immunokb:entity:{i.cancer_type_id}" for i in therapy.indications
    }


# --------------------------------------------------------------------------- tables


def _cell(value: object) -> str:
    return "" if value is None else str(value)


def _expected_rows(kb: KnowledgeBase, table: str) -> list[dict[str, object]]:
    rows = kb_records(kb, table)
    if table == "sources":
        rows = [{k: v for k, v in row.items() if k != "stale"} for row in rows]
    return rows


@pytest.mark.parametrize("table", KINDS)
def test_csv_tables_read_back_as_the_records(kb: KnowledgeBase, table: str) -> None:
    pd = pytest.importorskip("pandas")
    text = kb.export("csv", table=table)
    frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    expected = _expected_rows(kb, table)
    columns = [*expected[0], "content_version", "fingerprint", "license_filter"]
    assert list(frame.columns) == columns
    assert len(frame) == len(expected)
    for got, want in zip(frame.to_dict("records"), expected, strict=True):
        assert got == {
            **{k: _cell(v) for k, v in want.items()},
            "content_version": kb.version,
            "fingerprint": kb.fingerprint,
            "license_filter": "",
        }


def test_csv_names_the_licence_filter_on_every_row(kb: KnowledgeBase) -> None:
    pd = pytest.importorskip("pandas")
    text = kb.export("csv", table="sources", licenses=["unknown", "public_domain"])
    frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    assert set(frame["license_filter"]) == {"public_domain; unknown"}
    assert set(frame["fingerprint"]) == {kb.fingerprint}


@pytest.mark.parametrize("table", KINDS)
def test_parquet_tables_read_back_with_identity_metadata(kb: KnowledgeBase, table: str) -> None:
    pd = pytest.importorskip("pandas")
    pq = pytest.importorskip("pyarrow.parquet")
    data = kb.export("parquet", table=table)
    assert isinstance(data, bytes)
    assert data[:4] == b"PAR1"
    frame = pd.read_parquet(io.BytesIO(data))
    expected = kb_frame(kb, table)
    if table == "sources":
        expected = expected.drop(columns=["stale"])
    pd.testing.assert_frame_equal(frame, expected, check_dtype=False)
    metadata = pq.read_schema(io.BytesIO(data)).metadata
    assert metadata[b"immunokb.fingerprint"] == kb.fingerprint.encode()
    assert metadata[b"immunokb.content_version"] == (kb.version or "").encode()
    assert metadata[b"immunokb.table"] == table.encode()
    assert json.loads(metadata[b"immunokb.license_filter"]) is None
    assert data == kb.export("parquet", table=table)  # no timestamp inside


def test_parquet_metadata_lists_what_the_filter_withheld(kb: KnowledgeBase) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    data = kb.export("parquet", table="therapies", licenses=["public_domain"])
    report = json.loads(pq.read_schema(io.BytesIO(data)).metadata[b"immunokb.license_filter"])
    assert report == document(kb, licenses=["public_domain"])["header"]["license_filter"]


def test_a_table_format_needs_a_table(kb: KnowledgeBase) -> None:
    with pytest.raises(QueryError, match="one table at a time"):
        kb.export("csv")


def test_missing_pandas_names_the_extra(kb: KnowledgeBase, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(MissingDependencyError, match=r"\bpandas\b.*'pandas' extra") as csv:
        kb.export("csv", table="therapies")
    assert (csv.value.extra, csv.value.package) == ("pandas", "pandas")
    with pytest.raises(MissingDependencyError, match=r"'parquet' extra") as parquet:
        kb.export("parquet", table="therapies")
    assert parquet.value.extra == "parquet"


def test_missing_pyarrow_names_the_parquet_extra(kb: KnowledgeBase, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    with pytest.raises(MissingDependencyError, match=r"\bpyarrow\b.*'parquet' extra") as caught:
        kb.export("parquet", table="therapies")
    assert (caught.value.extra, caught.value.package) == ("parquet", "pyarrow")
    assert isinstance(caught.value, immunokb.ImmunoKBError)


# --------------------------------------------------------------------------- arguments, files


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"format": "xml"}, "format='xml' is not one of: json, jsonl, schema"),
        ({"format": "csv", "table": "drugs"}, "table='drugs' is not one of: therapies"),
        ({"format": "json", "table": "therapies"}, "applies only to the table formats"),
        ({"licenses": ["public-domain"]}, "'public-domain' is not one of: public_domain, cc0"),
        ({"licenses": []}, "licenses is empty"),
        ({"licenses": 5}, "must be a licence or an iterable"),
        ({"format": "schema", "licenses": ["cc0"]}, "does not apply to format 'schema'"),
    ],
)
def test_bad_arguments_are_query_errors(kb: KnowledgeBase, kwargs, message: str) -> None:
    with pytest.raises(QueryError, match=message.replace("[", r"\[")) as caught:
        kb.export(**kwargs)
    assert isinstance(caught.value, ValueError)


def test_licences_are_members_or_their_values(kb: KnowledgeBase) -> None:
    by_value = kb.export("json", licenses=["public_domain"])
    assert kb.export("json", licenses=[License.PUBLIC_DOMAIN]) == by_value
    assert kb.export("json", licenses="public_domain") == by_value
    assert kb.export("json", licenses=(License.PUBLIC_DOMAIN, "public_domain")) == by_value


def test_export_to_a_file_and_a_directory(kb: KnowledgeBase, tmp_path: Path) -> None:
    pytest.importorskip("pandas")
    written = kb.export_to(tmp_path / "kb.jsonld", "jsonld")
    assert written == (tmp_path / "kb.jsonld",)
    assert written[0].read_text(encoding="utf-8") == kb.export("jsonld")
    folder = tmp_path / "tables" / "csv"
    written = kb.export_to(folder, "csv", licenses=["public_domain"])
    assert [p.name for p in written] == [f"{kind}.csv" for kind in KINDS]
    for path, kind in zip(written, KINDS, strict=True):
        expected = kb.export("csv", table=kind, licenses=["public_domain"])
        assert path.read_text(encoding="utf-8") == expected
    one = kb.export_to(tmp_path / "v.parquet", "parquet", table="vaccines")
    assert one[0].read_bytes() == kb.export("parquet", table="vaccines")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kb.jsonld", "tables", "v.parquet"]
    assert sorted(p.name for p in folder.iterdir()) == sorted(f"{k}.csv" for k in KINDS)


def test_export_to_a_directory_as_a_file_fails_and_leaves_nothing(
    kb: KnowledgeBase, tmp_path: Path
) -> None:
    (tmp_path / "taken").mkdir()
    with pytest.raises(OSError, match="directory"):
        kb.export_to(tmp_path / "taken", "json")
    assert [p.name for p in tmp_path.iterdir()] == ["taken"]
    assert list((tmp_path / "taken").iterdir()) == []


def test_context_file_ships_outside_the_documents() -> None:
    from importlib.resources import files

    from immunokb import _snapshot
    from immunokb._load import bundled_documents, is_document_name

    assert files("immunokb").joinpath("context.jsonld").is_file()
    assert not is_document_name("context.jsonld")
    assert not any("context" in d.path for d in bundled_documents())
    root = _snapshot.data_directory()
    assert root is not None
    assert not any("jsonld" in entry[0] for entry in _snapshot.listing(root))


# --------------------------------------------------------------------------- user documents


def test_user_documents_export_with_their_extra_fields(hospital_kb: KnowledgeBase) -> None:
    doc = document(hospital_kb)
    assert doc["header"]["fingerprint"] == hospital_kb.fingerprint
    leaflet = next(s for s in doc["sources"] if s["id"] == "day-unit-leaflet")
    assert leaflet["extra"] == {"department": "Oncology day unit", "leafletCode": "ONC-017"}
    assert immunokb.Source.model_validate(leaflet) == hospital_kb.source("day-unit-leaflet")
    graph_doc = json.loads(hospital_kb.export("jsonld"))
    node = next(n for n in graph_doc["@graph"] if n["id"].endswith(":day-unit-leaflet"))
    assert node["extra"] == leaflet["extra"]
    graph = parse_jsonld(json.dumps(graph_doc))
    extra = graph.value(
        _iri("urn:immunokb:source:day-unit-leaflet"), _iri("urn:immunokb:vocab:extra")
    )
    assert json.loads(str(extra)) == leaflet["extra"]


def test_user_documents_alone_have_no_content_version(validator) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", immunokb.DocumentWarning)
        mine = immunokb.load(paths=[HOSPITAL], bundled=False)
    doc = document(mine)
    assert doc["header"]["content_version"] is None
    assert [s["id"] for s in doc["sources"]] == [s.id for s in mine.sources]
    assert validator.is_valid(doc)
    filtered = document(mine, licenses=["proprietary"])
    assert filtered["header"]["license_filter"]["sources_withheld"] == ["study-list"]


# --------------------------------------------------------------------------- licence filter


def _citations(node: object) -> Iterator[dict[str, Any]]:
    """Every citation-shaped object anywhere in an exported record."""
    if isinstance(node, dict):
        if {"source_id", "quote", "start", "end"} <= set(node):
            yield node
        for value in node.values():
            yield from _citations(value)
    elif isinstance(node, list):
        for item in node:
            yield from _citations(item)


def _source_ids(node: object) -> Iterator[str]:
    if isinstance(node, dict):
        if isinstance(node.get("source_id"), str):
            yield node["source_id"]
        for value in node.values():
            yield from _source_ids(value)
    elif isinstance(node, list):
        for item in node:
            yield from _source_ids(item)


def check_filtered(original: KnowledgeBase, licenses: set[License]) -> dict[str, Any]:
    """Export with the filter and check every invariant of the licence filter."""
    doc = document(original, licenses=licenses)
    report = doc["header"]["license_filter"]
    assert report["licenses"] == [m.value for m in License if m in licenses]
    kept = {s.id for s in original.sources if s.license in licenses}
    assert [s["id"] for s in doc["sources"]] == sorted(kept)
    assert report["sources_kept"] == sorted(kept)
    assert set(report["sources_withheld"]) == {s.id for s in original.sources} - kept
    texts = {s["id"]: s["text"] for s in doc["sources"]}
    withheld = {w["id"] for w in report["entities_withheld"]}
    exported = {e["id"] for e in entities_of(doc)}
    assert exported | withheld == {e.id for e in original.entities}
    assert not exported & withheld
    assert all(w["reason"] for w in report["entities_withheld"])
    assert not any("not valid" in w["reason"] for w in report["entities_withheld"])
    changed = {c["id"]: c["changes"] for c in report["entities_changed"]}
    for record in entities_of(doc):
        # every citation's source is kept, and its quote stands at its offsets there
        for citation in _citations(record):
            text = texts[citation["source_id"]]
            quoted = text[citation["start"] : citation["end"]]
            assert normalize_quote(quoted) == normalize_quote(citation["quote"])
            if citation["lead_in"] is not None:
                lead = text[citation["lead_in_start"] : citation["lead_in_end"]]
                assert normalize_quote(lead) == normalize_quote(citation["lead_in"])
        assert set(_source_ids(record)) <= kept
        # the models' validators accept it: every value has a statement with evidence
        entity = _model(record["kind"]).model_validate(record)
        before = original.get(entity.id)
        # nothing is added: values and evidence are the original's, or fewer
        assert set(entity.aliases) <= set(before.aliases)
        assert set(entity.broader) <= set(before.broader)
        assert set(entity.citations) <= set(before.citations)
        assert entity.name == before.name
        assert not set(entity.broader) & withheld
        assert set(entity.broader) <= exported
        if isinstance(entity, immunokb.Therapy):
            assert isinstance(before, immunokb.Therapy)
            assert set(entity.routes) <= set(before.routes)
            assert {i.cancer_type_id for i in entity.indications} <= exported
            assert {r.side_effect_id for r in entity.side_effects} <= exported
            claims = {(c.status, c.source_id, c.citations) for c in before.status_claims}
            assert {(c.status, c.source_id, c.citations) for c in entity.status_claims} <= claims
            assert entity.status is immunokb.adopted_status(entity.status_claims)
        if isinstance(entity, immunokb.Vaccine):
            assert isinstance(before, immunokb.Vaccine)
            assert entity.platform in (before.platform, None)
            assert entity.purpose is before.purpose
        # the summary stays only when the entity came through whole
        whole = entity.id not in changed
        assert entity.summary == (before.summary if whole else "")
        assert whole == (entity == before)
        if entity.citations != before.citations and before.summary:
            assert "summary withheld" in changed[entity.id]
    return doc


def test_public_domain_keeps_only_the_nci_page(kb: KnowledgeBase) -> None:
    doc = check_filtered(kb, {License.PUBLIC_DOMAIN})
    report = doc["header"]["license_filter"]
    assert report["sources_kept"] == [NCI]
    withheld = {w["id"]: w for w in report["entities_withheld"]}
    # LK101's approval is a commercial page's claim, disputed by the NCI: with the
    # commercial page left out, there is nothing left to say about it
    assert withheld["lk101"]["kind"] == "vaccine"
    assert "immunotherapy" in withheld
    exported = {e["id"]: e for e in entities_of(doc)}
    sipuleucel = exported["sipuleucel-t"]
    assert {c["source_id"] for c in sipuleucel["citations"]} == {NCI}
    assert sipuleucel["summary"] == ""  # its commercial citation was dropped
    assert sipuleucel["status"] == "approved"
    assert [c["source_id"] for c in sipuleucel["status_claims"]] == [NCI]
    oncolytic = exported["oncolytic-virus-therapy"]
    assert oncolytic["broader"] == []  # immunotherapy is withheld
    assert not [s for s in oncolytic["statements"] if s["field"] == "broader"]
    # a curated tag names no source and stays
    prostate = exported["prostate-cancer"]
    assert prostate["cancer_type_tags"] == ["prostate"]
    assert doc["header"]["fingerprint"] == kb.fingerprint
    assert report["fingerprint"] != kb.fingerprint
    assert doc["header"]["counts"]["sources"] == 1


def test_filtered_statuses_are_derived_again(kb: KnowledgeBase) -> None:
    doc = document(kb, licenses=["unknown"])
    lk101 = next(e for e in doc["vaccines"] if e["id"] == "lk101")
    # the NCI's dispute is gone with the NCI page; the approval rests on a tier-7 page alone
    assert all(not c["disputed_by"] for c in lk101["status_claims"])
    assert lk101["status"] == "unverified"  # a tier-7 approval alone is its claim, not fact
    changes = next(
        c for c in doc["header"]["license_filter"]["entities_changed"] if c["id"] == "lk101"
    )
    assert "summary withheld" in changes["changes"]


def test_every_licence_is_no_filter_at_all(kb: KnowledgeBase) -> None:
    unfiltered = document(kb)
    every = document(kb, licenses=list(License))
    report = every["header"].pop("license_filter")
    unfiltered["header"].pop("license_filter")
    assert every == unfiltered
    assert report["fingerprint"] == kb.fingerprint
    assert report["entities_withheld"] == report["entities_changed"] == []
    assert report["sources_withheld"] == []


def test_no_filter_is_the_loaded_kb_in_every_format(kb: KnowledgeBase) -> None:
    for format in ("json", "jsonl", "jsonld"):
        assert kb.export(format) == kb.export(format, licenses=None)
    assert "license_filter" in kb.export("jsonl").splitlines()[0]


_POOL = [License.PUBLIC_DOMAIN, License.UNKNOWN, License.CC_BY, License.PROPRIETARY]


@settings(max_examples=25)
@given(
    labels=st.lists(st.sampled_from(_POOL), min_size=5, max_size=5),
    keep=st.sets(st.sampled_from(_POOL), min_size=1),
)
def test_filter_invariants_over_random_licences(labels: list[License], keep: set[License]) -> None:
    base = immunokb.load()
    sources = tuple(
        source.model_copy(update={"license": label})
        for source, label in zip(base.sources, labels, strict=True)
    )
    relabelled = KnowledgeBase(
        sources=sources, entities=base.entities, content_version=base.content_version
    )
    check_filtered(relabelled, keep)
    if set(labels) <= keep:
        whole = document(relabelled, licenses=keep)
        plain = document(relabelled)
        whole["header"].pop("license_filter")
        plain["header"].pop("license_filter")
        assert whole == plain


LEAFLET = """
---
title: Zz clinic leaflet
license: cc_by
---
# Zz clinic leaflet

Zzqmab is a zz immunotherapy. Zzqmab is approved for zz cancer.
"""

ZZQMAB = """
---
kind: therapy
scope: product
id: zzqmab
name:
  value: Zzqmab
  cite:
    - source: zz-clinic-leaflet
      quote: "Zzqmab is a zz immunotherapy."
aliases:
  - value: ZZQ
    curated: "Short form used by the clinic."
broader:
  - value: immunotherapy
    cite:
      - source: zz-clinic-leaflet
        quote: "Zzqmab is a zz immunotherapy."
cite:
  - source: zz-clinic-leaflet
    quote: "Zzqmab is a zz immunotherapy."
status:
  - value: in_use
    curated: "The clinic uses it."
  - value: approved
    cite:
      - source: zz-clinic-leaflet
        quote: "Zzqmab is approved for zz cancer."
---
"""


def test_curated_facts_survive_and_references_to_withheld_entities_go(corpus) -> None:
    folder = corpus({"sources/zz-clinic-leaflet.md": LEAFLET, "zzqmab.md": ZZQMAB})
    mine = immunokb.load(paths=[folder])
    before = mine.get("zzqmab")
    assert before.summary == ""
    assert before.broader == ("immunotherapy",)
    # keeping the leaflet's licence only: every bundled entity is withheld
    doc = check_filtered(mine, {License.CC_BY})
    report = doc["header"]["license_filter"]
    assert [e["id"] for e in entities_of(doc)] == ["zzqmab"]
    zzqmab = immunokb.Therapy.model_validate(doc["therapies"][0])
    assert zzqmab.aliases == ("ZZQ",)  # curated: no source to lose
    assert zzqmab.broader == ()
    assert [c.curated for c in zzqmab.status_claims] == [None, "The clinic uses it."]
    assert zzqmab.status is before.status
    assert report["entities_changed"] == [
        {
            "id": "zzqmab",
            "changes": ["1 of 4 citations dropped", "broader 'immunotherapy' removed (withheld)"],
        }
    ]
    # keeping the bundled sources only: the therapy has no evidence left
    doc = check_filtered(mine, {License.PUBLIC_DOMAIN, License.UNKNOWN})
    withheld = {w["id"]: w["reason"] for w in doc["header"]["license_filter"]["entities_withheld"]}
    assert withheld == {"zzqmab": "none of its own citations is from a kept source"}
    # keeping both: nothing changes
    doc = check_filtered(mine, {License.CC_BY, License.UNKNOWN, License.PUBLIC_DOMAIN})
    assert doc["header"]["license_filter"]["entities_changed"] == []


def test_filtered_jsonld_carries_the_report_and_only_kept_sources(kb: KnowledgeBase) -> None:
    text = kb.export("jsonld", licenses=["public_domain"])
    doc = json.loads(text)
    dataset = doc["@graph"][0]
    report = document(kb, licenses=["public_domain"])["header"]["license_filter"]
    assert dataset["licenseFilter"] == report
    assert dataset["fingerprint"] == kb.fingerprint
    assert dataset["id"] == f"urn:immunokb:dataset:{report['fingerprint']}"
    graph = parse_jsonld(text)
    sources = {str(o) for o in graph.objects(None, _iri(SCHEMA + "isPartOf"))}
    assert sources == {f"urn:immunokb:source:{NCI}"}
    literal = graph.value(_iri(dataset["id"]), _iri("urn:immunokb:vocab:licenseFilter"))
    assert json.loads(str(literal)) == report
