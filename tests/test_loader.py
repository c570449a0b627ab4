"""The build: all-or-nothing, every problem a DocumentError naming file, line and field."""

from __future__ import annotations

import re
import subprocess
import sys
import threading

import pytest

import immunokb
from conftest import NCI_VACCINES, side_effect_doc


def _load_error(folder, *, bundled: bool = True) -> immunokb.DocumentError:
    with pytest.raises(immunokb.DocumentError) as info:
        immunokb.load(paths=[folder], bundled=bundled)
    return info.value


def test_user_entity_cites_a_bundled_source(corpus) -> None:
    quote = "Since T-VEC is made from herpesvirus it can sometimes cause a herpesvirus infection"
    doc = f"""---
kind: side_effect
id: zzq-herpes-effect
name:
  value: zzq herpes effect
  curated: "an invented test entity"
cite:
  - source: {NCI_VACCINES}
    quote: "{quote}"
---
"""
    folder = corpus({"herpes.md": doc})
    kb = immunokb.load(paths=[folder])
    assert kb is not immunokb.load()  # a new KB; the shared bundled one is untouched
    effect = kb.get("ZZQ-Herpes-Effect")
    citation = effect.citations[0]
    assert kb.source(citation.source_id).text[citation.start : citation.end] == quote
    assert len(kb.side_effects) == len(immunokb.load().side_effects) + 1
    assert kb.content_version == immunokb.load().content_version  # user documents add none


def test_name_collision_with_a_bundled_entity(corpus) -> None:
    folder = corpus({"mine.md": side_effect_doc(entity_id="my-stroke", name="stroke")})
    error = _load_error(folder)
    assert error.field == "name.value"
    assert error.line == 5
    assert "already a name of 'stroke'" in error.reason


def test_user_only_load_with_own_source(corpus) -> None:
    folder = corpus(
        {
            "sources/my-leaflet.md": """
            ---
            title: My leaflet
            license: cc_by
            lastReviewed: 2026-01-15
            reviewFrequency: annual
            ---
            Widgetmab can cause itching.
            """,
            "itching.md": side_effect_doc(
                entity_id="itching",
                name="itching",
                quote="Widgetmab can cause itching.",
                source="my-leaflet",
            ),
        }
    )
    kb = immunokb.load(paths=[folder], bundled=False)
    assert [s.id for s in kb.sources] == ["my-leaflet"]
    effect = kb.get("Itching")
    citation = effect.citations[0]
    assert (
        kb.source("my-leaflet").text[citation.start : citation.end]
        == "Widgetmab can cause itching."
    )
    assert kb.source("my-leaflet").review_due is not None


def test_broken_quote_names_file_line_and_field(corpus) -> None:
    folder = corpus(
        {"bad.md": side_effect_doc(name="stroke", quote="Sipuleucel-T can cause a stroke.")}
    )
    error = _load_error(folder)
    assert error.path.endswith("bad.md")
    assert error.field == "name.cite[0].quote"
    assert error.line == 8
    assert "quote not found in source 'nci-cancer-treatment-vaccines'" in error.reason
    assert "matches up to" in error.reason
    assert "bad.md:8: name.cite[0].quote:" in str(error)


def test_every_problem_is_collected(corpus) -> None:
    folder = corpus(
        {
            "a.md": side_effect_doc(
                "a-one", name="stroke", quote="Sipuleucel-T can cause a stroke."
            ),
            "b.md": side_effect_doc("b-two", name="zzz", quote="not in the text at all"),
        }
    )
    error = _load_error(folder)
    fields = sorted((p.path.rsplit("/", 1)[-1], p.field) for p in error.problems)
    assert ("a.md", "name.cite[0].quote") in fields
    assert ("b.md", "name.cite[0].quote") in fields
    assert "more problem" in str(error)


def test_duplicate_id(corpus) -> None:
    folder = corpus({"dup.md": side_effect_doc("stroke", name="Sipuleucel-T can cause stroke")})
    error = _load_error(folder)
    assert error.field == "id"
    assert "duplicate id 'stroke'" in error.reason
    assert "immunokb/data/side-effects/stroke.md" in error.reason


def test_dangling_reference(corpus) -> None:
    extra = f"""broader:
      - value: no-such-effect
        cite:
          - source: {NCI_VACCINES}
            quote: "Sipuleucel-T can cause stroke."
    """
    folder = corpus(
        {"dangling.md": side_effect_doc("x-effect", name="can cause stroke", extra=extra)}
    )
    error = _load_error(folder)
    assert error.field == "broader[0].value"
    assert "dangling reference: no entity 'no-such-effect'" in error.reason
    assert error.line is not None


def test_alias_collision(corpus) -> None:
    extra = f"""aliases:
      - value: T-VEC
        cite:
          - source: {NCI_VACCINES}
            quote: "T-VEC can cause tumor lysis syndrome."
    """
    folder = corpus({"alias.md": side_effect_doc("other", name="can cause stroke", extra=extra)})
    error = _load_error(folder)
    assert error.field == "aliases[0].value"
    assert "already a name of 'talimogene-laherparepvec'" in error.reason


def test_broader_cycle(corpus) -> None:
    def doc(me: str, parent: str, name: str) -> str:
        extra = f"""broader:
      - value: {parent}
        curated: "test cycle"
    """
        return side_effect_doc(me, name=name, quote="Sipuleucel-T can cause stroke.", extra=extra)

    folder = corpus(
        {
            "c1.md": doc("cycle-a", "cycle-b", "cause stroke"),
            "c2.md": doc("cycle-b", "cycle-a", "can cause"),
        }
    )
    error = _load_error(folder)
    assert "cycle" in error.reason
    assert (
        "cycle-a -> cycle-b -> cycle-a" in error.reason
        or "cycle-b -> cycle-a -> cycle-b" in error.reason
    )
    assert error.field == "broader[0].value"


def test_citation_to_missing_source(corpus) -> None:
    folder = corpus({"nosrc.md": side_effect_doc(source="nci-cancer-treatment-vaccine")})
    error = _load_error(folder)
    assert error.field == "name.cite[0].source"
    assert "no source with id 'nci-cancer-treatment-vaccine'" in error.reason
    assert "did you mean 'nci-cancer-treatment-vaccines'" in error.reason


def test_name_must_be_in_its_quote(corpus) -> None:
    folder = corpus({"wrong.md": side_effect_doc(name="headache")})
    error = _load_error(folder)
    assert "does not contain the name 'headache'" in error.reason


@pytest.mark.parametrize(
    ("extra", "field", "reason"),
    [
        ("colour: red", "colour", "unknown field"),
        (
            "kind: side-effect",
            "kind",
            "'side-effect' is not one of: therapy, vaccine, side_effect, cancer_type; "
            "did you mean 'side_effect'?",
        ),
        (
            "id: Bad_Id",
            None,
            "'Bad_Id' is not lower-case letters and digits joined by single hyphens",
        ),
    ],
)
def test_schema_errors_are_document_errors(corpus, extra, field, reason) -> None:
    text = side_effect_doc(extra=extra)
    if extra.startswith(("kind", "id")):
        key = extra.split(":")[0]
        text = "\n".join(
            line for line in text.split("\n") if not line.strip().startswith(f"{key}:")
        )
        text = text.replace("    ---\n", f"    ---\n    {extra}\n", 1)
    folder = corpus({"schema.md": text})
    error = _load_error(folder)
    assert reason in error.reason
    if field is not None:
        assert error.field == field


def test_yaml_boolean_where_text_belongs(corpus) -> None:
    folder = corpus({"sources/yes-src.md": "---\ntitle: yes\nlanguage: no\n---\nBody.\n"})
    error = _load_error(folder, bundled=False)
    assert error.field == "title"
    assert error.line == 2
    assert "boolean" in error.reason
    assert {p.field for p in error.problems} == {"title", "language"}


@pytest.mark.parametrize(
    ("line", "field", "reason"),
    [
        ("license: free", "license", "'free' is not one of: public_domain, cc0, cc_by,"),
        (
            "lastReviewed: 2025-13-45",
            "lastReviewed",
            "invalid date '2025-13-45': there is no month 13",
        ),
        (
            "lastReviewed: 2024-02-30",
            "lastReviewed",
            "invalid date '2024-02-30': February 2024 has 29",
        ),
        ("lastReviewed: '0000'", "lastReviewed", "invalid date '0000': there is no year 0"),
        ("lastReviewed: 12", "lastReviewed", "expected a date like 2025-12-30, 2021-09 or 2021"),
        ("lastReviewed: 2025-12-30T10:00:00", "lastReviewed", "timestamp"),
        ("url: not a url", "url", "'not a url' is not a web address beginning with http"),
        ("lastReviwed: 2025-01-01", "lastReviwed", "did you mean 'lastReviewed'"),
        ("tags: 3", "tags", "expected a list, got a number"),
    ],
)
def test_bad_source_frontmatter(corpus, line, field, reason) -> None:
    folder = corpus({"src.md": f"---\ntitle: T\n{line}\n---\nBody.\n"})
    error = _load_error(folder, bundled=False)
    assert error.field == field
    assert reason in error.reason
    assert error.line == 3


def test_no_raw_dependency_exception_escapes(corpus) -> None:
    folder = corpus({"raw.md": "---\nkind: side_effect\nid: [unclosed\n---\n"})
    error = _load_error(folder)
    assert type(error) is immunokb.DocumentError
    assert error.__cause__ is None
    assert error.__context__ is None
    assert "malformed YAML" in error.reason
    assert error.line == 4  # where the parser gave up: the closing '---'
    assert "that starts on line 3" in error.reason


def test_failed_load_leaves_the_bundled_kb_whole(corpus) -> None:
    before = immunokb.load()
    folder = corpus({"bad.md": side_effect_doc(quote="not there")})
    _load_error(folder)
    assert immunokb.load() is before
    assert len(before.sources) == 5


def test_missing_path_is_a_document_error(tmp_path) -> None:
    with pytest.raises(immunokb.DocumentError, match="no such file"):
        immunokb.load(paths=[tmp_path / "nope"])


def test_bundled_load_is_shared_across_threads() -> None:
    results: list[immunokb.KnowledgeBase] = []
    barrier = threading.Barrier(8)

    def worker() -> None:
        barrier.wait()
        results.append(immunokb.load())

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 8
    assert all(r is results[0] for r in results)


def test_kb_is_immutable(kb) -> None:
    with pytest.raises(AttributeError, match="immutable"):
        kb.therapies = ()
    with pytest.raises(AttributeError, match="immutable"):
        del kb.sources
    with pytest.raises(TypeError):
        kb._store.labels["x"] = "y"  # internal indexes are read-only views
    with pytest.raises(AttributeError, match="read-only"):
        kb._store.ids = ()
    assert isinstance(kb.therapies, tuple)


def test_import_reads_no_file_and_no_yaml() -> None:
    code = (
        "import sys\n"
        "opened = []\n"
        "sys.addaudithook(lambda e, a: opened.append(str(a[0])) if e == 'open' else None)\n"
        "import immunokb\n"
        "data = [p for p in opened if 'immunokb' in p\n"
        "        and not p.endswith(('.py', '.pyc')) and '.dist-info' not in p]\n"
        "assert not data, data\n"
        "assert 'yaml' not in sys.modules and 'frontmatter' not in sys.modules\n"
        "kb = immunokb.load()\n"
        "assert kb.get('sipuleucel-T').id == 'sipuleucel-t'\n"
        "# the bundled knowledge base comes from its snapshot: no YAML parsed\n"
        "assert 'yaml' not in sys.modules and 'immunokb._build' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_nested_field_typo_gets_a_suggestion(corpus) -> None:
    text = side_effect_doc().replace('      quote: "Sipuleucel', '      qoute: "Sipuleucel', 1)
    error = _load_error(corpus({"typo.md": text}))
    typo = [p for p in error.problems if p.field == "name.cite[0].qoute"]
    assert typo
    assert "did you mean 'quote'" in typo[0].reason


def test_each_listed_problem_reads_alone(corpus) -> None:
    folder = corpus(
        {
            "a.md": side_effect_doc("a-one", quote="not there"),
            "b.md": side_effect_doc("b-two", quote="nor here"),
        }
    )
    error = _load_error(folder)
    assert len(error.problems) >= 2
    assert "more problem" in str(error)
    assert all("more problem" not in str(p) for p in error.problems)


def test_null_tag_lists_mean_no_tags(corpus) -> None:
    folder = corpus(
        {"src.md": "---\ntitle: T\ntags: null\ncancerTypes:\nlicense: null\n---\nBody.\n"}
    )
    source = immunokb.load(paths=[folder], bundled=False).source("src")
    assert source.tags == ()
    assert source.cancer_types == ()
    assert source.license is immunokb.License.UNKNOWN


# ----------------------------------------------------------------- content version


def _content_version_file() -> str:
    from importlib.resources import files

    return files("immunokb").joinpath("data", "CONTENT_VERSION").read_text(encoding="utf-8")


def test_bundled_content_version_is_the_data_file() -> None:
    raw = _content_version_file()
    version = immunokb.load().content_version
    assert version == raw.strip()
    assert version  # a version, not an empty string
    assert version == version.strip()
    assert re.fullmatch(r"\d+\.\d+\.\d+\S*", version), version


def test_user_only_knowledge_base_has_no_content_version(corpus) -> None:
    folder = corpus({"sources/zzq-note.md": "---\ntitle: Zzq note\n---\nBody.\n"})
    kb = immunokb.load(paths=[folder], bundled=False)
    assert [s.id for s in kb.sources] == ["zzq-note"]
    assert kb.content_version is None
    assert immunokb.load(bundled=False).content_version is None


def test_content_version_is_read_only(kb) -> None:
    with pytest.raises(AttributeError, match="immutable"):
        kb.content_version = "9.9.9"
