"""The ``>>>`` examples in the package's docstrings run and print what they show.

They are code examples of the docs too: the API reference renders the docstrings.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import immunokb

MODULES = sorted(
    info.name
    for info in pkgutil.iter_modules(immunokb.__path__, prefix="immunokb.")
    if info.name != "immunokb.__main__"  # importing it runs the command line
)


def _tests(name: str) -> list[doctest.DocTest]:
    module = importlib.import_module(name)
    found = doctest.DocTestFinder().find(module, name, extraglobs={"immunokb": immunokb})
    return [test for test in found if test.examples]


def test_some_docstrings_have_examples() -> None:
    assert sum(len(_tests(name)) for name in MODULES) >= 5


@pytest.mark.parametrize("name", ["immunokb", *MODULES])
def test_docstring_examples(name: str) -> None:
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
    for test in _tests(name):
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0
