"""The immutable KnowledgeBase and its queries."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Collection, Iterable, Mapping
from enum import Enum
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, NoReturn, TypeAlias, TypeVar, overload

from ._errors import DocumentWarning, NotFoundError, QueryError
from ._evidence import Piece, claim_label, evidence, pieces
from ._models import (
    AnyEntity,
    Audience,
    CancerType,
    Citation,
    Claim,
    Conflict,
    Dispute,
    Entity,
    Hit,
    Indication,
    License,
    Reference,
    Route,
    SideEffect,
    SideEffectLink,
    SideEffectPart,
    SideEffectRelation,
    Source,
    Statement,
    StatementField,
    Status,
    StatusClaim,
    Therapy,
    Vaccine,
    VaccinePlatform,
    VaccinePurpose,
    adopted_status,
)
from ._normalize import normalize
from ._results import ResultList
from ._store import Store

if TYPE_CHECKING:
    import os
    from pathlib import Path

    from ._fuzzy import Suggester
    from ._search import SearchIndex

__all__ = ["KnowledgeBase"]

_E = TypeVar("_E", bound=Entity)
_V = TypeVar("_V", bound=Enum)
_MAX_SUGGESTIONS = 5
_SUGGEST_CANDIDATES = 60
_MAX_NAME_QUERY = 200
_SUGGEST_CUTOFF = 0.6

Filter: TypeAlias = _V | str | Iterable[_V | str] | None
"""A filter value: one value, or a collection of values of which any may match."""


def _fingerprint(sources: Iterable[Source], entities: Iterable[AnyEntity]) -> str:
    """SHA-256 of the canonical JSON of every source (less its path) and entity."""
    import hashlib  # noqa: PLC0415 - keep `import immunokb` light
    import json  # noqa: PLC0415

    digest = hashlib.sha256()
    for source in sources:
        record = source.model_dump(mode="json", exclude={"path"})
        digest.update(json.dumps(["source", record], sort_keys=True).encode())
        digest.update(b"\n")
    for entity in entities:
        record = entity.model_dump(mode="json")
        digest.update(json.dumps([type(entity).__name__, record], sort_keys=True).encode())
        digest.update(b"\n")
    return digest.hexdigest()


def _choices(value: Filter[_V], vocabulary: type[_V], argument: str) -> frozenset[_V] | None:
    """The set of enum members a filter argument asks for (None: no filter)."""
    if value is None:
        return None
    values = [value] if isinstance(value, (str, Enum)) else list(value)
    known = {member.value: member for member in vocabulary}
    unknown = [v for v in values if (v.value if isinstance(v, Enum) else v) not in known]
    if unknown:
        valid = ", ".join(str(m.value) for m in vocabulary)
        raise QueryError(f"{argument}={unknown[0]!r} is not one of: {valid}")
    return frozenset(known[v.value if isinstance(v, Enum) else v] for v in values)


def _tiers(value: int | Iterable[int] | None) -> frozenset[int] | None:
    if value is None:
        return None
    values = [value] if isinstance(value, int) else list(value)
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        raise QueryError(f"tier={value!r} must be an int or a collection of ints")
    return frozenset(values)


def _names(value: str | Iterable[str] | None) -> list[str] | None:
    if value is None:
        return None
    return [value] if isinstance(value, str) else list(value)


_KIND_TAGS: dict[type[Entity], frozenset[str]] = {
    Entity: frozenset({"therapy", "vaccine", "side_effect", "cancer_type"}),
    Therapy: frozenset({"therapy", "vaccine"}),
    Vaccine: frozenset({"vaccine"}),
    SideEffect: frozenset({"side_effect"}),
    CancerType: frozenset({"cancer_type"}),
}
"""The store's kind tags of the entities that are instances of each class."""

_EMPTY: frozenset[str] = frozenset()


class _Facets(NamedTuple):
    """Inverted indexes for the filters: a value -> the ids of the entities that have it."""

    therapies: frozenset[str]
    vaccines: frozenset[str]
    side_effects: frozenset[str]
    cancer_types: frozenset[str]
    by_status: Mapping[str, frozenset[str]]
    by_route: Mapping[str, frozenset[str]]
    by_cancer_type: Mapping[str, frozenset[str]]
    by_platform: Mapping[str, frozenset[str]]
    by_purpose: Mapping[str, frozenset[str]]
    by_source: Mapping[str, frozenset[str]]

    @classmethod
    def of(cls, store: Store) -> _Facets:
        def invert(pairs: Iterable[tuple[str, Iterable[str | None]]]) -> dict[str, frozenset[str]]:
            found: dict[str, set[str]] = {}
            for entity_id, values in pairs:
                for value in values:
                    if value is not None:
                        found.setdefault(value, set()).add(entity_id)
            return {value: frozenset(ids) for value, ids in found.items()}

        def tagged(*tags: str) -> frozenset[str]:
            return frozenset(i for i, kind in store.kinds.items() if kind in tags)

        return cls(
            therapies=tagged("therapy", "vaccine"),
            vaccines=tagged("vaccine"),
            side_effects=tagged("side_effect"),
            cancer_types=tagged("cancer_type"),
            by_status=invert((i, (s,)) for i, s in store.statuses.items()),
            by_route=invert(store.routes.items()),
            by_cancer_type=invert(store.cancer_types.items()),
            by_platform=invert((i, (p,)) for i, p in store.platforms.items()),
            by_purpose=invert((i, (p,)) for i, p in store.purposes.items()),
            by_source=invert(store.sources_of.items()),
        )


def _union(index: Mapping[str, frozenset[str]], values: Iterable[str]) -> frozenset[str]:
    """The ids filed under any of ``values``."""
    return _EMPTY.union(*(index.get(value, _EMPTY) for value in values))


def _intersection(sets: list[Collection[str]]) -> set[str]:
    """The ids in every one of ``sets`` (smallest first, so the work is the smallest)."""
    ordered = sorted(sets, key=len)
    result = set(ordered[0])
    for other in ordered[1:]:
        result.intersection_update(other)
    return result


Citable = (
    str
    | Entity
    | SideEffectLink
    | StatusClaim
    | Indication
    | Claim
    | Conflict
    | Hit
    | Citation
    | Statement
    | SideEffectRelation
    | Dispute
)
"""What :meth:`KnowledgeBase.cite` and :meth:`KnowledgeBase.references` accept."""


def _disagree(claims: tuple[StatusClaim | Indication, ...]) -> bool:
    """Whether the claims about one field disagree, or one is disputed (any tiers)."""
    values = {c.status for c in claims}
    disagree = len(values) > 1 and not values <= {Status.APPROVED, Status.IN_USE}
    return disagree or any(c.disputed_by for c in claims)


class KnowledgeBase:
    """An immutable, validated knowledge base of cancer immunotherapy.

    Build one with :func:`immunokb.load`. Collections are tuples sorted by id. Every
    lookup accepts an id, a name or an alias, insensitive to case, hyphens versus
    spaces, punctuation, accents and the marks ®/™. Queries return a
    :class:`ResultList`: a plain ``list`` that also renders as an HTML table in
    Jupyter and converts to a pandas DataFrame.

    It is safe to share between threads: nothing changes after construction except
    the search and suggestion indexes, each built once, on first use, under a lock.
    """

    __slots__ = (
        "_content_version",
        "_facet_index",
        "_fingerprint",
        "_kinds",
        "_lock",
        "_search",
        "_search_data",
        "_source_list",
        "_sources",
        "_store",
        "_suggester",
        "_warnings",
    )

    _store: Store
    _sources: Mapping[str, Source]
    _source_list: tuple[Source, ...]
    _kinds: dict[str, tuple[Any, ...]]
    _search: SearchIndex | None
    _search_data: Callable[[], bytes | None] | None
    _suggester: Suggester | None
    _facet_index: _Facets | None
    _lock: threading.Lock
    _content_version: str | None
    _warnings: tuple[DocumentWarning, ...]
    _fingerprint: str | None

    def __init__(
        self,
        *,
        sources: tuple[Source, ...],
        entities: tuple[AnyEntity, ...],
        content_version: str | None = None,
        warnings: tuple[DocumentWarning, ...] = (),
    ) -> None:
        """Wrap already validated sources and entities (use :func:`immunokb.load`)."""
        self._setup(
            Store.of(entities),
            sources,
            content_version=content_version,
            warnings=warnings,
            fingerprint=None,
            search_data=None,
        )

    @classmethod
    def _open(
        cls,
        store: Store,
        sources: tuple[Source, ...],
        *,
        content_version: str | None,
        warnings: tuple[DocumentWarning, ...] = (),
        fingerprint: str | None = None,
        search_data: Callable[[], bytes | None] | None = None,
    ) -> KnowledgeBase:
        """A knowledge base over a store read back from a snapshot or the cache.

        ``search_data`` gives the serialised search index on first search (None, or
        returning None: the index is built from the entities).
        """
        kb = cls.__new__(cls)
        kb._setup(
            store,
            sources,
            content_version=content_version,
            warnings=warnings,
            fingerprint=fingerprint,
            search_data=search_data,
        )
        return kb

    def _setup(
        self,
        store: Store,
        sources: Iterable[Source],
        *,
        content_version: str | None,
        warnings: Iterable[DocumentWarning],
        fingerprint: str | None,
        search_data: Callable[[], bytes | None] | None,
    ) -> None:
        setter = object.__setattr__
        ordered_sources = tuple(sorted(sources, key=lambda s: s.id))
        setter(self, "_store", store)
        setter(self, "_source_list", ordered_sources)
        setter(self, "_sources", MappingProxyType({s.id: s for s in ordered_sources}))
        setter(self, "_kinds", {})
        setter(self, "_search", None)
        setter(self, "_search_data", search_data)
        setter(self, "_suggester", None)
        setter(self, "_facet_index", None)
        setter(self, "_content_version", content_version)
        setter(self, "_warnings", tuple(warnings))
        setter(self, "_fingerprint", fingerprint)
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
    def version(self) -> str | None:
        """The content version, as :attr:`content_version`: what to pin data against.

        Together with :attr:`fingerprint` it identifies the data; both are shown by
        ``immunokb --version`` and embedded in every export.
        """
        return self._content_version

    @property
    def warnings(self) -> tuple[DocumentWarning, ...]:
        """What the load found worth a look but not wrong, e.g. unknown fields kept.

        Empty for the bundled knowledge base. See :class:`~immunokb.DocumentWarning`.
        """
        return self._warnings

    @property
    def fingerprint(self) -> str:
        """SHA-256 (hex) of the knowledge base's content: every source and entity.

        Two knowledge bases built from the same documents have the same fingerprint,
        whatever the documents' location, line endings or YAML layout; any change to
        a value, a quote or a source's text changes it. Where a file was loaded from
        (``Source.path``) is not content and is left out. Computed on first use
        (the bundled knowledge base's comes with its snapshot).
        """
        value = self._fingerprint
        if value is None:
            with self._lock:
                value = self._fingerprint
                if value is None:
                    value = _fingerprint(self._source_list, self.entities)
                    object.__setattr__(self, "_fingerprint", value)
        return value

    @property
    def sources(self) -> tuple[Source, ...]:
        """Every source document, sorted by id."""
        return self._source_list

    @property
    def entities(self) -> tuple[AnyEntity, ...]:
        """Every entity of every kind, sorted by id."""
        return self._store.all()

    def _of_kind(self, kind: type[_E]) -> tuple[_E, ...]:
        """Every entity of ``kind`` (materialised on first use), sorted by id."""
        found = self._kinds.get(kind.__name__)
        if found is None:
            store, wanted = self._store, _KIND_TAGS[kind]
            ids = [i for i in store.ids if store.kinds[i] in wanted]
            found = tuple(store.some(ids))
            with self._lock:
                found = self._kinds.setdefault(kind.__name__, found)
        return found

    @property
    def therapies(self) -> tuple[Therapy, ...]:
        """Every therapy, vaccines included, sorted by id."""
        return self._of_kind(Therapy)

    @property
    def vaccines(self) -> tuple[Vaccine, ...]:
        """Every vaccine, sorted by id."""
        return self._of_kind(Vaccine)

    @property
    def side_effects(self) -> tuple[SideEffect, ...]:
        """Every side effect, sorted by id."""
        return self._of_kind(SideEffect)

    @property
    def cancer_types(self) -> tuple[CancerType, ...]:
        """Every cancer type, sorted by id."""
        return self._of_kind(CancerType)

    # ------------------------------------------------------------------ lookup

    def get(self, text: str) -> AnyEntity:
        """The entity whose id, name or alias matches ``text``.

        Matching ignores case, hyphens versus spaces, punctuation, accents on Latin
        letters and the marks ®, ™ and ©.

        Raises:
            NotFoundError: nothing matches. ``.suggestions`` lists up to five names
                closest to ``text`` (for a typo or a partial name), best first.
        """
        store = self._store
        entity_id = store.exact.get(text)
        if entity_id is None:
            key = normalize(text)
            entity_id = store.labels.get(key)
            if entity_id is None:
                raise NotFoundError(text, self._suggest(key))
        return store.entity(entity_id)

    def source(self, source_id: str) -> Source:
        """The source with this id.

        Raises:
            NotFoundError: no source has this id; ``.suggestions`` lists close ids.
        """
        found = self._sources.get(source_id)
        if found is None:
            import difflib  # noqa: PLC0415 - only a miss needs it

            close = difflib.get_close_matches(source_id, list(self._sources), n=_MAX_SUGGESTIONS)
            raise NotFoundError(source_id, tuple(close), what="source")
        return found

    def cancer_type_for_tag(self, tag: str) -> CancerType:
        """The cancer type that a house ``cancerTypes`` tag stands for.

        Tags (``Source.cancer_types``, ``CancerType.cancer_type_tags``) are a vocabulary of their
        own: "kidney" tags a document about kidney cancer, while in a sentence it is an
        organ, so :meth:`get` does not resolve tags and this method resolves nothing
        else. Matching ignores case, underscores, hyphens versus spaces and
        punctuation, as :meth:`get` does.

        >>> import immunokb
        >>> kb = immunokb.load()
        >>> kb.cancer_type_for_tag("head_and_neck").id
        'head-and-neck-cancer'

        Raises:
            NotFoundError: no cancer type declares this tag; ``.suggestions`` lists the
                closest tags.
        """
        key = normalize(tag)
        by_tag = {normalize(t): c for c in self.cancer_types for t in c.cancer_type_tags}
        found = by_tag.get(key) if key else None
        if found is None:
            import difflib  # noqa: PLC0415 - only a miss needs it

            labels = {normalize(t): t for c in self.cancer_types for t in c.cancer_type_tags}
            close = difflib.get_close_matches(key, list(labels), n=_MAX_SUGGESTIONS)
            raise NotFoundError(tag, tuple(labels[c] for c in close), what="cancer-type tag")
        return found

    def _typed_id(self, text: str, kind: type[Entity], what: str) -> str:
        """The id of the entity of ``kind`` named ``text``; a miss suggests that kind only."""
        key = normalize(text)
        entity_id = self._store.labels.get(key)
        if entity_id is None or self._store.kinds[entity_id] not in _KIND_TAGS[kind]:
            raise NotFoundError(text, self._suggest(key, kind), what=what)
        return entity_id

    def _typed(self, text: str, kind: type[_E], what: str) -> _E:
        """The entity of ``kind`` named ``text``; a miss suggests names of that kind only."""
        entity = self._store.entity(self._typed_id(text, kind, what))
        assert isinstance(entity, kind)  # noqa: S101 - the store's kind tags say so
        return entity

    def _suggest(self, key: str, kind: type[Entity] = Entity) -> tuple[str, ...]:
        """Names of the entities of ``kind`` whose labels are closest to ``key``.

        A trigram index picks the labels sharing most of the query's trigrams, then
        difflib's ratio ranks them; a label that contains the query, or is contained
        in it, scores at least 0.8 so that a partial name finds its entity. Labels
        scoring under 0.6 are not suggested. Ties break by name.
        """
        from ._fuzzy import Suggester  # noqa: PLC0415 - only a miss needs it

        if not key:
            return ()
        store = self._store
        suggester = self._suggester
        if suggester is None:
            with self._lock:
                suggester = self._suggester
                if suggester is None:
                    suggester = Suggester(
                        store.labels,
                        candidates=_SUGGEST_CANDIDATES * 4,
                        cutoff=_SUGGEST_CUTOFF,
                        max_key=_MAX_NAME_QUERY,
                    )
                    object.__setattr__(self, "_suggester", suggester)
        kinds, wanted = store.kinds, _KIND_TAGS[kind]
        return suggester.suggest(
            key,
            name=store.names.__getitem__,
            keep=None if kind is Entity else lambda entity_id: kinds[entity_id] in wanted,
            limit=_MAX_SUGGESTIONS,
        )

    def _below(self, entity_id: str, *, transitive: bool) -> list[str]:
        """Ids of the entities whose broader links lead to this one, breadth first."""
        narrower = self._store.narrower
        out: list[str] = []
        seen = set()
        queue = [entity_id]
        while queue:
            current = queue.pop(0)
            for child in narrower.get(current, ()):
                if child not in seen:
                    seen.add(child)
                    out.append(child)
                    if transitive:
                        queue.append(child)
        return out

    def narrower(self, text: str, *, transitive: bool = False) -> tuple[AnyEntity, ...]:
        """Entities whose broader links point at this one (all levels if ``transitive``)."""
        return tuple(self._store.some(self._below(self.get(text).id, transitive=transitive)))

    def ancestors(self, text: str) -> tuple[AnyEntity, ...]:
        """Every broader entity, nearest first (breadth-first over broader links)."""
        return tuple(self._store.some(self._ancestor_paths(self.get(text).id)))

    def _ancestor_paths(self, entity_id: str) -> dict[str, tuple[str, ...]]:
        """Each broader entity's id, nearest first, with the path of ids from ``entity_id``."""
        broader, known = self._store.broader, self._store.kinds
        paths: dict[str, tuple[str, ...]] = {}
        queue: list[tuple[str, tuple[str, ...]]] = [
            (parent, (entity_id, parent)) for parent in broader.get(entity_id, ())
        ]
        while queue:
            current, path = queue.pop(0)
            if current in paths or current not in known or current == entity_id:
                continue
            paths[current] = path
            queue.extend((parent, (*path, parent)) for parent in broader.get(current, ()))
        return paths

    # ------------------------------------------------------------------ questions

    def side_effects_of(self, therapy: str) -> ResultList[SideEffectLink]:
        """Side effects of a therapy, its own first, then those inherited from broader classes.

        A side effect stated for a class applies to its narrower members: inherited
        links carry ``.via``, the id of the class they come from (nearest class
        first), and ``.path``, the ids from the therapy up to that class.
        """
        found = self._typed(therapy, Therapy, "therapy")
        origins = {found.id: (found.id,), **self._ancestor_paths(found.id)}
        # the parts of each side effect, per set of stating sources (asked once each)
        parts: dict[tuple[str, frozenset[str]], tuple[SideEffectPart, ...]] = {}
        links: ResultList[SideEffectLink] = ResultList()
        for origin_id, path in origins.items():
            origin = self._store.entity(origin_id)
            if not isinstance(origin, Therapy):
                continue
            for relation in sorted(origin.side_effects, key=lambda r: r.side_effect_id):
                effect = self._store.entity(relation.side_effect_id)
                if not isinstance(effect, SideEffect):  # the build guarantees it
                    continue
                stating = frozenset(c.source_id for c in relation.citations)
                key = (effect.id, stating)
                if key not in parts:
                    parts[key] = self._parts(effect.id, stating)
                links.append(
                    SideEffectLink(
                        therapy_id=found.id,
                        side_effect=effect,
                        citations=relation.citations,
                        curated=relation.curated,
                        via=None if origin is found else origin.id,
                        path=path,
                        includes=parts[key],
                    )
                )
        return links

    def _parts(self, effect_id: str, sources: frozenset[str]) -> tuple[SideEffectPart, ...]:
        """The symptoms under a side effect that ``sources`` put there, at any depth.

        A narrower side effect counts when its broader link to the side effect (or to
        a symptom already counted) is quoted from one of ``sources``; it carries those
        quotes. Curated links and links of other sources do not count. Ordered as the
        source lists them (by the position of the first quote), then by id.
        """
        if not sources:
            return ()
        found: dict[str, SideEffectPart] = {}
        queue = [effect_id]
        while queue:
            parent = queue.pop(0)
            for child in self._store.some(self._below(parent, transitive=False)):
                if child.id in found or not isinstance(child, SideEffect):
                    continue
                quotes = tuple(
                    c
                    for s in child.statements_for(StatementField.BROADER, parent)
                    for c in s.citations
                    if c.source_id in sources
                )
                if quotes:
                    found[child.id] = SideEffectPart(side_effect=child, citations=quotes)
                    queue.append(child.id)
        return tuple(sorted(found.values(), key=lambda p: (p.citations[0].start, p.side_effect.id)))

    def therapies_with_side_effect(self, side_effect: str) -> ResultList[SideEffectLink]:
        """Every therapy that has this side effect, directly or inherited, with the evidence.

        A symptom counts through the syndrome it belongs to, as the link's own
        sources state it: asking for a symptom also finds the links to a broader side
        effect whose ``includes`` lists it (the link then names that broader side
        effect). A syndrome linked by a source that does not list the symptom does
        not count: "feels like the flu" is not "causes fever". The links are
        those of :meth:`side_effects_of` for each therapy, sorted by therapy id: one
        per class that states the side effect, so a therapy inheriting it from two
        classes (treatment vaccines and immunotherapy, say) has two links.
        """
        effect = self._typed(side_effect, SideEffect, "side effect")
        out: ResultList[SideEffectLink] = ResultList()
        for therapy in self.therapies:
            out.extend(
                link
                for link in self.side_effects_of(therapy.id)
                if link.side_effect.id == effect.id
                or any(p.side_effect.id == effect.id for p in link.includes)
            )
        return out

    def therapies_for(self, cancer_type: str) -> ResultList[Therapy]:
        """Therapies used for or tested in a cancer type or any of its narrower types."""
        return self.find_therapies(cancer_type=cancer_type)

    def conflicts(self) -> ResultList[Conflict]:
        """Where the claims about a therapy's status, or one of its indications, disagree.

        One entry per field where sources disagree: the therapy's ``status``, or its
        ``indication`` for one cancer type (``subject``). Claims disagree when their
        statuses differ (other than ``approved`` beside ``in_use``), or when a claim
        carries evidence against it from another source (``disputed_by``), whatever
        the tiers: a promotional claim that a more trusted source contradicts is
        listed too, with ``adopted`` showing how the tiers were weighed (``unverified``
        when only promotional sources claim anything). Each entry lists every claim
        with its source, tier and citations, and each dispute as a claim of its own
        (``disputes=True``), most trusted source first (a stable sort, so claims of one
        tier keep their order). Sorted by entity id, then status before indications.
        """
        out: ResultList[Conflict] = ResultList()
        for therapy in self.therapies:
            groups: list[tuple[StatementField, str | None, tuple[StatusClaim | Indication, ...]]]
            groups = [(StatementField.STATUS, None, therapy.status_claims)]
            groups += [
                (StatementField.INDICATION, cancer_type_id, therapy.indications_for(cancer_type_id))
                for cancer_type_id in sorted(therapy.cancer_type_ids)
            ]
            for field, subject, claims in groups:
                if not _disagree(claims):
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
                        adopted=adopted_status(claims),
                        claims=tuple(sides),
                    )
                )
        return out

    def stale_sources(self, *, on: dt.date | None = None) -> ResultList[Source]:
        """Sources overdue for review on the given day (default: today); see Source.is_stale."""
        return self.find_sources(stale=True, on=on)

    # ------------------------------------------------------------------ filters

    def _facets(self) -> _Facets:
        facets = self._facet_index
        if facets is None:
            with self._lock:
                facets = self._facet_index
                if facets is None:
                    facets = _Facets.of(self._store)
                    object.__setattr__(self, "_facet_index", facets)
        return facets

    def _evidence_ids(
        self,
        source: str | Iterable[str] | None,
        tier: int | Iterable[int] | None,
        audience: Filter[Audience],
    ) -> frozenset[str] | None:
        """Ids of the entities with evidence from a source matching all three conditions.

        None when no condition is given (nothing to filter).
        """
        source_ids = _names(source)
        if source_ids is not None:
            source_ids = [self.source(s).id for s in source_ids]
        tiers = _tiers(tier)
        audiences = _choices(audience, Audience, "audience")
        if source_ids is None and tiers is None and audiences is None:
            return None
        by_source = self._facets().by_source
        return frozenset().union(
            *(
                by_source.get(s.id, ())
                for s in self._source_list
                if (source_ids is None or s.id in source_ids)
                and (tiers is None or s.tier in tiers)
                and (audiences is None or s.audience in audiences)
            )
        )

    def _therapy_ids(
        self,
        *,
        cancer_type: str | None,
        status: Filter[Status],
        route: Filter[Route],
        category: str | None,
        source: str | Iterable[str] | None,
        tier: int | Iterable[int] | None,
        audience: Filter[Audience],
    ) -> set[str]:
        """Ids of the therapies matching every filter given (from the facet indexes)."""
        facets = self._facets()
        chosen: list[Collection[str]] = [facets.therapies]
        evidenced = self._evidence_ids(source, tier, audience)
        if evidenced is not None:
            chosen.append(evidenced)
        if cancer_type is not None:
            found = self._typed_id(cancer_type, CancerType, "cancer type")
            wanted = (found, *self._below(found, transitive=True))
            chosen.append(_union(facets.by_cancer_type, wanted))
        statuses = _choices(status, Status, "status")
        if statuses is not None:
            chosen.append(_union(facets.by_status, (s.value for s in statuses)))
        routes = _choices(route, Route, "route")
        if routes is not None:
            chosen.append(_union(facets.by_route, (r.value for r in routes)))
        if category is not None:
            parent = self._typed_id(category, Therapy, "therapy class")
            chosen.append(set(self._below(parent, transitive=True)))
        return _intersection(chosen)

    def find_therapies(
        self,
        *,
        cancer_type: str | None = None,
        status: Filter[Status] = None,
        route: Filter[Route] = None,
        category: str | None = None,
        source: str | Iterable[str] | None = None,
        tier: int | Iterable[int] | None = None,
        audience: Filter[Audience] = None,
    ) -> ResultList[Therapy]:
        """Therapies (vaccines included) matching every filter given, sorted by id.

        A filter left at ``None`` does not filter. Where a filter takes values, give one
        value or a collection (any of which may match); enum filters also accept their
        plain string values (``status="approved"``).

        Args:
            cancer_type: used for or tested in this cancer type or a narrower one
                (id, name or alias).
            status: the therapy's adopted status (``Therapy.status``).
            route: given by this route (one of ``Therapy.routes``).
            category: a narrower member, at any depth, of this therapy class (id, name
                or alias), e.g. ``"immune checkpoint inhibitors"``.
            source: has evidence quoted from this source id.
            tier: has evidence quoted from a source of this trust tier (``range(1, 3)``
                for tiers 1 and 2).
            audience: has evidence quoted from a source written for this audience.
            The last three apply to one and the same source.

        Raises:
            NotFoundError: ``cancer_type``, ``category`` or ``source`` names nothing.
            QueryError: a value is not one of the filter's vocabulary.
        """
        ids = self._therapy_ids(
            cancer_type=cancer_type,
            status=status,
            route=route,
            category=category,
            source=source,
            tier=tier,
            audience=audience,
        )
        return ResultList(self._store.some(sorted(ids)))  # type: ignore[arg-type]

    def find_vaccines(
        self,
        *,
        platform: Filter[VaccinePlatform] = None,
        purpose: Filter[VaccinePurpose] = None,
        cancer_type: str | None = None,
        status: Filter[Status] = None,
        route: Filter[Route] = None,
        category: str | None = None,
        source: str | Iterable[str] | None = None,
        tier: int | Iterable[int] | None = None,
        audience: Filter[Audience] = None,
    ) -> ResultList[Vaccine]:
        """Vaccines matching every filter given, sorted by id.

        Args:
            platform: how the vaccine is made; a vaccine whose platform no source
                states matches no platform.
            purpose: ``treatment`` or ``prevention``.
            cancer_type: see :meth:`find_therapies`, as are the other filters.
            status: see :meth:`find_therapies`.
            route: see :meth:`find_therapies`.
            category: see :meth:`find_therapies`.
            source: see :meth:`find_therapies`.
            tier: see :meth:`find_therapies`.
            audience: see :meth:`find_therapies`.

        Raises:
            NotFoundError: ``cancer_type``, ``category`` or ``source`` names nothing.
            QueryError: a value is not one of the filter's vocabulary.
        """
        ids = self._therapy_ids(
            cancer_type=cancer_type,
            status=status,
            route=route,
            category=category,
            source=source,
            tier=tier,
            audience=audience,
        )
        facets = self._facets()
        chosen: list[Collection[str]] = [ids, facets.vaccines]
        platforms = _choices(platform, VaccinePlatform, "platform")
        if platforms is not None:
            chosen.append(_union(facets.by_platform, (p.value for p in platforms)))
        purposes = _choices(purpose, VaccinePurpose, "purpose")
        if purposes is not None:
            chosen.append(_union(facets.by_purpose, (p.value for p in purposes)))
        return ResultList(self._store.some(sorted(_intersection(chosen))))  # type: ignore[arg-type]

    def find_side_effects(
        self,
        *,
        therapy: str | None = None,
        source: str | Iterable[str] | None = None,
        tier: int | Iterable[int] | None = None,
        audience: Filter[Audience] = None,
    ) -> ResultList[SideEffect]:
        """Side effects matching every filter given, sorted by id.

        Args:
            therapy: side effects of this therapy, its own or inherited from a broader
                class (:meth:`side_effects_of` gives the links with their paths).
            source: see :meth:`find_therapies`.
            tier: see :meth:`find_therapies`.
            audience: see :meth:`find_therapies`.

        Raises:
            NotFoundError: ``therapy`` or ``source`` names nothing.
            QueryError: a value is not one of the filter's vocabulary.
        """
        chosen: list[Collection[str]] = [self._facets().side_effects]
        evidenced = self._evidence_ids(source, tier, audience)
        if evidenced is not None:
            chosen.append(evidenced)
        if therapy is not None:
            chosen.append({link.side_effect.id for link in self.side_effects_of(therapy)})
        return ResultList(self._store.some(sorted(_intersection(chosen))))  # type: ignore[arg-type]

    def find_cancer_types(
        self,
        *,
        therapy: str | None = None,
        source: str | Iterable[str] | None = None,
        tier: int | Iterable[int] | None = None,
        audience: Filter[Audience] = None,
    ) -> ResultList[CancerType]:
        """Cancer types matching every filter given, sorted by id.

        Args:
            therapy: cancer types this therapy is used for or tested in (its indications).
            source: see :meth:`find_therapies`.
            tier: see :meth:`find_therapies`.
            audience: see :meth:`find_therapies`.

        Raises:
            NotFoundError: ``therapy`` or ``source`` names nothing.
            QueryError: a value is not one of the filter's vocabulary.
        """
        chosen: list[Collection[str]] = [self._facets().cancer_types]
        evidenced = self._evidence_ids(source, tier, audience)
        if evidenced is not None:
            chosen.append(evidenced)
        if therapy is not None:
            found = self._typed_id(therapy, Therapy, "therapy")
            chosen.append(set(self._store.cancer_types[found]))
        return ResultList(self._store.some(sorted(_intersection(chosen))))  # type: ignore[arg-type]

    def find_sources(
        self,
        *,
        license: Filter[License] = None,
        tier: int | Iterable[int] | None = None,
        audience: Filter[Audience] = None,
        stale: bool | None = None,
        on: dt.date | None = None,
    ) -> ResultList[Source]:
        """Sources matching every filter given, sorted by id.

        Args:
            license: the source's licence.
            tier: the source's trust tier (a source of unknown tier matches none).
            audience: the audience the source is written for.
            stale: ``True`` for sources overdue for review on ``on`` (default today),
                ``False`` for current ones (see :meth:`Source.is_stale`).
            on: the day staleness is judged on.

        Raises:
            QueryError: a value is not one of the filter's vocabulary.
        """
        licenses = _choices(license, License, "license")
        tiers = _tiers(tier)
        audiences = _choices(audience, Audience, "audience")
        return ResultList(
            s
            for s in self._source_list
            if (licenses is None or s.license in licenses)
            and (tiers is None or s.tier in tiers)
            and (audiences is None or s.audience in audiences)
            and (stale is None or s.is_stale(on=on) is stale)
        )

    # ------------------------------------------------------------------ search

    def search(self, text: str, *, limit: int = 10) -> ResultList[Hit]:
        """Entities and source passages that match ``text``, best first.

        Ranking is BM25 over entity names, aliases and summaries and over source
        paragraphs, with name and alias matches lifted above body matches and one
        typo per word forgiven (the docs' "Lookup and search" page gives the exact
        rules). Ties break by entity id, then source id and
        offset, so the order is the same on every run. An empty or whitespace-only
        query, or ``limit`` below 1, gives no hits.
        """
        return ResultList(self._search_index().search(text, limit))

    def _search_index(self) -> SearchIndex:
        index: SearchIndex | None = self._search
        if index is None:
            from ._search import SearchIndex  # noqa: PLC0415 - only searches need it

            with self._lock:
                index = self._search
                if index is None:
                    index = self._read_search_index() or SearchIndex(self.entities, self.sources)
                    object.__setattr__(self, "_search", index)
        return index

    def _read_search_index(self) -> SearchIndex | None:
        """The index saved with the snapshot or cache entry, if it is there and intact."""
        from ._search import SearchIndex  # noqa: PLC0415

        data = None if self._search_data is None else self._search_data()
        if data is None:
            return None
        try:
            return SearchIndex.loads(data, entity=self._store.entity, sources=self._sources)
        except ValueError:  # a damaged section: build the index instead
            return None

    # ------------------------------------------------------------------ provenance

    def references(self, item: Citable, *, on: dt.date | None = None) -> ResultList[Reference]:
        """The evidence behind ``item``, each piece with its source's details.

        ``item`` is an entity (or the id, name or alias of one), a relation
        (:class:`SideEffectLink`, :class:`StatusClaim`, :class:`Indication`,
        :class:`SideEffectRelation`, :class:`Statement`, :class:`Dispute`), a
        :class:`Claim` or :class:`Conflict`, a search :class:`Hit` or a
        :class:`Citation`. Curated facts give a reference with ``curated`` set and no
        source. ``stale`` is judged on ``on`` (default today).

        Raises:
            NotFoundError: a string names no entity, or a citation names no source.
        """
        out: ResultList[Reference] = ResultList()
        for supports, citation, curated, *_ in self._evidence_of(item):
            if citation is None:
                out.append(Reference(supports=supports, curated=curated))
                continue
            source = self.source(citation.source_id)
            out.append(
                Reference(
                    supports=supports,
                    source_id=source.id,
                    title=source.title,
                    publisher=source.publisher,
                    url=source.url,
                    license=source.license,
                    tier=source.tier,
                    last_reviewed=source.last_reviewed_display,
                    stale=source.is_stale(on=on),
                    quote=citation.quote,
                    lead_in=citation.lead_in,
                    start=citation.start,
                    end=citation.end,
                )
            )
        return out

    def _evidence_of(self, item: Citable) -> list[Piece]:
        if isinstance(item, str):
            item = self.get(item)
        if isinstance(item, Entity):
            return evidence(item)
        if isinstance(item, SideEffectLink):
            label = f"side effect {item.side_effect.id}"
            if item.via:
                label += f" (stated for {item.via})"
            return pieces(label, item, "side_effect", item.side_effect.id)
        if isinstance(item, Indication):
            label = claim_label(f"indication {item.cancer_type_id}", item)
            return pieces(label, item, "indication", item.cancer_type_id, item.status.value)
        if isinstance(item, StatusClaim):
            label = claim_label("status", item)
            return pieces(label, item, "status", item.status.value, item.status.value)
        if isinstance(item, SideEffectRelation):
            return pieces(
                f"side effect {item.side_effect_id}", item, "side_effect", item.side_effect_id
            )
        if isinstance(item, Statement):
            return pieces(f"{item.field.value} {item.value}", item, item.field.value, item.value)
        if isinstance(item, Dispute):
            label = f"dispute: {item.claim}"
            return [
                Piece(label, c, None, "dispute", item.claim, disputes=True) for c in item.citations
            ]
        if isinstance(item, Claim):
            label = f"against {item.against}: {item.value}" if item.disputes else item.value
            field = "dispute" if item.disputes else "claim"
            return pieces(label, item, field, item.value)
        if isinstance(item, Conflict):
            found: list[Piece] = []
            for claim in item.claims:
                found += self._evidence_of(claim)
            return found
        if isinstance(item, Hit):
            if item.citation is None:
                return []
            what = item.entity.name if item.entity is not None else item.section or "passage"
            return [Piece(f"search hit: {what}", item.citation, None, "search_hit")]
        if isinstance(item, Citation):
            return [Piece("quote", item, None, "quote")]
        raise QueryError(f"cannot cite a {type(item).__name__}")

    def cite(self, item: Citable, *, on: dt.date | None = None) -> str:
        """Human-readable citations for an entity or a relation (see :meth:`references`).

        One numbered entry per quote: the quote (after its lead-in), then the
        source's title, publisher, address, review date (flagged when overdue on
        ``on``, default today) and licence, then what the quote supports. Curated
        facts are listed after the quotes, marked as not quoted.

        Raises:
            NotFoundError: a string names no entity.
        """
        references = self.references(item, on=on)
        lines = [_heading(item, self)]
        grouped: dict[tuple[str | None, int | None, int | None], list[Reference]] = {}
        for reference in references:
            if reference.curated is None:
                key = (reference.source_id, reference.start, reference.end)
                grouped.setdefault(key, []).append(reference)
        for number, group in enumerate(grouped.values(), 1):
            first = group[0]
            lead = f"{first.lead_in} … " if first.lead_in else ""
            lines.append(f"[{number}] “{lead}{first.quote}”")
            lines.append("    " + _describe(first, on))
            lines.append("    supports: " + "; ".join(dict.fromkeys(r.supports for r in group)))
        lines += [
            f"[curated, not quoted] {r.supports}: {r.curated}"
            for r in references
            if r.curated is not None
        ]
        if len(lines) == 1:
            lines.append("no evidence recorded")
        return "\n".join(lines)

    # ------------------------------------------------------------------ exports

    def to_dataframe(self, kind: str) -> Any:  # noqa: ANN401 - pandas is optional, so no type to name
        """A pandas DataFrame of one kind of record.

        ``kind`` is one of ``therapies``, ``vaccines``, ``side-effects``,
        ``cancer-types``, ``sources``, ``indications`` (one row per indication claim)
        or ``citations`` (one row per piece of evidence of every entity).

        Raises:
            MissingDependencyError: pandas is not installed (the ``pandas`` extra).
            QueryError: ``kind`` is not one of those.
        """
        from ._frames import kb_frame  # noqa: PLC0415 - pandas is imported only here

        return kb_frame(self, kind)

    @overload
    def export(
        self,
        format: Literal["parquet"],
        *,
        licenses: Iterable[License | str] | None = None,
        table: str | None = None,
    ) -> bytes: ...

    @overload
    def export(
        self,
        format: Literal["json", "jsonl", "schema", "jsonld", "csv"] = "json",
        *,
        licenses: Iterable[License | str] | None = None,
        table: str | None = None,
    ) -> str: ...

    @overload
    def export(
        self,
        format: str,
        *,
        licenses: Iterable[License | str] | None = None,
        table: str | None = None,
    ) -> str | bytes: ...

    def export(
        self,
        format: str = "json",
        *,
        licenses: Iterable[License | str] | None = None,
        table: str | None = None,
    ) -> str | bytes:
        """The knowledge base in an export format, in memory; see :doc:`/exports`.

        Every export carries the :attr:`content_version` and :attr:`fingerprint`
        (in its header, the Parquet file's metadata, or columns of a CSV table).
        The same knowledge base gives the same output, byte for byte.

        Args:
            format: One of:

                - ``json``: one JSON document: ``header``, ``sources``, then the
                  entities grouped as ``therapies`` (those that are not vaccines),
                  ``vaccines``, ``side_effects`` and ``cancer_types``, each record
                  ``model_dump(mode="json")`` of its model;
                - ``jsonl``: JSON Lines: the header, then one line per source and per
                  entity, each with a ``record`` field naming its kind;
                - ``schema``: the JSON Schema of the ``json`` export
                  (:func:`immunokb.export_schema`);
                - ``jsonld``: JSON-LD with its context inline
                  (:func:`immunokb.jsonld_context`);
                - ``csv`` and ``parquet``: one table, ``table``, of the records of
                  :meth:`to_dataframe` (Parquet as ``bytes``). To write every
                  table, use :meth:`export_to` with a directory.
            licenses: Keep only the sources with one of these licences
                (:class:`License` members or their values, such as
                ``"public_domain"``) and only what they support; the header lists
                what was withheld. None (the default) exports everything.
            table: For ``csv`` and ``parquet``: the kind of record, one of
                ``therapies``, ``vaccines``, ``side-effects``, ``cancer-types``,
                ``sources``, ``indications``, ``citations``.

        Returns:
            The export: ``str`` for the text formats, ``bytes`` for ``parquet``.

        Raises:
            QueryError: An unknown format, table or licence; a table for a format
                other than csv and parquet, or none for them; licences for
                ``schema``.
            MissingDependencyError: pandas (``csv``: the ``pandas`` extra)
                or pyarrow (``parquet``: the ``parquet`` extra) is not
                installed.

        Example:
            >>> import json, immunokb
            >>> kb = immunokb.load()
            >>> header = json.loads(kb.export("json"))["header"]
            >>> header["fingerprint"] == kb.fingerprint
            True
        """
        from ._export import export  # noqa: PLC0415 - the exports load on first use

        return export(self, format, licenses=licenses, table=table)

    def export_to(
        self,
        path: str | os.PathLike[str],
        format: str = "json",
        *,
        licenses: Iterable[License | str] | None = None,
        table: str | None = None,
    ) -> tuple[Path, ...]:
        """Write an export to a file; for ``csv`` or ``parquet`` without a table, to a directory.

        Takes the arguments of :meth:`export`. A file is written whole or not at
        all (to a temporary file beside it, then renamed over ``path``). With
        ``format="csv"`` or ``"parquet"`` and no ``table``, ``path`` is a directory
        (made if missing) that receives one file per table, ``therapies.csv``,
        ``vaccines.csv``... in the order of :meth:`to_dataframe`'s kinds.

        Args:
            path: The file, or the directory of a table-per-file export.
            format: The export format (see :meth:`export`).
            licenses: The licence filter (see :meth:`export`).
            table: For ``csv`` and ``parquet``: one table only, written to ``path``.

        Returns:
            The paths of the files written, in order.

        Raises:
            QueryError: As :meth:`export`.
            MissingDependencyError: As :meth:`export`.
            OSError: A file or the directory cannot be written.
        """
        from ._export import export_to  # noqa: PLC0415 - the exports load on first use

        return export_to(self, path, format, licenses=licenses, table=table)


def _describe(reference: Reference, on: dt.date | None) -> str:
    parts = [reference.title or reference.source_id or "unknown source"]
    if reference.publisher:
        parts.append(reference.publisher)
    if reference.url:
        parts.append(reference.url)
    if reference.last_reviewed:
        reviewed = f"last reviewed {reference.last_reviewed}"
        if reference.stale:
            day = (on or dt.date.today()).isoformat()
            reviewed += f" (overdue for review on {day})"
        parts.append(reviewed)
    else:
        parts.append("no review date")
    if reference.license is not None:
        parts.append(f"licence: {reference.license.value}")
    tier = "tier unknown" if reference.tier is None else f"tier {reference.tier}"
    return ". ".join(parts) + f" [{reference.source_id}, {tier}]"


def _heading(item: Citable, kb: KnowledgeBase) -> str:
    if isinstance(item, str):
        item = kb.get(item)
    if isinstance(item, Entity):
        return f"{item.name} ({item.id})"
    if isinstance(item, SideEffectLink):
        head = f"{item.side_effect.name}: a side effect of {item.therapy_id}"
        if item.via is None:
            return head
        return f"{head} (via {' → '.join(item.path or (item.therapy_id, item.via))})"
    if isinstance(item, Conflict):
        subject = f" for {item.subject}" if item.subject else ""
        return f"Conflict: {item.entity_id} {item.field.value}{subject} ({item.adopted.value})"
    if isinstance(item, Hit):
        what = item.entity.name if item.entity is not None else f"passage in {item.source_id}"
        return f"Search hit: {what}"
    if isinstance(item, Indication):
        who = item.source_id or "a curator"
        return f"Indication: {item.status.value} for {item.cancer_type_id}, claimed by {who}"
    if isinstance(item, StatusClaim):
        return f"Status claim: {item.status.value}, claimed by {item.source_id or 'a curator'}"
    if isinstance(item, Claim):
        return f"Claim: {item.value} ({item.source_id or 'curated'})"
    if isinstance(item, Statement):
        return f"Statement: {item.field.value} {item.value}"
    if isinstance(item, SideEffectRelation):
        return f"Side effect: {item.side_effect_id}"
    if isinstance(item, Dispute):
        return f"Dispute from {item.source_id}: {item.claim}"
    return f"Quote from {item.source_id}"
