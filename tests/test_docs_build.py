"""The documentation builds with warnings as errors, and shows what it should.

One Sphinx build of a copy of docs/ (so that the generated catalogue is not
written into the working tree), then checks of the HTML: the tutorial notebook
was executed and shows its output tables, the data-model page carries both
diagrams, and every catalogue page shows each of its entity's quotes verbatim
(typographic "smart quotes" would change them). Skipped when the docs extra is
not installed.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import immunokb

DOCS = Path(__file__).resolve().parents[1] / "docs"
_NEEDED = ("sphinx", "furo", "myst_parser", "myst_nb", "sphinxcontrib.mermaid", "ipykernel")


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


def test_tutorial_is_rendered_with_its_outputs(site: Path) -> None:
    page = (site / "tutorial.html").read_text(encoding="utf-8")
    assert page.count('class="immunokb"') >= 8  # the result lists and entities as tables
    assert "dataframe" in page  # and the pandas ones
    assert "curated (not quoted)" in page
    assert "Traceback" not in page


def test_data_model_page_has_both_diagrams(site: Path) -> None:
    page = (site / "data-model.html").read_text(encoding="utf-8")
    diagrams = re.findall(r'class="mermaid">\s*classDiagram', page)
    assert len(diagrams) == 2
    assert "class Entity {" in page
    assert "class SideEffectLink {" in page


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
