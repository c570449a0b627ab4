"""Who and when: an indication's qualifiers are the source's own words, checked at load."""

from __future__ import annotations

import pytest

import immunokb

SOURCE = """\
---
title: Zzq bulletin
sourceType: 02_zzq
---
Zzqmab is used to treat some adults with zzq cancer that has come back.
"""
OTHER = """\
---
title: Zzq flyer
sourceType: 07_zzq
---
Zzqmab works for some adults.
"""
CANCER = """\
---
kind: cancer_type
id: zzq-cancer
name: {value: zzq cancer, curated: test}
cite: [{source: zzq-bulletin, quote: "zzq cancer that has come back"}]
---
"""


def therapy(qualifier: str) -> str:
    return f"""---
kind: therapy
id: zzqmab
scope: product
name: {{value: Zzqmab, curated: test}}
indications:
  - cancer_type: zzq-cancer
    status: in_use
    cite:
      - source: zzq-bulletin
        quote: "Zzqmab is used to treat some adults with zzq cancer that has come back."
    qualifiers:
{qualifier}
cite: [{{source: zzq-bulletin, quote: "Zzqmab is used to treat"}}]
---
"""


GOOD = """\
      - kind: population
        text: some adults
        cite: [{source: zzq-bulletin, quote: "some adults with zzq cancer"}]
      - kind: stage
        text: "that has come back"
        cite: [{source: zzq-bulletin, quote: "zzq cancer that has come back."}]"""


def load(corpus, qualifier: str) -> immunokb.KnowledgeBase:
    folder = corpus(
        {
            "zzq-bulletin.md": SOURCE,
            "zzq-flyer.md": OTHER,
            "cancer.md": CANCER,
            "zzqmab.md": therapy(qualifier),
        }
    )
    return immunokb.load(paths=[folder], bundled=False)


def test_qualifiers_are_kept_with_their_quotes_and_shown_with_the_indication(corpus) -> None:
    kb = load(corpus, GOOD)
    (indication,) = kb.get("zzqmab").indications
    assert [(q.kind, q.text) for q in indication.qualifiers] == [
        (immunokb.QualifierKind.POPULATION, "some adults"),
        (immunokb.QualifierKind.STAGE, "that has come back"),
    ]
    text = kb.source("zzq-bulletin").text
    for qualifier in indication.qualifiers:
        (citation,) = qualifier.citations
        assert qualifier.text in text[citation.start : citation.end]
    cited = kb.cite("zzqmab")
    assert "“some adults”" in cited
    assert "“that has come back”" in cited


@pytest.mark.parametrize(
    ("qualifier", "field", "reason"),
    [
        (
            GOOD.replace("text: some adults", "text: all adults"),
            "indications[0].qualifiers[0].text",
            "do not contain the qualifier 'all adults'",
        ),
        (
            GOOD.replace(
                '[{source: zzq-bulletin, quote: "some adults with zzq cancer"}]',
                '[{source: zzq-flyer, quote: "some adults"}]',
            ),
            "indications[0].qualifiers[0].cite",
            "a qualifier quotes the indication's own source",
        ),
        (
            GOOD.replace("kind: population", "kind: age"),
            "indications[0].qualifiers[0].kind",
            "",
        ),
    ],
)
def test_a_qualifier_not_in_the_source_s_words_is_refused(corpus, qualifier, field, reason) -> None:
    with pytest.raises(immunokb.DocumentError) as info:
        load(corpus, qualifier)
    error = info.value
    assert error.field == field
    assert error.line is not None
    assert error.path is not None
    assert error.path.endswith("zzqmab.md")
    assert reason in error.reason
