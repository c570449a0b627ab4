"""The result of checking a corpus: every error and warning, none raised."""

from __future__ import annotations

from dataclasses import dataclass

from ._errors import DocumentError, DocumentWarning

__all__ = ["ValidationReport"]


@dataclass(frozen=True)
class ValidationReport:
    """What :func:`immunokb.validate` found in a corpus.

    Attributes:
        documents: How many of your documents were read (bundled ones not counted).
        errors: Every problem that would stop :func:`immunokb.load`, as
            :class:`~immunokb.DocumentError` objects (not raised).
        warnings: Everything that loads but deserves a look, as
            :class:`~immunokb.DocumentWarning` objects.
        skipped: Files in the directories given that are not documents by name
            (not ``*.md`` or ``*.markdown``), so were not read.
    """

    documents: int
    errors: tuple[DocumentError, ...]
    warnings: tuple[DocumentWarning, ...]
    skipped: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """True when there is no error (warnings allowed): ``load`` would succeed."""
        return not self.errors

    @property
    def problems(self) -> tuple[DocumentError | DocumentWarning, ...]:
        """Errors and warnings together, by file, then line (errors first on a line)."""
        return tuple(sorted((*self.errors, *self.warnings), key=lambda p: p.sort_key()))

    def lines(self) -> list[str]:
        """One line per problem: ``file:line: field: error: message`` (or ``warning:``)."""
        return [f"{p.location}: {p.severity}: {p.reason}" for p in self.problems]

    def as_dict(self) -> dict[str, object]:
        """The report as plain data (what ``immunokb validate --json`` prints)."""
        return {
            "ok": self.ok,
            "documents": self.documents,
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "skipped": list(self.skipped),
            "problems": [problem.as_dict() for problem in self.problems],
        }
