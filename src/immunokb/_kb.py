"""The immutable KnowledgeBase and its queries."""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import json
import threading
from collections.abc import Callable, Iterable, Mapping
from enum import Enum
from types import MappingProxyType
from typing import Any, NoReturn, TypeAlias, TypeVar

from ._errors import DocumentWarning, NotFoundError, QueryError
from ._evidence import Piece, claim_label, evidence, pieces
from ._fuzzy import GramIndex
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
        "_by_id",
        "_cancer_types",
        "_content_version",
        "_entities",
        "_exact",
        "_fingerprint",
        "_lock",
        "_names",
        "_narrower",
        "_search",
        "_side_effects",
        "_source_list",
        "_sources",
        "_sources_of",
        "_suggester",
        "_therapies",
        "_vaccines",
        "_warnings",
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
    _exact: Mapping[str, str]
    _narrower: Mapping[str, tuple[str, ...]]
    _search: SearchIndex | None
    _suggester: GramIndex | None
    _sources_of: Mapping[str, frozenset[str]]
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
        # Labels as written (ids, names, aliases) answer `get` without normalising; each
        # maps to the entity its normalised key maps to, so the answer is the same.
        exact = {
            label: names[normalize(label)]
            for entity in ordered
            for label in (entity.id, entity.name, *entity.aliases)
        }
        setter(self, "_exact", MappingProxyType(exact))
        setter(self, "_narrower", MappingProxyType({k: tuple(v) for k, v in narrower.items()}))
        setter(self, "_search", None)
        setter(self, "_suggester", None)
        setter(
            self,
            "_sources_of",
            MappingProxyType(
                {
                    e.id: frozenset(p.citation.source_id for p in evidence(e) if p.citation)
                    for e in ordered
                }
            ),
        )
        setter(self, "_content_version", content_version)
        setter(self, "_warnings", tuple(warnings))
        setter(self, "_fingerprint", None)
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
        (``Source.path``) is not content and is left out. Computed on first use.
        """
        value = self._fingerprint
        if value is None:
            with self._lock:
                value = self._fingerprint
                if value is None:
                    value = _fingerprint(self._source_list, self._entities)
                    object.__setattr__(self, "_fingerprint", value)
        return value

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

        Matching ignores case, hyphens versus spaces, punctuation, accents on Latin
        letters and the marks ®, ™ and ©.

        Raises:
            NotFoundError: nothing matches. ``.suggestions`` lists up to five names
                closest to ``text`` (for a typo or a partial name), best first.
        """
        entity_id = self._exact.get(text)
        if entity_id is None:
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
        """The entity of ``kind`` named ``text``; a miss suggests names of that kind only."""
        entity_id = self._names.get(normalize(text))
        entity = None if entity_id is None else self._by_id[entity_id]
        if not isinstance(entity, kind):
            raise NotFoundError(text, self._suggest(normalize(text), kind), what=what)
        return entity

    def _suggest(self, key: str, kind: type[Entity] = Entity) -> tuple[str, ...]:
        """Names of the entities of ``kind`` whose labels are closest to ``key``.

        A trigram index picks the labels sharing most of the query's trigrams, then
        difflib's ratio ranks them; a label that contains the query, or is contained
        in it, scores at least 0.8 so that a partial name finds its entity. Labels
        scoring under 0.6 are not suggested. Ties break by name.
        """
        key = key[:_MAX_NAME_QUERY]
        if not key:
            return ()
        suggester = self._suggester
        if suggester is None:
            with self._lock:
                suggester = self._suggester
                if suggester is None:
                    suggester = GramIndex(self._names, 3)
                    object.__setattr__(self, "_suggester", suggester)
        best: dict[str, float] = {}
        for label in suggester.candidates(key, limit=_SUGGEST_CANDIDATES * 4):
            entity_id = self._names[label]
            if not isinstance(self._by_id[entity_id], kind):
                continue
            ratio = difflib.SequenceMatcher(None, key, label).ratio()
            if key in label or label in key:
                ratio = max(ratio, 0.8)
            best[entity_id] = max(ratio, best.get(entity_id, 0.0))
        scored = sorted(
            (-round(r, 6), self._by_id[i].name) for i, r in best.items() if r >= _SUGGEST_CUTOFF
        )
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
        return tuple(self._by_id[i] for i in self._ancestor_paths(self.get(text).id))

    def _ancestor_paths(self, entity_id: str) -> dict[str, tuple[str, ...]]:
        """Each broader entity's id, nearest first, with the path of ids from ``entity_id``."""
        paths: dict[str, tuple[str, ...]] = {}
        queue: list[tuple[str, tuple[str, ...]]] = [
            (parent, (entity_id, parent)) for parent in self._by_id[entity_id].broader
        ]
        while queue:
            current, path = queue.pop(0)
            if current in paths or current not in self._by_id or current == entity_id:
                continue
            paths[current] = path
            queue.extend((parent, (*path, parent)) for parent in self._by_id[current].broader)
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
        links: ResultList[SideEffectLink] = ResultList()
        for origin_id, path in origins.items():
            origin = self._by_id[origin_id]
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
                        path=path,
                    )
                )
        return links

    def therapies_with_side_effect(self, side_effect: str) -> ResultList[SideEffectLink]:
        """Every therapy that has this side effect, directly or inherited, with the evidence.

        A symptom counts through the syndrome it belongs to: asking for a symptom
        also finds the therapies whose side effect is a broader side effect that
        includes it (the link then names that broader side effect). The links are
        those of :meth:`side_effects_of` for each therapy, sorted by therapy id: one
        per class that states the side effect, so a therapy inheriting it from two
        classes (treatment vaccines and immunotherapy, say) has two links.
        """
        effect = self._typed(side_effect, SideEffect, "side effect")
        wanted = {effect.id, *self._ancestor_paths(effect.id)}
        out: ResultList[SideEffectLink] = ResultList()
        for therapy in self._therapies:
            out.extend(
                link for link in self.side_effects_of(therapy.id) if link.side_effect.id in wanted
            )
        return out

    def therapies_for(self, cancer_type: str) -> ResultList[Therapy]:
        """Therapies used for or tested in a cancer type or any of its narrower types."""
        return self.find_therapies(cancer_type=cancer_type)

    def conflicts(self) -> ResultList[Conflict]:
        """Where the claims about a therapy's status, or one of its indications, disagree.

        One entry per disputed field: the therapy's ``status``, or its ``indication``
        for one cancer type (``subject``). Claims disagree when their statuses differ
        (other than ``approved`` beside ``in_use``), or when a claim carries evidence
        against it from another source (``disputed_by``). Each entry lists every claim
        with its source, tier and citations, and each dispute as a claim of its own
        (``disputes=True``), most trusted source first (a stable sort, so claims of one
        tier keep their order). Sorted by entity id, then status before indications.
        """
        out: ResultList[Conflict] = ResultList()
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

    def stale_sources(self, *, on: dt.date | None = None) -> ResultList[Source]:
        """Sources overdue for review on the given day (default: today); see Source.is_stale."""
        return self.find_sources(stale=True, on=on)

    # ------------------------------------------------------------------ filters

    def _evidence_filter(
        self,
        source: str | Iterable[str] | None,
        tier: int | Iterable[int] | None,
        audience: Filter[Audience],
    ) -> Callable[[Entity], bool]:
        """Keep entities with evidence from a source matching all three conditions."""
        source_ids = _names(source)
        if source_ids is not None:
            source_ids = [self.source(s).id for s in source_ids]
        tiers = _tiers(tier)
        audiences = _choices(audience, Audience, "audience")
        if source_ids is None and tiers is None and audiences is None:
            return lambda _: True
        allowed = {
            s.id
            for s in self._source_list
            if (source_ids is None or s.id in source_ids)
            and (tiers is None or s.tier in tiers)
            and (audiences is None or s.audience in audiences)
        }
        return lambda entity: not allowed.isdisjoint(self._sources_of[entity.id])

    def _therapy_filter(
        self,
        *,
        cancer_type: str | None,
        status: Filter[Status],
        route: Filter[Route],
        category: str | None,
        source: str | Iterable[str] | None,
        tier: int | Iterable[int] | None,
        audience: Filter[Audience],
    ) -> Callable[[Therapy], bool]:
        tests: list[Callable[[Therapy], bool]] = [self._evidence_filter(source, tier, audience)]
        if cancer_type is not None:
            found = self._typed(cancer_type, CancerType, "cancer type")
            wanted = {found.id} | {e.id for e in self.narrower(found.id, transitive=True)}
            tests.append(lambda t: not wanted.isdisjoint(t.cancer_type_ids))
        statuses = _choices(status, Status, "status")
        if statuses is not None:
            tests.append(lambda t: t.status in statuses)
        routes = _choices(route, Route, "route")
        if routes is not None:
            tests.append(lambda t: not routes.isdisjoint(t.routes))
        if category is not None:
            parent = self._typed(category, Therapy, "therapy class")
            members = {e.id for e in self.narrower(parent.id, transitive=True)}
            tests.append(lambda t: t.id in members)
        return lambda therapy: all(test(therapy) for test in tests)

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
        keep = self._therapy_filter(
            cancer_type=cancer_type,
            status=status,
            route=route,
            category=category,
            source=source,
            tier=tier,
            audience=audience,
        )
        return ResultList(t for t in self._therapies if keep(t))

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
        keep = self._therapy_filter(
            cancer_type=cancer_type,
            status=status,
            route=route,
            category=category,
            source=source,
            tier=tier,
            audience=audience,
        )
        platforms = _choices(platform, VaccinePlatform, "platform")
        purposes = _choices(purpose, VaccinePurpose, "purpose")
        return ResultList(
            v
            for v in self._vaccines
            if keep(v)
            and (platforms is None or v.platform in platforms)
            and (purposes is None or v.purpose in purposes)
        )

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
        keep = self._evidence_filter(source, tier, audience)
        wanted = None
        if therapy is not None:
            wanted = {link.side_effect.id for link in self.side_effects_of(therapy)}
        return ResultList(
            e for e in self._side_effects if keep(e) and (wanted is None or e.id in wanted)
        )

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
        keep = self._evidence_filter(source, tier, audience)
        wanted = None
        if therapy is not None:
            wanted = set(self._typed(therapy, Therapy, "therapy").cancer_type_ids)
        return ResultList(
            c for c in self._cancer_types if keep(c) and (wanted is None or c.id in wanted)
        )

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
            with self._lock:
                index = self._search
                if index is None:
                    index = SearchIndex(self._entities, self.sources)
                    object.__setattr__(self, "_search", index)
        return index

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
            MissingDependencyError: pandas is not installed (``pip install 'immunokb[pandas]'``).
            QueryError: ``kind`` is not one of those.
        """
        from ._frames import kb_frame  # noqa: PLC0415 - pandas is imported only here

        return kb_frame(self, kind)


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
