"""House ``cancerTypes`` tags: a vocabulary of their own, never resolved as names."""

from __future__ import annotations

import pytest

import immunokb

SOURCE = """\
---
title: Zzq organ leaflet
sourceType: 05_zzq
cancerTypes:
- zzqliver
---
Zzq liver cancer is rare. The zzqliver filters the blood.
"""


def cancer_doc(entity_id: str, name: str, tags: list[str], kind: str = "cancer_type") -> str:
    lines = [
        "---",
        f"kind: {kind}",
        f"id: {entity_id}",
        "name:",
        f'  value: "{name}"',
        '  curated: "an invented test entity"',
    ]
    if tags:
        lines.append("cancer_type_tags:")
        for tag in tags:
            lines += [f'  - value: "{tag}"', '    curated: "the tag our leaflets use"']
    lines += [
        "cite:",
        "  - source: zzq-organs",
        '    quote: "Zzq liver cancer is rare."',
        "---",
        "",
    ]
    return "\n".join(lines)


def test_a_tag_resolves_only_through_cancer_type_for_tag(corpus) -> None:
    folder = corpus(
        {
            "zzq-organs.md": SOURCE,
            "zzq-liver-cancer.md": cancer_doc("zzq-liver-cancer", "zzq liver cancer", ["zzqliver"]),
        }
    )
    kb = immunokb.load(paths=[folder], bundled=False)
    (source,) = kb.sources
    for tag in source.cancer_types:
        assert kb.cancer_type_for_tag(tag).id == "zzq-liver-cancer"
    assert kb.cancer_type_for_tag("ZZQLIVER").id == "zzq-liver-cancer"
    with pytest.raises(immunokb.NotFoundError):
        kb.get("zzqliver")
    with pytest.raises(immunokb.NotFoundError) as info:
        kb.cancer_type_for_tag("zzqlivr")
    assert info.value.suggestions == ("zzqliver",)
    with pytest.raises(immunokb.NotFoundError):
        kb.cancer_type_for_tag("zzq liver cancer")  # a name is not a tag


def test_a_tag_may_stand_for_one_cancer_type_only(corpus) -> None:
    folder = corpus(
        {
            "zzq-organs.md": SOURCE,
            "a.md": cancer_doc("zzq-liver-cancer", "zzq liver cancer", ["zzqliver"]),
            "b.md": cancer_doc("zzq-hepatic-cancer", "zzq hepatic cancer", ["ZzqLiver"]),
        }
    )
    with pytest.raises(immunokb.DocumentError) as info:
        immunokb.load(paths=[folder], bundled=False)
    error = info.value
    assert error.path is not None
    assert error.path.endswith(("a.md", "b.md"))
    assert error.field == "cancer_type_tags[0].value"
    assert error.line is not None
    assert "zzq-" in error.reason


@pytest.mark.parametrize("kind", ["side_effect", "therapy"])
def test_tags_belong_to_cancer_types_only(corpus, kind) -> None:
    folder = corpus(
        {
            "zzq-organs.md": SOURCE,
            "x.md": cancer_doc("zzq-thing", "zzq thing", ["zzqliver"], kind=kind),
        }
    )
    with pytest.raises(immunokb.DocumentError) as info:
        immunokb.load(paths=[folder], bundled=False)
    assert info.value.field == "cancer_type_tags"
    assert info.value.path is not None
    assert info.value.path.endswith("x.md")
