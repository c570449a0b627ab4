from __future__ import annotations

import os
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

if os.environ.get("IMMUNOKB_TEST_WITHOUT_LIBYAML") == "1":
    # As if PyYAML had been built without libyaml: its C extension cannot be
    # imported, so PyYAML and immunokb fall back to the pure-Python loader.
    sys.modules["yaml._yaml"] = None  # type: ignore[assignment]

import immunokb

# Generating pydantic models is slow on a cold, busy CI machine: the speed of input
# generation is not what these tests check, so neither deadlines nor the too-slow
# health check may fail a run.
settings.register_profile("immunokb", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("immunokb")

NCI_VACCINES = "nci-cancer-treatment-vaccines"


@pytest.fixture(scope="session", autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Keep the load cache of the whole run in a temporary directory, not the user's."""
    directory = tmp_path_factory.mktemp("immunokb-cache")
    saved = {name: os.environ.get(name) for name in ("IMMUNOKB_CACHE_DIR", "IMMUNOKB_NO_CACHE")}
    os.environ["IMMUNOKB_CACHE_DIR"] = str(directory)
    os.environ.pop("IMMUNOKB_NO_CACHE", None)
    yield directory
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture(scope="session")
def kb() -> immunokb.KnowledgeBase:
    return immunokb.load()


@pytest.fixture
def corpus(tmp_path: Path):
    """Write documents into a fresh folder: corpus({"a.md": text, ...}) -> folder."""

    def write(files: dict[str, str]) -> Path:
        for name, text in files.items():
            path = tmp_path / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return tmp_path

    return write


def side_effect_doc(
    entity_id: str = "test-effect",
    *,
    name: str = "stroke",
    quote: str = "Sipuleucel-T can cause stroke.",
    source: str = NCI_VACCINES,
    extra: str = "",
) -> str:
    """A small valid side-effect document (before `extra` is added)."""
    return f"""
    ---
    kind: side_effect
    id: {entity_id}
    name:
      value: {name}
      cite:
        - source: {source}
          quote: "{quote}"
    cite:
      - source: {source}
        quote: "{quote}"
    {extra}
    ---
    A test entity.
    """
