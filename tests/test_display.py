from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import pytest
from hypothesis import given

import immunokb
from immunokb._display import CURATED_LABEL, to_html
from immunokb._results import ResultList
from strategies import any_model

ALLOWED_TAGS = {
    "a",
    "br",
    "caption",
    "code",
    "div",
    "mark",
    "p",
    "pre",
    "q",
    "span",
    "strong",
    "style",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
}
EVIL = "<script>alert('x & \"y\"')</script>"


class _Tags(HTMLParser):
    """Collects the tags, the attributes and the text of an HTML fragment."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []
        self.text: list[str] = []
        self.quoted: list[str] = []
        self._in_q = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs += attrs
        if tag == "q":
            self._in_q += 1
            self.quoted.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "q":
            self._in_q -= 1

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._in_q:
            self.quoted[-1] += data


def parse(fragment: str) -> _Tags:
    parser = _Tags()
    parser.feed(fragment)
    parser.close()
    return parser


def assert_safe(fragment: str) -> _Tags:
    """Only the expected tags, no script, no event handler, no javascript: link."""
    parsed = parse(fragment)
    assert set(parsed.tags) <= ALLOWED_TAGS, set(parsed.tags) - ALLOWED_TAGS
    assert "<script" not in fragment.lower()
    for name, value in parsed.attrs:
        assert not name.startswith("on"), name
        if name == "href":
            assert value is not None
            assert value.startswith(("http://", "https://")), value
    assert fragment.startswith('<div class="immunokb"><style>')
    assert fragment.endswith("</div>")
    return parsed


def test_every_bundled_entity_renders_with_its_id_and_name(kb) -> None:
    for entity in kb.entities:
        fragment = entity._repr_html_()
        assert fragment == to_html(entity)
        parsed = assert_safe(fragment)
        assert html.escape(entity.name) in fragment
        assert html.escape(entity.id) in fragment
        assert entity.summary.split()[0] in "".join(parsed.text)
        for citation in entity.citations:
            assert citation.quote in parsed.quoted


def test_therapy_shows_status_claims_and_indications_by_cancer_type(kb) -> None:
    therapy = next(t for t in kb.therapies if t.indications and t.status_claims)
    fragment = to_html(therapy)
    assert f"ikb-status-{therapy.status.value}" in fragment
    for cancer_type_id in therapy.cancer_type_ids:
        adopted = therapy.indication_status(cancer_type_id).value
        assert re.search(
            rf"<code>{re.escape(cancer_type_id)}</code> .*?adopted:.*?>{adopted}</span>", fragment
        )
    for claim in therapy.status_claims:
        assert claim.source_id is None or claim.source_id in fragment


def test_vaccine_shows_platform_and_purpose(kb) -> None:
    for vaccine in kb.vaccines:
        text = "".join(parse(to_html(vaccine)).text)
        assert vaccine.purpose.value in text
        assert (vaccine.platform.value if vaccine.platform else "not stated") in text


def test_lead_in_is_shown_before_the_quote(kb) -> None:
    citation = next(c for e in kb.entities for c in e.citations if c.lead_in)
    fragment = to_html(citation)
    lead = html.escape(citation.lead_in or "")
    assert f"{lead} …</span> <q>{html.escape(citation.quote)}</q>" in fragment


def test_every_source_renders_its_metadata(kb) -> None:
    for source in kb.sources:
        fragment = to_html(source)
        text = "".join(assert_safe(fragment).text)
        assert html.escape(source.title) in fragment
        assert source.id in fragment
        assert (source.last_reviewed_display or "no review date") in text
        tier = "unknown" if source.tier is None else str(source.tier)
        assert f"<th>tier</th><td>{tier}</td>" in fragment or tier == "unknown"
        assert tier in text
        assert ("stale" if source.is_stale() else "current") in text
        if source.url:
            assert f'href="{html.escape(source.url)}" rel="noopener noreferrer"' in fragment


def test_a_url_that_is_not_the_web_is_never_a_link(kb) -> None:
    source = kb.sources[0].model_copy(update={"url": "javascript:alert(1)", "title": EVIL})
    fragment = to_html(source)
    assert_safe(fragment)
    assert "href" not in fragment
    assert html.escape(EVIL) in fragment


def test_search_hits_render_with_marked_words(kb) -> None:
    hits = kb.search("checkpoint inhibitor", limit=20)
    assert hits
    for hit in hits:
        fragment = to_html(hit)
        parsed = assert_safe(fragment)
        if hit.entity is not None:
            assert html.escape(hit.entity.name) in fragment
        else:
            assert f"passage in <code>{hit.source_id}</code>" in fragment
        if hit.section:
            assert html.escape(hit.section) in fragment
        if hit.citation is not None:
            assert hit.citation.quote in parsed.quoted
        if "**" in hit.snippet:
            assert "<mark>" in fragment
    listing = to_html(hits)
    assert_safe(listing)
    assert f"{len(hits)} results" in listing
    assert "<mark>checkpoint</mark>" in listing


def test_bold_in_a_snippet_becomes_mark_after_escaping() -> None:
    hit = immunokb.Hit(
        score=1.5, snippet="a **x** and **<b>&** but not a**b or ** c", source_id="s"
    )
    fragment = to_html(hit)
    assert_safe(fragment)
    assert "<mark>x</mark>" in fragment
    assert "<mark>&lt;b&gt;&amp;</mark>" in fragment
    assert "a**b or ** c" in fragment
    assert "passage in <code>s</code>" in fragment
    assert "<b>" not in fragment


def test_malicious_text_is_escaped_everywhere(kb) -> None:
    therapy = next(t for t in kb.therapies if t.status_claims and t.aliases)
    citation = therapy.citations[0].model_copy(update={"quote": EVIL, "lead_in": EVIL})
    evil = therapy.model_copy(
        update={
            "name": EVIL,
            "summary": EVIL,
            "aliases": (EVIL,),
            "citations": (citation,),
            "status_claims": tuple(
                c.model_copy(update={"regulator": EVIL}) for c in therapy.status_claims
            ),
        }
    )
    for fragment in (to_html(evil), to_html([evil]), ResultList([evil])._repr_html_()):
        parsed = assert_safe(fragment)
        assert html.escape(EVIL) in fragment
        assert EVIL in "".join(parsed.text)
    hit = immunokb.Hit(score=1.0, snippet=f"**{EVIL}**").model_copy(
        update={"entity": evil, "citation": citation}
    )
    assert EVIL in "".join(assert_safe(to_html(hit)).text)
    assert EVIL in "".join(assert_safe(to_html([hit])).text)


def test_curated_evidence_is_labelled_and_never_quoted(kb) -> None:
    entity = kb.get("prostate cancer")
    (statement,) = entity.statements_for("cancer_type_tag", "prostate")
    assert statement.curated
    fragment = to_html(entity)
    parsed = assert_safe(fragment)
    assert CURATED_LABEL == "curated (not quoted)"
    assert "<td>cancer_type_tag</td><td>prostate</td>" in fragment
    assert f"{CURATED_LABEL}</span> {html.escape(statement.curated)}" in fragment
    assert not any(statement.curated in q for q in parsed.quoted)


def test_curated_claims_links_and_statements_are_labelled(kb) -> None:
    rationale = "The curator's <reason> & more"
    claim = immunokb.StatusClaim(status=immunokb.Status.APPROVED, curated=rationale)
    therapy = kb.therapies[0].model_copy(update={"status_claims": (claim,)})
    link = kb.side_effects_of("sipuleucel-t")[0].model_copy(
        update={"citations": (), "curated": rationale}
    )
    statement = immunokb.Statement(
        field=immunokb.StatementField.ALIAS, value="x", curated=rationale
    )
    for item in (therapy, link, statement, claim, [link], [statement]):
        fragment = to_html(item)
        parsed = assert_safe(fragment)
        assert CURATED_LABEL in fragment, item
        assert html.escape(rationale) in fragment
        assert not any("reason" in q for q in parsed.quoted)


def test_side_effect_link_shows_therapy_via_and_path(kb) -> None:
    links = kb.side_effects_of("sipuleucel-t")
    inherited = next(link for link in links if link.via)
    fragment = to_html(inherited)
    text = "".join(assert_safe(fragment).text)
    assert html.escape(inherited.side_effect.name) in fragment
    assert inherited.therapy_id in text
    assert inherited.via in text
    for step in getattr(inherited, "path", ()):
        assert step in text
    for citation in inherited.citations:
        assert citation.quote in parse(fragment).quoted
    assert_safe(to_html(links))


def test_conflicts_render_each_claim(kb) -> None:
    conflicts = kb.conflicts()
    assert conflicts
    for conflict in conflicts:
        fragment = to_html(conflict)
        parsed = assert_safe(fragment)
        assert conflict.entity_id in fragment
        assert f"ikb-status-{conflict.adopted.value}" in fragment
        for claim in conflict.claims:
            assert claim.source_id is None or claim.source_id in fragment
            if claim.disputes:
                assert "disputes" in "".join(parsed.text)
                assert html.escape(claim.against or "") in fragment
            for citation in claim.citations:
                assert citation.quote in parsed.quoted
    assert "2 results" in to_html(conflicts[:2])


def test_empty_list_renders_no_results() -> None:
    assert "no results" in to_html([])
    assert "no results" in to_html(())
    assert "no results" in ResultList([])._repr_html_()
    assert_safe(to_html([]))


def test_lists_of_every_type_and_of_mixed_types_render(kb) -> None:
    items: list[object] = [
        *kb.entities[:3],
        kb.vaccines[0],
        kb.sources[0],
        *kb.search("vaccine", limit=2),
        *kb.side_effects_of("sipuleucel-t")[:2],
        *kb.conflicts()[:1],
        kb.entities[0].citations[0],
        kb.entities[0].statements[0],
        kb.therapies[0].model_copy(update={"summary": EVIL}),
        "a plain <string>",
    ]
    fragment = ResultList(items)._repr_html_()
    parsed = assert_safe(fragment)
    assert f"{len(items)} results" in fragment
    assert parsed.tags.count("tr") == len(items) + 1
    assert "a plain <string>" in "".join(parsed.text)
    assert "1 result<" in to_html(items[:1])


def test_whole_collections_render_compactly_and_deterministically(kb) -> None:
    entities = list(kb.entities)
    fragment = to_html(entities)
    assert_safe(fragment)
    assert fragment == to_html(list(kb.entities))
    assert len(fragment) < 1_500 * len(entities) + 5_000
    for entity in entities:
        assert html.escape(entity.name) in fragment
    assert_safe(to_html(list(kb.sources)))


@pytest.mark.parametrize("kind", ["therapies", "side_effects", "cancer_types", "sources"])
def test_repr_html_of_each_model_kind(kb, kind: str) -> None:
    item = getattr(kb, kind)[0]
    assert_safe(item._repr_html_())


def test_other_models_render_as_a_field_table(kb) -> None:
    therapy = next(t for t in kb.therapies if t.indications)
    for model in (therapy.indications[0], therapy.statements[0], *therapy.side_effects[:1]):
        fragment = to_html(model)
        assert_safe(fragment)
    relation = next(t.side_effects[0] for t in kb.therapies if t.side_effects)
    fragment = to_html(relation)
    assert relation.side_effect_id in fragment
    assert "side_effect_id" in fragment


@given(any_model)
def test_any_model_renders_safely(model) -> None:
    parsed = assert_safe(to_html(model))
    text = "".join(parsed.text)
    for name in ("name", "title", "quote", "claim", "summary"):
        value = getattr(model, name, None)
        if isinstance(value, str) and value.strip():
            assert value.strip() in text
    assert_safe(to_html([model, model]))
