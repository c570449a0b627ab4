"""Lead-ins: a section heading, or a sentence introducing a list, read with the quote."""

from __future__ import annotations

import pytest

import immunokb
from immunokb._provenance import MAX_LEAD_IN_OCCURRENCES, MAX_LEAD_IN_TRIES, SourceText

LEAFLET = """\
# Zzq leaflet

Zzqmab is a drug.
Zzqmab is also sold abroad.

## Approved uses

Zzqmab treats zzq cancer.

### Dosing

Zzqmab is given monthly.

## Trials

Zzqmab is tested in zzq sarcoma.

***

Zzqmab costs a lot.

## Side effects

- zzq rash

Zzqmab may cause:

- zzq itch
- zzq ache

## Not approved in Europe

- zzq tablets
"""

SOURCE_DOC = f"---\ntitle: Zzq leaflet\nsourceType: 05_zzq\n---\n{LEAFLET}"


def effect_doc(lead_in: str, quote: str) -> str:
    return f"""---
kind: side_effect
id: zzq-effect
name:
  value: zzq effect
  curated: "an invented test entity"
cite:
  - source: zzq-leaflet
    lead_in: "{lead_in}"
    quote: "{quote}"
---
"""


@pytest.fixture
def cite(corpus):
    """cite(lead_in, quote) -> (Citation, source text), or the DocumentError raised."""

    def run(lead_in: str, quote: str):
        folder = corpus({"zzq-leaflet.md": SOURCE_DOC, "effect.md": effect_doc(lead_in, quote)})
        try:
            kb = immunokb.load(paths=[folder], bundled=False)
        except immunokb.DocumentError as error:
            return error
        (citation,) = kb.get("zzq-effect").citations
        return citation, kb.source("zzq-leaflet").text

    return run


def test_quote_in_the_heading_section_points_at_heading_and_quote(cite) -> None:
    citation, text = cite("Approved uses", "Zzqmab treats zzq cancer.")
    assert text[citation.lead_in_start : citation.lead_in_end] == "Approved uses"
    assert text[citation.lead_in_start - 3 : citation.lead_in_start] == "## "
    assert text[citation.start : citation.end] == "Zzqmab treats zzq cancer."
    assert citation.lead_in == "Approved uses"
    assert citation.lead_in_end < citation.start


def test_quote_in_a_subsection_is_in_the_section(cite) -> None:
    citation, text = cite("Approved uses", "Zzqmab is given monthly.")
    assert text[citation.lead_in_start : citation.lead_in_end] == "Approved uses"
    assert text[citation.start : citation.end] == "Zzqmab is given monthly."


def test_top_level_heading_covers_the_whole_document(cite) -> None:
    citation, text = cite("Zzq leaflet", "Zzqmab is tested in zzq sarcoma.")
    assert text[citation.start : citation.end] == "Zzqmab is tested in zzq sarcoma."


def test_heading_lead_in_may_introduce_a_list(cite) -> None:
    citation, text = cite("Side effects", "zzq rash")
    assert text[citation.lead_in_start : citation.lead_in_end] == "Side effects"
    assert text[citation.start : citation.end] == "zzq rash"


@pytest.mark.parametrize(
    ("lead_in", "quote"),
    [
        ("Approved uses", "Zzqmab is tested in zzq sarcoma."),  # the next section
        ("Dosing", "Zzqmab is tested in zzq sarcoma."),  # past a higher-level heading
        ("Approved uses", "zzq rash"),  # two sections later
    ],
)
def test_quote_in_a_later_section_is_refused(cite, lead_in, quote) -> None:
    error = cite(lead_in, quote)
    assert isinstance(error, immunokb.DocumentError)
    assert error.field == "cite[0].quote"
    assert "quote is not in the section under its heading lead_in" in error.reason
    assert "'zzq-leaflet'" in error.reason


def test_quote_after_a_thematic_break_is_refused(cite) -> None:
    error = cite("Trials", "Zzqmab costs a lot.")
    assert isinstance(error, immunokb.DocumentError)
    assert "quote is not in the section under its heading lead_in" in error.reason


@pytest.mark.parametrize("rule", ["***", "* * *", "---", "___", "   ***"])
def test_every_thematic_break_closes_the_section(rule) -> None:
    text = SourceText(f"## Trials\n\nIn a trial.\n\n{rule}\n\nCosts a lot.\n")
    assert text.find_in_context("Trials", "In a trial.")[0] == (3, 9)
    assert "not in the section" in text.find_in_context("Trials", "Costs a lot.")


def test_a_break_after_a_subheading_closes_only_the_subsection() -> None:
    # docs/provenance.md: a break ends a section only while no subheading has opened
    text = SourceText(
        "## Types\n\n### Donor therapy\n\nDonor cells.\n\n***\n\nRadiation and antibodies.\n"
    )
    lead, quote = text.find_in_context("Types", "Radiation and antibodies.")
    assert text.text[lead[0] : lead[1]] == "Types"
    assert text.text[quote[0] : quote[1]] == "Radiation and antibodies."
    refused = text.find_in_context("Donor therapy", "Radiation and antibodies.")
    assert refused == "quote is not in the section under its heading lead_in"


def test_a_heading_whose_words_also_occur_earlier_is_still_found() -> None:
    text = SourceText("Results are below.\n\n## Results\n\nThe drug worked.\n")
    lead, quote = text.find_in_context("Results", "The drug worked.")
    assert lead == (23, 30)  # the heading, not the sentence that starts the body
    assert text.text[quote[0] : quote[1]] == "The drug worked."


def test_a_lead_in_that_starts_a_heading_is_refused(cite) -> None:
    error = cite("Approved", "Zzqmab treats zzq cancer.")
    assert isinstance(error, immunokb.DocumentError)
    assert "lead_in must be a whole heading or a sentence" in error.reason
    assert error.field == "cite[0].lead_in"


def test_a_lead_in_that_ends_a_heading_is_refused(cite) -> None:
    error = cite("uses", "Zzqmab treats zzq cancer.")
    assert isinstance(error, immunokb.DocumentError)
    assert error.field == "cite[0].lead_in"
    assert "not part of a heading" in error.reason


def test_a_lead_in_that_ends_a_heading_is_refused_before_a_list(cite) -> None:
    # "approved in Europe" reads the opposite of the heading "Not approved in Europe"
    error = cite("approved in Europe", "zzq tablets")
    assert isinstance(error, immunokb.DocumentError)


def test_a_partial_heading_is_reported_at_the_lead_in(cite) -> None:
    error = cite("Approved", "Zzqmab treats zzq cancer.")
    assert error.field == "cite[0].lead_in"


# ----------------------------------------------------------------- sentence lead-ins


def test_list_lead_in_still_works(cite) -> None:
    citation, text = cite("Zzqmab may cause:", "zzq ache")
    assert text[citation.lead_in_start : citation.lead_in_end] == "Zzqmab may cause:"
    assert text[citation.start : citation.end] == "zzq ache"


def test_non_list_quote_after_a_sentence_lead_in_is_refused(cite) -> None:
    error = cite("Zzqmab is a drug.", "Zzqmab is also sold abroad.")
    assert isinstance(error, immunokb.DocumentError)
    assert error.field == "cite[0].quote"
    assert "quote does not start an item of the list" in error.reason


def test_a_lead_in_not_in_the_source(cite) -> None:
    error = cite("Zzqmab may not cause:", "zzq ache")
    assert isinstance(error, immunokb.DocumentError)
    assert error.field == "cite[0].lead_in"
    assert "lead_in not found" in error.reason


# ----------------------------------------------------------------- many occurrences


def test_a_heading_after_many_mentions_of_its_words_in_prose_is_found() -> None:
    mentions = "Side effects are listed below.\n" * (3 * MAX_LEAD_IN_TRIES)
    text = SourceText(f"{mentions}\n## Side effects\n\n- zzq rash\n")
    lead, quote = text.find_in_context("Side effects", "zzq rash")
    assert text.text[lead[0] - 3 : lead[1]] == "## Side effects"
    assert text.text[quote[0] : quote[1]] == "zzq rash"


def test_a_list_lead_in_after_many_mentions_on_one_line_is_found() -> None:
    text = SourceText("it may cause: " * 10_000 + "\n\nIt may cause:\n- zzq itch\n")
    lead, quote = text.find_in_context("may cause:", "zzq itch")
    assert text.text[lead[1] : lead[1] + 1] == "\n"
    assert text.text[quote[0] : quote[1]] == "zzq itch"


def test_only_occurrences_placed_as_lead_ins_are_tried_and_only_so_many(monkeypatch) -> None:
    calls: list[tuple[int, int]] = []
    real = SourceText._in_context

    def counting(self, lead, quote, level):
        calls.append(lead)
        return real(self, lead, quote, level)

    monkeypatch.setattr(SourceText, "_in_context", counting)
    prose = "Results are below.\n" * 500
    placed = "## Results\n\nnothing here\n\n" * (2 * MAX_LEAD_IN_TRIES)
    text = SourceText(prose + placed + "The drug worked.\n")
    problem = text.find_in_context("Results", "The drug worked.")
    assert problem == "quote is not in the section under its heading lead_in"
    assert len(calls) == MAX_LEAD_IN_TRIES
    assert all(text.text[start - 3 : start] == "## " for start, _ in calls)


def test_occurrences_looked_at_are_bounded() -> None:
    text = SourceText("A " * (MAX_LEAD_IN_OCCURRENCES + 10) + "\n\n# A\n\nzzq\n")
    # the heading lies past the bound: refused, in our words, rather than searched for
    assert text.find_in_context("A", "zzq") == (
        "lead_in must end its line (the list starts on the next line)"
    )
