"""A symptom list travels only with the source that states it."""

from __future__ import annotations

import immunokb

LISTING = """\
---
title: Zzq agency page
sourceType: 02_zzq
---
Zzq vaccines can cause zzq malaise, which includes:

- zzq shivers
- zzq aches
"""
LIKENING = """\
---
title: Zzq clinic page
sourceType: 06_zzq
---
Zzq antibodies can feel like zzq malaise.
"""


def entity(  # noqa: PLR0917 - a test helper read at its call sites
    kind: str, entity_id: str, name: str, quote: str, source: str, extra: str = ""
) -> str:
    scope = "scope: class\n" if kind in {"therapy", "vaccine"} else ""
    purpose = "purpose: {value: treatment, curated: test}\n" if kind == "vaccine" else ""
    return (
        f"---\nkind: {kind}\nid: {entity_id}\n{scope}{purpose}"
        f"name: {{value: {name}, curated: test}}\n"
        f"cite: [{{source: {source}, quote: '{quote}'}}]\n{extra}---\n"
    )


def symptom(entity_id: str, name: str) -> str:
    cite = (
        "{source: zzq-agency, lead_in: 'Zzq vaccines can cause zzq malaise, which includes:', "
        f"quote: '{name}'}}"
    )
    return (
        f"---\nkind: side_effect\nid: {entity_id}\nname: {{value: {name}, cite: [{cite}]}}\n"
        f"broader: [{{value: zzq-malaise, cite: [{cite}]}}]\ncite: [{cite}]\n---\n"
    )


def test_each_link_lists_only_the_symptoms_its_own_sources_state(corpus) -> None:
    malaise_by = {
        "zzq-agency": "Zzq vaccines can cause zzq malaise, which includes:",
        "zzq-clinic": "Zzq antibodies can feel like zzq malaise.",
    }
    vaccines = entity(
        "vaccine",
        "zzq-vaccines",
        "zzq vaccines",
        malaise_by["zzq-agency"],
        "zzq-agency",
        "side_effects:\n  - side_effect: zzq-malaise\n"
        f"    cite: [{{source: zzq-agency, quote: '{malaise_by['zzq-agency']}'}}]\n",
    )
    antibodies = entity(
        "therapy",
        "zzq-antibodies",
        "zzq antibodies",
        malaise_by["zzq-clinic"],
        "zzq-clinic",
        "side_effects:\n  - side_effect: zzq-malaise\n"
        f"    cite: [{{source: zzq-clinic, quote: '{malaise_by['zzq-clinic']}'}}]\n",
    )
    folder = corpus(
        {
            "zzq-agency.md": LISTING,
            "zzq-clinic.md": LIKENING,
            "malaise.md": entity(
                "side_effect", "zzq-malaise", "zzq malaise", malaise_by["zzq-agency"], "zzq-agency"
            ),
            "shivers.md": symptom("zzq-shivers", "zzq shivers"),
            "aches.md": symptom("zzq-aches", "zzq aches"),
            "vaccines.md": vaccines,
            "antibodies.md": antibodies,
        }
    )
    kb = immunokb.load(paths=[folder], bundled=False)
    (vaccine_link,) = kb.side_effects_of("zzq vaccines")
    assert [p.side_effect.id for p in vaccine_link.includes] == ["zzq-shivers", "zzq-aches"]
    assert [c.quote for p in vaccine_link.includes for c in p.citations] == [
        "zzq shivers",
        "zzq aches",
    ]
    (antibody_link,) = kb.side_effects_of("zzq antibodies")
    assert antibody_link.side_effect.id == "zzq-malaise"
    assert antibody_link.includes == ()
    shivering = {link.therapy_id for link in kb.therapies_with_side_effect("zzq shivers")}
    assert shivering == {"zzq-vaccines"}
