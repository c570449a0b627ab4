"""The FastAPI example (examples/fastapi_app.py) serves what the knowledge base says."""

from __future__ import annotations

import importlib
import importlib.util
import runpy
import sys
import types
import warnings
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import immunokb

pytest.importorskip("fastapi")
pytest.importorskip("httpx")

with warnings.catch_warnings():
    # Whatever the third-party test client says about its own dependencies while it
    # is imported (Starlette 1.x on httpx, Starlette 0.45 on a newer anyio) is not
    # about immunokb; the import alone is exempt from the suite's warnings-as-errors.
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "fastapi_app.py"
HOSPITAL_DOCS = EXAMPLE.parent / "hospital-docs"
PATHS = {
    "/",
    "/entities/{name}",
    "/search",
    "/therapies/{name}/side-effects",
    "/cancer-types/{name}/therapies",
    "/sources/{source_id}",
}


def _import_example(name: str = "immunokb_fastapi_example") -> types.ModuleType:
    spec = importlib.util.spec_from_file_location(name, EXAMPLE)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[name]
    return module


@pytest.fixture(scope="module")
def example() -> types.ModuleType:
    return _import_example()


@pytest.fixture(scope="module")
def client(example) -> TestClient:
    return TestClient(example.app)


@pytest.fixture(scope="module")
def hospital_kb() -> immunokb.KnowledgeBase:
    return immunokb.load(paths=[HOSPITAL_DOCS], extra_fields=["department", "leafletCode"])


def _json(models: list[Any]) -> list[Any]:
    return [model.model_dump(mode="json") for model in models]


# --------------------------------------------------------------------------- loading


def test_importing_the_example_loads_nothing_and_the_first_request_loads(monkeypatch, kb):
    calls: list[tuple[Any, ...]] = []

    def load(*args: Any, **kwargs: Any) -> immunokb.KnowledgeBase:
        calls.append(args)
        return kb

    monkeypatch.setattr(immunokb, "load", load)
    module = _import_example("immunokb_fastapi_example_lazy")
    assert calls == []
    response = TestClient(module.app).get("/entities/gvax")
    assert response.status_code == 200
    assert calls  # loaded on demand, through immunokb.load
    assert response.json()["id"] == kb.get("gvax").id


def test_startup_loads_the_knowledge_base(example, kb):
    with TestClient(example.create_app()) as started:
        assert started.get("/").json()["fingerprint"] == kb.fingerprint


def test_a_corpus_that_does_not_load_stops_the_startup(monkeypatch, example):
    def load(*args: Any, **kwargs: Any) -> immunokb.KnowledgeBase:
        raise immunokb.DocumentError("an invalid document", path="broken.md")

    monkeypatch.setattr(immunokb, "load", load)
    with (
        pytest.raises(immunokb.DocumentError, match=r"broken\.md"),
        TestClient(example.create_app()),
    ):
        pass


# --------------------------------------------------------------------------- lookup


@pytest.mark.parametrize(
    "name", ["Imlygic®", "imlygic", "IMLYGIC™", "talimogene laherparepvec", "T-VEC", "t vec"]
)
def test_lookup_by_name_or_alias_is_kb_get(client, kb, name):
    expected = kb.get(name)
    response = client.get(f"/entities/{name}")
    assert response.status_code == 200
    assert response.json() == expected.model_dump(mode="json")


def test_alias_with_registered_mark_finds_the_same_id(client, kb):
    assert client.get("/entities/Imlygic®").json()["id"] == kb.get("Imlygic®").id


def test_every_entity_is_served_whole_by_its_id(client, kb):
    for entity in kb.entities:
        response = client.get(f"/entities/{entity.id}")
        assert response.status_code == 200, entity.id
        assert response.json() == entity.model_dump(mode="json"), entity.id


def test_a_vaccine_is_served_with_its_vaccine_fields(client, kb):
    vaccine = next(v for v in kb.vaccines if v.platform is not None)
    body = client.get(f"/entities/{vaccine.id}").json()
    assert body["kind"] == "vaccine"
    assert body["platform"] == vaccine.platform.value
    assert body["purpose"] == vaccine.purpose.value


@pytest.mark.parametrize(
    ("path", "call"),
    [
        ("/entities/sipuleucel", lambda kb: kb.get("sipuleucel")),
        ("/entities/imlygik", lambda kb: kb.get("imlygik")),
        ("/therapies/melanoma/side-effects", lambda kb: kb.side_effects_of("melanoma")),
        ("/cancer-types/gvax/therapies", lambda kb: kb.therapies_for("gvax")),
        ("/sources/nci-cancer-vaccines", lambda kb: kb.source("nci-cancer-vaccines")),
    ],
)
def test_a_miss_is_404_with_the_suggestions_of_not_found_error(client, kb, path, call):
    with pytest.raises(immunokb.NotFoundError) as raised:
        call(kb)
    response = client.get(path)
    assert response.status_code == 404
    assert response.json() == {
        "detail": str(raised.value),
        "query": raised.value.query,
        "suggestions": list(raised.value.suggestions),
    }
    assert "etag" not in response.headers


def test_a_near_miss_suggests_something(client):
    assert client.get("/entities/sipuleucel").json()["suggestions"]


# --------------------------------------------------------------------------- search


@pytest.mark.parametrize("query", ["tumor lysis", "vaccine", "imlygc", "checkpoint inhibitors"])
@pytest.mark.parametrize("limit", [1, 3, 10, 100])
def test_search_is_kb_search(client, kb, query, limit):
    response = client.get("/search", params={"q": query, "limit": limit})
    assert response.status_code == 200
    expected = kb.search(query, limit=limit)
    assert response.json() == _json(expected)
    assert len(response.json()) <= limit


def test_search_hits_keep_ids_scores_and_order(client, kb):
    body = client.get("/search", params={"q": "tumor lysis"}).json()
    expected = kb.search("tumor lysis")  # the default limit is the library's
    assert len(expected) > 1
    served = [(h["entity"] and h["entity"]["id"], h["source_id"], h["score"]) for h in body]
    wanted = [(h.entity and h.entity.id, h.source_id, h.score) for h in expected]
    assert served == wanted


@given(
    words=st.lists(
        st.sampled_from(["vaccine", "melanoma", "fever", "cell", "checkpoint", "prostate", "zz"]),
        min_size=1,
        max_size=3,
    ),
    limit=st.integers(min_value=1, max_value=100),
)
def test_search_matches_the_library_for_any_query_and_limit(client, kb, words, limit):
    query = " ".join(words)
    body = client.get("/search", params={"q": query, "limit": limit}).json()
    assert body == _json(kb.search(query, limit=limit))
    assert len(body) <= limit


def test_a_vaccine_found_by_search_keeps_its_vaccine_fields(client, kb):
    vaccine = next(v for v in kb.vaccines if v.platform is not None)
    hits = client.get("/search", params={"q": vaccine.name, "limit": 100}).json()
    found = [h["entity"] for h in hits if h["entity"] and h["entity"]["id"] == vaccine.id]
    assert found
    assert found[0]["platform"] == vaccine.platform.value


@pytest.mark.parametrize(
    "params",
    [
        {"q": "vaccine", "limit": 0},
        {"q": "vaccine", "limit": -1},
        {"q": "vaccine", "limit": 101},
        {"q": "vaccine", "limit": "ten"},
        {"q": ""},
        {"q": "x" * 501},
        {},
    ],
)
def test_bad_search_parameters_are_422(client, params):
    response = client.get("/search", params=params)
    assert response.status_code == 422
    assert "etag" not in response.headers


def test_an_overlong_name_is_422(client):
    assert client.get("/entities/" + "a" * 201).status_code == 422


# --------------------------------------------------------------------------- questions


def test_side_effects_are_kb_side_effects_of_with_citations(client, kb):
    inherited = 0
    for therapy in kb.therapies:
        response = client.get(f"/therapies/{therapy.id}/side-effects")
        assert response.status_code == 200, therapy.id
        links = kb.side_effects_of(therapy.id)
        assert response.json() == _json(links), therapy.id
        for served in response.json():
            assert served["citations"] or served["curated"], therapy.id
            inherited += served["via"] is not None
    assert inherited  # some links come from a broader class, and say so


def test_side_effects_accept_a_name(client, kb):
    body = client.get("/therapies/sipuleucel-T/side-effects").json()
    assert body == _json(kb.side_effects_of("sipuleucel-T"))
    assert any(link["citations"] for link in body)


def test_therapies_for_are_kb_therapies_for(client, kb):
    for cancer_type in kb.cancer_types:
        response = client.get(f"/cancer-types/{cancer_type.id}/therapies")
        assert response.status_code == 200, cancer_type.id
        assert response.json() == _json(kb.therapies_for(cancer_type.id)), cancer_type.id


def test_therapies_for_serve_vaccines_with_platform_and_purpose(client, kb):
    cancer_type, vaccine = next(
        (c, t)
        for c in kb.cancer_types
        for t in kb.therapies_for(c.id)
        if isinstance(t, immunokb.Vaccine) and t.platform is not None
    )
    body = client.get(f"/cancer-types/{cancer_type.name}/therapies").json()
    served = next(t for t in body if t["id"] == vaccine.id)
    assert served["kind"] == "vaccine"
    assert served["platform"] == vaccine.platform.value
    assert served["purpose"] == vaccine.purpose.value


def test_every_source_is_served_whole(client, kb):
    for source in kb.sources:
        response = client.get(f"/sources/{source.id}")
        assert response.status_code == 200, source.id
        assert response.json() == source.model_dump(mode="json"), source.id
        assert response.json()["text"] == source.text


# --------------------------------------------------------------------------- identity, ETag


def test_identity_is_the_versions_and_fingerprint(client, kb):
    response = client.get("/")
    assert response.status_code == 200
    assert response.json() == {
        "package_version": version("immunokb"),
        "content_version": kb.version,
        "fingerprint": kb.fingerprint,
    }


ANSWERS = [
    "/",
    "/entities/Imlygic®",
    "/search?q=vaccine&limit=3",
    "/therapies/sipuleucel-T/side-effects",
    "/cancer-types/melanoma/therapies",
    "/sources/nci-cancer-treatment-vaccines",
]


def test_every_answer_carries_one_weak_etag(client):
    tags = {client.get(path).headers["etag"] for path in ANSWERS}
    assert len(tags) == 1
    (tag,) = tags
    assert tag.startswith('W/"')
    assert tag.endswith('"')


@pytest.mark.parametrize("path", ANSWERS)
@pytest.mark.parametrize("form", ["{tag}", "{strong}", '"other", {tag}', "*"])
def test_if_none_match_with_the_etag_is_304_without_body(client, path, form):
    tag = client.get(path).headers["etag"]
    header = form.format(tag=tag, strong=tag.removeprefix("W/"))
    response = client.get(path, headers={"If-None-Match": header})
    assert response.status_code == 304
    assert response.content == b""
    assert response.headers["etag"] == tag


def test_if_none_match_with_another_etag_is_the_full_answer(client):
    response = client.get("/entities/gvax", headers={"If-None-Match": 'W/"not-this-data"'})
    assert response.status_code == 200
    assert response.json()["id"] == "gvax"


@pytest.mark.parametrize("path", ["/entities/no-such-thing", "/search?limit=0&q=x"])
def test_if_none_match_does_not_hide_an_error(client, path):
    response = client.get(path, headers={"If-None-Match": "*"})
    assert response.status_code in {404, 422}


def test_the_etag_follows_the_data(example, client, kb, hospital_kb):
    assert hospital_kb.fingerprint != kb.fingerprint
    own = TestClient(example.create_app(hospital_kb))
    tag = client.get("/").headers["etag"]
    other = own.get("/").headers["etag"]
    assert other != tag
    assert own.get("/", headers={"If-None-Match": tag}).status_code == 200
    same = TestClient(example.create_app(kb)).get("/").headers["etag"]
    assert same == tag  # the same data gets the same tag, in any app or process


# --------------------------------------------------------------------------- OpenAPI


def test_openapi_lists_the_paths_and_references_the_models(client):
    response = client.get("/openapi.json")
    assert response.status_code == 200
    assert "etag" not in response.headers  # it describes the code, not the data
    document = response.json()
    assert set(document["paths"]) == PATHS
    schemas = set(document["components"]["schemas"])
    models = {"Vaccine", "Therapy", "SideEffect", "CancerType", "Hit", "SideEffectLink", "Source"}
    assert models | {"Citation", "NotFound", "Identity"} <= schemas

    def refs(path: str, status: str) -> str:
        operation = document["paths"][path]["get"]
        return str(operation["responses"][status]["content"]["application/json"]["schema"])

    assert "#/components/schemas/Vaccine" in refs("/entities/{name}", "200")
    assert "#/components/schemas/Vaccine" in refs("/cancer-types/{name}/therapies", "200")
    assert "#/components/schemas/Hit" in refs("/search", "200")
    assert "#/components/schemas/SideEffectLink" in refs("/therapies/{name}/side-effects", "200")
    assert "#/components/schemas/Source" in refs("/sources/{source_id}", "200")
    assert "#/components/schemas/Identity" in refs("/", "200")
    assert "#/components/schemas/NotFound" in refs("/entities/{name}", "404")


def test_answers_validate_against_the_openapi_schema(client):
    jsonschema = pytest.importorskip("jsonschema")
    document = client.get("/openapi.json").json()
    requests = [
        ("/", "/", "200"),
        ("/entities/{name}", "/entities/sipuleucel-T", "200"),
        ("/entities/{name}", "/entities/Imlygic®", "200"),
        ("/entities/{name}", "/entities/fatigue", "200"),
        ("/entities/{name}", "/entities/melanoma", "200"),
        ("/entities/{name}", "/entities/sipuleucel", "404"),
        ("/search", "/search?q=tumor%20lysis&limit=20", "200"),
        ("/search", "/search?q=vaccine&limit=0", "422"),
        ("/therapies/{name}/side-effects", "/therapies/sipuleucel-T/side-effects", "200"),
        ("/cancer-types/{name}/therapies", "/cancer-types/prostate cancer/therapies", "200"),
        ("/sources/{source_id}", "/sources/nci-cancer-treatment-vaccines", "200"),
    ]
    for template, url, status in requests:
        response = client.get(url)
        assert str(response.status_code) == status, url
        content = document["paths"][template]["get"]["responses"][status]["content"]
        schema = {**content["application/json"]["schema"], "components": document["components"]}
        jsonschema.Draft202012Validator(schema).validate(response.json())


# --------------------------------------------------------------------------- your documents


def test_an_app_over_your_documents_serves_them(example, hospital_kb):
    own = TestClient(example.create_app(hospital_kb))
    identity = own.get("/").json()
    assert identity["fingerprint"] == hospital_kb.fingerprint
    assert identity["content_version"] == hospital_kb.version
    leaflet = own.get("/sources/day-unit-leaflet").json()
    assert leaflet == hospital_kb.source("day-unit-leaflet").model_dump(mode="json")
    assert set(leaflet["extra"]) == {"department", "leafletCode"}
    hits = own.get("/search", params={"q": "oncology day unit"}).json()
    assert hits == _json(hospital_kb.search("oncology day unit"))
    assert "day-unit-leaflet" in {h["source_id"] for h in hits}


def test_the_bundled_app_does_not_serve_your_documents(client):
    assert client.get("/sources/day-unit-leaflet").status_code == 404


# --------------------------------------------------------------------------- running it


def test_running_the_file_serves_the_app_with_uvicorn(monkeypatch):
    served: list[tuple[Any, dict[str, Any]]] = []
    uvicorn = types.ModuleType("uvicorn")
    uvicorn.run = lambda app, **options: served.append((app, options))
    monkeypatch.setitem(sys.modules, "uvicorn", uvicorn)
    namespace = runpy.run_path(str(EXAMPLE), run_name="__main__")
    assert len(served) == 1
    assert served[0][0] is namespace["app"]


def test_running_the_file_without_uvicorn_says_what_to_install(monkeypatch):
    real = importlib.import_module

    def import_module(name: str, package: str | None = None) -> types.ModuleType:
        if name == "uvicorn":
            raise ModuleNotFoundError("No module named 'uvicorn'", name="uvicorn")
        return real(name, package)

    monkeypatch.setattr(importlib, "import_module", import_module)
    with pytest.raises(SystemExit) as raised:
        runpy.run_path(str(EXAMPLE), run_name="__main__")
    assert "pip install uvicorn" in str(raised.value.code)
