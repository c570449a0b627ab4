"""The bundled content: complete, evidenced, honest about disagreement and tiers.

These tests walk every bundled entity and relation (see ``evidence.py``) and answer
the questions the content release was made for, from Python and from the CLI.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import immunokb
from evidence import by_source, relations, walk
from immunokb._cli import main
from immunokb._provenance import normalize_quote

KB = immunokb.load()
FACTS = relations(KB)
ENTITY_TABLES = ("therapies", "vaccines", "side_effects", "cancer_types")
COMMERCIAL_TIER = 7  # house sourceType 07_commercial_service: a company's own page
NCI_VACCINES = "nci-cancer-treatment-vaccines"
NCI_IMMUNOTHERAPY = "nci-immunotherapy-to-treat-cancer"


@pytest.mark.parametrize(
    ("entity_id", "relation", "value", "item"),
    FACTS,
    ids=[f"{e}.{r}:{v}" for e, r, v, _ in FACTS],
)
def test_every_fact_is_quoted_or_curated(entity_id, relation, value, item) -> None:
    citations = getattr(item, "citations", ())
    curated = getattr(item, "curated", None)
    assert bool(citations) != (curated is not None), (entity_id, relation, value)
    if curated is not None:
        assert len(curated.split()) >= 5, "a curated mark gives its reason"
    for citation in citations:
        text = KB.source(citation.source_id).text
        assert normalize_quote(text[citation.start : citation.end]) == normalize_quote(
            citation.quote
        )
        # a quote supports a claim on its own: a sentence, a list item with its
        # lead-in, a table row, never a lone word without context
        if citation.lead_in is None:
            assert len(citation.quote.split()) >= 4 or relation == "name", citation.quote


@pytest.mark.parametrize("entity", KB.entities, ids=lambda e: e.id)
def test_every_entity_has_quoted_evidence_and_a_summary(entity) -> None:
    assert entity.citations
    assert len(entity.summary.split()) >= 8
    # the name is quoted unless a curator explains why the source gives none
    (name,) = entity.statements_for(immunokb.StatementField.NAME)
    assert name.citations or name.curated


def test_every_source_contributes_and_the_table_is_complete() -> None:
    table = by_source(KB)
    assert set(table) == {s.id for s in KB.sources}
    for source_id, pairs in table.items():
        entities = {entity_id for entity_id, _ in pairs}
        kinds = {relation for _, relation in pairs}
        assert entities, f"{source_id} contributes nothing"
        assert kinds - {"entity"}, f"{source_id} supports no name, relation or status"
    # each record in the walk belongs to exactly one source or is curated
    for record in walk(KB):
        assert (record.citation is None) != (record.curated is None)


@pytest.mark.parametrize("source", KB.sources, ids=lambda s: s.id)
def test_frontmatter_cancer_type_tags_are_cancer_types_the_source_names(source) -> None:
    for tag in source.cancer_types:
        entity = KB.cancer_type_for_tag(tag)
        assert source.id in {c.source_id for c in entity.citations}, (tag, entity.id)


@pytest.mark.parametrize("cancer_type", KB.cancer_types, ids=lambda c: c.id)
def test_a_cancer_type_tag_is_found_by_name_only_when_it_is_a_name(cancer_type) -> None:
    # "kidney" tags documents about kidney cancer; a chatbot reading "the kidneys,
    # heart, and liver" must not be handed three cancers
    labels = {immunokb.normalize(x) for x in (cancer_type.name, *cancer_type.aliases)}
    for tag in cancer_type.cancer_type_tags:
        assert KB.cancer_type_for_tag(tag) == cancer_type
        if immunokb.normalize(tag) in labels:
            continue
        with pytest.raises(immunokb.NotFoundError):
            KB.get(tag)


def _claims(therapy: immunokb.Therapy):
    yield "status", therapy.status, therapy.status_claims
    for cancer_type_id in therapy.cancer_type_ids:
        claims = therapy.indications_for(cancer_type_id)
        yield cancer_type_id, therapy.indication_status(cancer_type_id), claims


@pytest.mark.parametrize("therapy", KB.therapies, ids=lambda t: t.id)
def test_no_marketing_claim_becomes_an_unqualified_approval(therapy) -> None:
    for what, status, claims in _claims(therapy):
        if status is immunokb.Status.APPROVED:
            tiers = [c.tier for c in claims if c.status is immunokb.Status.APPROVED]
            assert any(t is not None and t < COMMERCIAL_TIER for t in tiers), (therapy.id, what)
        for claim in claims:
            assert claim.source_id is not None or claim.curated
            if claim.source_id is not None:
                assert claim.tier == KB.source(claim.source_id).tier


def test_conflicts_list_both_sides_with_tiers() -> None:
    conflicts = KB.conflicts()
    assert conflicts
    for conflict in conflicts:
        assert (
            len({c.source_id for c in conflict.claims}) >= 2
            or len({c.value for c in conflict.claims}) >= 2
        )
        tiers = [c.tier for c in conflict.claims]
        assert tiers == sorted(tiers)
        for claim in conflict.claims:
            assert claim.citations
            assert claim.tier == KB.source(claim.source_id).tier
        entity = KB.get(conflict.entity_id)
        assert isinstance(entity, immunokb.Therapy)
        if conflict.field is immunokb.StatementField.STATUS:
            assert entity.status is conflict.adopted
        else:
            assert entity.indication_status(conflict.subject) is conflict.adopted


def test_lk101_fda_approval_is_the_commercial_pages_claim_weighed_against_the_nci() -> None:
    # one promotional sentence against the NCI is not a dispute between equals
    lk101 = KB.get("LK101")
    assert lk101.status is immunokb.Status.UNVERIFIED
    assert [c.status for c in lk101.status_claims] == [immunokb.Status.APPROVED]
    approved = [c for c in lk101.status_claims if c.status is immunokb.Status.APPROVED]
    assert [c.tier for c in approved] == [COMMERCIAL_TIER]
    assert approved[0].regulator == "FDA"
    (dispute,) = approved[0].disputed_by
    assert dispute.source_id == NCI_VACCINES
    assert "sipuleucel-T" in dispute.citations[0].quote
    conflict = next(c for c in KB.conflicts() if c.entity_id == "lk101")
    assert conflict.adopted is immunokb.Status.UNVERIFIED
    assert conflict.claims[0].disputes  # the NCI, the most trusted, comes first


def test_statuses_of_named_products() -> None:
    status = {t.id: t.status for t in KB.therapies}
    assert status["sipuleucel-t"] is immunokb.Status.APPROVED
    assert status["talimogene-laherparepvec"] is immunokb.Status.APPROVED
    # what only the commercial page says is its claim, shown attributed, not fact
    claimed = {
        "gvax": immunokb.Status.DISCONTINUED,
        "tecemotide": immunokb.Status.FAILED,
        "belagenpumatucel-l": immunokb.Status.FAILED,
        "xh101": immunokb.Status.INVESTIGATIONAL,
        "wgc-043": immunokb.Status.INVESTIGATIONAL,
    }
    for therapy_id, said in claimed.items():
        assert status[therapy_id] is immunokb.Status.UNVERIFIED
        claims = KB.get(therapy_id).status_claims
        assert [(c.status, c.tier) for c in claims] == [(said, COMMERCIAL_TIER)]
    (xh101,) = KB.get("XH101 injection").status_claims
    assert xh101.regulator == "NMPA"
    (wgc,) = KB.get("wgc-043").status_claims
    assert wgc.phase is immunokb.Phase.PHASE_1
    (gvax,) = KB.get("GVAX").indications_for("pancreatic-cancer")
    assert (gvax.status, gvax.phase) == (immunokb.Status.FAILED, immunokb.Phase.PHASE_3)


def test_preventive_vaccines_are_marked_as_prevention() -> None:
    prevention = {v.id for v in KB.vaccines if v.purpose is immunokb.VaccinePurpose.PREVENTION}
    assert {"hpv-vaccine", "hepatitis-b-vaccines", "cancer-prevention-vaccines"} <= prevention
    for vaccine_id in prevention:
        assert not KB.get(vaccine_id).indications  # mentioned for contrast, not as treatment


# --------------------------------------------------------------------------- the three questions


def test_which_side_effects_can_sipuleucel_t_cause_and_who_says_so() -> None:
    links = KB.side_effects_of("sipuleucel-T")
    direct = [link for link in links if link.via is None]
    assert [link.side_effect.id for link in direct] == ["stroke"]
    assert direct[0].citations[0].quote == "Sipuleucel-T can cause stroke."
    inherited = {(link.side_effect.id, link.via) for link in links if link.via}
    assert ("flu-like-symptoms", "treatment-vaccines") in inherited
    assert ("allergic-reaction", "treatment-vaccines") in inherited
    for link in links:
        assert link.citations
        via = link.via or "sipuleucel-t"
        assert link.via is None or via in {a.id for a in KB.ancestors("sipuleucel-t")}
    symptoms = {e.id for e in KB.narrower("flu-like symptoms")}
    assert {"fever", "chills", "fatigue", "headache"} <= symptoms


def test_what_is_used_for_melanoma_and_is_it_approved() -> None:
    found = {t.id: t for t in KB.therapies_for("melanoma")}
    assert {"talimogene-laherparepvec", "t-cell-transfer-therapy"} <= set(found)
    tvec = found["talimogene-laherparepvec"]
    assert tvec.scope is immunokb.Scope.PRODUCT
    assert tvec.status is immunokb.Status.APPROVED  # "The first FDA-approved ..."
    (claim,) = tvec.indications_for("melanoma")
    assert claim.source_id == NCI_VACCINES
    assert "melanoma" in claim.citations[0].quote
    assert tvec.indication_status("melanoma") is immunokb.Status.IN_USE  # "is used to treat"
    # "only one approved ... for metastatic melanoma" is about one product, not the class
    oncolytic = KB.get("oncolytic virus therapy")
    assert oncolytic.scope is immunokb.Scope.CLASS
    assert oncolytic.status is not immunokb.Status.APPROVED
    assert "melanoma" not in oncolytic.cancer_type_ids


# A product's approval, failure or discontinuation is never its class's.
CLASSES = [t for t in KB.therapies if t.scope is immunokb.Scope.CLASS]


@pytest.mark.parametrize("therapy", CLASSES, ids=lambda t: t.id)
def test_no_class_is_approved_failed_or_discontinued(therapy) -> None:
    product_only = immunokb.PRODUCT_ONLY_STATUSES
    assert therapy.status not in product_only
    for claim in (*therapy.status_claims, *therapy.indications):
        assert claim.status not in product_only, claim
    for cancer_type_id in therapy.cancer_type_ids:
        assert therapy.indication_status(cancer_type_id) not in product_only


def _labels(entity: immunokb.Entity) -> list[str]:
    return [entity.name, *entity.aliases]


@pytest.mark.parametrize("therapy", KB.therapies, ids=lambda t: t.id)
def test_an_indication_is_approved_only_where_a_quote_says_approved_for_it(therapy) -> None:
    # "approved, sipuleucel-T, which is used to treat ... prostate cancer" reads like
    # "T-VEC is used to treat ... melanoma": in use for the cancer, whatever else
    # is approved
    for indication in therapy.indications:
        if indication.status is not immunokb.Status.APPROVED:
            continue
        cancer = KB.get(indication.cancer_type_id)
        names = "|".join(re.escape(label) for label in _labels(cancer))
        pattern = rf"approv\w*\b.{{0,80}}?\b(?:for|to treat)\b.{{0,60}}?\b(?:{names})\b"
        assert any(
            re.search(pattern, " ".join(c.quote.split()), re.I) for c in indication.citations
        ), (therapy.id, indication.cancer_type_id)


def test_what_else_is_t_cell_transfer_therapy_called() -> None:
    therapy = KB.get("T-cell transfer therapy")
    assert {"adoptive cell therapy", "adoptive immunotherapy", "immune cell therapy"} <= set(
        therapy.aliases
    )
    for alias in ("adoptive cell therapy", "adoptive immunotherapy", "immune cell therapy"):
        (statement,) = therapy.statements_for(immunokb.StatementField.ALIAS, alias)
        assert statement.citations[0].source_id == NCI_IMMUNOTHERAPY
        assert "may also be called" in statement.citations[0].quote
        assert KB.get(alias) == therapy


def test_the_three_questions_from_the_cli(capsys) -> None:
    assert main(["side-effects", "sipuleucel-T"]) == 0
    out = capsys.readouterr().out
    assert "Sipuleucel-T can cause stroke." in out
    assert "flu-like symptoms  (inherited from treatment-vaccines)" in out
    assert "fever" in out

    assert main(["therapies-for", "melanoma", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["results"]
    tvec = next(r for r in rows if r["therapy_id"] == "talimogene-laherparepvec")
    assert tvec["therapy_status"] == "approved"
    assert tvec["claims"][0]["citations"][0]["source_id"] == NCI_VACCINES

    assert main(["get", "adoptive immunotherapy"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("T-cell transfer therapy")
    assert "may also be called adoptive cell therapy" in out


# --------------------------------------------------------------------------- release


def test_changelog_records_the_content_version() -> None:
    changelog = Path(__file__).resolve().parents[1] / "CHANGELOG.md"
    if not changelog.exists():  # pragma: no cover - the wheel run copies tests/ only
        pytest.skip("CHANGELOG.md is not next to the tests")
    assert KB.content_version
    assert re.search(rf"\bcontent {re.escape(KB.content_version)}\b", changelog.read_text(), re.I)


def test_practicalities_are_reachable_by_search() -> None:
    questions = {
        "how often do you receive immunotherapy": "every day, week, or month",
        "where do you go for immunotherapy": "outpatient unit",
        "how can you tell if immunotherapy is working": "blood tests",
        "find clinical trials testing immunotherapy": "1-800-4-CANCER",
        "research to predict responses to immunotherapy": "predict",
    }
    for question, answer in questions.items():
        hits = [h for h in KB.search(question, limit=3) if h.citation is not None]
        assert any(answer in h.citation.quote for h in hits), question


def _states(citation: immunokb.Citation, words: str) -> bool:
    said = " ".join(citation.quote.split()).lower()
    needle = re.escape(" ".join(words.split()).lower())
    return re.search(rf"(?<!\w){needle}(?!\w)", said) is not None


@pytest.mark.parametrize("entity", KB.entities, ids=lambda e: e.id)
def test_every_defining_quote_that_states_a_name_is_evidence_for_it(entity) -> None:
    labels = [("name", entity.name), *(("alias", a) for a in entity.aliases)]
    for field, value in labels:
        (statement,) = entity.statements_for(field, value)
        if statement.is_curated:
            continue
        carried = {(c.source_id, c.start, c.end) for c in statement.citations}
        for citation in entity.citations:
            if _states(citation, value):
                assert (citation.source_id, citation.start, citation.end) in carried, (
                    field,
                    value,
                    citation.source_id,
                )


@pytest.mark.parametrize("license", sorted({s.license.value for s in KB.sources}))
def test_a_licence_filter_never_drops_a_name_a_kept_source_states(license) -> None:
    # "You may have a severe allergic reaction." (NCI, public domain) keeps the
    # allergic reaction's name in a public-domain export, whoever else names it
    kept = {s.id for s in KB.sources if s.license.value == license}
    exported = json.loads(KB.export("json", licenses=[license]))
    withheld = {
        w["id"]: w["reason"] for w in exported["header"]["license_filter"]["entities_withheld"]
    }
    for entity in KB.entities:
        if any(c.source_id in kept and _states(c, entity.name) for c in entity.citations):
            assert "name" not in withheld.get(entity.id, ""), (entity.id, withheld[entity.id])


# --------------------------------------------------------------------------- symptom lists


@pytest.mark.parametrize("therapy", KB.therapies, ids=lambda t: t.id)
def test_a_symptom_reaches_a_therapy_only_through_the_source_that_lists_it(therapy) -> None:
    for link in KB.side_effects_of(therapy.id):
        stating = {c.source_id for c in link.citations}
        listed = {p.side_effect.id for p in link.includes}
        for part in link.includes:
            assert part.citations
            assert {c.source_id for c in part.citations} <= stating, (link, part)
        # and every symptom those sources put directly under it is there
        for symptom in KB.narrower(link.side_effect.id):
            says = {
                c.source_id
                for s in symptom.statements_for("broader", link.side_effect.id)
                for c in s.citations
            }
            if says & stating:
                assert symptom.id in listed, (therapy.id, link.side_effect.id, symptom.id)


def test_feeling_like_the_flu_is_not_the_nci_list_of_flu_like_symptoms() -> None:
    # the practice: immunotherapy "can sometimes feel similar to getting the flu";
    # the NCI lists fever ... high blood pressure for cancer treatment vaccines only
    for link in KB.side_effects_of("immune checkpoint inhibitors"):
        assert link.includes == () or all(
            c.source_id != NCI_VACCINES for p in link.includes for c in p.citations
        )
    flu = {
        link.via: link
        for link in KB.side_effects_of("sipuleucel-T")
        if link.side_effect.id == "flu-like-symptoms"
    }
    assert flu["immunotherapy"].includes == ()
    nci = flu["treatment-vaccines"]
    assert [p.side_effect.id for p in nci.includes][:2] == ["fever", "chills"]
    assert all(c.source_id == NCI_VACCINES for p in nci.includes for c in p.citations)
    assert nci.includes[0].citations[0].quote == "fever"
    therapies = {link.therapy_id for link in KB.therapies_with_side_effect("high blood pressure")}
    assert "sipuleucel-t" in therapies
    assert not therapies & {"immune-checkpoint-inhibitors", "car-t-cell-therapy", "anti-pd-1"}


# --------------------------------------------------------------------------- qualifiers

QUALIFYING = re.compile(
    r"\b(?:some (?:men|people|patients)\b[^.,;:]*|certain types of\b[^.;:]*|advanced\b[^.,;:]*"
    r"|very early\b[^.,;:]*|metastatic\b[^.,;:]*|returns after\b[^.;:]*|combine\b[^.;:]*"
    r"|in specific settings|few or no symptoms|has spread\b[^.;:]*)",
    re.I,
)
"""Words that narrow who or when an indication is for, as the bundled sources write them."""


@pytest.mark.parametrize("therapy", KB.therapies, ids=lambda t: t.id)
def test_who_and_when_travel_with_every_indication(therapy) -> None:
    for indication in therapy.indications:
        said = " ".join(
            normalize_quote(c.quote)
            for c in (
                *indication.citations,
                *(c for q in indication.qualifiers for c in q.citations),
            )
        )
        for qualifier in indication.qualifiers:
            assert normalize_quote(qualifier.text) in said
            assert all(c.source_id == indication.source_id for c in qualifier.citations)
        texts = " | ".join(normalize_quote(q.text) for q in indication.qualifiers)
        cancer = KB.get(indication.cancer_type_id)
        labels = [label.lower() for label in (cancer.name, *cancer.aliases)]
        for citation in indication.citations:
            for found in QUALIFYING.finditer(normalize_quote(citation.quote)):
                if not any(label in found.group(0).lower() for label in labels):
                    continue  # it narrows another cancer the sentence names
                words = found.group(0).split()[:2]
                assert " ".join(words) in texts, (
                    therapy.id,
                    indication.cancer_type_id,
                    found.group(0),
                )


def test_sipuleucel_t_is_for_some_men_with_advanced_prostate_cancer() -> None:
    (nci,) = [
        i
        for i in KB.get("sipuleucel-T").indications_for("prostate-cancer")
        if i.source_id == NCI_VACCINES
    ]
    assert [q.text for q in nci.qualifiers] == [
        "some men with advanced prostate cancer",
        "that has spread to other parts of the body",
        "who have few or no symptoms",
        "whose cancer does not respond to hormone treatment",
    ]
    for qualifier in nci.qualifiers:
        source = KB.source(qualifier.citations[0].source_id)
        citation = qualifier.citations[0]
        assert qualifier.text in source.text[citation.start : citation.end]
    assert "some men with advanced prostate cancer" in KB.cite("sipuleucel-T")


# --------------------------------------------------------------------------- promotional statements


@pytest.mark.parametrize("entity", KB.entities, ids=lambda e: e.id)
def test_a_statement_only_promotional_sources_make_is_marked_as_their_claim(entity) -> None:
    for statement in entity.statements:
        tiers = [KB.source(c.source_id).tier for c in statement.citations]
        only_promotional = bool(tiers) and all(
            t is not None and t >= immunokb.PROMOTIONAL_TIER for t in tiers
        )
        assert statement.promotional is only_promotional, (entity.id, statement.field)


def test_belagenpumatucel_platform_is_the_commercial_pages_word(capsys) -> None:
    (platform,) = KB.get("belagenpumatucel-L").statements_for("platform")
    assert platform.promotional
    assert main(["get", "belagenpumatucel-L"]) == 0
    out = capsys.readouterr().out
    assert (
        "    platform: peptide  (according to commercial-therapeutic-cancer-vaccines only, "
        "a promotional source: its claim)\n"
    ) in out


@pytest.mark.parametrize("license", sorted({s.license.value for s in KB.sources}))
def test_the_licence_filter_marks_what_only_promotional_sources_still_state(license) -> None:
    exported = json.loads(KB.export("json", licenses=[license]))
    tiers = {s["id"]: KB.source(s["id"]).tier for s in exported["sources"]}
    for kind in ENTITY_TABLES:
        for entity in exported[kind]:
            for statement in entity["statements"]:
                kept = [tiers[c["source_id"]] for c in statement["citations"]]
                only = bool(kept) and all(
                    t is not None and t >= immunokb.PROMOTIONAL_TIER for t in kept
                )
                assert statement["promotional"] is only, (entity["id"], statement["field"])
