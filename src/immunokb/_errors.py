"""The exceptions immunokb raises on purpose.

Every error the library raises deliberately derives from :class:`ImmunoKBError`::

    ImmunoKBError
    ├── DocumentError          a bundled or user document is invalid (path, line, field)
    ├── NotFoundError          a lookup missed; also a KeyError; carries .suggestions
    ├── QueryError             a query argument is not valid; also a ValueError
    └── MissingDependencyError an optional extra is not installed; also an ImportError

    DocumentWarning            (a UserWarning) a document loaded, but something in it
                               deserves a look: an unknown field kept, a file skipped

Bad input never escapes as a raw PyYAML or pydantic exception: the loader wraps
those into :class:`DocumentError`.
"""

from __future__ import annotations

__all__ = [
    "DocumentError",
    "DocumentWarning",
    "ImmunoKBError",
    "MissingDependencyError",
    "NotFoundError",
    "QueryError",
]


class ImmunoKBError(Exception):
    """Base class of every error immunokb raises on purpose."""


class _Located(Exception):  # noqa: N818 - a mixin of DocumentError and DocumentWarning
    """Where in which document a problem is, and what it is."""

    def __init__(
        self,
        reason: str,
        *,
        path: str,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        """Record the parts; the message is built from them."""
        self.reason = reason
        self.path = path
        self.line = line
        self.field = field
        super().__init__(self.location + ": " + reason)

    @property
    def location(self) -> str:
        """``path:line: field`` with the parts that are known."""
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        return where if self.field is None else f"{where}: {self.field}"

    @property
    def severity(self) -> str:
        """``"error"`` or ``"warning"``."""
        return "warning" if isinstance(self, Warning) else "error"

    def sort_key(self) -> tuple[str, int, int, str]:
        """By file, then line, errors before warnings on a line, then field."""
        return (self.path, self.line or 0, 0 if self.severity == "error" else 1, self.field or "")

    def as_dict(self) -> dict[str, str | int | None]:
        """The problem as plain data: ``severity``, ``path``, ``line``, ``field``, ``message``."""
        return {
            "severity": self.severity,
            "path": self.path,
            "line": self.line,
            "field": self.field,
            "message": self.reason,
        }


class DocumentError(_Located, ImmunoKBError):
    """A document is invalid, so no knowledge base was built.

    Attributes:
        path: The document's path (a filesystem path or a package resource path).
        line: The 1-based line in the document where the problem is, or ``None``.
        field: The dotted field path the problem is in (``aliases[1].cite[0].quote``),
            or ``None`` when it concerns the whole document.
        reason: The bare description of the problem, without location.
        problems: Every problem found in the same load, this one first. A load
            collects all problems it can find before it raises.
    """

    def __init__(
        self,
        reason: str,
        *,
        path: str,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        """Create a document error; the message is built from its parts."""
        super().__init__(reason, path=path, line=line, field=field)
        self.problems: tuple[DocumentError, ...] = (self,)

    def __str__(self) -> str:
        """The message, with a count of further problems found in the same load."""
        base = f"{self.location}: {self.reason}"
        more = len(self.problems) - 1
        if more > 0:
            base += f" (and {more} more problem{'s' if more > 1 else ''}; see .problems)"
        return base


class DocumentWarning(_Located, UserWarning):
    """A document loaded, but something in it deserves the author's attention.

    Examples: a source document's frontmatter field that immunokb does not know (it
    is kept in :attr:`Source.extra <immunokb.Source.extra>`), or a symbolic link that
    leads out of the directory given and was skipped. The knowledge base lists every
    warning of its load in :attr:`KnowledgeBase.warnings
    <immunokb.KnowledgeBase.warnings>`; :func:`immunokb.load` also issues the first
    through :mod:`warnings`, saying how many more there are.

    Attributes:
        path: The document's path.
        line: The 1-based line in the document, or ``None``.
        field: The field concerned, or ``None``.
        reason: The bare description, without location.
    """

    def __str__(self) -> str:
        """``path:line: field: reason``."""
        return f"{self.location}: {self.reason}"

    def __eq__(self, other: object) -> bool:
        """Warnings are equal when they say the same thing about the same place."""
        if not isinstance(other, DocumentWarning):
            return NotImplemented
        return (self.path, self.line, self.field, self.reason) == (
            other.path,
            other.line,
            other.field,
            other.reason,
        )

    def __hash__(self) -> int:
        """Hash of the place and the reason."""
        return hash((self.path, self.line, self.field, self.reason))


class NotFoundError(ImmunoKBError, KeyError):
    """A lookup found nothing.

    Attributes:
        query: The text that was looked up.
        suggestions: The closest known names, best first (may be empty).
    """

    def __init__(
        self, query: str, suggestions: tuple[str, ...] = (), *, what: str = "entry"
    ) -> None:
        """Create a lookup miss for ``query`` with optional suggestions."""
        self.query = query
        self.suggestions = suggestions
        self.what = what
        super().__init__(query)

    def __str__(self) -> str:
        """A readable message naming the query and the suggestions."""
        msg = f"no {self.what} matches {self.query!r}"
        if self.suggestions:
            msg += "; did you mean: " + ", ".join(self.suggestions) + "?"
        return msg


class MissingDependencyError(ImmunoKBError, ImportError):
    """A feature needs an optional dependency that is not installed.

    Attributes:
        extra: The name of immunokb's extra that installs it (``pip install ".[extra]"``
            from a clone).
    """

    def __init__(self, feature: str, *, package: str, extra: str) -> None:
        """Create the error for ``feature``, which needs ``package`` from ``extra``."""
        self.feature = feature
        self.package = package
        self.extra = extra
        super().__init__(
            f"{feature} needs {package}, which is not installed; install {package}, or "
            f"immunokb with its '{extra}' extra",
            name=package,
        )


class QueryError(ImmunoKBError, ValueError):
    """A query argument is not valid: an unknown status, route or kind, for instance.

    The message names the argument and lists the values it accepts.
    """
