"""The records behind a KnowledgeBase: entities materialised on demand, and their indexes.

A knowledge base answers most questions from a few plain dictionaries (labels to
ids, each entity's kind, name, broader links and cited sources, and each
therapy's status, routes and cancer types) and turns an entity into its pydantic
model only when a caller asks for that entity. A :class:`Store` holds both:

- built from models (a fresh parse), every entity is already materialised;
- read back from a snapshot or a cache entry (:meth:`Store.from_data`), each entity
  is a pickle of its model, unpickled with an allow-list on first use and then
  kept, so that loading costs little more than reading the indexes, and an
  entity costs its unpickling once, when it is first needed.

Entities were validated when they were built; unpickling restores them as they
were (pydantic models keep their state in ``__dict__``), without validating
again. Serialised stores only ever come from this module's :meth:`Store.data`.
"""

from __future__ import annotations

import io
import marshal
import pickle
import threading
from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from . import _models
from ._errors import ImmunoKBError
from ._evidence import evidence
from ._models import AnyEntity, Source, Therapy, Vaccine
from ._normalize import normalize

if TYPE_CHECKING:
    from ._kb import KnowledgeBase

__all__ = [
    "FORMAT",
    "MAGIC",
    "Packed",
    "Store",
    "kb_sections",
    "load_models",
    "model_fields",
    "pack",
    "read_kb",
]

FORMAT = 1
"""Version of the serialised layout written by :meth:`Store.dumps`."""

_ALLOWED = frozenset(_models.__all__) | {"FrozenMapping"}


class _Unpickler(pickle.Unpickler):
    """Unpickles immunokb's models only: any other class or function named is refused."""

    def find_class(self, module: str, name: str) -> Any:  # noqa: ANN401 - pickle's API
        if (module == "immunokb._models" and name in _ALLOWED) or (module, name) == (
            "datetime",
            "date",
        ):
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not allowed here")


def load_models(data: bytes) -> Any:  # noqa: ANN401 - the caller checks what it got
    """Unpickle ``data``, which may name only immunokb's models and ``datetime.date``."""
    return _Unpickler(io.BytesIO(data)).load()


def model_fields() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Every model class with its field names: a store of other models must not be read."""
    return tuple(
        (name, tuple(cls.model_fields))
        for name in sorted(_models.__all__)
        if isinstance(cls := getattr(_models, name), type) and issubclass(cls, BaseModel)
    )


def _unreadable(entity_id: str, why: str) -> str:
    return (
        f"the stored record of {entity_id!r} cannot be read ({why}); load with cache=False, "
        "or delete the cache directory (IMMUNOKB_CACHE_DIR), to parse the documents again"
    )


_INDEXES = (
    "kinds",
    "names",
    "labels",
    "exact",
    "broader",
    "narrower",
    "sources_of",
    "statuses",
    "routes",
    "cancer_types",
    "platforms",
    "purposes",
)
"""The plain indexes a store keeps beside its sorted ids (see :meth:`Store.index_of`)."""

_ENTITY_CLASSES = (_models.Therapy, _models.SideEffect, _models.CancerType)


def _kind(entity: AnyEntity) -> str:
    return entity.kind


class Store:
    """Entities by id, materialised on demand, with the plain indexes queries use.

    Read-only once built, and safe to share between threads: an entity is
    unpickled at most once, under a lock, and then always the same object.
    """

    __slots__ = (
        "_all",
        "_blobs",
        "_lock",
        "_memo",
        "_unpickle",
        "broader",
        "cancer_types",
        "exact",
        "ids",
        "kinds",
        "labels",
        "names",
        "narrower",
        "platforms",
        "purposes",
        "routes",
        "sources_of",
        "statuses",
    )

    ids: tuple[str, ...]
    """Every entity id, sorted."""
    kinds: Mapping[str, str]
    """Id -> kind (``therapy``, ``vaccine``, ``side_effect``, ``cancer_type``)."""
    names: Mapping[str, str]
    """Id -> preferred name."""
    labels: Mapping[str, str]
    """Normalised id, name or alias -> id (the first entity by id wins a shared label)."""
    exact: Mapping[str, str]
    """Id, name or alias as written -> the id its normalised form maps to."""
    broader: Mapping[str, tuple[str, ...]]
    narrower: Mapping[str, tuple[str, ...]]
    sources_of: Mapping[str, tuple[str, ...]]
    """Id -> the ids of the sources its evidence quotes, sorted."""
    statuses: Mapping[str, str]
    """Therapy id -> its adopted status."""
    routes: Mapping[str, tuple[str, ...]]
    cancer_types: Mapping[str, tuple[str, ...]]
    """Therapy id -> the cancer types of its indications."""
    platforms: Mapping[str, str | None]
    """Vaccine id -> its platform (None: not stated)."""
    purposes: Mapping[str, str]
    _memo: dict[str, AnyEntity]
    _blobs: dict[str, bytes] | None
    _all: tuple[AnyEntity, ...] | None
    _lock: threading.Lock
    _unpickle: Callable[[bytes], Any]

    def __init__(
        self,
        index: Mapping[str, Any],
        *,
        memo: dict[str, AnyEntity] | None = None,
        blobs: Mapping[str, bytes] | None = None,
        trusted: bool = False,
    ) -> None:
        """Wrap an index (see :meth:`index_of`) and the entities or their pickles."""
        setter = object.__setattr__
        setter(self, "ids", tuple(index["ids"]))
        for name in _INDEXES:
            setter(self, name, MappingProxyType(index[name]))
        setter(self, "_memo", {} if memo is None else memo)
        setter(self, "_blobs", None if blobs is None else dict(blobs))
        setter(self, "_unpickle", pickle.loads if trusted else load_models)
        setter(self, "_all", None)
        setter(self, "_lock", threading.Lock())

    def __setattr__(self, name: str, value: object) -> None:
        """Refuse: a store is read-only."""
        raise AttributeError(f"Store is read-only; cannot set {name!r}")

    # ------------------------------------------------------------------ building

    @staticmethod
    def index_of(entities: Iterable[AnyEntity]) -> dict[str, Any]:
        """The plain indexes of ``entities``, as :class:`Store` and :meth:`dumps` keep them."""
        ordered = sorted(entities, key=lambda e: e.id)
        labels: dict[str, str] = {}
        for entity in ordered:
            for label in (entity.id, entity.name, *entity.aliases):
                labels.setdefault(normalize(label), entity.id)
        exact = {
            label: labels[normalize(label)]
            for entity in ordered
            for label in (entity.id, entity.name, *entity.aliases)
        }
        narrower: dict[str, list[str]] = {}
        for entity in ordered:
            for parent in entity.broader:
                narrower.setdefault(parent, []).append(entity.id)
        therapies = [e for e in ordered if isinstance(e, Therapy)]
        vaccines = [e for e in therapies if isinstance(e, Vaccine)]
        return {
            "ids": tuple(e.id for e in ordered),
            "kinds": {e.id: _kind(e) for e in ordered},
            "names": {e.id: e.name for e in ordered},
            "labels": labels,
            "exact": exact,
            "broader": {e.id: e.broader for e in ordered if e.broader},
            "narrower": {k: tuple(v) for k, v in narrower.items()},
            "sources_of": {
                e.id: tuple(sorted({p.citation.source_id for p in evidence(e) if p.citation}))
                for e in ordered
            },
            "statuses": {t.id: t.status.value for t in therapies},
            "routes": {t.id: tuple(r.value for r in t.routes) for t in therapies},
            "cancer_types": {t.id: t.cancer_type_ids for t in therapies},
            "platforms": {v.id: None if v.platform is None else v.platform.value for v in vaccines},
            "purposes": {v.id: v.purpose.value for v in vaccines},
        }

    @classmethod
    def of(cls, entities: Iterable[AnyEntity]) -> Store:
        """A store of already built entities (nothing left to materialise)."""
        ordered = tuple(entities)
        store = cls(cls.index_of(ordered), memo={e.id: e for e in ordered})
        object.__setattr__(store, "_all", tuple(sorted(ordered, key=lambda e: e.id)))
        return store

    def data(self) -> dict[str, Any]:
        """The store as plain data for :mod:`marshal`: indexes, and one pickle per entity.

        :meth:`from_data` reads it back.
        """
        return {
            "format": FORMAT,
            "models": model_fields(),
            "ids": self.ids,
            **{name: dict(getattr(self, name)) for name in _INDEXES},
            "blobs": {
                entity.id: pickle.dumps(entity, protocol=pickle.HIGHEST_PROTOCOL)
                for entity in self.all()
            },
        }

    @classmethod
    def from_data(cls, index: object, *, trusted: bool = False) -> Store:
        """A store from :meth:`data` read back; entities are unpickled on first use.

        ``trusted`` pickles (the package's own snapshot, as trusted as its code) are
        unpickled by :func:`pickle.loads`; others (the user cache) with the
        allow-list of :func:`load_models`.

        Raises:
            ValueError: ``index`` is not a store of this format and these models.
        """
        if not isinstance(index, dict) or index.get("format") != FORMAT:
            raise ValueError("not a serialised store of this format")
        if index.get("models") != model_fields():
            raise ValueError("the store was written for other models")
        blobs = index.get("blobs")
        ids = index.get("ids")
        if not (
            isinstance(blobs, dict)
            and isinstance(ids, tuple)
            and len(blobs) == len(ids)
            and all(isinstance(index.get(name), dict) for name in ("kinds", "labels", "exact"))
        ):
            raise ValueError("a serialised store without its entities")
        return cls(index, blobs=blobs, trusted=trusted)

    # ------------------------------------------------------------------ entities

    def __len__(self) -> int:
        """The number of entities."""
        return len(self.ids)

    def __contains__(self, entity_id: object) -> bool:
        """Whether an entity has this id."""
        return entity_id in self.kinds

    def entity(self, entity_id: str) -> AnyEntity:
        """The entity with this id, unpickled on first use (KeyError: no such id)."""
        found = self._memo.get(entity_id)
        if found is not None:
            return found
        with self._lock:
            found = self._memo.get(entity_id)
            if found is None:
                blobs = self._blobs
                if blobs is None:
                    raise KeyError(entity_id)
                try:
                    loaded = self._unpickle(blobs[entity_id])
                except Exception as exc:  # a damaged or foreign record, never run
                    raise ImmunoKBError(_unreadable(entity_id, str(exc))) from None
                if not (isinstance(loaded, _ENTITY_CLASSES) and loaded.id == entity_id):
                    raise ImmunoKBError(_unreadable(entity_id, "it holds something else"))
                found = self._memo[entity_id] = loaded
        return found

    def all(self) -> tuple[AnyEntity, ...]:
        """Every entity, sorted by id (materialises those not yet used)."""
        everything = self._all
        if everything is None:
            entity = self.entity
            everything = tuple(entity(i) for i in self.ids)
            with self._lock:
                object.__setattr__(self, "_all", everything)
                # Every entity is now an object: the pickles are no longer needed.
                object.__setattr__(self, "_blobs", None)
        return everything

    def some(self, ids: Iterable[str]) -> list[AnyEntity]:
        """The entities with these ids, in the order given."""
        entity = self.entity
        return [entity(i) for i in ids]


# --------------------------------------------------------------------------- files

MAGIC = b"immunokb-store\n"
"""First line of a snapshot or cache file."""


def pack(meta: Mapping[str, Any], sections: Mapping[str, bytes]) -> bytes:
    """A file of named sections: magic, header length, header (``meta`` + where each is).

    The header records each section's offset (from the end of the header), length
    and SHA-256, so that a reader can take one section without reading the others.
    """
    import hashlib  # noqa: PLC0415 - only writers and verifying readers hash

    table: dict[str, tuple[int, int, str]] = {}
    offset = 0
    for name, data in sections.items():
        table[name] = (offset, len(data), hashlib.sha256(data).hexdigest())
        offset += len(data)
    header = marshal.dumps({**meta, "sections": table})
    return b"".join((MAGIC, len(header).to_bytes(8, "little"), header, *sections.values()))


class Packed:
    """A file written by :func:`pack`: its header, and its sections read on demand."""

    __slots__ = ("first", "meta", "path", "sections", "start")

    def __init__(self, path: str, first: str | None = None) -> None:
        """Read the header of the file at ``path``, and the section ``first`` with it.

        Raises:
            ValueError: not a file written by :func:`pack`, or a truncated one.
            OSError: the file cannot be read.
        """
        with open(path, "rb") as handle:
            head = handle.read(len(MAGIC) + 8)
            if len(head) != len(MAGIC) + 8 or not head.startswith(MAGIC):
                raise ValueError(f"{path} is not an immunokb store file")
            size = int.from_bytes(head[len(MAGIC) :], "little")
            raw = handle.read(size) if size < 1 << 26 else b""
            if len(raw) != size:
                raise ValueError(f"{path} is truncated")
            try:
                meta = marshal.loads(raw)  # noqa: S302 - our own file
            except (EOFError, ValueError, TypeError):
                meta = None
            if not isinstance(meta, dict) or not isinstance(meta.get("sections"), dict):
                raise ValueError(f"{path} has no readable header")
            self.path = path
            self.meta: dict[str, Any] = meta
            self.sections: dict[str, tuple[int, int, str]] = meta["sections"]
            self.start = len(MAGIC) + 8 + size
            # Read from the same open file as the header: a writer replacing the
            # file meanwhile cannot pair this header with another file's section.
            self.first = None if first is None else self._read(handle, first)

    def _read(self, handle: Any, name: str) -> bytes | None:  # noqa: ANN401 - a binary file
        where = self.sections.get(name)
        if not (isinstance(where, tuple) and len(where) == 3):
            return None
        offset, length, _ = where
        try:
            handle.seek(self.start + offset)
            data: bytes = handle.read(length)
        except (OSError, ValueError, TypeError, OverflowError):
            return None
        return data if len(data) == length else None

    def verified(self, name: str, data: bytes | None) -> bytes | None:
        """``data`` if it matches the SHA-256 the header records for section ``name``."""
        where = self.sections.get(name)
        if data is None or not (isinstance(where, tuple) and len(where) == 3):
            return None
        import hashlib  # noqa: PLC0415

        return data if hashlib.sha256(data).hexdigest() == where[2] else None

    def section(self, name: str, *, verify: bool) -> bytes | None:
        """The section's bytes (checked against its SHA-256 if ``verify``), or None."""
        try:
            with open(self.path, "rb") as handle:
                data = self._read(handle, name)
        except OSError:
            return None
        return self.verified(name, data) if verify else data


# --------------------------------------------------------------------------- knowledge bases


def kb_sections(kb: KnowledgeBase) -> dict[str, bytes]:
    """What a snapshot or a cache entry keeps of a knowledge base, as two sections.

    ``kb``: the store and the sources (read back by :func:`read_kb`); ``search``:
    the search index (built now if the knowledge base has none yet).
    """
    kb_part = marshal.dumps(
        {
            "store": kb._store.data(),
            "sources": pickle.dumps(kb.sources, protocol=pickle.HIGHEST_PROTOCOL),
        }
    )
    return {"kb": kb_part, "search": kb._search_index().dumps()}


def read_kb(data: bytes, *, trusted: bool) -> tuple[Store, tuple[Source, ...]]:
    """The store and the sources of a ``kb`` section (see :func:`kb_sections`).

    ``trusted``: the package's own snapshot, unpickled without the allow-list.

    Raises:
        ValueError: the section cannot be read back as a store and sources.
    """
    try:
        parts = marshal.loads(data)  # noqa: S302 - our own file, checked by the caller
        store = Store.from_data(parts["store"], trusted=trusted)
        sources = (pickle.loads if trusted else load_models)(parts["sources"])
    except Exception as exc:  # whatever the damage, it is reported the same way
        raise ValueError(f"not a knowledge base section: {exc!r}") from None
    if not (isinstance(sources, tuple) and all(isinstance(s, Source) for s in sources)):
        raise ValueError("not a knowledge base section: the sources are not sources")
    return store, sources
