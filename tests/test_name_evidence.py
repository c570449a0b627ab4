"""A name is evidenced by every quote of the entity that states it, whichever source."""

from __future__ import annotations

import immunokb

LEAFLET = """\
---
title: Zzq leaflet
sourceType: 05_zzq
license: cc_by
---
Some patients get zzq itch.
"""
GUIDE = """\
---
title: Zzq guide
sourceType: 02_zzq
license: public_domain
---
You may have a severe zzq itch. Zzq itching is rare.
"""
EFFECT = """\
---
kind: side_effect
id: zzq-itch
name:
  value: "zzq itch"
  cite:
    - source: zzq-leaflet
      quote: "Some patients get zzq itch."
cite:
  - source: zzq-leaflet
    quote: "Some patients get zzq itch."
  - source: zzq-guide
    quote: "You may have a severe zzq itch."
  - source: zzq-guide
    quote: "Zzq itching is rare."
---
"""


def test_a_defining_quote_that_states_the_name_is_evidence_for_it(corpus) -> None:
    folder = corpus({"zzq-leaflet.md": LEAFLET, "zzq-guide.md": GUIDE, "itch.md": EFFECT})
    kb = immunokb.load(paths=[folder], bundled=False)
    (name,) = kb.get("zzq itch").statements_for("name")
    assert [(c.source_id, c.quote) for c in name.citations] == [
        ("zzq-leaflet", "Some patients get zzq itch."),
        ("zzq-guide", "You may have a severe zzq itch."),  # "itching" is not the name
    ]
    # so a filter that keeps only the guide keeps the entity and its name
    view = kb.export("json", licenses=["public_domain"])
    assert '"zzq-itch"' in view
    assert "no evidence from a kept source" not in view
