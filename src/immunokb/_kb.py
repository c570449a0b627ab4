"""The immutable KnowledgeBase and its queries."""

from __future__ import annotations

import datetime as dt
import difflib
import math
import re
import threading
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import NoReturn, TypeVar

from ._errors import NotFoundError
from ._models import (
    AnyEntity,
    CancerType,
    Citation,
    Claim,
    Conflict,
    Entity,
    Hit,
    Indication,
    SideEffect,
    SideEffectLink,
    Source,
    StatementField,
    Status,
    StatusClaim,
    Therapy,
    Vaccine,
    adopted_status,
)
from ._normalize import normalize
from ._provenance import HEADING, THEMATIC_BREAK

__all__ = ["KnowledgeBase"]

_E = TypeVar("_E", bound=Entity)
_MAX_SUGGESTIONS = 5
_SNIPPET = 200


@dataclass(frozen=True)
class _Passage:
    source_id: str
    start: int
    end: int
    text: str
    section: str | None


@dataclass(frozen=True)
class _Document:
    """One searchable unit: an entity (names + summary) or a source passage."""

    entity: AnyEntity | None
    passage: _Passage | None
    name_tokens: frozenset[str]
    names: frozenset[str]
    tokens: Counter[str]
    length: int


class _SearchIndex:
    def __init__(self, entities: tuple[AnyEntity, ...], sources: tuple[Source, ...]) -> None:
        docs: list[_Document] = []
        for entity in entities:
            labels = [entity.name, *entity.aliases]
            names = frozenset(normalize(label) for label in labels)
            name_tokens = frozenset(t for n in names for t in n.split())
            tokens = Counter(normalize(entity.summary).split())
            for label in labels:
                tokens.update(normalize(label).split())
            docs.append(_Document(entity, None, name_tokens, names, tokens, sum(tokens.values())))
        for source in sources:
            for passage in _passages(source):
                # The section heading counts towards the match, so that a question
                # like "how often" finds the paragraph that answers it.
                tokens = Counter(normalize(f"{passage.section or ''} {passage.text}").split())
                if tokens:
                    docs.append(
                        _Document(
                            None, passage, frozenset(), frozenset(), tokens, sum(tokens.values())
                        )
                    )
        self.docs = tuple(docs)
        frequency: Counter[str] = Counter()
        for doc in docs:
            frequency.update(doc.tokens.keys())
        total = max(len(docs), 1)
        self.idf = {t: math.log(1 + (total - n + 0.5) / (n + 0.5)) for t, n in frequency.items()}
        self.average = sum(d.length for d in docs) / total if docs else 1.0

    def score(self, doc: _Document, terms: list[str], phrase: str) -> float:
        k1, b = 1.2, 0.75
        score = 0.0
        for term in terms:
            count = doc.tokens.get(term, 0)
            if count:
                norm = count * (k1 + 1) / (count + k1 * (1 - b + b * doc.length / self.average))
                score += self.idf.get(term, 0.0) * norm
        if doc.entity is not None and score:
            if phrase in doc.names:
                score += 10.0
            score += 2.0 * sum(1 for term in terms if term in doc.name_tokens)
        return score


_BLOCK = re.compile(r"[^\n](?:.|\n(?!\s*\n))*")


def _passages(source: Source) -> Iterator[_Passage]:
    """Paragraphs (and list blocks) of a source body, each with its section heading.

    Sections nest by heading level. A thematic break closes the innermost open
    section (the text after it does not belong to the heading just above), the same
    rule a heading ``lead_in`` follows.
    """
    open_sections: list[tuple[int, str]] = []
    for match in _BLOCK.finditer(source.text):
        text = match.group(0).strip()
        heading = None if "\n" in text else HEADING.match(text)
        if heading is not None:
            level = len(heading.group(1))
            while open_sections and open_sections[-1][0] >= level:
                open_sections.pop()
            open_sections.append((level, text[heading.end() :].strip()))
            continue
        if THEMATIC_BREAK.match(text):
            if open_sections:
                open_sections.pop()
            continue
        if text and not re.fullmatch(r"[#*\-\s|]*", text):
            start = match.start() + (len(match.group(0)) - len(match.group(0).lstrip()))
            section = open_sections[-1][1] if open_sections else None
            yield _Passage(source.id, start, start + len(text), text, section or None)


def _snippet(text: str, terms: set[str]) -> str:
    words = text.split()
    hits = [i for i, w in enumerate(words) if normalize(w) and set(normalize(w).split()) & terms]
    first = hits[0] if hits else 0
    start = max(first - 8, 0)
    out: list[str] = []
    length = 0
    for index in range(start, len(words)):
        word = words[index]
        if length + len(word) > _SNIPPET:
            out.append("…")
            break
        marked = f"**{word}**" if index in hits else word
        out.append(marked)
        length += len(word) + 1
    return ("… " if start else "") + " ".join(out)


class KnowledgeBase:
    """An immutable, validated knowledge base of cancer immunotherapy.

    Build one with :func:`immunokb.load`. Collections are tuples sorted by id. Every
    lookup accepts an id, a name or an alias, insensitive to case, hyphens versus
    spaces, punctuation, accents and the marks ®/™.
    """

    __slots__ = (
        "_by_id",
        "_cancer_types",
        "_content_version",
        "_entities",
        "_lock",
        "_names",
        "_narrower",
        "_search",
        "_side_effects",
        "_source_list",
        "_sources",
        "_therapies",
        "_vaccines",
    )

    _sources: Mapping[str, Source]
    _source_list: tuple[Source, ...]
    _entities: tuple[AnyEntity, ...]
    _therapies: tuple[Therapy, ...]
    _vaccines: tuple[Vaccine, ...]
    _side_effects: tuple[SideEffect, ...]
    _cancer_types: tuple[CancerType, ...]
    _by_id: Mapping[str, AnyEntity]
    _names: Mapping[str, str]
    _narrower: Mapping[str, tuple[str, ...]]
    _search: _SearchIndex | None
    _lock: threading.Lock
    _content_version: str | None

    def __init__(
        self,
        *,
        sources: tuple[Source, ...],
        entities: tuple[AnyEntity, ...],
        content_version: str | None = None,
    ) -> None:
        """Wrap already validated sources and entities (use :func:`immunokb.load`)."""
        ordered = tuple(sorted(entities, key=lambda e: e.id))
        names: dict[str, str] = {}
        for entity in ordered:
            for label in (entity.id, entity.name, *entity.aliases):
                names.setdefault(normalize(label), entity.id)
        narrower: dict[str, list[str]] = {}
        for entity in ordered:
            for parent in entity.broader:
                narrower.setdefault(parent, []).append(entity.id)
        setter = object.__setattr__
        ordered_sources = tuple(sorted(sources, key=lambda s: s.id))
        setter(self, "_source_list", ordered_sources)
        setter(self, "_sources", MappingProxyType({s.id: s for s in ordered_sources}))
        setter(self, "_entities", ordered)
        setter(self, "_therapies", tuple(e for e in ordered if isinstance(e, Therapy)))
        setter(self, "_vaccines", tuple(e for e in ordered if isinstance(e, Vaccine)))
        setter(self, "_side_effects", tuple(e for e in ordered if isinstance(e, SideEffect)))
        setter(self, "_cancer_types", tuple(e for e in ordered if isinstance(e, CancerType)))
        setter(self, "_by_id", MappingProxyType({e.id: e for e in ordered}))
        setter(self, "_names", MappingProxyType(names))
        setter(self, "_narrower", MappingProxyType({k: tuple(v) for k, v in narrower.items()}))
        setter(self, "_search", None)
        setter(self, "_content_version", content_version)
        setter(self, "_lock", threading.Lock())

    def __setattr__(self, name: str, value: object) -> NoReturn:
        """Refuse: a KnowledgeBase is immutable."""
        raise AttributeError(f"KnowledgeBase is immutable; cannot set {name!r}")

    def __delattr__(self, name: str) -> NoReturn:
        """Refuse: a KnowledgeBase is immutable."""
        raise AttributeError(f"KnowledgeBase is immutable; cannot delete {name!r}")

    def __repr__(self) -> str:
        """A one-line summary of what the knowledge base holds."""
        return (
            f"<KnowledgeBase: {len(self._sources)} sources, {len(self.therapies)} therapies "
            f"({len(self.vaccines)} vaccines), {len(self.side_effects)} side effects, "
            f"{len(self.cancer_types)} cancer types>"
        )

    # ------------------------------------------------------------------ collections

    @property
    def content_version(self) -> str | None:
        """Version of the bundled content (see CHANGELOG.md), or None without bundled content.

        User documents loaded beside the bundled ones do not change it.
        """
        return self._content_version

    @property
    def sources(self) -> tuple[Source, ...]:
        """Every source document, sorted by id."""
        return self._source_list

    @property
    def entities(self) -> tuple[AnyEntity, ...]:
        """Every entity of every kind, sorted by id."""
        return self._entities

    @property
    def therapies(self) -> tuple[Therapy, ...]:
        """Every therapy, vaccines included, sorted by id."""
        return self._therapies

    @property
    def vaccines(self) -> tuple[Vaccine, ...]:
        """Every vaccine, sorted by id."""
        return self._vaccines

    @property
    def side_effects(self) -> tuple[SideEffect, ...]:
        """Every side effect, sorted by id."""
        return self._side_effects

    @property
    def cancer_types(self) -> tuple[CancerType, ...]:
        """Every cancer type, sorted by id."""
        return self._cancer_types

    # ------------------------------------------------------------------ lookup

    def get(self, text: str) -> AnyEntity:
        """The entity whose id, name or alias matches ``text``.

        Raises:
            NotFoundError: nothing matches; ``.suggestions`` lists the closest names.
        """
        key = normalize(text)
        entity_id = self._names.get(key)
        if entity_id is None:
            raise NotFoundError(text, self._suggest(key))
        return self._by_id[entity_id]

    def source(self, source_id: str) -> Source:
        """The source with this id.

        Raises:
            NotFoundError: no source has this id; ``.suggestions`` lists close ids.
        """
        found = self._sources.get(source_id)
        if found is None:
            close = difflib.get_close_matches(source_id, list(self._sources), n=_MAX_SUGGESTIONS)
            raise NotFoundError(source_id, tuple(close), what="source")
        return found

    def _typed(self, text: str, kind: type[_E], what: str) -> _E:
        entity = self.get(text)
        if not isinstance(entity, kind):
            raise NotFoundError(text, self._suggest(normalize(text), kind), what=what)
        return entity

    def _suggest(self, key: str, kind: type[Entity] = Entity) -> tuple[str, ...]:
        """Names of the entities of ``kind`` whose labels are closest to ``key``."""
        if not key:
            return ()
        best: dict[str, float] = {}
        for label, entity_id in self._names.items():  # labels are already normalised
            if not isinstance(self._by_id[entity_id], kind):
                continue
            ratio = difflib.SequenceMatcher(None, key, label).ratio()
            if key in label or label in key:
                ratio = max(ratio, 0.8)
            best[entity_id] = max(ratio, best.get(entity_id, 0.0))
        scored = sorted((-r, self._by_id[i].name) for i, r in best.items() if r >= 0.6)
        return tuple(name for _, name in scored[:_MAX_SUGGESTIONS])

    def narrower(self, text: str, *, transitive: bool = False) -> tuple[AnyEntity, ...]:
        """Entities whose broader links point at this one (all levels if ``transitive``)."""
        root = self.get(text).id
        out: list[str] = []
        queue = [root]
        while queue:
            current = queue.pop(0)
            for child in self._narrower.get(current, ()):
                if child not in out:
                    out.append(child)
                    if transitive:
                        queue.append(child)
        return tuple(self._by_id[i] for i in out)

    def ancestors(self, text: str) -> tuple[AnyEntity, ...]:
        """Every broader entity, nearest first (breadth-first over broader links)."""
        start = self.get(text)
        seen: list[str] = []
        queue = list(start.broader)
        while queue:
            current = queue.pop(0)
            if current not in seen and current in self._by_id:
                seen.append(current)
                queue.extend(self._by_id[current].broader)
        return tuple(self._by_id[i] for i in seen)

    # ------------------------------------------------------------------ questions

    def side_effects_of(self, therapy: str) -> list[SideEffectLink]:
        """Side effects of a therapy, its own first, then those inherited from broader classes.

        A side effect stated for a class applies to its narrower members: inherited
        links carry ``.via``, the id of the class they come from (nearest class first).
        """
        found = self._typed(therapy, Therapy, "therapy")
        links: list[SideEffectLink] = []
        for origin in (found, *self.ancestors(found.id)):
            if not isinstance(origin, Therapy):
                continue
            for relation in sorted(origin.side_effects, key=lambda r: r.side_effect_id):
                effect = self._by_id[relation.side_effect_id]
                if not isinstance(effect, SideEffect):  # the build guarantees it
                    continue
                links.append(
                    SideEffectLink(
                        therapy_id=found.id,
                        side_effect=effect,
                        citations=relation.citations,
                        curated=relation.curated,
                        via=None if origin is found else origin.id,
                    )
                )
        return links

    def therapies_for(self, cancer_type: str) -> list[Therapy]:
        """Therapies used for or tested in a cancer type or any of its narrower types."""
        found = self._typed(cancer_type, CancerType, "cancer type")
        wanted = {found.id} | {e.id for e in self.narrower(found.id, transitive=True)}
        return [t for t in self.therapies if any(i.cancer_type_id in wanted for i in t.indications)]

    def conflicts(self) -> list[Conflict]:
        """Where the claims about a therapy's status, or one of its indications, disagree.

        One entry per disputed field: the therapy's ``status``, or its ``indication``
        for one cancer type (``subject``). Claims disagree when their statuses differ
        (other than ``approved`` beside ``in_use``), or when a claim carries evidence
        against it from another source (``disputed_by``). Each entry lists every claim
        with its source, tier and citations, and each dispute as a claim of its own
        (``disputes=True``), most trusted source first (a stable sort, so claims of one
        tier keep their order). Sorted by entity id, then status before indications.
        """
        out: list[Conflict] = []
        for therapy in self._therapies:
            groups: list[tuple[StatementField, str | None, tuple[StatusClaim | Indication, ...]]]
            groups = [(StatementField.STATUS, None, therapy.status_claims)]
            groups += [
                (StatementField.INDICATION, cancer_type_id, therapy.indications_for(cancer_type_id))
                for cancer_type_id in sorted(therapy.cancer_type_ids)
            ]
            for field, subject, claims in groups:
                if adopted_status(claims) is not Status.DISPUTED:
                    continue
                sides: list[Claim] = []
                for claim in claims:
                    sides.append(
                        Claim(
                            value=claim.status.value,
                            source_id=claim.source_id,
                            tier=claim.tier,
                            citations=claim.citations,
                            curated=claim.curated,
                        )
                    )
                    target = f"{claim.status.value} ({claim.source_id or 'curated'})"
                    sides += [
                        Claim(
                            value=d.claim,
                            source_id=d.source_id,
                            tier=d.tier,
                            citations=d.citations,
                            disputes=True,
                            against=target,
                        )
                        for d in claim.disputed_by
                    ]
                sides.sort(key=lambda side: 100 if side.tier is None else side.tier)
                out.append(
                    Conflict(
                        entity_id=therapy.id,
                        field=field,
                        subject=subject,
                        adopted=Status.DISPUTED,
                        claims=tuple(sides),
                    )
                )
        return out

    def stale_sources(self, *, on: dt.date | None = None) -> list[Source]:
        """Sources overdue for review on the given day (default: today); see Source.is_stale."""
        return [s for s in self._sources.values() if s.is_stale(on=on)]

    def search(self, text: str, *, limit: int = 10) -> list[Hit]:
        """Entities and source passages that match ``text``, best first.

        Ranking is BM25 over entity names, aliases and summaries and over source
        paragraphs, with an exact name or alias match and name words lifted above
        body matches. Ties break by entity id, then source id and offset.
        """
        if limit < 1:
            return []
        terms = normalize(text).split()
        if not terms:
            return []
        index = self._search_index()
        phrase = " ".join(terms)
        wanted = set(terms)
        scored = []
        for doc in index.docs:
            score = index.score(doc, terms, phrase)
            if score > 0:
                tie = (
                    (0, doc.entity.id, 0)
                    if doc.entity is not None
                    else (
                        1,
                        doc.passage.source_id if doc.passage else "",
                        doc.passage.start if doc.passage else 0,
                    )
                )
                scored.append((-score, tie, doc))
        scored.sort(key=lambda item: (item[0], item[1]))
        hits = []
        for negative, _, doc in scored[:limit]:
            if doc.entity is not None:
                citation = doc.entity.citations[0]
                body = doc.entity.summary or doc.entity.name
                hits.append(
                    Hit(
                        entity=doc.entity,
                        source_id=citation.source_id,
                        score=round(-negative, 6),
                        snippet=_snippet(body, wanted),
                    )
                )
            elif doc.passage is not None:
                passage = doc.passage
                hits.append(
                    Hit(
                        entity=None,
                        source_id=passage.source_id,
                        score=round(-negative, 6),
                        snippet=_snippet(passage.text, wanted),
                        section=passage.section,
                        citation=Citation(
                            source_id=passage.source_id,
                            quote=passage.text,
                            start=passage.start,
                            end=passage.end,
                        ),
                    )
                )
        return hits

    def _search_index(self) -> _SearchIndex:
        index: _SearchIndex | None = self._search
        if index is None:
            with self._lock:
                index = self._search
                if index is None:
                    index = _SearchIndex(self._entities, self.sources)
                    object.__setattr__(self, "_search", index)
        return index
