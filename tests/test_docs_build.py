"""The documentation builds with warnings as errors, and shows what it should.

One Sphinx build of a copy of docs/ (so that the generated catalogue is not
written into the working tree), then checks of the HTML: every document the
toctrees reach (from the environment the build saved) is a page of its own,
whose title and heading are the ones its source gives, and none is written over
by one of Sphinx's own pages (``search.html``...); no page, stylesheet or
script loads anything from another host (the site must work offline); the
tutorial notebook was executed and shows its output tables, the data-model page
draws both diagrams as inline SVG (no script draws them), and every catalogue
page shows each of its entity's quotes verbatim (typographic "smart quotes"
would change them). A few tiny builds check that docs/_ext/pagenames.py fails a
build whose page Sphinx would overwrite. Skipped when the docs extra is not
installed.
"""

from __future__ import annotations

import html
import json
import os
import pickle
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest

import immunokb

DOCS = Path(__file__).resolve().parents[1] / "docs"
_NEEDED = ("sphinx", "furo", "myst_parser", "myst_nb", "ipykernel")


def _text(page: Path) -> str:
    """The words of an HTML page's article, tags removed and whitespace collapsed."""
    content = page.read_text(encoding="utf-8")
    article = content[content.index("<article") : content.index("</article>")]
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", article)).split())


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    for module in _NEEDED:
        pytest.importorskip(module)
    if not (DOCS / "conf.py").is_file() or not (DOCS.parent / "CHANGELOG.md").is_file():
        pytest.skip("docs/ is not available")
    work = tmp_path_factory.mktemp("docs")
    source = work / "docs"
    shutil.copytree(DOCS, source, ignore=shutil.ignore_patterns("_build", "catalogue"))
    shutil.copy(DOCS.parent / "CHANGELOG.md", work)  # docs/changelog.md includes it
    out = work / "html"
    env = {**os.environ, "IMMUNOKB_DOCS_INTERSPHINX": "0", "PYTHONWARNINGS": "ignore"}
    command = [sys.executable, "-m", "sphinx", "-q", "-W", "--keep-going", "-b", "html"]
    result = subprocess.run(
        [*command, str(source), str(out)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )
    warnings = [
        line for line in result.stderr.splitlines() if re.search(r"\b(?:WARNING|ERROR):", line)
    ]
    assert result.returncode == 0, result.stderr[-3000:]
    assert not warnings
    return out


# --------------------------------------------------------------------------- every page is there


class _Head(HTMLParser):
    """The document title (the first ``<title>``) and the text of the first ``<h1>``.

    The heading's permalink (``<a class="headerlink">``) is left out of its text.
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.title: str | None = None
        self.h1: str | None = None
        self._in: str | None = None
        self._skip = 0
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._in is not None and tag == "a" and "headerlink" in (dict(attrs).get("class") or ""):
            self._skip += 1
        elif self._in is not None and self._skip:
            self._skip += tag not in _VOID
        elif (tag == "title" and self.title is None) or (tag == "h1" and self.h1 is None):
            self._in, self._text = tag, []

    def handle_endtag(self, tag: str) -> None:
        if self._skip:
            self._skip -= 1
        elif tag == self._in:
            setattr(self, tag, " ".join("".join(self._text).split()))
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in is not None and not self._skip:
            self._text.append(data)


_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}
# The pages Sphinx's HTML builder writes itself, into the same folder as the documents.
_SPHINX_PAGES = ("search.html", "genindex.html", "py-modindex.html")


def _head(page: Path) -> _Head:
    parser = _Head()
    parser.feed(page.read_text(encoding="utf-8"))
    parser.close()
    return parser


def _environment(site: Path) -> Any:
    """The Sphinx environment the build saved (its toctrees, its configuration)."""
    with (site / ".doctrees" / "environment.pickle").open("rb") as f:
        return pickle.load(f)  # noqa: S301 - written by the build this module ran


def _toctree_documents(env: Any) -> list[str]:
    """Every document reachable through the toctrees from the root document, root first."""
    root = env.config.root_doc
    found, todo = [root], [root]
    while todo:
        for child in env.toctree_includes.get(todo.pop(0), []):
            if child not in found:
                found.append(child)
                todo.append(child)
    return found


def _first_heading(markdown: str, folder: Path) -> str | None:
    """The text of the first level-1 heading, following ``{include}`` blocks before it."""
    from markdown_it import MarkdownIt

    tokens = MarkdownIt("commonmark").parse(markdown)
    for position, token in enumerate(tokens):
        included = re.fullmatch(r"\{include\}\s+(\S+)", token.info.strip())
        if token.type == "fence" and included:
            path = folder / included.group(1)
            heading = _first_heading(path.read_text(encoding="utf-8"), path.parent)
            if heading is not None:
                return heading
        if token.type == "heading_open" and token.tag == "h1":
            words = [
                " " if child.type == "softbreak" else child.content
                for child in tokens[position + 1].children or []
                if child.type in {"text", "text_special", "code_inline", "softbreak"}
            ]
            return " ".join("".join(words).split())
    return None


def _source_title(source: Path) -> str | None:
    """A document's title as its source gives it: a page's or a notebook's first heading."""
    if source.suffix == ".ipynb":
        cells = json.loads(source.read_text(encoding="utf-8"))["cells"]
        for cell in cells:
            if cell["cell_type"] == "markdown":
                heading = _first_heading("".join(cell["source"]), source.parent)
                if heading is not None:
                    return heading
        return None
    return _first_heading(source.read_text(encoding="utf-8"), source.parent)


def test_every_document_in_the_toctree_is_its_own_page_with_its_own_title(site: Path) -> None:
    env = _environment(site)
    documents = _toctree_documents(env)
    sources = {doc: Path(env.doc2path(doc)) for doc in documents}
    # The toctree reaches every source page there is (the generated catalogue and the
    # notebook included), so that nothing below is checked on a partial list.
    source_dir = Path(env.srcdir)
    on_disk = {
        path.relative_to(source_dir).with_suffix("").as_posix()
        for suffix in ("*.md", "*.ipynb")
        for path in source_dir.rglob(suffix)
    }
    assert set(documents) == on_disk
    assert any(source.suffix == ".ipynb" for source in sources.values())
    assert any(doc.startswith("catalogue/") for doc in documents)

    html_title = env.config.html_title
    for doc in documents:
        expected = _source_title(sources[doc])
        assert expected, f"{sources[doc]} has no level-1 heading"
        output = f"{doc}.html"
        head = _head(site / output)
        assert head.h1 == expected, (output, head.h1, expected)
        if doc == env.config.root_doc:
            assert head.title == html_title, (output, head.title)
        else:
            assert head.title == f"{expected} - {html_title}", (output, head.title)
        assert output not in _SPHINX_PAGES, f"{sources[doc].name} is written to {output}"


def _tiny_build(
    tmp_path: Path, pages: list[str], conf: str = ""
) -> subprocess.CompletedProcess[str]:
    """Build a tiny reStructuredText project with docs/_ext/pagenames.py and ``pages``."""
    source = tmp_path / "src"
    source.mkdir()
    (source / "conf.py").write_text(
        f"import sys\nsys.path.insert(0, {str(DOCS / '_ext')!r})\n"
        f"extensions = ['pagenames']\nhtml_theme = 'basic'\n{conf}",
        encoding="utf-8",
    )
    toctree = "".join(f"   {page}\n" for page in pages)
    (source / "index.rst").write_text(f"Home\n====\n\n.. toctree::\n\n{toctree}", "utf-8")
    for page in pages:
        title = f"Page {page}"
        (source / f"{page}.rst").write_text(f"{title}\n{'=' * len(title)}\n\nText.\n", "utf-8")
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx",
            "-q",
            "-W",
            "-b",
            "html",
            str(source),
            str(tmp_path / "out"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.parametrize("name", ["search", "genindex", "py-modindex"])
def test_a_page_named_like_a_sphinx_page_fails_the_build(tmp_path: Path, name: str) -> None:
    pytest.importorskip("sphinx")
    result = _tiny_build(tmp_path, ["usage", name])
    assert result.returncode != 0
    assert f"the page {name!r} would be overwritten" in result.stderr


def test_a_page_an_extension_writes_over_a_document_fails_the_build(tmp_path: Path) -> None:
    pytest.importorskip("sphinx")
    conf = (
        "def setup(app):\n"
        "    app.connect('html-collect-pages', lambda app: [('usage', {}, 'page.html')])\n"
    )
    result = _tiny_build(tmp_path, ["usage"], conf)
    assert result.returncode != 0
    assert "the page 'usage' is written twice" in result.stderr


def test_the_page_name_check_lets_other_names_through(tmp_path: Path) -> None:
    pytest.importorskip("sphinx")
    result = _tiny_build(tmp_path, ["usage", "searching", "index-of-terms"])
    assert result.returncode == 0, result.stderr
    assert "overwritten" not in result.stderr


def test_sphinx_own_pages_are_not_documents(site: Path) -> None:
    env = _environment(site)
    titles = {_source_title(Path(env.doc2path(doc))) for doc in _toctree_documents(env)}
    titles.discard(None)
    assert (site / "search.html").is_file()  # the search box of every page leads there
    for name in _SPHINX_PAGES:
        page = site / name
        if page.is_file():
            # Not a document's page: its heading is none of theirs, and no source of
            # that name is published beside the documents' sources.
            assert _head(page).h1 not in titles, name
            assert not list((site / "_sources").glob(name.replace(".html", ".*"))), name


def test_tutorial_is_rendered_with_its_outputs(site: Path) -> None:
    page = (site / "tutorial.html").read_text(encoding="utf-8")
    assert page.count('class="immunokb"') >= 8  # the result lists and entities as tables
    assert "dataframe" in page  # and the pandas ones
    assert "curated (not quoted)" in page
    assert "Traceback" not in page


_SVG = "{http://www.w3.org/2000/svg}"


def _public_models() -> set[str]:
    from pydantic import BaseModel

    return {
        name
        for name in immunokb.__all__
        if isinstance(getattr(immunokb, name), type)
        and issubclass(getattr(immunokb, name), BaseModel)
    }


def test_data_model_page_draws_its_diagrams_as_inline_svg(site: Path) -> None:
    page = (site / "data-model.html").read_text(encoding="utf-8")
    svgs = re.findall(r"<svg\b[^>]*\bclass=\"ikb-diagram\".*?</svg>", page, flags=re.DOTALL)
    assert len(svgs) == 2
    drawn: set[str] = set()
    for svg in svgs:
        root = ElementTree.fromstring(svg)  # noqa: S314 - the site this module built
        boxes = {
            box.get("data-class"): box
            for box in root.iter(f"{_SVG}g")
            if "ikb-box" in (box.get("class") or "").split()
        }
        for name, box in boxes.items():
            # The class's name is text of the drawing, not a label for a script to draw.
            assert [t.text for t in box.iter(f"{_SVG}text") if t.get("class") == "ikb-name"] == [
                name
            ]
            if "ikb-elsewhere" not in (box.get("class") or ""):
                drawn.add(str(name))
        assert root.findall(f".//{_SVG}path[@class]")  # and lines between the boxes
    assert drawn == _public_models()
    # Nothing is left for mermaid.js (or any script) to draw.
    assert "mermaid" not in page
    assert "classDiagram" not in page
    # Each diagram can be opened on its own, at full size, from the page.
    for target in re.findall(r'<a href="([^"]+\.svg)"', page):
        assert (site / target).is_file(), target
    assert len(re.findall(r'<a href="([^"]+\.svg)"', page)) == 2


# --------------------------------------------------------------------------- offline


# Elements whose attribute loads something into the page (``<a href>`` is navigation).
_LOADS = {
    "script": ("src",),
    "img": ("src", "srcset"),
    "iframe": ("src",),
    "frame": ("src",),
    "source": ("src", "srcset"),
    "embed": ("src",),
    "video": ("src", "poster"),
    "audio": ("src",),
    "track": ("src",),
    "input": ("src",),
    "object": ("data",),
    "link": ("href",),
    "image": ("href", "xlink:href"),
    "use": ("href", "xlink:href"),
    "feimage": ("href", "xlink:href"),
}
_CSS_URL = re.compile(r"""url\(\s*(['"]?)(.*?)\1\s*\)|@import\s+(['"])(.*?)\3""", re.DOTALL)
_JS_IMPORT = re.compile(
    r"""\bimport\s*(?:\(\s*|[\w*${}\s,]+?\s*from\s*)(['"`])(.*?)\1|importScripts\(\s*(['"])(.*?)\3"""
)


def _is_other_host(url: str) -> bool:
    """Whether loading ``url`` from a page of the site would ask another host for it."""
    from urllib.parse import urlsplit

    url = url.strip()
    # A relative address (no scheme, no "//host") stays on the site; "data:" and the
    # like are inline. Anything else (http:, https:, //host, file:...) does not.
    return url.startswith("//") or urlsplit(url).scheme not in {"", "data", "blob", "about"}


def _css_urls(css: str) -> list[str]:
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.DOTALL)
    return [m.group(2) if m.group(1) is not None else m.group(4) for m in _CSS_URL.finditer(css)]


def _js_imports(js: str) -> list[str]:
    return [m.group(2) if m.group(1) else m.group(4) for m in _JS_IMPORT.finditer(js)]


class _Loads(HTMLParser):
    """Every address a page loads: attributes, inline styles and inline scripts' imports."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[tuple[str, str]] = []  # (where, address)
        self._inline: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is None:
                continue
            if name in _LOADS.get(tag, ()):
                if name == "srcset":
                    candidates = [c.split()[0] for c in value.split(",") if c.strip()]
                else:
                    candidates = [value]
                self.urls += [(f"<{tag} {name}>", c) for c in candidates]
            if name == "style":
                self.urls += [(f"<{tag} style>", u) for u in _css_urls(value)]
        src = dict(attrs).get("src")
        self._inline = tag if tag in {"style", "script"} and not src else None

    def handle_endtag(self, tag: str) -> None:
        self._inline = None

    def handle_data(self, data: str) -> None:
        if self._inline == "style":
            self.urls += [("<style>", u) for u in _css_urls(data)]
        elif self._inline == "script":
            self.urls += [("<script> import", u) for u in _js_imports(data)]


def test_the_checks_of_loads_see_what_they_should() -> None:
    # The checks below find nothing in the site: make sure they would find something.
    parser = _Loads()
    parser.feed(
        '<link rel="stylesheet" href="https://cdn.example/x.css"><img srcset="a.png 1x, '
        '//cdn.example/b.png 2x"><a href="https://example.org/">a link</a>'
        "<div style=\"background: url('https://cdn.example/c.png')\"></div>"
        '<script type="module">import mermaid from "https://cdn.example/m.mjs";</script>'
        '<script>import("https://cdn.example/d.js")</script><svg><image href="e.png"/></svg>'
        "<style>@import 'https://fonts.example/f.css';</style>"
    )
    found = [url for _, url in parser.urls if _is_other_host(url)]
    assert found == [
        "https://cdn.example/x.css",
        "//cdn.example/b.png",
        "https://cdn.example/c.png",
        "https://cdn.example/m.mjs",
        "https://cdn.example/d.js",
        "https://fonts.example/f.css",
    ]
    assert _css_urls("a{b:url(x.woff2)} /* url(https://no) */ @import url(https://y);") == [
        "x.woff2",
        "https://y",
    ]
    assert not _is_other_host("_static/x.js?v=1")
    assert not _is_other_host("data:image/svg+xml;base64,AAAA")
    assert _is_other_host("http://example.org/a.js")


def test_no_page_loads_anything_from_another_host(site: Path) -> None:
    pages = sorted(site.rglob("*.html"))
    assert len(pages) > 100  # every page: the documents, the catalogue, Sphinx's own
    found: list[str] = []
    for page in pages:
        parser = _Loads()
        parser.feed(page.read_text(encoding="utf-8"))
        parser.close()
        found += [
            f"{page.relative_to(site)}: {where} {url}"
            for where, url in parser.urls
            if _is_other_host(url)
        ]
    assert not found, "\n".join(found)


def test_no_stylesheet_or_script_of_the_site_loads_from_another_host(site: Path) -> None:
    sheets = sorted(site.rglob("*.css"))
    scripts = sorted(site.rglob("*.js")) + sorted(site.rglob("*.mjs"))
    assert sheets
    assert scripts
    found = [
        f"{sheet.relative_to(site)}: {url}"
        for sheet in sheets
        for url in _css_urls(sheet.read_text(encoding="utf-8"))
        if _is_other_host(url)
    ]
    found += [
        f"{script.relative_to(site)}: import {url}"
        for script in scripts
        for url in _js_imports(script.read_text(encoding="utf-8"))
        if _is_other_host(url)
    ]
    assert not found, "\n".join(found)


def test_catalogue_pages_show_every_quote_verbatim(site: Path) -> None:
    kb = immunokb.load()
    folders = {"therapy": "therapies", "vaccine": "vaccines"}
    folders |= {"side_effect": "side-effects", "cancer_type": "cancer-types"}
    for entity in kb.entities:
        kind = getattr(entity, "kind", None)
        assert kind in folders
        text = _text(site / "catalogue" / folders[kind] / f"{entity.id}.html")
        assert entity.name in text
        for reference in kb.references(entity):
            shown = reference.quote if reference.curated is None else reference.curated
            assert " ".join((shown or "").split()) in text, (entity.id, reference.supports)
    for source in kb.sources:
        text = _text(site / "catalogue" / "sources" / f"{source.id}.html")
        assert source.title in text
        if source.url is not None:
            assert f'href="{source.url}"' in (
                site / "catalogue" / "sources" / f"{source.id}.html"
            ).read_text(encoding="utf-8")


def test_jsonld_context_is_published_with_the_site(site: Path) -> None:
    import json

    published = json.loads((site / "context.jsonld").read_text(encoding="utf-8"))
    assert published == immunokb.jsonld_context()
    assert 'href="context.jsonld"' in (site / "exports.html").read_text(encoding="utf-8")
