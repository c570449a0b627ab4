"""Deterministic synthetic corpora in immunokb's document formats, for the benchmarks.

Run:  python benchmarks/corpus.py DIRECTORY --documents 10000 [--seed 6]

``generate(directory, documents)`` writes exactly ``documents`` Markdown documents
with YAML frontmatter into ``directory`` (which must be empty or absent):

- a tenth are **source documents** (``sources/``) with the house frontmatter
  (``title``, ``url``, ``source``, ``sourceType``, ``license``, ``audienceLevel``,
  ``lastReviewed``, ...) and a Markdown body of headings, paragraphs and lists;
- the rest are **entity documents**: cancer types (a tenth of them), side effects
  (15 %), and therapies and vaccines (the remainder, a quarter of them vaccines)
  with aliases, broader links, status claims (with regulators and trial phases),
  routes, indications, side effects and the odd dispute.

Every quote an entity document makes is a sentence (or a list item with the
sentence that introduces the list) written into one of the generated sources, so
the corpus loads with ``immunokb.load(paths=[directory], bundled=False)`` without
an error or a warning. Names are drawn from syllables, statuses, routes, cancer
types and side effects from skewed distributions (a few cancer types are named by
many therapies, as in real corpora), and the filler prose from a fixed vocabulary
that :data:`QUERIES_1` and :data:`QUERIES_3` search for. A few documents use CRLF
line endings or a byte-order mark. The same seed and size always give the same
bytes, on any machine and under any ``PYTHONHASHSEED`` (nothing iterates a set).

The corpus is self-contained rather than recombined from the bundled sentences
(as ``search_engines.py`` does for search alone): entity documents need sentences
that name them, and the output must not change when the bundled content does.
"""

from __future__ import annotations

import argparse
import json
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SEED = 6
"""The default seed (issue 6)."""

SHARD = 1000
"""Documents per folder: ``therapies/003/...``."""

# --------------------------------------------------------------------------- vocabulary

# fmt: off

_NOUNS = (
    "antigen", "antibody", "lymphocytes", "infusion", "tumor", "immune system", "T cells",
    "dendritic cells", "cytokines", "checkpoint", "receptor", "protein", "marrow", "biopsy",
    "dose", "treatment plan", "response", "relapse", "remission", "trial", "nurse", "clinic",
    "lymph nodes", "blood test", "scan", "vaccine", "virus", "mutation", "biomarker", "cycle",
    "hospital", "oncologist", "symptom", "side effect", "therapy", "cancer cells", "skin",
    "liver", "lungs", "kidneys", "appetite", "energy", "sleep", "family", "caregiver",
    "pharmacist", "schedule", "injection", "tablet", "inflammation",
)
_ADJECTIVES = (
    "early", "advanced", "common", "rare", "mild", "severe", "new", "standard", "targeted",
    "personal", "weekly", "monthly", "regular", "careful", "small", "large", "active",
    "stable", "recurrent", "metastatic", "local", "systemic", "long-term", "short-term",
    "experimental", "approved", "combined", "first", "second", "later",
)
_VERBS = (
    "changes", "supports", "controls", "reduces", "increases", "affects", "guides",
    "protects", "trains", "blocks", "signals", "measures", "follows", "shapes", "limits",
    "improves", "slows", "activates", "marks", "reveals",
)
_GROUPS = (
    "most patients", "some people", "older adults", "children", "many studies",
    "recent trials", "the clinic", "the care team", "large hospitals", "small studies",
    "your doctor", "the research office", "several centres", "patient groups",
)
_TOPICS = (
    "How the treatment works", "What to expect", "Before your first visit",
    "During treatment", "After treatment", "Questions to ask", "Living with cancer",
    "Research and trials", "Costs and support", "Looking after yourself",
)
_GERMAN = (
    "Die Behandlung in der Tagesklinik dauert meist einen halben Tag.",
    "Bitte bringen Sie Ihren Medikamentenplan zu jedem Besuch mit.",
    "Über Nebenwirkungen spricht das Pflegeteam ausführlich mit Ihnen.",
)

QUERIES_1 = ("lymphocytes", "infusion", "biomarker", "remission", "caregiver")
"""One-word queries: words of the filler prose, found in many passages."""
QUERIES_3 = (
    "advanced tumor response",
    "immune system inflammation",
    "weekly infusion schedule",
    "dendritic cells antigen",
    "recurrent cancer trial",
)
"""Three-word queries over the same vocabulary."""

_SYLLABLES = (
    "ba", "ce", "da", "fe", "ga", "ko", "la", "mi", "no", "pe", "ra", "si", "ta", "vo",
    "xa", "zu", "bri", "cla", "dro", "fla", "gri", "kla", "plo", "stra", "tre", "vi",
    "zo", "nel", "mor", "tes",
)
_THERAPY_SUFFIXES = ("mab", "cel", "vec", "tide", "kin", "limab", "tumab", "leucel")
_BRAND_SUFFIXES = ("xa", "ra", "vo", "lix", "nor", "zen", "quin", "dex")
_CLASSES = (
    "monoclonal antibody", "immune checkpoint inhibitor", "CAR T-cell therapy",
    "cytokine therapy", "oncolytic virus therapy", "bispecific antibody",
    "T-cell transfer therapy", "immune system modulator",
)
_PLATFORMS = {
    "tumor_cell": "tumor cell",
    "tumor_antigen": "tumor antigen",
    "dendritic_cell": "dendritic cell",
    "peptide": "peptide",
    "mrna": "mRNA",
    "other": "novel",
}
_ORGANS = (
    "lung", "breast", "prostate", "bladder", "kidney", "liver", "pancreas", "colon",
    "rectum", "skin", "brain", "bone", "blood", "lymph node", "ovary", "cervix", "stomach",
    "thyroid", "esophagus", "head and neck", "bile duct", "testis", "uterus", "soft tissue",
)
_TUMOR_KINDS = ("carcinoma", "sarcoma", "lymphoma", "adenocarcinoma", "melanoma", "tumor")
_SYMPTOM_ADJECTIVES = (
    "mild", "sudden", "lasting", "painful", "itchy", "night-time", "recurring", "sharp",
    "dull", "brief", "severe", "patchy", "early", "late", "spreading", "swollen",
    "burning", "cold", "dry", "aching", "tender", "faint", "red", "throbbing", "numb",
)
_BODY_PARTS = (
    "chest", "joint", "muscle", "skin", "eye", "ear", "throat", "stomach", "back", "neck",
    "head", "hand", "foot", "knee", "hip", "shoulder", "mouth", "tongue", "gum", "lip",
    "nail", "scalp", "ankle", "wrist", "elbow", "jaw", "nose", "chin", "cheek", "heel",
    "thigh", "calf", "arm", "leg", "finger", "toe", "rib", "spine", "bowel", "bladder",
)
_SYMPTOMS = (
    "pain", "swelling", "rash", "stiffness", "weakness", "cramps", "tingling", "redness",
    "soreness", "itching", "bleeding", "blisters", "dryness", "spasms", "discharge",
    "numbness", "bruising", "tenderness", "pressure", "burning", "flushing", "sweating",
    "twitching", "peeling", "ulcers",
)
_PUBLISHERS = (
    ("Northbridge Cancer Institute", "02_nci_core"),
    ("Westfield University Hospital", "04_hospital"),
    ("Journal of Synthetic Oncology", "03_peer_reviewed"),
    ("Coastal Oncology Practice", "06_practice"),
    ("Riverside Patient Network", "05_patient_org"),
    ("Helix Therapeutics", "07_commercial"),
    ("Open Trials Registry", "05_trials"),
    ("Health Media Weekly", "05_health_media"),
)
_LICENSES = ("public_domain", "cc_by", "cc_by_nc", "proprietary", "open_access", "unknown")
_AUDIENCES = ("patient", "general", "professional", "technical")
_FREQUENCIES = ("monthly", "quarterly", "annual", "as_needed")
_ROUTES = (
    ("intravenous", 45, "as an infusion into a vein"),
    ("subcutaneous", 15, "as an injection under the skin"),
    ("oral", 10, "as a tablet taken by mouth"),
    ("intratumoral", 8, "by injection directly into a tumor"),
    ("intradermal", 7, "as an injection into the skin"),
    ("intramuscular", 7, "as an injection into a muscle"),
    ("topical", 4, "as a cream put on the skin"),
    ("intravesical", 4, "through a tube into the bladder"),
)
_STATUSES = (
    ("approved", 25),
    ("in_use", 20),
    ("investigational", 40),
    ("discontinued", 10),
    ("failed", 5),
)
_REGULATORS = ("FDA", "EMA", "Food and Drug Administration", "NMPA", "MHRA")
_PHASES = (("phase_1", "Phase I"), ("phase_2", "Phase 2"), ("phase_1_2", "Phase I/II"))
# fmt: on

# --------------------------------------------------------------------------- YAML


@dataclass(frozen=True)
class Anchor:
    """A mapping marked with a YAML anchor (``&name``)."""

    name: str
    value: dict[str, Any]


@dataclass(frozen=True)
class Alias:
    """A YAML alias (``*name``) of an anchored mapping."""

    name: str


def _scalar(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    # A JSON string is a valid YAML double-quoted scalar.
    return json.dumps(str(value), ensure_ascii=False)


def _yaml_lines(value: object, indent: int) -> Iterator[str]:
    pad = " " * indent
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, (dict, list, Anchor)) and item:
                if isinstance(item, Anchor):
                    yield f"{pad}{key}: &{item.name}"
                    yield from _yaml_lines(item.value, indent + 2)
                else:
                    yield f"{pad}{key}:"
                    yield from _yaml_lines(item, indent + (2 if isinstance(item, dict) else 0))
            elif isinstance(item, Alias):
                yield f"{pad}{key}: *{item.name}"
            else:
                yield f"{pad}{key}: {'[]' if item == [] else _scalar(item)}"
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, Anchor):
                yield f"{pad}- &{item.name}"
                yield from _yaml_lines(item.value, indent + 2)
            elif isinstance(item, Alias):
                yield f"{pad}- *{item.name}"
            elif isinstance(item, dict):
                lines = list(_yaml_lines(item, indent + 2))
                yield f"{pad}- {lines[0].lstrip()}"
                yield from lines[1:]
            else:
                yield f"{pad}- {_scalar(item)}"
    else:
        yield f"{pad}{_scalar(value)}"


def document(meta: dict[str, Any], body: str) -> str:
    """A document's text: ``---``, the frontmatter, ``---``, the body (LF line endings)."""
    return "---\n" + "\n".join(_yaml_lines(meta, 0)) + "\n---\n" + body.rstrip("\n") + "\n"


# --------------------------------------------------------------------------- plan


@dataclass(frozen=True)
class Corpus:
    """What :func:`generate` wrote."""

    directory: Path
    seed: int
    documents: int
    sources: int
    therapies: int
    """Therapies, vaccines not included."""
    vaccines: int
    side_effects: int
    cancer_types: int
    bytes: int

    @property
    def entities(self) -> int:
        """Every entity document."""
        return self.therapies + self.vaccines + self.side_effects + self.cancer_types


def plan(documents: int) -> dict[str, int]:
    """How many documents of each kind a corpus of ``documents`` has."""
    if documents < 10:
        raise ValueError("a corpus has at least 10 documents")
    sources = max(1, documents // 10)
    entities = documents - sources
    cancer_types = max(1, entities // 10)
    side_effects = max(1, entities * 15 // 100)
    family = entities - cancer_types - side_effects
    vaccines = family // 4
    return {
        "sources": sources,
        "cancer_types": cancer_types,
        "side_effects": side_effects,
        "therapies": family - vaccines,
        "vaccines": vaccines,
    }


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _key(text: str) -> str:
    """The lookup key (as ``immunokb.normalize`` makes it, for these ASCII names)."""
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text.lower()).split())


def _a(words: str) -> str:
    return f"{'an' if words[0] in 'aeiou' else 'a'} {words}"


def _weighted(rng: random.Random, choices: tuple[tuple[Any, ...], ...]) -> tuple[Any, ...]:
    return rng.choices(choices, weights=[c[1] for c in choices])[0]


def _skewed(rng: random.Random, count: int) -> int:
    """An index below ``count``, small ones far more often (a few popular targets)."""
    return min(count - 1, int(count * rng.random() ** 3))


class _Names:
    """Unique names: no two labels of the corpus share a lookup key."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[str] = set()

    def claim(self, candidate: str) -> bool:
        key = _key(candidate)
        if not key or key in self.used or _slug(candidate) in self.used:
            return False
        self.used.add(key)
        self.used.add(_slug(candidate))
        return True

    def word(self, suffixes: tuple[str, ...], capital: bool = False) -> str:
        while True:
            count = self.rng.choice((2, 2, 3))
            stem = "".join(self.rng.choice(_SYLLABLES) for _ in range(count))
            name = stem + self.rng.choice(suffixes)
            name = name.capitalize() if capital else name
            if self.claim(name):
                return name

    def phrase(self, parts: tuple[tuple[str, ...], ...], number: int) -> str:
        while True:
            name = " ".join(self.rng.choice(p) for p in parts)
            if number and self.rng.random() < 0.5:  # the space of phrases is finite
                name = f"{name} type {number}"
            if self.claim(name):
                return name


@dataclass
class _Source:
    id: str
    title: str
    publisher: str
    source_type: str
    sentences: list[str] = field(default_factory=list)
    """Sentences naming entities, spread over the body's paragraphs."""
    list_items: list[str] = field(default_factory=list)
    """Side effects listed under :attr:`lead_in`."""

    lead_in = "Side effects that people in these studies reported include:"


def _filler(rng: random.Random) -> str:
    noun, noun2, noun3 = rng.sample(_NOUNS, 3)
    return (
        f"{rng.choice(_ADJECTIVES).capitalize()} {noun} {rng.choice(_VERBS)} the "
        f"{rng.choice(_ADJECTIVES)} {noun2} and {noun3} in {rng.choice(_GROUPS)}."
    )


def _source_document(rng: random.Random, source: _Source, index: int) -> str:
    year = 2019 + index % 7
    meta: dict[str, Any] = {
        "title": source.title,
        "url": f"https://example.org/{_slug(source.publisher)}/{source.id}",
        "source": source.publisher,
        "sourceType": source.source_type,
        "citation": f"{source.publisher}, {year}",
        "license": rng.choice(_LICENSES),
        "language": "de" if index % 40 == 39 else "en",
        "audienceLevel": rng.choice(_AUDIENCES),
        "cancerTypes": sorted(rng.sample(_ORGANS, 2)),
        "tags": ["immunotherapy", rng.choice(("treatment", "research", "support"))],
        "lastReviewed": f"{2020 + index % 6}-{1 + index % 12:02d}-{1 + index % 28:02d}",
        "reviewFrequency": rng.choice(_FREQUENCIES),
        "status": "active",
        "version": f"v{1 + index % 3}",
    }
    sentences = list(source.sentences)
    sections = 3 + rng.randrange(3)
    topics = rng.sample(_TOPICS, sections)
    out = [f"# {source.title}", "", " ".join(_filler(rng) for _ in range(3))]
    if meta["language"] == "de":
        out += ["", " ".join(_GERMAN)]
    per_section = -(-len(sentences) // sections)
    for number, topic in enumerate(topics):
        out += ["", f"## {topic}", "", " ".join(_filler(rng) for _ in range(2 + rng.randrange(3)))]
        mine = sentences[number * per_section : (number + 1) * per_section]
        while mine:
            take = 2 + rng.randrange(2)
            paragraph = [_filler(rng), *mine[:take]]
            if rng.random() < 0.5:
                paragraph.append(_filler(rng))
            mine = mine[take:]
            out += ["", " ".join(paragraph)]
        if number == 0 and source.list_items:
            out += ["", source.lead_in, *[f"- {item}" for item in source.list_items]]
            out += ["", _filler(rng)]
        elif rng.random() < 0.3:
            out += ["", f"{_filler(rng)[:-1]}:"]
            out += [f"- {_filler(rng)}" for _ in range(2 + rng.randrange(3))]
    return document(meta, "\n".join(out))


def _cite(source: _Source, quote: str, lead_in: str | None = None) -> dict[str, Any]:
    doc: dict[str, Any] = {"source": source.id}
    if lead_in is not None:
        doc["lead_in"] = lead_in
    doc["quote"] = quote
    return doc


def _summary(rng: random.Random, what: str) -> str:
    return f"A synthetic {what} made by the immunokb benchmark generator. " + " ".join(
        _filler(rng) for _ in range(2)
    )


def _encode(text: str, index: int) -> bytes:
    """UTF-8 bytes; one document in 50 has CRLF line endings, one in 97 a byte-order mark."""
    if index % 50 == 49:
        text = text.replace("\n", "\r\n")
    data = text.encode("utf-8")
    return b"\xef\xbb\xbf" + data if index % 97 == 96 else data


def generate(directory: str | Path, documents: int, seed: int = SEED) -> Corpus:
    """Write a corpus of exactly ``documents`` documents into ``directory``.

    Raises:
        FileExistsError: ``directory`` exists and is not empty.
    """
    root = Path(directory)
    if root.exists() and any(root.iterdir()):
        raise FileExistsError(f"{root} is not empty")
    counts = plan(documents)
    rng = random.Random(seed)
    names = _Names(rng)

    sources: list[_Source] = []
    for index in range(counts["sources"]):
        publisher, source_type = _PUBLISHERS[index % len(_PUBLISHERS)]
        topic = rng.choice(_TOPICS).lower()
        title = f"{publisher}: {topic} ({index + 1})"
        sources.append(
            _Source(f"{_slug(publisher)}-{index + 1:06d}", title, publisher, source_type)
        )
    home = iter(range(10**9))

    def next_source() -> _Source:
        return sources[next(home) % len(sources)]

    files: list[tuple[str, str]] = []  # (relative path, text)

    # Cancer types: "Varo lung carcinoma", also called "Varo disease".
    cancer_types: list[tuple[str, str]] = []  # (id, name)
    for index in range(counts["cancer_types"]):
        source = next_source()
        eponym = names.word(("n", "r", "ti", "lo"), capital=True)
        organ = _ORGANS[_skewed(rng, len(_ORGANS))]
        name = f"{eponym} {organ} {rng.choice(_TUMOR_KINDS)}"
        alias = f"{eponym} disease"
        names.claim(name)
        entity_id = _slug(name)
        sentence = f"{name}, also called {alias}, starts in the {organ}."
        source.sentences.append(sentence)
        meta: dict[str, Any] = {
            "kind": "cancer_type",
            "id": entity_id,
            "name": {"value": name, "cite": [Anchor("def", _cite(source, sentence))]},
        }
        if names.claim(alias):
            meta["aliases"] = [{"value": alias, "cite": [Alias("def")]}]
        if cancer_types and rng.random() < 0.15:
            parent = cancer_types[rng.randrange(len(cancer_types))][0]
            meta["broader"] = [{"value": parent, "curated": "Grouped by the generator."}]
        meta["cite"] = [Alias("def")]
        files.append(
            (
                f"cancer-types/{index // SHARD:03d}/{entity_id}.md",
                document(meta, _summary(rng, "cancer type")),
            )
        )
        cancer_types.append((entity_id, name))

    # Side effects: a list item under its source's lead-in, or a sentence naming it.
    side_effects: list[tuple[str, str]] = []
    for index in range(counts["side_effects"]):
        source = next_source()
        name = names.phrase((_SYMPTOM_ADJECTIVES, _BODY_PARTS, _SYMPTOMS), index)
        entity_id = _slug(name)
        if rng.random() < 0.5:
            source.list_items.append(name)
            cite = _cite(source, name, source.lead_in)
        else:
            sentence = f"Some people notice {name} a few days after a dose."
            source.sentences.append(sentence)
            cite = _cite(source, sentence)
        meta = {
            "kind": "side_effect",
            "id": entity_id,
            "name": {"value": name, "cite": [Anchor("def", cite)]},
        }
        if side_effects and rng.random() < 0.1:
            parent = side_effects[rng.randrange(len(side_effects))][0]
            meta["broader"] = [{"value": parent, "curated": "Grouped by the generator."}]
        meta["cite"] = [Alias("def")]
        files.append(
            (
                f"side-effects/{index // SHARD:03d}/{entity_id}.md",
                document(meta, _summary(rng, "side effect")),
            )
        )
        side_effects.append((entity_id, name))

    # Therapies and vaccines.
    family: list[str] = []
    total = counts["therapies"] + counts["vaccines"]
    for index in range(total):
        vaccine = index % 4 == 3  # total // 4 of them: exactly counts["vaccines"]
        place = next(home) % len(sources)
        source = sources[place]
        other = sources[(place + 1) % len(sources)] if len(sources) > 1 else None
        name = names.word(_THERAPY_SUFFIXES)
        entity_id = _slug(name)
        cancer_id, cancer = cancer_types[_skewed(rng, len(cancer_types))]
        kind = "vaccine" if vaccine else "therapy"
        brand = names.word(_BRAND_SUFFIXES, capital=True) + "®" if rng.random() < 0.4 else None
        label = f"{name} ({brand})" if brand else name
        if vaccine:
            platform = rng.choice(sorted(_PLATFORMS))
            purpose = "prevention" if rng.random() < 0.2 else "treatment"
            goal = "prevent" if purpose == "prevention" else "treat"
            defining = (
                f"{label[0].upper()}{label[1:]} is {_a(_PLATFORMS[platform])} vaccine "
                f"made to {goal} {cancer}."
            )
        else:
            defining = (
                f"{label[0].upper()}{label[1:]} is {_a(rng.choice(_CLASSES))} that helps the "
                f"immune system find {cancer} cells."
            )
        source.sentences.append(defining)
        meta = {
            "kind": kind,
            "id": entity_id,
            "scope": "product",  # each is one named medicine or vaccine, with its own claims
            "name": {"value": name, "cite": [Anchor("def", _cite(source, defining))]},
        }
        if brand:
            meta["aliases"] = [{"value": brand, "cite": [Alias("def")]}]
        if family and rng.random() < 0.2:
            parent = family[_skewed(rng, len(family))]
            meta["broader"] = [{"value": parent, "curated": "Grouped by the generator."}]

        status = _weighted(rng, _STATUSES)[0]
        claim: dict[str, Any] = {"value": status}
        year = 2010 + index % 15
        if status == "approved":
            regulator = rng.choice(_REGULATORS)
            said = f"The {regulator} approved {name} for people with {cancer} in {year}."
            claim["regulator"] = regulator
        elif status == "in_use":
            said = f"{name.capitalize()} is used to treat some people with {cancer}."
        elif status == "investigational":
            phase, words = rng.choice(_PHASES)
            said = f"{name.capitalize()} is being tested in {words} trials for {cancer}."
            claim["phase"] = phase
        elif status == "discontinued":
            said = f"Development of {name} for {cancer} was discontinued in {year}."
        else:
            said = f"{name.capitalize()} failed in a Phase III trial in people with {cancer}."
            claim["phase"] = "phase_3"
        source.sentences.append(said)
        claim["cite"] = [Anchor("claim", _cite(source, said))]
        indication: dict[str, Any] = {"cancer_type": cancer_id, "status": status}
        indication["cite"] = [Alias("claim")]
        if other is not None and rng.random() < 0.05:
            against = f"Researchers found no clear benefit of {name} for {cancer} in their review."
            other.sentences.append(against)
            claim["disputed_by"] = [
                {"claim": "A review found no clear benefit.", "cite": [_cite(other, against)]}
            ]
        claims = [claim]
        if other is not None and rng.random() < 0.1:
            second = f"Some hospitals offer {name} to people with {cancer}."
            other.sentences.append(second)
            claims.append({"value": "in_use", "cite": [_cite(other, second)]})
        meta["status"] = claims if len(claims) > 1 else claim

        routes = [_weighted(rng, _ROUTES)]
        if rng.random() < 0.15:
            extra = _weighted(rng, _ROUTES)
            if extra != routes[0]:
                routes.append(extra)
        given = f"{name.capitalize()} is given {' or '.join(r[2] for r in routes)}."
        source.sentences.append(given)
        meta["routes"] = [
            {
                "value": r[0],
                "cite": [Anchor("route", _cite(source, given)) if i == 0 else Alias("route")],
            }
            for i, r in enumerate(routes)
        ]
        if vaccine:
            meta["platform"] = {"value": platform, "cite": [Alias("def")]}
            meta["purpose"] = {"value": purpose, "cite": [Alias("def")]}
        indications = [indication]
        if rng.random() < 0.3:
            second_id, second_name = cancer_types[_skewed(rng, len(cancer_types))]
            if second_id != cancer_id:
                studied = f"{name.capitalize()} is also being studied in people with {second_name}."
                source.sentences.append(studied)
                indications.append(
                    {
                        "cancer_type": second_id,
                        "status": "investigational",
                        "cite": [_cite(source, studied)],
                    }
                )
        meta["indications"] = indications
        effects = sorted({_skewed(rng, len(side_effects)) for _ in range(rng.randrange(4))})
        if effects:
            listed = " and ".join(side_effects[e][1] for e in effects)
            causes = f"{name.capitalize()} can cause {listed}."
            source.sentences.append(causes)
            meta["side_effects"] = [
                {
                    "side_effect": side_effects[e][0],
                    "cite": [
                        Anchor("effects", _cite(source, causes)) if i == 0 else Alias("effects")
                    ],
                }
                for i, e in enumerate(effects)
            ]
        meta["cite"] = [Alias("def"), Alias("claim")]
        folder = "vaccines" if vaccine else "therapies"
        files.append(
            (f"{folder}/{index // SHARD:03d}/{entity_id}.md", document(meta, _summary(rng, kind)))
        )
        family.append(entity_id)

    for index, source in enumerate(sources):
        files.append(
            (f"sources/{index // SHARD:03d}/{source.id}.md", _source_document(rng, source, index))
        )

    assert len(files) == documents, (len(files), documents)
    size = 0
    made: set[Path] = set()
    for index, (relative, text) in enumerate(files):
        path = root / relative
        if path.parent not in made:
            path.parent.mkdir(parents=True, exist_ok=True)
            made.add(path.parent)
        data = _encode(text, index)
        path.write_bytes(data)
        size += len(data)
    return Corpus(
        directory=root,
        seed=seed,
        documents=documents,
        sources=counts["sources"],
        therapies=counts["therapies"],
        vaccines=counts["vaccines"],
        side_effects=counts["side_effects"],
        cancer_types=counts["cancer_types"],
        bytes=size,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory")
    parser.add_argument("--documents", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args()
    corpus = generate(args.directory, args.documents, args.seed)
    print(
        f"{corpus.documents} documents ({corpus.sources} sources, {corpus.therapies} therapies, "
        f"{corpus.vaccines} vaccines, {corpus.side_effects} side effects, "
        f"{corpus.cancer_types} cancer types), {corpus.bytes / 1e6:.1f} MB in {corpus.directory}"
    )


if __name__ == "__main__":
    main()
