from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

import immunokb

API_DOC = Path(__file__).resolve().parents[1] / "docs" / "api.md"

CONTRACT = [
    "load",
    "KnowledgeBase",
    "Source",
    "Therapy",
    "Vaccine",
    "SideEffect",
    "CancerType",
    "Citation",
    "SideEffectLink",
    "Hit",
    "Status",
    "Route",
    "ImmunoKBError",
    "DocumentError",
    "NotFoundError",
]


def test_all_is_sorted_and_unique() -> None:
    # ruff's isort-style order: CONSTANTS, then Classes, then functions and dunders
    def key(name: str) -> tuple[int, str]:
        return (0 if name.isupper() else 1 if name[:1].isupper() else 2, name)

    assert list(immunokb.__all__) == sorted(set(immunokb.__all__), key=key)


def test_all_names_exist() -> None:
    for name in immunokb.__all__:
        assert getattr(immunokb, name) is not None


def test_contract_names_are_public() -> None:
    assert set(CONTRACT) <= set(immunokb.__all__)
    assert issubclass(immunokb.Vaccine, immunokb.Therapy)
    assert issubclass(immunokb.NotFoundError, KeyError)
    assert issubclass(immunokb.NotFoundError, immunokb.ImmunoKBError)
    assert issubclass(immunokb.DocumentError, immunokb.ImmunoKBError)


def test_all_is_what_the_docs_say() -> None:
    documented = re.findall(
        r"^\.\. auto(?:class|function|data|exception):: immunokb\.(\w+)",
        API_DOC.read_text(encoding="utf-8"),
        flags=re.MULTILINE,
    )
    assert sorted(documented) == sorted(immunokb.__all__)
    assert len(documented) == len(set(documented))


def test_version_comes_from_metadata() -> None:
    from importlib.metadata import version

    assert immunokb.__version__ == version("immunokb")
    with pytest.raises(AttributeError):
        immunokb.no_such_name  # noqa: B018


@pytest.mark.skipif(os.environ.get("IMMUNOKB_TEST_INSTALLED") != "1", reason="wheel run only")
def test_running_against_the_installed_wheel() -> None:
    # .ci/run sets this when it runs the tests against the built wheel
    path = Path(immunokb.__file__).resolve()
    assert "site-packages" in path.parts
    assert not (path.parents[2] / "pyproject.toml").exists()


def test_import_loads_nothing_until_a_name_is_used() -> None:
    import subprocess
    import sys

    code = (
        "import sys\n"
        "import immunokb\n"
        "loaded = sorted(m for m in sys.modules if m.startswith('immunokb.') or m == 'pydantic')\n"
        "assert loaded == [], loaded\n"
        "assert set(immunokb.__all__) <= set(dir(immunokb))\n"
        "therapy = immunokb.Therapy\n"
        "assert 'immunokb._models' in sys.modules and 'immunokb._kb' not in sys.modules\n"
        "assert immunokb.Therapy is therapy  # kept after the first access\n"
        "from immunokb import *  # noqa: F403\n"
        "assert KnowledgeBase is immunokb.KnowledgeBase  # noqa: F405\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_every_public_name_is_the_object_of_its_module() -> None:
    for name in immunokb.__all__:
        if name == "__version__":
            continue
        value = getattr(immunokb, name)
        module = getattr(value, "__module__", None)
        if isinstance(module, str) and module.startswith("immunokb."):
            home = __import__(module, fromlist=[name])
            assert getattr(home, name) is value, name
