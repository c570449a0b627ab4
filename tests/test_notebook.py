"""The tutorial notebook in docs/ runs cleanly from top to bottom."""

from __future__ import annotations

from pathlib import Path

import pytest

NOTEBOOK = Path(__file__).resolve().parents[1] / "docs" / "tutorial.ipynb"


def test_tutorial_notebook_runs(tmp_path: Path) -> None:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    pytest.importorskip("pandas")
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    assert not any(cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code")
    client = nbclient.NotebookClient(
        notebook,
        timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    errors = [o for cell in code for o in cell.outputs if o.output_type == "error"]
    assert not errors
    # The result lists and entities displayed themselves as HTML tables.
    html = [
        o["data"]["text/html"]
        for cell in code
        for o in cell.outputs
        if o.output_type == "execute_result" and "text/html" in o.get("data", {})
    ]
    assert len(html) >= 8
    assert any("curated (not quoted)" in page for page in html)
    assert all(
        'class="immunokb"' in page for page in html if "<table" in page and "dataframe" not in page
    )
