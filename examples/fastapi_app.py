"""Serve the immunokb knowledge base as a JSON web API with FastAPI.

A small app to copy into a backend. Every answer about the data is one of
immunokb's own pydantic models, so what a client receives is exactly what the
knowledge base says, with its citations (verbatim quotes and their offsets in the
source text); the app adds nothing of its own.

Endpoints (all ``GET``):

=====================================  ===================================================
``/``                                  identity: the package version, the content version
                                       (``kb.version``) and the data's ``kb.fingerprint``
``/entities/{name}``                   a therapy, vaccine, side effect or cancer type by
                                       id, name or alias (``/entities/Imlygic®``)
``/search?q=...&limit=10``             ranked search hits, best first (``limit`` 1-100)
``/therapies/{name}/side-effects``     the therapy's side effects, own and inherited,
                                       each with its citations
``/cancer-types/{name}/therapies``     therapies and vaccines used for or tested in the
                                       cancer type or a narrower one
``/sources/{source_id}``               a source document: metadata and text
=====================================  ===================================================

A name or id that matches nothing gives ``404`` with a JSON body
``{"detail": ..., "query": ..., "suggestions": [...]}``, the suggestions being the
closest known names (or source ids). Invalid parameters give FastAPI's ``422``.

Every successful answer carries an ``ETag`` derived from the data's fingerprint and
the package version: it changes exactly when the data (or the library serialising
it) does. Send it back in ``If-None-Match`` and the answer is ``304 Not Modified``
with no body. Interactive documentation is at ``/docs``, the schema at
``/openapi.json``.

Run it from the repository root with either of::

    uvicorn examples.fastapi_app:app
    python examples/fastapi_app.py

(``pip install uvicorn`` first). To serve your own documents beside the bundled
ones, build the app with a knowledge base of your own::

    app = create_app(immunokb.load(paths=["my_docs/"]))

Design notes:

- Importing this module loads nothing. The bundled knowledge base is loaded at
  startup, in a worker thread (so a broken corpus stops the server at once),
  or on the first request when the app runs without its lifespan, as in a
  test's ``TestClient(app)``. :func:`immunokb.load` caches it per process and is
  thread-safe; the knowledge base is immutable, so every request shares it.
- The handlers are plain ``def`` functions: queries are CPU work, and FastAPI runs
  such handlers in its thread pool, off the event loop.
- ``Source.path`` (where a document was loaded from) is served as it is; for your
  own documents that is a path on the server. Leave it out with
  ``response_model_exclude={"path"}`` on the route if it should not be public.
"""

import hashlib
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from importlib import import_module
from importlib.metadata import version as package_version
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

import immunokb
from immunokb import (
    CancerType,
    Hit,
    KnowledgeBase,
    NotFoundError,
    SideEffect,
    SideEffectLink,
    Source,
    Therapy,
    Vaccine,
)

__all__ = [
    "AnyEntity",
    "CachedRoute",
    "Identity",
    "NotFound",
    "app",
    "create_app",
    "etag",
    "knowledge_base",
    "router",
    "served_by",
]

AnyEntity = Vaccine | Therapy | SideEffect | CancerType
"""What a lookup returns. Pydantic serialises each answer as its own class of the
union, so a vaccine keeps its fields (``platform``, ``purpose``), and its ``kind``
tells a client which it got. A response model of ``Therapy`` alone would serialise
a vaccine as a plain therapy, without them."""

MAX_NAME = 200
"""Longest name or id a lookup accepts, in characters."""

MAX_QUERY = 500
"""Longest search query accepted, in characters."""


class Identity(BaseModel):
    """Which data the app serves: pin or cache against these."""

    model_config = ConfigDict(frozen=True)

    package_version: str = Field(description="Version of the immunokb package.")
    content_version: str | None = Field(
        description="Version of the bundled content (kb.version); null without bundled content."
    )
    fingerprint: str = Field(
        description="SHA-256 of every source and entity served (kb.fingerprint)."
    )


class NotFound(BaseModel):
    """The body of a 404: what was asked for and the closest names known."""

    model_config = ConfigDict(frozen=True)

    detail: str = Field(description="A readable message.")
    query: str = Field(description="The name or id that matched nothing.")
    suggestions: list[str] = Field(description="The closest known names or ids, best first.")


def served_by(app: FastAPI) -> KnowledgeBase:
    """The knowledge base ``app`` serves.

    The one given to :func:`create_app`, or else the bundled one, loaded on first
    use and cached by :func:`immunokb.load`.
    """
    given: KnowledgeBase | None = app.state.kb
    return immunokb.load() if given is None else given


def knowledge_base(request: Request) -> KnowledgeBase:
    """The knowledge base the app serves, for a handler (a FastAPI dependency)."""
    return served_by(request.app)


KB = Annotated[KnowledgeBase, Depends(knowledge_base)]


def etag(kb: KnowledgeBase, package: str) -> str:
    """The ``ETag`` of every answer about ``kb``'s data, serialised by immunokb ``package``.

    A weak validator (``W/"..."``): equal answers, not necessarily equal bytes, so it
    stays valid behind a compressing proxy.
    """
    digest = hashlib.sha256(f"{kb.fingerprint}\n{package}".encode()).hexdigest()
    return f'W/"{digest[:32]}"'


def _matches(if_none_match: str, tag: str) -> bool:
    """Whether an ``If-None-Match`` header names ``tag`` (weak comparison, RFC 9110)."""
    if if_none_match.strip() == "*":
        return True
    opaque = tag.removeprefix("W/")
    return any(item.strip().removeprefix("W/") == opaque for item in if_none_match.split(","))


_KEPT_BY_304 = frozenset({"cache-control", "content-location", "expires", "vary"})
"""Headers of the full answer that a ``304`` repeats (RFC 9110, section 15.4.5)."""


class CachedRoute(APIRoute):
    """A route whose ``200`` answers carry the data's ``ETag`` and honour ``If-None-Match``.

    Only a ``200`` answer is tagged or turned into ``304``. A ``404`` or ``422`` is
    raised as an exception past this wrapper, so it stays what it is whatever the
    request's headers say (RFC 9110, 13.2.1: preconditions apply only to a success).
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """Wrap FastAPI's handler: tag its successful answers, answer ``304`` when asked."""
        handle = super().get_route_handler()

        async def tagged(request: Request) -> Response:
            response = await handle(request)
            if response.status_code != 200:
                return response
            tag = etag(knowledge_base(request), request.app.state.package_version)
            if _matches(request.headers.get("if-none-match", ""), tag):
                kept = {k: v for k, v in response.headers.items() if k in _KEPT_BY_304}
                return Response(status_code=304, headers={**kept, "ETag": tag})
            response.headers["ETag"] = tag
            return response

        return tagged


router = APIRouter(route_class=CachedRoute)
"""The knowledge base's routes; :func:`create_app` includes them in an app."""

_MISS: dict[int | str, dict[str, Any]] = {
    404: {"model": NotFound, "description": "Nothing matches the name or id."}
}


@router.get("/", tags=["identity"], summary="Which data is served")
def identity(kb: KB, request: Request) -> Identity:
    """The package version, the content version and the fingerprint of the data served."""
    return Identity(
        package_version=request.app.state.package_version,
        content_version=kb.version,
        fingerprint=kb.fingerprint,
    )


@router.get("/entities/{name}", tags=["entities"], summary="Look up an entity", responses=_MISS)
def entity(name: Annotated[str, Path(max_length=MAX_NAME)], kb: KB) -> AnyEntity:
    """A therapy, vaccine, side effect or cancer type by id, name or alias.

    Matching ignores case, hyphens versus spaces, punctuation and the marks ®/™.
    """
    return kb.get(name)


@router.get("/search", tags=["search"], summary="Search entities and passages")
def search(
    q: Annotated[str, Query(min_length=1, max_length=MAX_QUERY, description="Search words.")],
    kb: KB,
    limit: Annotated[int, Query(ge=1, le=100, description="Most hits to return.")] = 10,
) -> list[Hit]:
    """Entities and source passages that match ``q``, best first, each with a snippet."""
    return kb.search(q, limit=limit)


@router.get(
    "/therapies/{name}/side-effects",
    tags=["therapies"],
    summary="Side effects of a therapy",
    responses=_MISS,
)
def side_effects(name: Annotated[str, Path(max_length=MAX_NAME)], kb: KB) -> list[SideEffectLink]:
    """The therapy's side effects, its own first, then those of broader classes (``via``)."""
    return kb.side_effects_of(name)


@router.get(
    "/cancer-types/{name}/therapies",
    tags=["cancer types"],
    summary="Therapies for a cancer type",
    responses=_MISS,
)
def therapies_for(
    name: Annotated[str, Path(max_length=MAX_NAME)], kb: KB
) -> list[Vaccine | Therapy]:
    """Therapies and vaccines used for or tested in the cancer type or a narrower one."""
    return list(kb.therapies_for(name))


@router.get("/sources/{source_id}", tags=["sources"], summary="A source document", responses=_MISS)
def source(source_id: Annotated[str, Path(max_length=MAX_NAME)], kb: KB) -> Source:
    """A source document by id: its metadata and the text the citations point into."""
    return kb.source(source_id)


async def not_found(request: Request, exc: NotFoundError) -> JSONResponse:
    """Answer a :class:`immunokb.NotFoundError` with ``404`` and the suggestions."""
    body = NotFound(detail=str(exc), query=exc.query, suggestions=list(exc.suggestions))
    return JSONResponse(body.model_dump(), status_code=404)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Load the knowledge base and its fingerprint at startup, off the event loop."""
    await run_in_threadpool(lambda: served_by(app).fingerprint)
    yield


def create_app(kb: KnowledgeBase | None = None) -> FastAPI:
    """A FastAPI app serving ``kb``, or the bundled knowledge base when ``kb`` is None.

    Args:
        kb: The knowledge base to serve, e.g.
            ``immunokb.load(paths=["my_docs/"])``; by default the bundled one,
            loaded at startup (or on the first request), not here.

    Returns:
        The app; mount it or run it with any ASGI server.
    """
    package = package_version("immunokb")
    app = FastAPI(
        title="immunokb",
        version=package,
        summary="A typed, cited knowledge base of cancer immunotherapy.",
        description=(
            "Every answer is what immunokb's sources say, with verbatim quotes and their "
            "offsets in the source text. Information with provenance, not medical advice."
        ),
        lifespan=lifespan,
        exception_handlers={NotFoundError: not_found},
    )
    app.state.kb = kb
    app.state.package_version = package
    app.include_router(router)
    return app


app = create_app()
"""The app serving the bundled knowledge base (``uvicorn examples.fastapi_app:app``)."""


if __name__ == "__main__":
    try:
        # By name, so that type checkers do not need uvicorn installed to check this file.
        uvicorn = import_module("uvicorn")
    except ImportError:
        raise SystemExit(
            "Serving needs an ASGI server; install uvicorn with: pip install uvicorn"
        ) from None
    uvicorn.run(app, host="127.0.0.1", port=8000)
