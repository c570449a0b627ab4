"""Refuse a page whose HTML file is one that Sphinx writes a page of its own to.

Sphinx's HTML builder writes the documents first and its own pages after them, in
the same folder: ``search.html``, ``genindex.html``, one page per domain index
(``py-modindex.html``), the pages of ``html_additional_pages`` and those that
extensions add (``sphinx.ext.viewcode``'s ``_modules/...``). A document with one of
those names (``docs/search.md``) is therefore overwritten without a word, and
disappears from the site while its entry in the navigation leads to Sphinx's page.

This extension makes that a warning, so that ``sphinx-build -W`` fails:

- before the documents are read (every build, incremental ones included), each
  document is checked against the names Sphinx and the configuration reserve;
- while the HTML is written, a page written a second time under the name of a
  document is reported too, whatever wrote it (an extension's page, say). With
  ``-j`` the documents are written in other processes, so only the first check
  applies there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sphinx.util import logging

if TYPE_CHECKING:
    from docutils import nodes
    from sphinx.application import Sphinx
    from sphinx.environment import BuildEnvironment

__all__ = ["reserved_pages", "setup"]


def reserved_pages(app: Sphinx) -> dict[str, str]:
    """The page names Sphinx writes pages of its own to, each with what it writes there."""
    reserved = {"search": "the search page", "genindex": "the general index"}
    if app.config.html_split_index:
        reserved["genindex-all"] = "the general index"
    for domain in app.env.domains.values():
        for index in domain.indices:
            reserved[f"{domain.name}-{index.name}"] = f"the {index.localname!s}"
    for name in app.config.html_additional_pages:
        reserved[name] = "a page of html_additional_pages"
    return reserved


def setup(app: Sphinx) -> dict[str, Any]:
    """Check the documents' names when they are read and their pages when written."""
    logger = logging.getLogger(__name__)
    reported: set[str] = set()
    written: set[str] = set()

    def check_names(app: Sphinx, env: BuildEnvironment, docnames: list[str]) -> None:
        if app.builder.format != "html":
            return
        reserved = reserved_pages(app)
        for docname in sorted(env.found_docs & reserved.keys()):
            reported.add(docname)
            logger.warning(
                "the page %r would be overwritten by %s, which Sphinx writes to the same "
                "file: rename the document",
                docname,
                reserved[docname],
                location=docname,
                type="immunokb",
                subtype="reserved-page",
            )

    def note_page(
        app: Sphinx,
        pagename: str,
        templatename: str,
        context: dict[str, Any],
        doctree: nodes.document | None,
    ) -> None:
        if doctree is not None:
            written.add(pagename)
        elif pagename in written and pagename not in reported:
            logger.warning(
                "the page %r is written twice: the document of that name is overwritten "
                "by a page Sphinx or an extension writes (template %s): rename the document",
                pagename,
                templatename,
                location=pagename,
                type="immunokb",
                subtype="reserved-page",
            )

    app.connect("env-before-read-docs", check_names)
    app.connect("html-page-context", note_page)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
